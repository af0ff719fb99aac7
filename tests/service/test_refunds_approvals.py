"""Credit balances, refunds and write-offs under the approval matrix, on both databases."""

from __future__ import annotations

import pytest
from posting_helpers import audit_actions, claim_row, claim_version, line_ids, sent_claim, snapshot
from sqlalchemy import select

from billing_tui.db import models as m
from billing_tui.db.uow import UnitOfWork, utcnow
from billing_tui.domain import ledger as L
from billing_tui.domain.adjudication import Cas
from billing_tui.domain.errors import NotFoundError, PermissionDenied, ValidationError
from billing_tui.domain.users import Role
from billing_tui.services.approvals import (
    approve_request,
    deny_request,
    pending_requests,
    request_adjustment,
    request_write_off,
)
from billing_tui.services.auth import create_user
from billing_tui.services.check import run_check
from billing_tui.services.eob_posting import EobLine, post_claim
from billing_tui.services.refunds import credit_balances, request_refund


def _ok(db):
    report = run_check(db)
    assert report.ok, report.problems


def _post(db, actor, claim, lines):
    return post_claim(
        db,
        actor,
        claim_id=claim,
        expected_version=claim_version(db, claim),
        lines=lines,
        batch_id=None,
    )


def overpaid_claim(db, actor, tmp_path, extra_cents=12000) -> int:
    """Paid in full, then the payer's duplicate payment lands (an insurance credit)."""
    claim = sent_claim(db, actor, tmp_path, charges=("100.00",))
    _post(db, actor, claim, [EobLine(1, 10000, 10000)])
    with UnitOfWork(db) as uow:
        c = uow.claims.get(claim, lock=True)
        line = uow.claims.lines(claim)[0]
        uow.ledger.append(
            c, line, L.insurance_payment(extra_cents), user_id=actor.user_id, now=utcnow()
        )
        uow.commit()
    return claim


def _entries(db, claim, kind):
    with UnitOfWork(db, write=False) as uow:
        return [e for e in uow.ledger.for_claim(claim) if e.kind == kind]


def test_credit_balance_listed_and_refunded_at_once_within_limit(db, users, tmp_path):
    claim = overpaid_claim(db, users["admin"], tmp_path, extra_cents=4000)
    [row] = credit_balances(db)
    assert (row.claim_id, row.credit_cents, row.ins_balance_cents) == (claim, 4000, -4000)
    assert row.payer_name == "UnitedHealthcare"
    out = request_refund(
        db, users["rep"], claim_id=claim, amount_cents=4000, to="payer", reason="duplicate"
    )
    assert out.status == "posted"
    [refund] = _entries(db, claim, "refund")
    assert (refund.amount_cents, refund.responsibility) == (4000, 1)
    assert credit_balances(db) == []
    assert claim_row(db, claim)["status"] == "closed"
    assert "refund_requested" in audit_actions(db)
    _ok(db)


def test_refund_above_limit_waits_for_someone_whose_limit_covers_it(db, users, tmp_path):
    claim = overpaid_claim(db, users["admin"], tmp_path, extra_cents=12000)
    before = snapshot(db)
    with pytest.raises(ValidationError, match="more than the credit"):
        request_refund(
            db, users["rep"], claim_id=claim, amount_cents=12001, to="payer", reason="dup"
        )
    with pytest.raises(ValidationError):
        request_refund(db, users["rep"], claim_id=claim, amount_cents=100, to="bank", reason="x")
    with pytest.raises(ValidationError, match="reason"):
        request_refund(db, users["rep"], claim_id=claim, amount_cents=100, to="payer", reason="")
    assert snapshot(db) == before
    out = request_refund(
        db, users["rep"], claim_id=claim, amount_cents=12000, to="payer", reason="duplicate"
    )
    assert out.status == "pending" and "above your approval limit" in out.message
    assert _entries(db, claim, "refund") == []
    [row] = pending_requests(db)
    assert (row.id, row.kind, row.amount_cents, row.requested_by) == (
        out.request_id,
        "refund",
        12000,
        "rep",
    )
    before = snapshot(db)
    with pytest.raises(PermissionDenied, match="own request"):
        approve_request(db, users["rep"], out.request_id)
    small = create_user(db, users["admin"], "rep2", "rep2", Role.REP)  # a $50 limit
    before = snapshot(db)
    with pytest.raises(PermissionDenied, match="limit"):
        approve_request(db, small, out.request_id)
    assert snapshot(db) == before
    done = approve_request(db, users["senior"], out.request_id, "checked the remit")
    assert done.status == "posted"
    assert claim_row(db, claim)["ins"] == 0
    assert pending_requests(db) == []
    with pytest.raises(ValidationError, match="already approved"):
        approve_request(db, users["supervisor"], out.request_id)
    assert "request_approved" in audit_actions(db)
    _ok(db)


