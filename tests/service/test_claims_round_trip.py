"""Issue 5's round trip: export a claim with `export-837`, turn the 837P into the 835
that pays it (test helper, using the 837's REF*6R line control numbers), import that
835 with `import-835`, and see it post to the right lines by REF*6R."""

from __future__ import annotations

import json

from claims_out_helpers import give_addresses, setup_practice
from click.testing import CliRunner
from era_helpers import ClaimPlan, LinePlan, RemitPlan, facts_from_837, write_835
from svc_helpers import TODAY, charge_row, write_csv

from billing_tui.cli import main
from billing_tui.db.uow import UnitOfWork
from billing_tui.services.charges import import_charges
from billing_tui.services.check import run_check
from billing_tui.services.era_queries import list_remittances, remit_claim_lines, remittance_claims


def _run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_export_837_then_835_posts_by_line_control_number(db, admin, tmp_path):
    setup_practice(db)
    rows = [
        charge_row("RT0001", procedure="99214", charge="200.00"),
        charge_row("RT0001", procedure="36415", charge="25.00"),
        charge_row("RT0001", procedure="81002", charge="30.00"),
    ]
    import_charges(db, admin, write_csv(tmp_path / "c.csv", rows))
    give_addresses(db)
    url = db.url
    res = _run("scrub", "--db", url, "--today", TODAY.isoformat(), "--json")
    assert json.loads(res.output)["clean"] == 1, res.output
    out = tmp_path / "claims.837"
    res = _run("export-837", "--db", url, "--out", str(out), "--json")
    assert res.exit_code == 0, res.output
    (claim,) = facts_from_837(out.read_text())
    assert claim.claim_number == "RT0001"
    assert [ln.control_number for ln in claim.lines] == ["RT0001-1", "RT0001-2", "RT0001-3"]
    # The payer answers the lines in another order and drops the modifiers/codes nothing:
    # only REF*6R says which is which. Each line paid differently.
    by_no = {ln.line_no: ln for ln in claim.lines}
    plan = ClaimPlan(
        "RT0001",
        "1",
        [
            LinePlan(by_no[3], 2000, [("CO", "45", 1000)], allowed_cents=2000),
            LinePlan(by_no[1], 9600, [("CO", "45", 8000), ("PR", "2", 2400)], allowed_cents=12000),
            LinePlan(by_no[2], 0, [("CO", "97", 2500)]),  # bundled: a denial, stays open
        ],
    )
    era = write_835(tmp_path / "paid.835", RemitPlan([plan], trace="RT-TRACE"))
    res = _run("import-835", str(era), "--db", url, "--json")
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert (data["claims_posted"], data["claims_exceptions"], data["denials"]) == (1, 0, 1)
    assert data["paid_cents"] == 11600
    remit = list_remittances(db)[0]
    rc = remittance_claims(db, remit.id)[0]
    lines = remit_claim_lines(db, rc.id)
    assert [(x.matched_line_no, x.match_method) for x in lines] == [(3, "6R"), (1, "6R"), (2, "6R")]
    with UnitOfWork(db, write=False) as uow:
        c = uow.claims.by_number("RT0001")
        balances = {ln.line_no: (ln.ins_balance_cents, ln.pat_balance_cents)
                    for ln in uow.claims.lines(c.id)}  # fmt: skip
        assert balances == {1: (0, 2400), 2: (2500, 0), 3: (0, 0)}
        assert c.status == "partially_paid"
    assert run_check(db).ok
