"""Builders for the posting-service tests: sent claims, fee schedules, DB snapshots."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import func, select
from svc_helpers import make_claim

from billing_tui.db import models as m
from billing_tui.db.uow import UnitOfWork
from billing_tui.services.batches import open_batch

DEPOSIT = dt.date(2026, 11, 20)
_TABLES = (
    m.LedgerEntry,
    m.Denial,
    m.Underpayment,
    m.PostingDenial,
    m.PaymentBatch,
    m.AdjustmentRequest,
    m.AuditEvent,
)


def sent_claim(db, actor, tmp_path: Path, charges=("200.00",), status="submitted", **over) -> int:
    """A claim imported through the charge interface and marked as sent to the payer."""
    claim_id = make_claim(db, actor, tmp_path, charges=charges, **over)
    with UnitOfWork(db) as uow:
        uow.claims.get(claim_id).status = status
        uow.commit()
    return claim_id


def claim_version(db, claim_id: int) -> int:
    with UnitOfWork(db, write=False) as uow:
        return uow.claims.get(claim_id).version


def claim_row(db, claim_id: int) -> dict:
    with UnitOfWork(db, write=False) as uow:
        c = uow.claims.get(claim_id)
        return {
            "status": c.status,
            "ins": c.ins_balance_cents,
            "pat": c.pat_balance_cents,
            "responsibility": c.responsibility,
            "rebill": c.rebill,
            "version": c.version,
        }


def line_ids(db, claim_id: int) -> list[int]:
    with UnitOfWork(db, write=False) as uow:
        return [ln.id for ln in uow.claims.lines(claim_id)]


def payer_id(db, edi: str = "87726") -> int:
    with UnitOfWork(db, write=False) as uow:
        return uow.payers.by_edi_ids([edi])[edi].id


def add_fee(db, code: str, allowed_cents: int, edi: str = "87726", modifier: str = "") -> None:
    with UnitOfWork(db) as uow:
        pid = uow.payers.by_edi_ids([edi])[edi].id
        uow.session.add(
            m.FeeSchedule(
                payer_id=pid, procedure_code=code, modifier=modifier, allowed_cents=allowed_cents
            )
        )
        uow.commit()


def new_batch(db, actor, amount_cents: int, trace: str = "CHK1001", edi: str = "87726"):
    return open_batch(
        db,
        actor,
        payer_id=payer_id(db, edi),
        patient_id=None,
        method="check",
        trace_number=trace,
        amount_cents=amount_cents,
        deposit_date=DEPOSIT,
    )


def snapshot(db) -> dict:
    """Row counts of every table a posting writes, plus every claim's balances and status."""
    with UnitOfWork(db, write=False) as uow:
        s = uow.session
        counts = {t.__tablename__: s.scalar(select(func.count()).select_from(t)) for t in _TABLES}
        claims = s.execute(
            select(
                m.Claim.id,
                m.Claim.ins_balance_cents,
                m.Claim.pat_balance_cents,
                m.Claim.status,
                m.Claim.version,
            ).order_by(m.Claim.id)
        ).all()
        lines = s.execute(
            select(
                m.ClaimLine.id, m.ClaimLine.ins_balance_cents, m.ClaimLine.pat_balance_cents
            ).order_by(m.ClaimLine.id)
        ).all()
        batches = s.execute(
            select(m.PaymentBatch.id, m.PaymentBatch.status, m.PaymentBatch.version)
        ).all()
    return {
        "counts": counts,
        "claims": [tuple(r) for r in claims],
        "lines": [tuple(r) for r in lines],
        "batches": sorted(tuple(r) for r in batches),
    }


def audit_actions(db) -> list[str]:
    with UnitOfWork(db, write=False) as uow:
        return list(uow.session.scalars(select(m.AuditEvent.action).order_by(m.AuditEvent.seq)))
