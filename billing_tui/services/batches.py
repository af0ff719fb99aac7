"""Payment batches: one check, EFT, card or cash deposit and the postings that spend it.

A batch always knows what it is worth (the check amount), what has been posted to it
(payments net of reversals, plus provider-level adjustments for 835 batches:
BPR02 = sum(CLP04) - sum(PLB)) and what remains. It closes only at exactly zero remaining,
which is the rule `billing-tui check` verifies for every balanced or closed batch.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from billing_tui.db import models as m
from billing_tui.db.engine import Database
from billing_tui.db.uow import UnitOfWork, utcnow
from billing_tui.domain.errors import (
    ConflictError,
    DuplicateError,
    NotFoundError,
    ValidationError,
)
from billing_tui.domain.ledger import EntryKind
from billing_tui.domain.money import Money
from billing_tui.domain.users import Actor

METHODS = ("check", "eft", "card", "cash")
PAYMENT_KINDS = (EntryKind.INSURANCE_PAYMENT.value, EntryKind.PATIENT_PAYMENT.value)


@dataclass(frozen=True, slots=True)
class BatchSummary:
    id: int
    payer_id: int | None
    payer_name: str  # the payer, or the patient for a patient batch
    patient_id: int | None
    method: str
    trace_number: str
    amount_cents: int
    deposit_date: dt.date
    posted_cents: int  # payments posted to it (net of reversals) + PLB effect
    remaining_cents: int  # amount - posted
    status: str  # open / balanced / closed
    source: str  # manual / 835
    version: int
    opened_by: str
    claim_count: int


@dataclass(frozen=True, slots=True)
class BatchPostingRow:
    posting_id: str
    claim_id: int
    claim_number: str
    patient_name: str
    line_no: int | None
    paid_cents: int
    adjustment_cents: int
    patient_share_cents: int
    posted_at: dt.datetime
    posted_by: str
    reversed: bool


# --- figures shared with eob_posting ------------------------------------------------------


def posted_by_batch(s: Session, batch_ids: Sequence[int]) -> dict[int, tuple[int, int]]:
    """{batch id: (posted cents, claim count)}, the same arithmetic as `check`."""
    if not batch_ids:
        return {}
    le = aliased(m.LedgerEntry)
    orig = aliased(m.LedgerEntry)
    paid = dict(
        s.execute(
            select(le.batch_id, -func.sum(le.amount_cents))
            .select_from(le)
            .outerjoin(orig, orig.id == le.reverses_id)
            .where(
                le.batch_id.in_(batch_ids),
                le.kind.in_(PAYMENT_KINDS)
                | ((le.kind == EntryKind.REVERSAL.value) & orig.kind.in_(PAYMENT_KINDS)),
            )
            .group_by(le.batch_id)
        ).all()
    )
    claims = dict(
        s.execute(
            select(m.LedgerEntry.batch_id, func.count(func.distinct(m.LedgerEntry.claim_id)))
            .where(m.LedgerEntry.batch_id.in_(batch_ids))
            .group_by(m.LedgerEntry.batch_id)
        ).all()
    )
    plb = dict(
        s.execute(
            select(m.ProviderAdjustment.batch_id, func.sum(m.ProviderAdjustment.amount_cents))
            .where(m.ProviderAdjustment.batch_id.in_(batch_ids))
            .group_by(m.ProviderAdjustment.batch_id)
        ).all()
    )
    return {
        b: (int(paid.get(b) or 0) - int(plb.get(b) or 0), int(claims.get(b) or 0))
        for b in batch_ids
    }


def batch_posted_cents(s: Session, batch_id: int) -> int:
    return posted_by_batch(s, [batch_id])[batch_id][0]


def settle_status(s: Session, batch: m.PaymentBatch) -> None:
    """Open <-> balanced after money moved (a closed batch reopens when money leaves it)."""
    posted = batch_posted_cents(s, batch.id)
    if batch.status == "closed" and posted == batch.amount_cents:
        return
    want = "balanced" if posted == batch.amount_cents else "open"
    if batch.status != want:
        batch.status = want
        batch.closed_at = None


def summarize(s: Session, batches: Sequence[m.PaymentBatch]) -> list[BatchSummary]:
    figures = posted_by_batch(s, [b.id for b in batches])
    payer_ids = {b.payer_id for b in batches if b.payer_id is not None}
    patient_ids = {b.patient_id for b in batches if b.patient_id is not None}
    user_ids = {b.opened_by for b in batches}
    payers = (
        dict(s.execute(select(m.Payer.id, m.Payer.name).where(m.Payer.id.in_(payer_ids))).all())
        if payer_ids
        else {}
    )
    patients = (
        {
            r[0]: f"{r[1]}, {r[2]}"
            for r in s.execute(
                select(m.Patient.id, m.Patient.last_name, m.Patient.first_name).where(
                    m.Patient.id.in_(patient_ids)
                )
            )
        }
        if patient_ids
        else {}
    )
    users = dict(s.execute(select(m.User.id, m.User.username).where(m.User.id.in_(user_ids))).all())
    out = []
    for b in batches:
        posted, claim_count = figures[b.id]
        name = (
            payers.get(b.payer_id, "") if b.payer_id is not None else patients.get(b.patient_id, "")
        )
        out.append(
            BatchSummary(
                id=b.id,
                payer_id=b.payer_id,
                payer_name=name,
                patient_id=b.patient_id,
                method=b.method,
                trace_number=b.trace_number,
                amount_cents=b.amount_cents,
                deposit_date=b.deposit_date,
                posted_cents=posted,
                remaining_cents=b.amount_cents - posted,
                status=b.status,
                source=b.source,
                version=b.version,
                opened_by=users.get(b.opened_by, ""),
                claim_count=claim_count,
            )
        )
    return out


def _describe(b: m.PaymentBatch) -> str:
    return f"batch #{b.id} of {b.deposit_date.isoformat()} for {Money(b.amount_cents).format(True)}"


# --- use cases ----------------------------------------------------------------------------


def open_batch(
    db: Database,
    actor: Actor,
    *,
    payer_id: int | None,
    patient_id: int | None,
    method: str,
    trace_number: str,
    amount_cents: int,
    deposit_date: dt.date,
) -> BatchSummary:
    """Open a batch for one deposit; the same trace twice for one payer is refused."""
    trace = (trace_number or "").strip()
    method = (method or "").strip().lower()
    if (payer_id is None) == (patient_id is None):
        raise ValidationError("a batch is from a payer or from a patient (one of them)", "payer")
    if method not in METHODS:
        raise ValidationError(
            f"payment method {method!r} is not one of check, eft, card, cash", "method"
        )
    if not trace:
        raise ValidationError("the check, EFT trace or receipt number is required", "trace")
    if len(trace) > 50:
        raise ValidationError("the trace number is longer than 50 characters", "trace")
    if type(amount_cents) is not int:
        raise TypeError("amount_cents must be int cents")
    if amount_cents < 0:
        raise ValidationError("the deposit amount cannot be negative", "amount")
    if not isinstance(deposit_date, dt.date):
        raise ValidationError("the deposit date is required", "deposit_date")
    now = utcnow()
    with UnitOfWork(db) as uow:
        s = uow.session
        if payer_id is not None:
            if uow.payers.get(payer_id) is None:
                raise NotFoundError(f"payer id {payer_id} does not exist")
            existing = uow.batches.by_trace(payer_id, trace)
        else:
            if uow.patients.get(patient_id) is None:
                raise NotFoundError(f"patient id {patient_id} does not exist")
            existing = s.scalar(
                select(m.PaymentBatch).where(
                    m.PaymentBatch.patient_id == patient_id,
                    m.PaymentBatch.trace_number == trace,
                )
            )
        if existing is not None:
            raise DuplicateError(f"trace {trace} is already {_describe(existing)}", "trace")
        batch = uow.batches.add(
            m.PaymentBatch(
                payer_id=payer_id,
                patient_id=patient_id,
                method=method,
                trace_number=trace,
                amount_cents=amount_cents,
                deposit_date=deposit_date,
                status="balanced" if amount_cents == 0 else "open",
                source="manual",
                opened_by=actor.user_id,
                opened_at=now,
            )
        )
        uow.flush()
        uow.audit(
            actor,
            "batch_opened",
            "payment_batch",
            batch.id,
            payer=payer_id,
            patient=patient_id,
            method=method,
            trace=trace,
            amount=amount_cents,
            deposit_date=deposit_date.isoformat(),
        )
        uow.commit()
        return summarize(s, [batch])[0]


def get_batch(db: Database, batch_id: int) -> BatchSummary:
    with UnitOfWork(db, write=False) as uow:
        batch = uow.batches.get(batch_id)
        if batch is None:
            raise NotFoundError(f"payment batch {batch_id} does not exist")
        return summarize(uow.session, [batch])[0]


def list_batches(
    db: Database, *, status: str | None = None, limit: int = 200
) -> list[BatchSummary]:
    """Newest first; ``status`` open / balanced / closed, or "unclosed" for open + balanced."""
    with UnitOfWork(db, write=False) as uow:
        q = select(m.PaymentBatch).order_by(m.PaymentBatch.id.desc()).limit(limit)
        if status == "unclosed":
            q = q.where(m.PaymentBatch.status != "closed")
        elif status is not None:
            q = q.where(m.PaymentBatch.status == status)
        return summarize(uow.session, uow.session.scalars(q).all())


def close_batch(
    db: Database, actor: Actor, batch_id: int, *, expected_version: int
) -> BatchSummary:
    """Close a batch whose remaining amount is exactly zero."""
    now = utcnow()
    with UnitOfWork(db) as uow:
        s = uow.session
        batch = uow.batches.get(batch_id, lock=True)
        if batch is None:
            raise NotFoundError(f"payment batch {batch_id} does not exist")
        if batch.version != expected_version:
            raise ConflictError(f"Payment batch {batch.trace_number}")
        if batch.status == "closed":
            raise ValidationError(f"payment batch {batch.trace_number} is already closed")
        posted = batch_posted_cents(s, batch.id)
        remaining = batch.amount_cents - posted
        if remaining != 0:
            raise ValidationError(
                f"payment batch {batch.trace_number} cannot close: "
                f"{Money(posted).format(True)} posted of "
                f"{Money(batch.amount_cents).format(True)}, "
                f"{Money(remaining).format(True)} remaining",
                "amount",
            )
        batch.status = "closed"
        batch.closed_at = now
        uow.flush()
        uow.audit(
            actor,
            "batch_closed",
            "payment_batch",
            batch.id,
            trace=batch.trace_number,
            amount=batch.amount_cents,
            posted=posted,
        )
        uow.commit()
        return summarize(s, [batch])[0]


LEGACY_POSTING = "entry-"


def posting_entries_clause(posting_id: str):
    """Which ledger entries make up a posting. Entries written before postings had ids
    (the demo generator, bulk loads) are listed and reversed one at a time under the
    key ``entry-<ledger id>``."""
    number = posting_id.removeprefix(LEGACY_POSTING)
    if posting_id.startswith(LEGACY_POSTING) and number.isdigit():
        return m.LedgerEntry.id == int(number)
    return m.LedgerEntry.posting_id == posting_id


def batch_postings(db: Database, batch_id: int) -> list[BatchPostingRow]:
    """One row per posting and claim line, oldest first; reversals show on their original."""
    with UnitOfWork(db, write=False) as uow:
        s = uow.session
        if uow.batches.get(batch_id) is None:
            raise NotFoundError(f"payment batch {batch_id} does not exist")
        rev = aliased(m.LedgerEntry)
        rows = s.execute(
            select(
                m.LedgerEntry.id,
                m.LedgerEntry.posting_id,
                m.LedgerEntry.claim_id,
                m.Claim.claim_number,
                m.Patient.last_name,
                m.Patient.first_name,
                m.ClaimLine.line_no,
                m.LedgerEntry.kind,
                m.LedgerEntry.amount_cents,
                m.LedgerEntry.group_code,
                m.LedgerEntry.to_responsibility,
                m.LedgerEntry.posted_at,
                m.User.username,
                rev.id,
            )
            .join(m.Claim, m.Claim.id == m.LedgerEntry.claim_id)
            .join(m.Patient, m.Patient.id == m.Claim.patient_id)
            .join(m.User, m.User.id == m.LedgerEntry.posted_by)
            .outerjoin(m.ClaimLine, m.ClaimLine.id == m.LedgerEntry.claim_line_id)
            .outerjoin(rev, rev.reverses_id == m.LedgerEntry.id)
            .where(
                m.LedgerEntry.batch_id == batch_id,
                m.LedgerEntry.kind != EntryKind.REVERSAL.value,
            )
            .order_by(m.LedgerEntry.id)
        ).all()
    grouped: dict[tuple, dict] = {}
    for r in rows:
        key = (r[1] or f"{LEGACY_POSTING}{r[0]}", r[2], r[6])
        g = grouped.setdefault(
            key,
            {
                "claim_number": r[3],
                "patient": f"{r[4]}, {r[5]}",
                "paid": 0,
                "adj": 0,
                "share": 0,
                "at": r[11],
                "by": r[12],
                "reversed": False,
            },
        )
        kind, amount = r[7], r[8]
        if kind in PAYMENT_KINDS:
            g["paid"] -= amount
        elif kind in (EntryKind.ADJUSTMENT.value, EntryKind.WRITE_OFF.value):
            g["adj"] -= amount
        elif kind == EntryKind.TRANSFER.value and r[9] == "PR":
            g["share"] += amount
        if r[13] is not None:
            g["reversed"] = True
    return [
        BatchPostingRow(
            posting_id=key[0],
            claim_id=key[1],
            claim_number=g["claim_number"],
            patient_name=g["patient"],
            line_no=key[2],
            paid_cents=g["paid"],
            adjustment_cents=g["adj"],
            patient_share_cents=g["share"],
            posted_at=g["at"],
            posted_by=g["by"],
            reversed=g["reversed"],
        )
        for key, g in grouped.items()
    ]
