"""835 import: every CLP02 status, PLB, duplicates, exceptions, rejected sets, dry run,
and the books after it (`run_check`), on SQLite and PostgreSQL."""

from __future__ import annotations

import re

import pytest
from era_helpers import (
    ClaimPlan,
    LinePlan,
    RemitPlan,
    claim_facts,
    deny,
    pay,
    render,
    reverse,
    sent_claim,
    write_835,
)
from sqlalchemy import func, select
from svc_helpers import add_coverage, make_claim

from billing_tui.db import models as m
from billing_tui.db.engine import BULK_CACHE_KIB, bulk_sqlite_pragmas
from billing_tui.db.uow import UnitOfWork, utcnow
from billing_tui.domain import ledger as L
from billing_tui.domain.errors import ConflictError, ValidationError
from billing_tui.services.check import run_check
from billing_tui.services.era_import import import_files, resolve_exception
from billing_tui.services.era_queries import (
    list_remittances,
    open_exceptions,
    remit_claim_lines,
    remittance_claims,
)


def _claim(db, claim_id):
    with UnitOfWork(db, write=False) as uow:
        c = uow.claims.get(claim_id)
        lines = [(ln.ins_balance_cents, ln.pat_balance_cents) for ln in uow.claims.lines(c.id)]
        return c, lines


def _number(db, claim_id) -> str:
    return _claim(db, claim_id)[0].claim_number


def _import(db, actor, tmp_path, remits, name="era.835", **kw):
    path = write_835(tmp_path / name, remits, **{k: v for k, v in kw.items() if k != "dry_run"})
    return import_files(db, actor, [path], dry_run=kw.get("dry_run", False))


def _identities(r):
    assert r.posted_paid_cents + r.exception_paid_cents == r.paid_cents
    assert r.check_amount_cents == r.paid_cents - r.plb_cents


def _count(db, model) -> int:
    with UnitOfWork(db, write=False) as uow:
        return uow.session.scalar(select(func.count()).select_from(model))


def test_paid_with_coinsurance_example_1(db, admin, tmp_path):
    cid = sent_claim(db, admin, tmp_path, charges=("200.00",))
    facts = claim_facts(db, [_number(db, cid)])
    r = _import(db, admin, tmp_path, RemitPlan([pay(facts[0])]))
    _identities(r)
    assert (r.claims, r.claims_posted, r.claims_exceptions) == (1, 1, 0)
    assert r.paid_cents == 9600 and r.adjustment_cents == 8000
    claim, lines = _claim(db, cid)
    assert lines == [(0, 2400)]
    assert (claim.ins_balance_cents, claim.pat_balance_cents) == (0, 2400)
    assert claim.status == "paid" and claim.version > 1
    assert run_check(db).problems == []
    rows = list_remittances(db)
    assert rows[0].status == "posted" and rows[0].claims_posted == 1
    with UnitOfWork(db, write=False) as uow:
        batch = uow.batches.get(rows[0].batch_id)
        assert (batch.source, batch.amount_cents, batch.status) == ("835", 9600, "balanced")
    rc = remittance_claims(db, rows[0].id)
    assert rc[0].posted and rc[0].status_label == "processed as primary"
    lines_rows = remit_claim_lines(db, rc[0].id)
    assert lines_rows[0].match_method == "6R" and lines_rows[0].matched_line_no == 1
    assert lines_rows[0].cas_text == "CO-45 80.00; PR-2 24.00"


def test_zero_paid_deductible_is_not_a_denial_example_2(db, admin, tmp_path):
    cid = sent_claim(db, admin, tmp_path, charges=("150.00",))
    f = claim_facts(db, [_number(db, cid)])[0]
    plan = ClaimPlan(
        f.claim_number, "1", [LinePlan(f.lines[0], 0, [("CO", "45", 5000), ("PR", "1", 10000)])]
    )
    r = _import(db, admin, tmp_path, RemitPlan([plan]))
    _identities(r)
    assert (r.claims_posted, r.denials) == (1, 0)
    claim, _ = _claim(db, cid)
    assert (claim.ins_balance_cents, claim.pat_balance_cents, claim.status) == (0, 10000, "paid")
    assert _count(db, m.Denial) == 0
    assert run_check(db).problems == []


