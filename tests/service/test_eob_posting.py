"""post_claim / reverse_posting / patient payments on both databases (DESIGN examples 1-4)."""

from __future__ import annotations

import datetime as dt

import pytest
from posting_helpers import (
    DEPOSIT,
    add_fee,
    audit_actions,
    claim_row,
    claim_version,
    new_batch,
    sent_claim,
    snapshot,
)
from sqlalchemy import select
from svc_helpers import add_coverage

from billing_tui.db import models as m
from billing_tui.db.uow import UnitOfWork
from billing_tui.domain.adjudication import Cas
from billing_tui.domain.errors import ConflictError, NotFoundError, ValidationError
from billing_tui.domain.reason_codes import category_of
from billing_tui.services.batches import open_batch
from billing_tui.services.check import run_check
from billing_tui.services.eob_posting import (
    EobLine,
    load_claim_for_posting,
    load_claim_for_posting_by_id,
    post_claim,
    post_patient_payment,
    reverse_posting,
    underpayments,
)

EX1 = EobLine(1, 12000, 9600, coinsurance_cents=2400, adjustments=(Cas("CO", "45", 8000),))


def _post(db, actor, claim, lines, batch_id=None, **kw):
    return post_claim(
        db,
        actor,
        claim_id=claim,
        expected_version=claim_version(db, claim),
        lines=lines,
        batch_id=batch_id,
        **kw,
    )


def _ok(db):
    report = run_check(db)
    assert report.ok, report.problems


def _denials(db, claim):
    with UnitOfWork(db, write=False) as uow:
        return uow.session.scalars(
            select(m.Denial).where(m.Denial.claim_id == claim).order_by(m.Denial.id)
        ).all()


def test_example_1_closes_insurance_and_leaves_patient_share(db, users, tmp_path):
    claim = sent_claim(db, users["admin"], tmp_path)
    res = _post(db, users["rep"], claim, [EX1])
    assert (res.ins_balance_cents, res.pat_balance_cents, res.status) == (0, 2400, "paid")
    assert res.denial_ids == () and res.batch is None
    assert "claim_posted" in audit_actions(db)
    with UnitOfWork(db, write=False) as uow:
        entries = uow.ledger.for_claim(claim)
        assert {e.posting_id for e in entries[1:]} == {res.posting_id}
        assert [e.kind for e in entries[1:]] == ["insurance_payment", "adjustment", "transfer"]
    _ok(db)


def test_example_2_zero_paid_deductible_is_not_a_denial(db, users, tmp_path):
    claim = sent_claim(db, users["admin"], tmp_path, charges=("150.00",))
    line = EobLine(1, 10000, 0, deductible_cents=10000, adjustments=(Cas("CO", "45", 5000),))
    res = _post(db, users["rep"], claim, [line])
    assert (res.ins_balance_cents, res.pat_balance_cents) == (0, 10000)
    assert res.denial_ids == () and _denials(db, claim) == []
    assert res.status == "paid"
    _ok(db)


def test_example_3_denial_stays_open_with_category_and_due_date(db, users, tmp_path):
    claim = sent_claim(db, users["admin"], tmp_path, charges=("300.00",))
    line = EobLine(1, None, 0, adjustments=(Cas("CO", "197", 30000),), remarks=("N54",))
    res = _post(db, users["rep"], claim, [line])
    assert (res.ins_balance_cents, res.pat_balance_cents, res.status) == (30000, 0, "denied")
    [denial] = _denials(db, claim)
    assert res.denial_ids == (denial.id,)
    assert (denial.carc, denial.group_code, denial.amount_cents, denial.status) == (
        "197",
        "CO",
        30000,
        "open",
    )
    assert denial.category == "authorization"
    assert denial.rarc == "N54"
    assert denial.due_date == denial.denied_on + dt.timedelta(days=180)
    _ok(db)


def test_example_4_secondary_gets_the_share_and_the_claim_is_rebilled(db, users, tmp_path):
    claim = sent_claim(db, users["admin"], tmp_path)
    add_coverage(db, "A0000001", "62308", "Cigna", rank=2)
    loaded = load_claim_for_posting_by_id(db, claim)
    assert loaded.next_payer_name == "Cigna" and loaded.payer_name == "UnitedHealthcare"
    res = _post(db, users["rep"], claim, [EX1])
    row = claim_row(db, claim)
    assert (row["ins"], row["pat"], row["status"]) == (2400, 0, "transferred")
    assert row["rebill"] is True and row["responsibility"] == 2
    # the secondary's EOB: pays 20.00, PR-2 4.00 -> the patient owes 4.00
    sec = load_claim_for_posting_by_id(db, claim)
    assert sec.payer_name == "Cigna" and sec.lines[0].open_cents == 2400
    res = _post(db, users["rep"], claim, [EobLine(1, None, 2000, coinsurance_cents=400)])
    assert (res.ins_balance_cents, res.pat_balance_cents, res.status) == (0, 400, "paid")
    assert claim_row(db, claim)["rebill"] is False  # the secondary has answered
    _ok(db)


