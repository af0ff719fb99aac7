"""A denial's write-off request and its decision, on both databases: the request and the
denial change in one transaction, and the approver's decision settles the denial in its
own transaction (the work list and the detail only read)."""

from __future__ import annotations

import pytest
from denial_helpers import denied_claim
from sqlalchemy import func, select
from svc_helpers import balances

from billing_tui.db import models as m
from billing_tui.db.uow import UnitOfWork
from billing_tui.services import denials as D
from billing_tui.services.approvals import approve_request, deny_request, pending_requests
from billing_tui.services.check import run_check


def _denial(db, denial_id: int) -> m.Denial:
    with UnitOfWork(db, write=False) as uow:
        return uow.session.get(m.Denial, denial_id)


def _request(db, request_id: int) -> m.AdjustmentRequest:
    with UnitOfWork(db, write=False) as uow:
        return uow.session.get(m.AdjustmentRequest, request_id)


def _settled_events(db, claim_number: str) -> list[dict]:
    import json

    with UnitOfWork(db, write=False) as uow:
        return [
            json.loads(e.detail)
            for e in uow.audit_log.for_entity("claim", claim_number)
            if e.action == "denial_write_off_settled"
        ]


def _counts(db) -> tuple[int, int, int]:
    with UnitOfWork(db, write=False) as uow:
        s = uow.session
        return (
            s.scalar(select(func.count()).select_from(m.AuditEvent)),
            s.scalar(select(func.count()).select_from(m.AdjustmentRequest)),
            s.scalar(select(func.count()).select_from(m.LedgerEntry)),
        )


def _pending_write_off(db, users, tmp_path, cents=20000):
    rep = users["rep"]
    claim_id, denial_id = denied_claim(db, users["admin"], tmp_path, carc="50")
    D.set_root_cause(db, rep, denial_id, "documentation")
    res = D.request_write_off(db, rep, denial_id, reason="records lost", amount_cents=cents)
    return claim_id, denial_id, res


def test_request_waits_then_approval_writes_the_denial_off(db, users, tmp_path):
    claim_id, denial_id, res = _pending_write_off(db, users, tmp_path)
    assert res.status == "approval_pending"
    d = _denial(db, denial_id)
    assert (d.status, d.request_id, d.action) == ("approval_pending", res.request_id, "write_off")
    assert _request(db, res.request_id).status == "pending"
    assert balances(db, claim_id) == (30000, 0)
    approve_request(db, users["supervisor"], res.request_id, "ok")
    d = _denial(db, denial_id)
    assert d.status == "written_off"  # no load needed to settle it
    assert balances(db, claim_id) == (10000, 0)
    [event] = _settled_events(db, res.claim_number)
    assert event == {
        "denial": denial_id,
        "request": res.request_id,
        "request_status": "approved",
        "status": "written_off",
    }
    assert D.load_denial(db, users["rep"], denial_id).request_status == "approved"
    report = run_check(db)
    assert report.ok, report.problems


def test_request_denied_puts_the_denial_back_on_the_work_list(db, users, tmp_path):
    claim_id, denial_id, res = _pending_write_off(db, users, tmp_path)
    assert D.work_list(db).total_count == 0
    deny_request(db, users["supervisor"], res.request_id, "appeal it instead")
    d = _denial(db, denial_id)
    assert (d.status, d.action) == ("open", "write_off_denied")
    assert balances(db, claim_id) == (30000, 0)  # nothing posted
    [event] = _settled_events(db, res.claim_number)
    assert (event["request_status"], event["status"]) == ("denied", "open")
    wl = D.work_list(db)
    assert [r.denial_id for r in wl.rows] == [denial_id]
    # open again: the rep can work it another way (here a smaller write-off within limit)
    again = D.request_write_off(db, users["rep"], denial_id, reason="small rest", amount_cents=50)
    assert again.status == "written_off"
    assert run_check(db).ok


def test_write_off_within_the_limit_is_written_off_at_once(db, users, tmp_path):
    rep = users["rep"]
    claim_id, denial_id = denied_claim(db, users["admin"], tmp_path, charge="40.00")
    D.set_root_cause(db, rep, denial_id, "payer_error")
    res = D.request_write_off(db, rep, denial_id, reason="not worth appealing")
    assert res.status == "written_off"
    d = _denial(db, denial_id)
    assert (d.status, d.request_id) == ("written_off", res.request_id)
    assert _request(db, res.request_id).status == "posted"
    assert balances(db, claim_id) == (0, 0)
    assert pending_requests(db) == []
    assert _settled_events(db, res.claim_number) == []  # nothing waited, nothing to settle
    assert run_check(db).ok


def test_request_and_denial_change_in_one_transaction(db, users, tmp_path, monkeypatch):
    rep = users["rep"]
    _claim_id, denial_id = denied_claim(db, users["admin"], tmp_path)
    D.set_root_cause(db, rep, denial_id, "coding")
    before = _counts(db)

    def boom(*_a, **_k):
        raise RuntimeError("denial could not be marked")

    monkeypatch.setattr(D, "_mark", boom)
    with pytest.raises(RuntimeError):
        D.request_write_off(db, rep, denial_id, reason="records lost", amount_cents=20000)
    assert _counts(db) == before  # no orphan request, no audit event
    assert _denial(db, denial_id).status == "open"


def test_work_list_and_detail_write_nothing_for_waiting_requests(db, users, tmp_path):
    _claim_id, denial_id, res = _pending_write_off(db, users, tmp_path)
    before = _counts(db)
    D.work_list(db)
    D.group_rows(db, "medical_necessity", "50")
    assert _counts(db) == before
    assert _denial(db, denial_id).status == "approval_pending"
    assert D.load_denial(db, users["rep"], denial_id).row.status == "approval_pending"


def test_upgrade_settles_denials_decided_under_the_lazy_rule(db, users, tmp_path):
    """Before 0009 a decided request settled its denial on the next list load; a denial
    decided but not yet loaded is settled by the migration, so none waits forever."""
    from alembic import command
    from billing_tui.db import migrate

    _, approved_id, approved = _pending_write_off(db, users, tmp_path)
    _, denied_id, denied = _pending_write_off(db, users, tmp_path)
    _, waiting_id, _ = _pending_write_off(db, users, tmp_path)
    with db.engine.begin() as conn:  # decided the old way: the request only
        for request_id, status in ((approved.request_id, "posted"), (denied.request_id, "denied")):
            conn.execute(
                m.AdjustmentRequest.__table__.update()
                .where(m.AdjustmentRequest.id == request_id)
                .values(status=status)
            )
        cfg = migrate._config(conn)
        command.downgrade(cfg, "0008")
        command.upgrade(cfg, "head")
    assert _denial(db, approved_id).status == "written_off"
    d = _denial(db, denied_id)
    assert (d.status, d.action) == ("open", "write_off_denied")
    assert _denial(db, waiting_id).status == "approval_pending"  # still pending: untouched