def test_denial_clp02_4_stays_open_example_3(db, admin, tmp_path):
    cid = sent_claim(db, admin, tmp_path, charges=("300.00",))
    f = claim_facts(db, [_number(db, cid)])[0]
    r = _import(db, admin, tmp_path, RemitPlan([deny(f, carc="197")]))
    _identities(r)
    assert (r.claims_posted, r.denials, r.paid_cents) == (1, 1, 0)
    claim, _ = _claim(db, cid)
    assert (claim.ins_balance_cents, claim.status) == (30000, "denied")
    with UnitOfWork(db, write=False) as uow:
        d = uow.session.scalar(select(m.Denial))
        assert (d.carc, d.group_code, d.amount_cents, d.category) == (
            "197",
            "CO",
            30000,
            "authorization",
        )
        assert d.due_date is not None
    assert run_check(db).problems == []


@pytest.mark.parametrize("status", ["1", "19"])
def test_primary_then_secondary_example_4(db, admin, tmp_path, status):
    cid = sent_claim(db, admin, tmp_path, charges=("200.00",))
    add_coverage(db, "A0000001", "60054", "Aetna", 2)
    f = claim_facts(db, [_number(db, cid)])[0]
    r = _import(db, admin, tmp_path, RemitPlan([pay(f, status=status)]), name="primary.835")
    _identities(r)
    claim, _ = _claim(db, cid)
    assert (claim.ins_balance_cents, claim.pat_balance_cents) == (2400, 0)
    assert (claim.status, claim.responsibility, claim.rebill) == ("transferred", 2, True)
    f2 = claim_facts(db, [f.claim_number])[0]
    plan = ClaimPlan(
        f.claim_number,
        "2",
        [LinePlan(f2.lines[0], 2000, [("PR", "2", 400)])],
        payer_claim_number="AET1",
    )
    r2 = _import(
        db,
        admin,
        tmp_path,
        RemitPlan([plan], trace="AET-77", payer_id="60054", payer_name="Aetna"),
        name="secondary.835",
    )
    _identities(r2)
    assert r2.claims_posted == 1
    claim, _ = _claim(db, cid)
    assert (claim.ins_balance_cents, claim.pat_balance_cents, claim.status) == (0, 400, "paid")
    assert run_check(db).problems == []


def test_tertiary_and_forwarded_statuses_post_as_their_rank(db, admin, tmp_path):
    cid = sent_claim(db, admin, tmp_path, charges=("100.00",))
    f = claim_facts(db, [_number(db, cid)])[0]
    # The claim is with the primary: an answer as tertiary (21) is an exception.
    r = _import(db, admin, tmp_path, RemitPlan([pay(f, status="21")]))
    _identities(r)
    assert r.claims_exceptions == 1
    assert "rank 3" in open_exceptions(db)[0].reason