def test_multi_line_partial_denial_and_closing(db, users, tmp_path):
    claim = sent_claim(db, users["admin"], tmp_path, charges=("100.00", "50.00"))
    res = _post(
        db,
        users["rep"],
        claim,
        [
            EobLine(1, 8000, 8000, adjustments=(Cas("CO", "45", 2000),)),
            EobLine(2, None, 0, adjustments=(Cas("CO", "97", 5000),)),
        ],
    )
    assert res.status == "partially_paid" and len(res.denial_ids) == 1
    assert (res.ins_balance_cents, res.pat_balance_cents) == (5000, 0)
    # paying everything closes the claim, via paid from submitted
    claim2 = sent_claim(db, users["admin"], tmp_path, charges=("100.00",))
    res2 = _post(
        db, users["rep"], claim2, [EobLine(1, 8000, 8000, adjustments=(Cas("CO", "45", 2000),))]
    )
    assert res2.status == "closed"
    _ok(db)


def test_underpayment_flagged_and_listed(db, users, tmp_path):
    claim = sent_claim(db, users["admin"], tmp_path, charges=("200.00",), units="2")
    add_fee(db, "99214", 7000)  # contracted 70.00 per unit -> 140.00 for 2 units
    loaded = load_claim_for_posting(db, load_claim_for_posting_by_id(db, claim).claim_number)
    assert loaded.lines[0].contracted_cents == 14000
    res = _post(
        db, users["rep"], claim, [EobLine(1, 12000, 12000, adjustments=(Cas("CO", "45", 8000),))]
    )
    assert res.underpaid_lines == (1,)
    [row] = underpayments(db)
    assert (row.claim_id, row.line_no, row.procedure_code) == (claim, 1, "99214")
    assert (row.allowed_cents, row.contracted_cents, row.variance_cents) == (12000, 14000, 2000)
    assert row.payer_name == "UnitedHealthcare" and row.patient_name == "Rivera, Ana"
    reverse_posting(db, users["rep"], res.posting_id, "wrong amounts")
    assert underpayments(db) == []
    # at or above contract: no flag
    res = _post(
        db, users["rep"], claim, [EobLine(1, 14000, 14000, adjustments=(Cas("CO", "45", 6000),))]
    )
    assert res.underpaid_lines == () and underpayments(db) == []
    _ok(db)


def test_fee_schedule_modifier_specific_amount_wins(db, users, tmp_path):
    claim = sent_claim(db, users["admin"], tmp_path, modifiers="25")
    add_fee(db, "99214", 9000)
    add_fee(db, "99214", 9500, modifier="25")
    assert load_claim_for_posting_by_id(db, claim).lines[0].contracted_cents == 9500


def test_bad_input_leaves_the_database_unchanged(db, users, tmp_path):
    claim = sent_claim(db, users["admin"], tmp_path, charges=("200.00", "100.00"))
    batch = new_batch(db, users["rep"], 9600)
    before = snapshot(db)
    version = claim_version(db, claim)
    good2 = EobLine(2, None, 0, adjustments=(Cas("CO", "45", 10000),))
    # unbalanced second line: nothing of line 1 is written either
    bad = EobLine(2, None, 0, adjustments=(Cas("CO", "45", 9000),))
    with pytest.raises(ValidationError) as err:
        post_claim(
            db,
            users["rep"],
            claim_id=claim,
            expected_version=version,
            lines=[EX1, bad],
            batch_id=batch.id,
        )
    assert "line 2" in str(err.value) and "10.00" in str(err.value)
    assert snapshot(db) == before
    # stale version
    with pytest.raises(ConflictError):
        post_claim(
            db,
            users["rep"],
            claim_id=claim,
            expected_version=version - 1,
            lines=[EX1],
            batch_id=batch.id,
        )
    assert snapshot(db) == before
    # payment beyond the batch's remaining amount
    over = EobLine(2, None, 100, adjustments=(Cas("CO", "45", 9900),))
    with pytest.raises(ValidationError, match="past its amount"):
        post_claim(
            db,
            users["rep"],
            claim_id=claim,
            expected_version=version,
            lines=[EX1, over],
            batch_id=batch.id,
        )
    assert snapshot(db) == before
    for lines, match in (
        ([EobLine(3, None, 100)], "no line 3"),
        ([EX1, EX1], "twice"),
        ([], "no lines"),
        ([EobLine(1, None, -100, adjustments=(Cas("CO", "45", 20100),))], "reversal"),
    ):
        with pytest.raises(ValidationError, match=match):
            post_claim(
                db,
                users["rep"],
                claim_id=claim,
                expected_version=version,
                lines=lines,
                batch_id=batch.id,
            )
        assert snapshot(db) == before
    res = post_claim(
        db,
        users["rep"],
        claim_id=claim,
        expected_version=version,
        lines=[EX1, good2],
        batch_id=batch.id,
    )
    assert res.batch.remaining_cents == 0 and res.claim_version > version
    _ok(db)


