"""Helpers shared by the posting and payment-worklist screen tests (issue 4): pick demo
claims by query (never by hard-coded id) and read what the services wrote."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from billing_tui.db import models as m
from billing_tui.db.engine import Database
from billing_tui.db.uow import UnitOfWork


@dataclass(frozen=True)
class Target:
    claim_id: int
    claim_number: str
    payer_id: int
    payer_name: str
    billed: tuple[int, ...]


def three_line_claim(db_url: str, *, n_lines: int = 3, min_line_cents: int = 0) -> Target:
    """A submitted claim with ``n_lines`` lines, untouched by any payment, billed to a
    primary payer of a patient with no secondary (so patient shares land with the
    patient); ``min_line_cents``: its first line is billed at least that much."""
    from billing_tui.services.eob_posting import load_claim_for_posting_by_id

    db = Database.open(db_url)
    try:
        with UnitOfWork(db, write=False) as uow:
            s = uow.session
            three = (
                select(m.ClaimLine.claim_id)
                .group_by(m.ClaimLine.claim_id)
                .having(func.count() == n_lines)
            )
            big_first = select(m.ClaimLine.claim_id).where(
                m.ClaimLine.line_no == 1, m.ClaimLine.charge_cents >= min_line_cents
            )
            secondary = select(m.Coverage.patient_id).where(m.Coverage.rank == 2)
            rows = s.execute(
                select(m.Claim.id, m.Payer.id, m.Payer.name)
                .join(m.Payer, m.Payer.id == m.Claim.payer_id)
                .where(
                    m.Claim.status.in_(("submitted", "accepted")),
                    m.Claim.responsibility == 1,
                    m.Claim.ins_balance_cents == m.Claim.total_charge_cents,
                    m.Claim.id.in_(three),
                    m.Claim.patient_id.not_in(secondary),
                    m.Claim.id.in_(big_first),
                )
                .order_by(m.Claim.id)
                .limit(1)
            ).all()
        assert rows, f"the demo has no untouched {n_lines}-line submitted claim"
        claim_id, payer_id, payer_name = rows[0]
        claim = load_claim_for_posting_by_id(db, claim_id)
    finally:
        db.dispose()
    assert len(claim.lines) == n_lines
    assert all(ln.open_cents == ln.billed_cents for ln in claim.lines)
    return Target(
        claim_id,
        claim.claim_number,
        payer_id,
        payer_name,
        tuple(ln.billed_cents for ln in claim.lines),
    )


def audit_actions(db_url: str, since_seq: int) -> list[str]:
    db = Database.open(db_url)
    try:
        with UnitOfWork(db, write=False) as uow:
            return list(
                uow.session.scalars(
                    select(m.AuditEvent.action)
                    .where(m.AuditEvent.seq > since_seq)
                    .order_by(m.AuditEvent.seq)
                )
            )
    finally:
        db.dispose()


def audit_head(db_url: str) -> int:
    db = Database.open(db_url)
    try:
        with UnitOfWork(db, write=False) as uow:
            return uow.session.scalar(select(func.max(m.AuditEvent.seq))) or 0
    finally:
        db.dispose()


def ledger_count(db_url: str) -> int:
    db = Database.open(db_url)
    try:
        with UnitOfWork(db, write=False) as uow:
            return uow.session.scalar(select(func.count()).select_from(m.LedgerEntry)) or 0
    finally:
        db.dispose()