def test_reversal_and_repayment_example_5(db, admin, tmp_path):
    cid = sent_claim(db, admin, tmp_path, charges=("200.00",))
    f = claim_facts(db, [_number(db, cid)])[0]
    first = ClaimPlan(
        f.claim_number,
        "1",
        [LinePlan(f.lines[0], 16000, [("CO", "45", 4000)])],
        payer_claim_number="ICN555",
    )
    r1 = _import(db, admin, tmp_path, RemitPlan([first], trace="T1"), name="first.835")
    assert r1.claims_posted == 1
    assert _claim(db, cid)[0].status == "closed"
    again = ClaimPlan(
        f.claim_number,
        "1",
        [LinePlan(f.lines[0], 12000, [("CO", "45", 8000)])],
        payer_claim_number="ICN556",
    )
    r2 = _import(
        db, admin, tmp_path, RemitPlan([reverse(first), again], trace="T2"), name="second.835"
    )
    _identities(r2)
    assert (r2.claims_posted, r2.reversals, r2.paid_cents) == (2, 1, -4000)
    claim, lines = _claim(db, cid)
    assert (claim.ins_balance_cents, claim.pat_balance_cents, claim.status) == (0, 0, "closed")
    with UnitOfWork(db, write=False) as uow:
        entries = uow.ledger.for_claim(cid)
        reversals = [e for e in entries if e.kind == "reversal"]
        originals = {e.id: e for e in entries}
        assert len(reversals) == 2
        assert all(originals[e.reverses_id].amount_cents == -e.amount_cents for e in reversals)
        batch2 = list_remittances(db)[0].batch_id
        assert uow.batches.get(batch2).status == "balanced"
    assert run_check(db).problems == []
    # The same reversal once more: its original is already reversed -> exception.
    r3 = _import(db, admin, tmp_path, RemitPlan([reverse(first)], trace="T3"), name="third.835")
    assert r3.claims_exceptions == 1 and r3.exception_paid_cents == -16000
    _identities(r3)


def test_the_same_reversal_twice_in_one_file_posts_once(db, admin, tmp_path):
    """A payer repeating a CLP02 22 in one file: the first reverses the payment, the second
    finds nothing left to reverse (an exception), so the money comes back once."""
    cid = sent_claim(db, admin, tmp_path, charges=("200.00",))
    f = claim_facts(db, [_number(db, cid)])[0]
    first = ClaimPlan(
        f.claim_number,
        "1",
        [LinePlan(f.lines[0], 16000, [("CO", "45", 4000)])],
        payer_claim_number="ICN555",
    )
    _import(db, admin, tmp_path, RemitPlan([first], trace="T1"), name="first.835")
    r = _import(
        db,
        admin,
        tmp_path,
        RemitPlan([reverse(first), reverse(first)], trace="T2"),
        name="second.835",
    )
    _identities(r)
    assert (r.claims_posted, r.claims_exceptions, r.reversals) == (1, 1, 1)
    assert "cannot be found" in open_exceptions(db)[0].reason
    claim, lines = _claim(db, cid)
    assert (claim.ins_balance_cents, claim.pat_balance_cents) == (20000, 0)
    assert lines == [(20000, 0)]
    assert run_check(db).problems == []


def test_bulk_pragmas_are_put_back_even_after_a_failure(db):
    """The import's SQLite connection runs without mmap and with a small page cache; the
    pooled connection gets its settings back whatever happens (PostgreSQL: no-op)."""
    if not db.is_sqlite:
        with db.engine.connect() as conn, bulk_sqlite_pragmas(conn):
            return

    def pragmas(conn):
        raw = conn.connection.driver_connection
        return tuple(raw.execute(f"PRAGMA {n}").fetchone()[0] for n in ("mmap_size", "cache_size"))

    with db.engine.connect() as conn:
        before = pragmas(conn)
        assert before[0] > 0
        with pytest.raises(RuntimeError), bulk_sqlite_pragmas(conn):
            assert pragmas(conn) == (0, -BULK_CACHE_KIB)
            raise RuntimeError("the import failed")
        assert pragmas(conn) == before


def test_reversal_without_original_is_an_exception(db, admin, tmp_path):
    cid = sent_claim(db, admin, tmp_path, charges=("200.00",))
    f = claim_facts(db, [_number(db, cid)])[0]
    r = _import(db, admin, tmp_path, RemitPlan([reverse(pay(f))]))
    _identities(r)
    assert (r.claims_posted, r.claims_exceptions, r.reversals) == (0, 1, 0)
    assert "cannot be found" in open_exceptions(db)[0].reason
    assert _claim(db, cid)[0].ins_balance_cents == 20000