def test_unsent_claim_and_wrong_payer_batch_refused(db, users, tmp_path):
    draft = sent_claim(db, users["admin"], tmp_path, status="draft")
    with pytest.raises(ValidationError, match="never sent"):
        _post(db, users["rep"], draft, [EX1])
    claim = sent_claim(db, users["admin"], tmp_path)
    add_coverage(db, "A0000001", "62308", "Cigna", rank=2)
    other = new_batch(db, users["rep"], 9600, trace="CIG1", edi="62308")
    with pytest.raises(ValidationError, match="another payer"):
        _post(db, users["rep"], claim, [EX1], batch_id=other.id)
    with pytest.raises(NotFoundError):
        load_claim_for_posting(db, "NOPE")


def test_removed_lines_are_not_offered(db, users, tmp_path):
    claim = sent_claim(db, users["admin"], tmp_path, charges=("200.00", "100.00"))
    with UnitOfWork(db) as uow:
        uow.claims.lines(claim)[1].removed = True
        uow.commit()
    loaded = load_claim_for_posting_by_id(db, claim)
    assert [ln.line_no for ln in loaded.lines] == [1]
    assert loaded.lines[0].billed_cents == 20000 and loaded.lines[0].open_cents == 20000
    with pytest.raises(ValidationError, match="no line 2"):
        _post(db, users["rep"], claim, [EobLine(2, None, 10000)])


def test_reverse_posting_restores_everything(db, users, tmp_path):
    claim = sent_claim(db, users["admin"], tmp_path, charges=("200.00", "300.00"))
    add_coverage(db, "A0000001", "62308", "Cigna", rank=2)
    before = claim_row(db, claim)
    res = _post(
        db,
        users["rep"],
        claim,
        [EX1, EobLine(2, None, 0, adjustments=(Cas("CO", "197", 30000),))],
    )
    assert res.status == "transferred" and len(res.denial_ids) == 1
    rev = reverse_posting(db, users["senior"], res.posting_id, "posted to the wrong patient")
    after = claim_row(db, claim)
    assert (after["ins"], after["pat"]) == (before["ins"], before["pat"]) == (50000, 0)
    assert after["responsibility"] == 1 and after["rebill"] is False
    assert after["status"] == "partially_paid"
    assert [d.status for d in _denials(db, claim)] == ["reversed"]
    with UnitOfWork(db, write=False) as uow:
        entries = uow.ledger.for_claim(claim)
        originals = [e for e in entries if e.posting_id == res.posting_id]
        reversals = [e for e in entries if e.posting_id == rev.posting_id]
        assert sorted(r.reverses_id for r in reversals) == sorted(o.id for o in originals)
    assert "posting_reversed" in audit_actions(db)
    with pytest.raises(ValidationError, match="already reversed"):
        reverse_posting(db, users["senior"], res.posting_id, "again")
    with pytest.raises(ValidationError, match="reason"):
        reverse_posting(db, users["senior"], res.posting_id, " ")
    with pytest.raises(NotFoundError):
        reverse_posting(db, users["senior"], "f" * 32, "nothing")
    # post again after the reversal: the claim is worked normally
    res = _post(db, users["rep"], claim, [EX1])
    assert claim_row(db, claim)["ins"] == 32400
    _ok(db)


def test_reversal_reopens_a_closed_claim(db, users, tmp_path):
    claim = sent_claim(db, users["admin"], tmp_path, charges=("100.00",))
    res = _post(db, users["rep"], claim, [EobLine(1, 10000, 10000)])
    assert res.status == "closed"
    rev = reverse_posting(db, users["rep"], res.posting_id, "check bounced")
    assert rev.status == "partially_paid" and rev.ins_balance_cents == 10000
    _ok(db)


