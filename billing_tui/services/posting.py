"""Posting money to claim lines: one EOB line per call, and reversals.

Each function is one unit of work: it locks the claim (so postings to one
claim queue while other claims stay free), appends ledger entries to the
claim's hash chain, keeps the cached balances in step, writes its audit event
and commits, or changes nothing at all.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from billing_tui.db.engine import Database
from billing_tui.db.uow import UnitOfWork, utcnow
from billing_tui.domain import ledger as L
from billing_tui.domain.errors import ConflictError, NotFoundError, ValidationError
from billing_tui.domain.money import Money
from billing_tui.domain.users import Actor


@dataclass(frozen=True, slots=True)
class Adjustment:
    group_code: str  # CO / OA / PI / CR (PR goes to patient_responsibility)
    carc: str
    amount_cents: int
    rarc: str | None = None


@dataclass(frozen=True, slots=True)
class PatientShare:
    carc: str  # 1 deductible, 2 coinsurance, 3 copay, ...
    amount_cents: int


@dataclass(frozen=True, slots=True)
class LinePosting:
    """What an EOB says about one service line, for the payer now responsible."""

    paid_cents: int = 0
    adjustments: tuple[Adjustment, ...] = ()
    patient_shares: tuple[PatientShare, ...] = field(default_factory=tuple)

    @property
    def accounted_cents(self) -> int:
        return (
            self.paid_cents
            + sum(a.amount_cents for a in self.adjustments)
            + sum(p.amount_cents for p in self.patient_shares)
        )


@dataclass(frozen=True, slots=True)
class PostResult:
    claim_id: int
    claim_version: int
    entry_ids: list[int]
    line_ins_balance_cents: int
    line_pat_balance_cents: int
    claim_ins_balance_cents: int
    claim_pat_balance_cents: int


def post_line(
    db: Database,
    actor: Actor,
    claim_id: int,
    line_no: int,
    posting: LinePosting,
    *,
    batch_id: int | None = None,
    expected_version: int | None = None,
) -> PostResult:
    """Post one EOB line: payment, adjustments, and patient responsibility moved on
    (to the next payer when the patient has one, else to the patient)."""
    now = utcnow()
    with UnitOfWork(db) as uow:
        claim = uow.claims.get(claim_id, lock=True)
        if claim is None:
            raise NotFoundError(f"claim id {claim_id} does not exist")
        if expected_version is not None and claim.version != expected_version:
            raise ConflictError(f"Claim {claim.claim_number}")
        line = next((ln for ln in uow.claims.lines(claim_id) if ln.line_no == line_no), None)
        if line is None:
            raise NotFoundError(f"claim {claim.claim_number} has no line {line_no}")
        resp = claim.responsibility
        if not L.is_insurance(resp):
            raise ValidationError(
                f"claim {claim.claim_number} is billed to the patient; post a patient payment"
            )
        open_cents = line.ins_balance_cents
        if posting.accounted_cents != open_cents:
            diff = Money(open_cents - posting.accounted_cents)
            raise ValidationError(
                f"line {line_no}: paid + adjustments + patient responsibility = "
                f"{Money(posting.accounted_cents)}, but the line's open balance with this "
                f"payer is {Money(open_cents)} (difference {diff})",
                field="paid",
            )
        if batch_id is not None:
            batch = uow.batches.get(batch_id)
            if batch is None:
                raise NotFoundError(f"payment batch {batch_id} does not exist")
            if batch.status == "closed":
                raise ValidationError(f"payment batch {batch.trace_number} is closed")
        ranks = uow.patients.coverage_ranks(claim.patient_id)
        next_resp = L.responsibility_after_transfer_target(ranks, resp)
        entries: list[L.Entry] = []
        if posting.paid_cents:
            entries.append(L.insurance_payment(posting.paid_cents, resp))
        for adj in posting.adjustments:
            if adj.amount_cents:
                entries.append(
                    L.adjustment(adj.amount_cents, adj.group_code, adj.carc, adj.rarc, resp)
                )
        for share in posting.patient_shares:
            if share.amount_cents:
                entries.append(
                    L.transfer(
                        share.amount_cents, resp, next_resp, group_code="PR", carc=share.carc
                    )
                )
        if not entries:
            raise ValidationError(f"line {line_no}: nothing to post", field="paid")
        posting_id = uuid.uuid4().hex
        entry_ids = uow.ledger.append_many(
            claim,
            [(line, e) for e in entries],
            user_id=actor.user_id,
            now=now,
            batch_id=batch_id,
            posting_id=posting_id,
        )
        claim.last_activity_at = now.date()
        uow.flush()
        uow.audit(
            actor,
            "line_posted",
            "claim",
            claim.claim_number,
            patient_id=claim.patient_id,
            line=line_no,
            paid=posting.paid_cents,
            batch=batch_id,
            entries=entry_ids,
        )
        uow.commit()
        return PostResult(
            claim_id=claim.id,
            claim_version=claim.version,
            entry_ids=entry_ids,
            line_ins_balance_cents=line.ins_balance_cents,
            line_pat_balance_cents=line.pat_balance_cents,
            claim_ins_balance_cents=claim.ins_balance_cents,
            claim_pat_balance_cents=claim.pat_balance_cents,
        )


def reverse_entry(db: Database, actor: Actor, entry_id: int, reason: str) -> PostResult:
    """Reverse one ledger entry (never edit it): the reversal points at the original."""
    reason = reason.strip()
    if not reason:
        raise ValidationError("a reversal needs a reason", field="reason")
    now = utcnow()
    with UnitOfWork(db) as uow:
        original = uow.ledger.get(entry_id)
        if original is None:
            raise NotFoundError(f"ledger entry {entry_id} does not exist")
        claim = uow.claims.get(original.claim_id, lock=True)
        if original.kind == L.EntryKind.REVERSAL:
            raise ValidationError("a reversal cannot itself be reversed; post a new entry")
        if uow.ledger.is_reversed(entry_id):
            raise ValidationError(f"ledger entry {entry_id} is already reversed")
        domain_entry = L.Entry(
            kind=L.EntryKind(original.kind),
            responsibility=original.responsibility,
            amount_cents=original.amount_cents,
            to_responsibility=original.to_responsibility,
            group_code=original.group_code,
            carc=original.carc,
            rarc=original.rarc,
            entry_id=original.id,
        )
        line = uow.claims.line(original.claim_line_id) if original.claim_line_id else None
        row = uow.ledger.append(
            claim,
            line,
            L.reversal_of(domain_entry),
            user_id=actor.user_id,
            now=now,
            batch_id=original.batch_id,
            memo=reason[:200],
        )
        if original.batch_id is not None:
            batch = uow.batches.get(original.batch_id)
            if batch is not None and batch.status != "open":
                batch.status = "open"  # money left the batch: it must balance again
                batch.closed_at = None
        claim.last_activity_at = now.date()
        uow.flush()
        uow.audit(
            actor,
            "entry_reversed",
            "claim",
            claim.claim_number,
            patient_id=claim.patient_id,
            entry=entry_id,
            reversal=row.id,
            reason=reason[:200],
        )
        uow.commit()
        return PostResult(
            claim_id=claim.id,
            claim_version=claim.version,
            entry_ids=[row.id],
            line_ins_balance_cents=line.ins_balance_cents if line else 0,
            line_pat_balance_cents=line.pat_balance_cents if line else 0,
            claim_ins_balance_cents=claim.ins_balance_cents,
            claim_pat_balance_cents=claim.pat_balance_cents,
        )