def test_predetermination_moves_no_money(db, admin, tmp_path):
    cid = sent_claim(db, admin, tmp_path, charges=("200.00",))
    f = claim_facts(db, [_number(db, cid)])[0]
    plan = ClaimPlan(f.claim_number, "25", [LinePlan(f.lines[0], 0, [("CO", "45", 20000)])])
    before = _count(db, m.LedgerEntry)
    r = _import(db, admin, tmp_path, RemitPlan([plan]))
    _identities(r)
    assert (r.claims_posted, r.claims_exceptions) == (1, 0)
    assert _count(db, m.LedgerEntry) == before
    assert _claim(db, cid)[0].ins_balance_cents == 20000


def test_plb_interest_and_recoupment(db, admin, tmp_path):
    paid_id = sent_claim(db, admin, tmp_path, charges=("100.00",))
    credit_id = sent_claim(db, admin, tmp_path, charges=("100.00",), patient_account="A0000002")
    fp, fc = claim_facts(db, [_number(db, paid_id), _number(db, credit_id)])
    # The second claim was paid in full, then 50.00 more by mistake: a credit balance.
    over = ClaimPlan(
        fc.claim_number, "1", [LinePlan(fc.lines[0], 10000)], payer_claim_number="OVER1"
    )
    _import(db, admin, tmp_path, RemitPlan([over], trace="T0"), name="over.835")
    with UnitOfWork(db) as uow:
        claim = uow.claims.get(credit_id, lock=True)
        line = uow.claims.lines(credit_id)[0]
        uow.ledger.append(
            claim, line, L.insurance_payment(5000, 1), user_id=admin.user_id, now=utcnow()
        )
        uow.commit()
    assert _claim(db, credit_id)[0].ins_balance_cents == -5000
    remit = RemitPlan(
        [pay(fp)], trace="T1",
        plb=[("L6", "", -1234), ("WO", fc.claim_number, 5000), ("WO", "NOSUCH", 700),
             ("FB", "", 100)],
    )  # fmt: skip
    r = _import(db, admin, tmp_path, remit, name="plb.835")
    _identities(r)
    assert r.plb_cents == -1234 + 5000 + 700 + 100
    assert r.check_amount_cents == 4800 - r.plb_cents
    assert _claim(db, credit_id)[0].ins_balance_cents == 0
    ex = open_exceptions(db)
    assert len(ex) == 1 and "PLB WO" in ex[0].reason and ex[0].claim_number == "NOSUCH"
    with UnitOfWork(db, write=False) as uow:
        codes = sorted(uow.session.scalars(select(m.ProviderAdjustment.reason_code)))
        assert codes == ["FB", "L6", "WO", "WO"]
    assert list_remittances(db)[0].status == "exceptions"
    assert run_check(db).problems == []


def test_several_sets_a_broken_one_is_rejected_alone(db, admin, tmp_path):
    a = sent_claim(db, admin, tmp_path, charges=("100.00",))
    b = sent_claim(db, admin, tmp_path, charges=("120.00",), patient_account="A0000002")
    fa, fb = claim_facts(db, [_number(db, a), _number(db, b)])
    data = render([RemitPlan([pay(fa)], trace="S1"), RemitPlan([pay(fb)], trace="S2")])
    text = re.sub(r"SE\*\d+\*0002~", "SE*99*0002~", data.decode())
    path = tmp_path / "two.835"
    path.write_text(text)
    r = import_files(db, admin, [path])
    _identities(r)
    assert (r.transactions, r.transactions_rejected, r.claims_posted) == (1, 1, 1)
    assert "SE01 says 99" in r.results[0].rejected[0]
    assert _claim(db, b)[0].ins_balance_cents == 12000  # not posted
    rows = list_remittances(db)
    assert sorted(x.status for x in rows) == ["posted", "rejected"]
    assert run_check(db).problems == []