def test_patient_payment(db, users, tmp_path):
    claim = sent_claim(db, users["admin"], tmp_path, charges=("200.00", "100.00"))
    _post(
        db,
        users["rep"],
        claim,
        [EX1, EobLine(2, None, 7000, coinsurance_cents=1000, adjustments=(Cas("CO", "45", 2000),))],
    )
    assert claim_row(db, claim)["pat"] == 3400
    with UnitOfWork(db, write=False) as uow:
        pid = uow.patients.by_account("A0000001").id
    batch = open_batch(
        db,
        users["rep"],
        payer_id=None,
        patient_id=pid,
        method="card",
        trace_number="R-9",
        amount_cents=3400,
        deposit_date=DEPOSIT,
    )
    before = snapshot(db)
    with pytest.raises(ValidationError, match="more than the patient owes"):
        post_patient_payment(
            db,
            users["rep"],
            batch_id=batch.id,
            claim_id=claim,
            amount_cents=3500,
            expected_version=claim_version(db, claim),
        )
    assert snapshot(db) == before
    payer_batch = new_batch(db, users["rep"], 100)
    with pytest.raises(ValidationError, match="payer"):
        post_patient_payment(
            db,
            users["rep"],
            batch_id=payer_batch.id,
            claim_id=claim,
            amount_cents=100,
            expected_version=claim_version(db, claim),
        )
    res = post_patient_payment(
        db,
        users["rep"],
        batch_id=batch.id,
        claim_id=claim,
        amount_cents=3000,
        expected_version=claim_version(db, claim),
    )
    assert (res.pat_balance_cents, res.batch.remaining_cents) == (400, 400)
    res = post_patient_payment(
        db,
        users["rep"],
        batch_id=batch.id,
        claim_id=claim,
        amount_cents=400,
        expected_version=res.claim_version,
    )
    assert (res.pat_balance_cents, res.status, res.batch.status) == (0, "closed", "balanced")
    with UnitOfWork(db, write=False) as uow:
        kinds = [e.kind for e in uow.ledger.for_claim(claim) if e.posting_id == res.posting_id]
        assert kinds == ["patient_payment"]
    assert "patient_payment_posted" in audit_actions(db)
    _ok(db)


def test_denial_only_posting_reverses_and_empty_posting_is_refused(db, users, tmp_path):
    claim = sent_claim(db, users["admin"], tmp_path, charges=("300.00",))
    res = _post(
        db, users["rep"], claim, [EobLine(1, None, 0, adjustments=(Cas("CO", "16", 30000),))]
    )
    assert res.status == "denied" and len(res.denial_ids) == 1
    [denial] = _denials(db, claim)
    assert denial.category == category_of("16")  # from the reason-code table
    rev = reverse_posting(db, users["rep"], res.posting_id, "wrong claim")
    assert [d.status for d in _denials(db, claim)] == ["reversed"]
    assert rev.ins_balance_cents == 30000
    with pytest.raises(ValidationError, match="already reversed"):
        reverse_posting(db, users["rep"], res.posting_id, "again")
    paid = sent_claim(db, users["admin"], tmp_path, charges=("100.00",))
    _post(db, users["rep"], paid, [EobLine(1, None, 10000)])
    before = snapshot(db)
    with pytest.raises(ValidationError, match="nothing to post"):
        _post(db, users["rep"], paid, [EobLine(1, None, 0, adjustments=(Cas("CO", "45", 0),))])
    assert snapshot(db) == before
    _ok(db)


def test_a_posting_from_before_posting_ids_is_reversed_from_its_batch(db, users, tmp_path):
    """The demo generator and bulk loads wrote payments without a posting id: the batch's
    postings list shows each such entry on its own, and reversing that row reverses it."""
    from billing_tui.domain import ledger as L
    from billing_tui.services.batches import batch_postings, get_batch

    claim = sent_claim(db, users["admin"], tmp_path, charges=("200.00",))
    batch = new_batch(db, users["admin"], 12000, trace="LEGACY1")
    with UnitOfWork(db) as uow:
        row = uow.claims.get(claim, lock=True)
        line = uow.claims.lines(claim)[0]
        uow.ledger.append(
            row, line, L.insurance_payment(12000, 1), user_id=users["admin"].user_id,
            now=dt.datetime(2026, 11, 20, 9, 0), batch_id=batch.id,
        )  # fmt: skip
        uow.commit()
    assert get_batch(db, batch.id).status == "open"  # nothing settled it by hand
    (legacy,) = batch_postings(db, batch.id)
    assert legacy.posting_id.startswith("entry-") and legacy.paid_cents == 12000
    result = reverse_posting(db, users["senior"], legacy.posting_id, "keyed to the wrong claim")
    assert (result.ins_balance_cents, result.pat_balance_cents) == (20000, 0)
    (after,) = batch_postings(db, batch.id)
    assert after.reversed
    assert get_batch(db, batch.id).remaining_cents == 12000
    with pytest.raises(ValidationError, match="already reversed"):
        reverse_posting(db, users["senior"], legacy.posting_id, "again")
