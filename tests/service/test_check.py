"""`check` passes on honest books and names the first problem after raw-SQL tampering."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from svc_helpers import make_claim

from billing_tui.services.check import run_check
from billing_tui.services.posting import Adjustment, LinePosting, PatientShare, post_line

EX1 = LinePosting(
    paid_cents=9600,
    adjustments=(Adjustment("CO", "45", 8000),),
    patient_shares=(PatientShare("2", 2400),),
)


@pytest.fixture
def posted(db, users, tmp_path):
    claim = make_claim(db, users["admin"], tmp_path, charges=("200.00", "50.00"))
    post_line(db, users["rep"], claim, 1, EX1)
    assert run_check(db).ok
    return claim


def _sql(db, stmt: str, **params) -> None:
    with db.engine.begin() as conn:
        conn.execute(text(stmt), params)


def test_changed_ledger_amount_fails(db, posted):
    _sql(
        db,
        "UPDATE ledger_entries SET amount_cents = amount_cents - 100 "
        "WHERE kind = 'insurance_payment'",
    )
    report = run_check(db)
    assert not report.ok
    assert "was altered" in report.problems[0] and "claim T" in report.problems[0]


def test_changed_ledger_amount_with_rehashed_balance_still_fails(db, posted):
    """Editing an amount and the cached balance together still breaks the chain."""
    _sql(db, "UPDATE ledger_entries SET amount_cents = -9500 WHERE kind = 'insurance_payment'")
    _sql(db, "UPDATE claims SET ins_balance_cents = ins_balance_cents + 100")
    assert not run_check(db).ok


def test_deleted_last_ledger_entry_fails(db, posted):
    _sql(db, "DELETE FROM ledger_entries WHERE id = (SELECT MAX(id) FROM ledger_entries)")
    report = run_check(db)
    assert not report.ok and "head" in " ".join(report.problems)


def test_cached_balance_edit_fails(db, posted):
    _sql(db, "UPDATE claim_lines SET pat_balance_cents = 0 WHERE line_no = 1")
    report = run_check(db)
    assert not report.ok and "line 1" in report.problems[0]


def test_first_adjudication_date_is_proven(db, posted):
    """Posting dated the claim's first adjudication; a moved or missing date is caught."""
    with db.engine.connect() as conn:
        stored = conn.scalar(text("SELECT adjudicated_on FROM claims"))
    assert stored is not None
    _sql(db, "UPDATE claims SET adjudicated_on = NULL")
    report = run_check(db)
    assert not report.ok and "first adjudication" in report.problems[0]


def test_audit_row_edit_fails(db, posted):
    _sql(db, "UPDATE audit_events SET action = 'nothing_to_see' WHERE action = 'line_posted'")
    report = run_check(db)
    assert not report.ok and report.problems[0].startswith("audit chain")


def test_audit_row_delete_fails(db, posted):
    _sql(db, "DELETE FROM audit_events WHERE seq = (SELECT MAX(seq) FROM audit_events)")
    assert not run_check(db).ok


def test_closed_batch_that_does_not_balance_fails(db, users, tmp_path):
    from billing_tui.db import models as m
    from billing_tui.db.uow import UnitOfWork, utcnow

    claim = make_claim(db, users["admin"], tmp_path)
    with UnitOfWork(db) as uow:
        batch = uow.batches.add(
            m.PaymentBatch(
                payer_id=None,
                method="check",
                trace_number="CHK1001",
                amount_cents=10000,
                deposit_date=utcnow().date(),
                status="open",
                source="manual",
                opened_by=users["rep"].user_id,
                opened_at=utcnow(),
            )
        )
        uow.commit()
        batch_id = batch.id
    post_line(db, users["rep"], claim, 1, EX1, batch_id=batch_id)
    assert run_check(db).ok  # open batches may be short
    _sql(db, "UPDATE payment_batches SET status = 'closed'")
    report = run_check(db)
    assert not report.ok and "CHK1001" in report.problems[0]