def test_unbalanced_remittance_is_rejected(db, admin, tmp_path):
    a = sent_claim(db, admin, tmp_path, charges=("100.00",))
    fa = claim_facts(db, [_number(db, a)])[0]
    r = _import(db, admin, tmp_path, RemitPlan([pay(fa)], check_cents=1))
    _identities(r)
    assert (r.transactions, r.transactions_rejected, r.claims) == (0, 1, 0)
    assert _count(db, m.PaymentBatch) == 0


def test_never_twice(db, admin, tmp_path):
    a = sent_claim(db, admin, tmp_path, charges=("100.00",))
    fa = claim_facts(db, [_number(db, a)])[0]
    path = write_835(tmp_path / "a.835", RemitPlan([pay(fa)], trace="DUP1"))
    first = import_files(db, admin, [path])
    assert first.claims_posted == 1
    entries = _count(db, m.LedgerEntry)
    again = import_files(db, admin, [path])
    assert (again.duplicates_skipped, again.claims_posted, again.transactions) == (1, 0, 0)
    # Same payer and trace in a different file (e.g. re-sent with other line endings).
    other = write_835(tmp_path / "b.835", RemitPlan([pay(fa)], trace="DUP1"), crlf=True)
    third = import_files(db, admin, [other])
    assert third.duplicates_skipped == 1 and "already posted" in third.results[0].message
    assert _count(db, m.LedgerEntry) == entries
    assert _count(db, m.RemittanceFile) == 1


def test_exceptions_are_listed_and_resolved(db, admin, tmp_path):
    a = sent_claim(db, admin, tmp_path, charges=("100.00", "50.00"))
    fa = claim_facts(db, [_number(db, a)])[0]
    ghost = ClaimPlan("NOPE-1", "1", [LinePlan(fa.lines[0], 100, [("CO", "45", 9900)])])
    unbalanced = pay(fa)
    unbalanced.lines[0].cas[0] = ("CO", "45", 1)  # billed != paid + CAS
    r = _import(db, admin, tmp_path, RemitPlan([ghost, unbalanced]))
    _identities(r)
    assert (r.claims_posted, r.claims_exceptions) == (0, 2)
    assert r.exception_paid_cents == r.paid_cents
    reasons = [e.reason for e in open_exceptions(db)]
    assert "not in this practice" in reasons[0] and "does not balance" in reasons[1]
    assert _claim(db, a)[0].ins_balance_cents == 15000  # nothing invented
    ex_id = open_exceptions(db)[0].id
    with pytest.raises(ValidationError):
        resolve_exception(db, admin, ex_id, "  ")
    resolve_exception(db, admin, ex_id, "not our patient; payer told")
    assert [e.id for e in open_exceptions(db)] != [ex_id] and len(open_exceptions(db)) == 1
    with pytest.raises(ValidationError, match="already resolved"):
        resolve_exception(db, admin, ex_id, "again")


def test_line_not_matched_is_an_exception(db, admin, tmp_path):
    a = sent_claim(db, admin, tmp_path, charges=("100.00",))
    fa = claim_facts(db, [_number(db, a)])[0]
    plan = pay(fa)
    plan.lines[0].send_6r = False
    plan.lines[0].changed_code = "99999"  # and SVC06 carries a code we never billed
    plan.lines[0].facts = type(fa.lines[0])(**{**fa.lines[0].__dict__, "code": "11111"})
    r = _import(db, admin, tmp_path, RemitPlan([plan]))
    assert (
        r.claims_exceptions == 1 and "no line of the claim matches" in open_exceptions(db)[0].reason
    )


