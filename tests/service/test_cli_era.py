"""`billing-tui import-835` on the command line: text, --json with exactly the issue's
keys, --dry-run, --validate, duplicates, and refusals with exit 1."""

from __future__ import annotations

import json

from click.testing import CliRunner
from era_helpers import RemitPlan, claim_facts, mark_sent, pay, render, write_835
from svc_helpers import make_claim

from billing_tui.cli import main
from billing_tui.db.uow import UnitOfWork
from billing_tui.services.check import run_check
from billing_tui.services.era_import import ImportReport

KEYS = [
    "files", "transactions", "transactions_rejected", "claims", "claims_posted",
    "claims_exceptions", "reversals", "denials", "check_amount_cents", "paid_cents",
    "posted_paid_cents", "exception_paid_cents", "adjustment_cents", "plb_cents",
    "duplicates_skipped", "validation_warnings",
]  # fmt: skip


def _run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_json_dry_run_validate_and_duplicates(db, admin, tmp_path):
    cid = make_claim(db, admin, tmp_path, charges=("200.00", "100.00"))
    mark_sent(db)
    with UnitOfWork(db, write=False) as uow:
        number = uow.claims.get(cid).claim_number
    facts = claim_facts(db, [number])
    path = write_835(tmp_path / "era.835", RemitPlan([pay(facts[0])], plb=[("L6", "", -123)]))
    url = db.url
    res = _run("import-835", str(path), "--db", url, "--dry-run", "--json")
    assert res.exit_code == 0, res.output
    dry = json.loads(res.output)
    assert list(dry) == KEYS == list(ImportReport.JSON_KEYS)
    assert dry["claims_posted"] == 1 and dry["plb_cents"] == -123
    res = _run("import-835", str(path), "--db", url, "--validate", "--json")
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert {k: v for k, v in data.items() if k != "validation_warnings"} == {
        k: v for k, v in dry.items() if k != "validation_warnings"
    }
    assert data["posted_paid_cents"] + data["exception_paid_cents"] == data["paid_cents"]
    assert data["check_amount_cents"] == data["paid_cents"] - data["plb_cents"]
    assert data["paid_cents"] == 14400 and data["adjustment_cents"] == 12000
    res = _run("import-835", str(path), "--db", url)
    assert res.exit_code == 0 and "imported before" in res.output
    res = _run("import-835", str(path), "--db", url, "--json")
    again = json.loads(res.output)
    assert again["duplicates_skipped"] == 1 and again["claims_posted"] == 0
    assert run_check(db).ok


def test_text_output_and_refusals(db, admin, tmp_path):
    cid = make_claim(db, admin, tmp_path, charges=("200.00",))
    mark_sent(db)
    with UnitOfWork(db, write=False) as uow:
        number = uow.claims.get(cid).claim_number
    facts = claim_facts(db, [number])
    good = write_835(tmp_path / "good.835", RemitPlan([pay(facts[0])]))
    text = render(RemitPlan([pay(facts[0])], trace="X")).decode()
    bare = tmp_path / "bare.835"
    bare.write_text(text[text.index("ST*") :])
    old = write_835(tmp_path / "old.835", RemitPlan([pay(facts[0])]), version="004010X091A1")
    for bad, words in ((bare, "does not start with an ISA"), (old, "4010")):
        res = CliRunner().invoke(main, ["import-835", str(good), str(bad), "--db", db.url])
        assert res.exit_code == 1
        assert words in res.output and "nothing was posted" in res.output
    res = _run("import-835", str(good), "--db", db.url)
    assert res.exit_code == 0
    assert "1 remittance(s) imported" in res.output and "1 posted" in res.output
    res = CliRunner().invoke(main, ["import-835", str(tmp_path / "none.835"), "--db", db.url])
    assert res.exit_code == 1 and "no such file" in res.output
