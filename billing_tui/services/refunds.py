"""Credit balances (a claim paid more than owed) and refunds of them.

A claim whose insurance or patient balance is below zero is a credit balance; a refund
gives the money back to the payer or the patient and raises the balance toward zero
(ledger ``refund``). Refunds follow the approval matrix (services/approvals.py).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import or_, select

from billing_tui.db import models as m
from billing_tui.db.engine import Database
from billing_tui.db.uow import UnitOfWork
from billing_tui.domain.errors import ValidationError
from billing_tui.domain.users import Actor
from billing_tui.services.approvals import REFUND_TARGETS, ApprovalOutcome, request_kind


@dataclass(frozen=True, slots=True)
class CreditBalanceRow:
    claim_id: int
    claim_number: str
    patient_id: int
    patient_name: str
    payer_name: str
    service_date: dt.date
    ins_balance_cents: int
    pat_balance_cents: int
    credit_cents: int  # what can be refunded: the negative part(s), as a positive amount
    status: str


def credit_balances(db: Database, *, limit: int = 200) -> list[CreditBalanceRow]:
    """Claims holding a credit, biggest first (the "Credit balances" queue)."""
    with UnitOfWork(db, write=False) as uow:
        rows = uow.session.execute(
            select(
                m.Claim.id,
                m.Claim.claim_number,
                m.Claim.patient_id,
                m.Patient.last_name,
                m.Patient.first_name,
                m.Payer.name,
                m.Claim.service_date,
                m.Claim.ins_balance_cents,
                m.Claim.pat_balance_cents,
                m.Claim.status,
            )
            .join(m.Patient, m.Patient.id == m.Claim.patient_id)
            .outerjoin(m.Payer, m.Payer.id == m.Claim.payer_id)
            .where(or_(m.Claim.ins_balance_cents < 0, m.Claim.pat_balance_cents < 0))
        ).all()
    out = [
        CreditBalanceRow(
            claim_id=r[0],
            claim_number=r[1],
            patient_id=r[2],
            patient_name=f"{r[3]}, {r[4]}",
            payer_name=r[5] or "",
            service_date=r[6],
            ins_balance_cents=r[7],
            pat_balance_cents=r[8],
            credit_cents=-min(r[7], 0) - min(r[8], 0),
            status=r[9],
        )
        for r in rows
    ]
    out.sort(key=lambda c: (-c.credit_cents, c.claim_id))
    return out[:limit]


def request_refund(
    db: Database, actor: Actor, *, claim_id: int, amount_cents: int, to: str, reason: str
) -> ApprovalOutcome:
    """Refund a credit to the payer or the patient: posted at once within the actor's
    approval limit, else a pending request."""
    to = (to or "").strip().lower()
    if to not in REFUND_TARGETS:
        raise ValidationError("a refund goes to the payer or the patient", field="to")
    return request_kind(
        db,
        actor,
        kind="refund",
        claim_id=claim_id,
        amount_cents=amount_cents,
        carc=None,
        reason=reason,
        claim_line_id=None,
        resp=None,
        refund_to=to,
    )