def test_dropped_modifier_and_changed_code_still_match(db, admin, tmp_path):
    a = sent_claim(db, admin, tmp_path, charges=("100.00",), modifiers="25:59")
    b = sent_claim(db, admin, tmp_path, charges=("80.00",), patient_account="A0000002")
    fa, fb = claim_facts(db, [_number(db, a), _number(db, b)])
    pa, pb = pay(fa), pay(fb)
    pa.lines[0].send_6r = False
    pa.lines[0].drop_modifiers = True
    pb.lines[0].send_6r = False
    pb.lines[0].changed_code = "99213"  # the payer down-coded; SVC06 has ours
    r = _import(db, admin, tmp_path, RemitPlan([pa, pb]))
    _identities(r)
    assert r.claims_posted == 2
    rows = list_remittances(db)
    methods = [
        remit_claim_lines(db, c.id)[0].match_method for c in remittance_claims(db, rows[0].id)
    ]
    assert methods == ["code+dos", "svc06"]


def test_dry_run_writes_nothing(db, admin, tmp_path):
    a = sent_claim(db, admin, tmp_path, charges=("100.00",))
    fa = claim_facts(db, [_number(db, a)])[0]
    before = (_count(db, m.LedgerEntry), _count(db, m.AuditEvent))
    r = _import(db, admin, tmp_path, RemitPlan([pay(fa)]), dry_run=True)
    assert r.claims_posted == 1 and r.dry_run
    assert (_count(db, m.LedgerEntry), _count(db, m.AuditEvent)) == before
    assert _count(db, m.RemittanceFile) == 0


def test_other_delimiters_bom_and_indentation(db, admin, tmp_path):
    a = sent_claim(db, admin, tmp_path, charges=("100.00",), modifiers="25")
    fa = claim_facts(db, [_number(db, a)])[0]
    r = _import(
        db,
        admin,
        tmp_path,
        RemitPlan([pay(fa)]),
        element="|",
        component=">",
        repetition="^",
        bom=True,
        crlf=True,
        indent=True,
    )
    _identities(r)
    assert r.claims_posted == 1
    assert run_check(db).problems == []


def test_no_isa_and_4010_are_refused(db, admin, tmp_path):
    a = sent_claim(db, admin, tmp_path, charges=("100.00",))
    fa = claim_facts(db, [_number(db, a)])[0]
    good = write_835(tmp_path / "good.835", RemitPlan([pay(fa)]))
    text = render(RemitPlan([pay(fa)], trace="X2")).decode()
    bare = tmp_path / "bare.835"
    bare.write_text(text[text.index("ST*") :])
    old = write_835(tmp_path / "old.835", RemitPlan([pay(fa)], trace="X3"), version="004010X091A1")
    for bad, words in ((bare, "does not start with an ISA"), (old, "4010")):
        with pytest.raises(ValidationError, match=words):
            import_files(db, admin, [good, bad])
    assert _count(db, m.RemittanceFile) == 0 and _count(db, m.PaymentBatch) == 0


def test_a_rep_holding_the_claim_gets_a_conflict(db, admin, tmp_path):
    from billing_tui.services.posting import LinePosting, post_line

    a = sent_claim(db, admin, tmp_path, charges=("100.00", "40.00"))
    version = _claim(db, a)[0].version
    fa = claim_facts(db, [_number(db, a)])[0]
    plan = pay(fa)
    plan.lines.pop()  # the payer answers line 1 only
    plan.lines[0].facts = fa.lines[0]
    _import(db, admin, tmp_path, RemitPlan([plan]))
    with pytest.raises(ConflictError):
        post_line(db, admin, a, 2, LinePosting(paid_cents=4000), expected_version=version)


def test_a_claim_never_sent_is_an_exception(db, admin, tmp_path):
    cid = make_claim(db, admin, tmp_path, charges=("100.00",))  # draft: never sent
    f = claim_facts(db, [_number(db, cid)])[0]
    r = _import(db, admin, tmp_path, RemitPlan([pay(f)]))
    _identities(r)
    assert (r.claims_posted, r.claims_exceptions) == (0, 1)
    assert "never sent" in open_exceptions(db)[0].reason
    assert _claim(db, cid)[0].ins_balance_cents == 10000
