"""Payment batches: duplicate traces refused, posted/remaining exact, close only at zero."""

from __future__ import annotations

import pytest
from posting_helpers import (
    DEPOSIT,
    audit_actions,
    claim_version,
    new_batch,
    payer_id,
    sent_claim,
    snapshot,
)

from billing_tui.db import models as m
from billing_tui.db.uow import UnitOfWork, utcnow
from billing_tui.domain.adjudication import Cas
from billing_tui.domain.errors import ConflictError, DuplicateError, ValidationError
from billing_tui.services.batches import (
    batch_postings,
    close_batch,
    get_batch,
    list_batches,
    open_batch,
)
from billing_tui.services.check import run_check
from billing_tui.services.eob_posting import EobLine, post_claim, reverse_posting

EX1 = EobLine(1, 12000, 9600, coinsurance_cents=2400, adjustments=(Cas("CO", "45", 8000),))


def test_open_batch_and_duplicate_trace(db, users, tmp_path):
    sent_claim(db, users["admin"], tmp_path)  # creates the payer
    b = new_batch(db, users["rep"], 123400, trace="12345")
    assert (b.amount_cents, b.posted_cents, b.remaining_cents, b.status) == (
        123400,
        0,
        123400,
        "open",
    )
    assert b.payer_name == "UnitedHealthcare" and b.opened_by == "rep" and b.source == "manual"
    before = snapshot(db)
    with pytest.raises(DuplicateError) as err:
        new_batch(db, users["rep"], 5000, trace="12345")
    msg = str(err.value)
    assert f"batch #{b.id}" in msg and "2026-11-20" in msg and "$1,234.00" in msg
    assert snapshot(db) == before  # nothing written
    assert "batch_opened" in audit_actions(db)


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"method": "bitcoin"}, "method"),
        ({"trace_number": "  "}, "trace"),
        ({"amount_cents": -1}, "amount"),
    ],
)
def test_open_batch_bad_input(db, users, tmp_path, over, field):
    sent_claim(db, users["admin"], tmp_path)
    args = dict(
        payer_id=payer_id(db),
        patient_id=None,
        method="check",
        trace_number="T1",
        amount_cents=100,
        deposit_date=DEPOSIT,
    )
    args.update(over)
    with pytest.raises(ValidationError) as err:
        open_batch(db, users["rep"], **args)
    assert err.value.field == field
    with pytest.raises(ValidationError):
        open_batch(db, users["rep"], **{**args, "patient_id": 1})  # both payer and patient


def test_post_close_and_reverse_reopens(db, users, tmp_path):
    claim = sent_claim(db, users["admin"], tmp_path)
    b = new_batch(db, users["rep"], 9600)
    with pytest.raises(ValidationError, match="remaining"):
        close_batch(db, users["rep"], b.id, expected_version=b.version)
    res = post_claim(
        db,
        users["rep"],
        claim_id=claim,
        expected_version=claim_version(db, claim),
        lines=[EX1],
        batch_id=b.id,
    )
    assert res.batch.posted_cents == 9600 and res.batch.remaining_cents == 0
    assert res.batch.status == "balanced" and res.batch.claim_count == 1
    rows = batch_postings(db, b.id)
    assert len(rows) == 1
    row = rows[0]
    assert (row.line_no, row.paid_cents, row.adjustment_cents, row.patient_share_cents) == (
        1,
        9600,
        8000,
        2400,
    )
    assert row.posted_by == "rep" and not row.reversed and row.posting_id == res.posting_id
    b = get_batch(db, b.id)
    with pytest.raises(ConflictError):
        close_batch(db, users["rep"], b.id, expected_version=b.version - 1)
    closed = close_batch(db, users["rep"], b.id, expected_version=b.version)
    assert closed.status == "closed"
    assert "batch_closed" in audit_actions(db)
    assert run_check(db).ok
    with pytest.raises(ValidationError, match="closed"):
        close_batch(db, users["rep"], b.id, expected_version=closed.version)
    # a closed batch takes no more postings
    claim2 = sent_claim(db, users["admin"], tmp_path)
    with pytest.raises(ValidationError, match="closed"):
        post_claim(
            db,
            users["rep"],
            claim_id=claim2,
            expected_version=claim_version(db, claim2),
            lines=[EX1],
            batch_id=b.id,
        )
    rev = reverse_posting(db, users["rep"], res.posting_id, "posted to the wrong claim")
    assert rev.batch.status == "open" and rev.batch.remaining_cents == 9600
    assert batch_postings(db, b.id)[0].reversed
    assert [x.id for x in list_batches(db, status="open")] == [b.id]
    assert list_batches(db, status="closed") == []
    report = run_check(db)
    assert report.ok, report.problems


def test_plb_counts_in_posted(db, users, tmp_path):
    claim = sent_claim(db, users["admin"], tmp_path)
    b = new_batch(db, users["rep"], 9600 + 1234)  # the check carries 12.34 interest
    with UnitOfWork(db) as uow:
        uow.session.add(
            m.ProviderAdjustment(
                batch_id=b.id, reason_code="L6", amount_cents=-1234, created_at=utcnow()
            )
        )
        uow.commit()
    assert get_batch(db, b.id).posted_cents == 1234
    post_claim(
        db,
        users["rep"],
        claim_id=claim,
        expected_version=claim_version(db, claim),
        lines=[EX1],
        batch_id=b.id,
    )
    b = get_batch(db, b.id)
    assert (b.posted_cents, b.remaining_cents, b.status) == (10834, 0, "balanced")
    close_batch(db, users["rep"], b.id, expected_version=b.version)
    report = run_check(db)
    assert report.ok, report.problems


def test_patient_batch(db, users, tmp_path):
    sent_claim(db, users["admin"], tmp_path)
    with UnitOfWork(db, write=False) as uow:
        pid = uow.patients.by_account("A0000001").id
    b = open_batch(
        db,
        users["rep"],
        payer_id=None,
        patient_id=pid,
        method="card",
        trace_number="R-1",
        amount_cents=2400,
        deposit_date=DEPOSIT,
    )
    assert b.payer_name == "Rivera, Ana" and b.patient_id == pid
    with pytest.raises(DuplicateError):
        open_batch(
            db,
            users["rep"],
            payer_id=None,
            patient_id=pid,
            method="cash",
            trace_number="R-1",
            amount_cents=100,
            deposit_date=DEPOSIT,
        )