def test_patient_credit_refund(db, users, tmp_path):
    # the patient's share, then a later EOB hands it back to the payer: patient credit
    claim = sent_claim(db, users["admin"], tmp_path, charges=("100.00",))
    _post(db, users["admin"], claim, [EobLine(1, None, 7000, coinsurance_cents=3000)])
    with UnitOfWork(db) as uow:  # the patient paid at the desk
        c = uow.claims.get(claim, lock=True)
        uow.ledger.append(
            c, uow.claims.lines(claim)[0], L.patient_payment(3000), user_id=1, now=utcnow()
        )
        uow.commit()
    _post(db, users["admin"], claim, [EobLine(1, None, 3000, coinsurance_cents=-3000)])
    assert claim_row(db, claim)["pat"] == -3000
    [row] = credit_balances(db)
    assert row.credit_cents == 3000 and row.pat_balance_cents == -3000
    out = request_refund(
        db, users["senior"], claim_id=claim, amount_cents=3000, to="patient", reason="overpaid"
    )
    assert out.status == "posted"
    assert [(e.responsibility, e.amount_cents) for e in _entries(db, claim, "refund")] == [
        (0, 3000)
    ]
    _ok(db)


def test_write_off_of_a_denial_above_limit_closes_it_on_approval(db, users, tmp_path):
    claim = sent_claim(db, users["admin"], tmp_path, charges=("300.00",))
    res = _post(
        db, users["rep"], claim, [EobLine(1, None, 0, adjustments=(Cas("CO", "197", 30000),))]
    )
    assert res.status == "denied"
    line_id = line_ids(db, claim)[0]
    out = request_write_off(
        db,
        users["rep"],
        claim_id=claim,
        amount_cents=30000,
        carc="197",
        reason="no auth, past appeal",
        claim_line_id=line_id,
    )
    assert out.status == "pending"
    before = snapshot(db)
    with pytest.raises(ValidationError, match="reason"):
        deny_request(db, users["supervisor"], out.request_id, "")
    with pytest.raises(PermissionDenied):
        approve_request(db, users["rep"], out.request_id)
    assert snapshot(db) == before
    done = approve_request(db, users["supervisor"], out.request_id)
    assert done.status == "posted"
    [wo] = _entries(db, claim, "write_off")
    assert (wo.amount_cents, wo.carc, wo.responsibility, wo.claim_line_id) == (
        -30000,
        "197",
        1,
        line_id,
    )
    row = claim_row(db, claim)
    assert (row["ins"], row["status"]) == (0, "closed")
    with UnitOfWork(db, write=False) as uow:
        statuses = list(uow.session.scalars(select(m.Denial.status)))
    assert statuses == ["written_off"]
    _ok(db)


def test_small_write_off_posts_at_once_and_denied_request_posts_nothing(db, users, tmp_path):
    claim = sent_claim(db, users["admin"], tmp_path, charges=("100.00",))
    _post(db, users["rep"], claim, [EobLine(1, None, 9000, coinsurance_cents=1000)])
    out = request_write_off(
        db, users["rep"], claim_id=claim, amount_cents=1000, carc=None, reason="small balance"
    )
    assert out.status == "posted"
    [wo] = _entries(db, claim, "write_off")
    assert wo.responsibility == 0  # the patient owed it
    assert claim_row(db, claim)["status"] == "closed"
    claim2 = sent_claim(db, users["admin"], tmp_path, charges=("900.00",))
    before = snapshot(db)
    with pytest.raises(ValidationError, match="more than the balance"):
        request_write_off(
            db, users["rep"], claim_id=claim2, amount_cents=90001, carc="45", reason="x"
        )
    with pytest.raises(ValidationError, match="CARC"):
        request_adjustment(
            db, users["rep"], claim_id=claim2, amount_cents=100, carc=None, reason="x"
        )
    with pytest.raises(NotFoundError):
        request_write_off(
            db,
            users["rep"],
            claim_id=claim2,
            amount_cents=100,
            carc="45",
            reason="x",
            claim_line_id=999999,
        )
    assert snapshot(db) == before
    out = request_adjustment(
        db, users["rep"], claim_id=claim2, amount_cents=20000, carc="45", reason="contract"
    )
    assert out.status == "pending"
    denied = deny_request(db, users["supervisor"], out.request_id, "post the EOB instead")
    assert denied.status == "denied"
    assert _entries(db, claim2, "adjustment") == [] and pending_requests(db) == []
    assert "request_denied" in audit_actions(db)
    # within the senior's limit an adjustment posts as a CO adjustment with its CARC
    out = request_adjustment(
        db, users["senior"], claim_id=claim2, amount_cents=20000, carc="45", reason="contract"
    )
    [adj] = _entries(db, claim2, "adjustment")
    assert (adj.group_code, adj.carc, adj.amount_cents) == ("CO", "45", -20000)
    _ok(db)


def test_approval_refused_when_the_balance_is_gone(db, users, tmp_path):
    claim = sent_claim(db, users["admin"], tmp_path, charges=("300.00",))
    out = request_write_off(
        db, users["rep"], claim_id=claim, amount_cents=30000, carc="45", reason="contract"
    )
    _post(db, users["rep"], claim, [EobLine(1, None, 30000)])  # the payer paid meanwhile
    with pytest.raises(ValidationError, match="more than the balance"):
        approve_request(db, users["supervisor"], out.request_id)
    assert [r.id for r in pending_requests(db)] == [out.request_id]
