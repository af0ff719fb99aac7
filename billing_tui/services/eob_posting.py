"""Posting a whole EOB claim at once (paper or 835), its reversal, and patient payments.

``post_claim`` is one unit of work for every line of the claim: each line must balance
(billed open = paid + adjustments + patient responsibility, domain/adjudication.py) or
nothing is written. It locks the claim, checks the version the rep opened, writes the
ledger entries under one posting id, opens denials for amounts the payer denied, flags
lines paid below the fee schedule, moves the claim through the status machine, and
audits it. ``reverse_posting`` undoes a posting entry by entry, never editing one.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import exists, func, select, update
from sqlalchemy.orm import Session

from billing_tui.db import models as m
from billing_tui.db.engine import Database
from billing_tui.db.repositories import note_adjudication
from billing_tui.db.uow import UnitOfWork, utcnow
from billing_tui.domain import adjudication as A
from billing_tui.domain import ledger as L
from billing_tui.domain.claim_status import ClaimStatus
from billing_tui.domain.errors import ConflictError, NotFoundError, ValidationError
from billing_tui.domain.money import Money
from billing_tui.domain.users import Actor
from billing_tui.services.batches import (
    BatchSummary,
    batch_posted_cents,
    posting_entries_clause,
    settle_status,
    summarize,
)

try:  # the reason-code table (issue 7) names the denial category
    from billing_tui.domain.reason_codes import category_of as _category_of
except ImportError:  # pragma: no cover - only before that module exists
    _category_of = None

Cas = A.Cas  # re-exported: screens build EobLine.adjustments from it

NOT_SENT = frozenset({ClaimStatus.DRAFT.value, ClaimStatus.READY.value, ClaimStatus.VOID.value})
PAYMENT_KINDS = (L.EntryKind.INSURANCE_PAYMENT.value, L.EntryKind.PATIENT_PAYMENT.value)
_FALLBACK_CATEGORIES = {
    "197": "authorization",
    "15": "authorization",
    "27": "eligibility",
    "26": "eligibility",
    "31": "eligibility",
    "29": "timely_filing",
    "16": "missing_info",
    "18": "duplicate",
    "50": "medical_necessity",
    "97": "bundling",
    "22": "cob",
}


def denial_category(carc: str) -> str:
    if _category_of is not None:
        return _category_of(carc)
    return _FALLBACK_CATEGORIES.get(carc, "other")


# --- what the posting screen shows ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PostingLine:
    line_no: int
    service_date: dt.date
    procedure_code: str
    modifiers: tuple[str, ...]
    units: Decimal
    billed_cents: int
    open_cents: int  # open with the current payer
    contracted_cents: int | None  # fee schedule allowed x units


@dataclass(frozen=True, slots=True)
class PostingClaim:
    claim_id: int
    claim_number: str
    version: int
    patient_id: int
    patient_name: str
    payer_name: str
    responsibility: int
    status: str
    next_payer_name: str | None
    lines: tuple[PostingLine, ...]


@dataclass(frozen=True, slots=True)
class EobLine:
    line_no: int
    allowed_cents: int | None
    paid_cents: int
    deductible_cents: int = 0  # PR-1
    coinsurance_cents: int = 0  # PR-2
    copay_cents: int = 0  # PR-3
    adjustments: tuple[A.Cas, ...] = ()  # other CAS incl. CO-45 (screen fills billed-allowed)
    remarks: tuple[str, ...] = ()

    def cas(self) -> tuple[A.Cas, ...]:
        """All CAS of the line in EOB order: the rep's adjustments, then PR-1/2/3."""
        shares = (
            A.Cas("PR", "1", self.deductible_cents),
            A.Cas("PR", "2", self.coinsurance_cents),
            A.Cas("PR", "3", self.copay_cents),
        )
        return (*self.adjustments, *(c for c in shares if c.amount_cents))


@dataclass(frozen=True, slots=True)
class ClaimPostResult:
    claim_id: int
    claim_number: str
    claim_version: int
    posting_id: str
    status: str
    ins_balance_cents: int
    pat_balance_cents: int
    denial_ids: tuple[int, ...]
    underpaid_lines: tuple[int, ...]
    batch: BatchSummary | None


@dataclass(frozen=True, slots=True)
class UnderpaymentRow:
    claim_id: int
    claim_number: str
    patient_id: int
    patient_name: str
    payer_name: str
    line_no: int
    procedure_code: str
    allowed_cents: int
    contracted_cents: int
    variance_cents: int
    posted_at: dt.datetime


# --- reading --------------------------------------------------------------------------------


def _modifiers(ln: m.ClaimLine) -> tuple[str, ...]:
    return tuple(x for x in (ln.modifier1, ln.modifier2, ln.modifier3, ln.modifier4) if x)


def _payer_for_rank(s: Session, claim: m.Claim, rank: int) -> m.Payer | None:
    """The payer billed at ``rank``: the claim's own payer for its coverage, else the
    patient's coverage of that rank."""
    if rank == L.PATIENT:
        return None
    if claim.coverage_id is not None:
        cov = s.get(m.Coverage, claim.coverage_id)
        if cov is not None and cov.rank == rank:
            return s.get(m.Payer, cov.payer_id)
    cov = s.scalar(
        select(m.Coverage)
        .where(m.Coverage.patient_id == claim.patient_id, m.Coverage.rank == rank)
        .order_by(m.Coverage.id.desc())
        .limit(1)
    )
    if cov is not None:
        return s.get(m.Payer, cov.payer_id)
    if rank == L.PRIMARY and claim.payer_id is not None:
        return s.get(m.Payer, claim.payer_id)
    return None


def line_balances(s: Session, claim_id: int) -> dict[int, list[int]]:
    """{claim line id: [patient, rank1, rank2, rank3]} from the ledger."""
    out: dict[int, list[int]] = {}
    for line_id, resp, to, amount in s.execute(
        select(
            m.LedgerEntry.claim_line_id,
            m.LedgerEntry.responsibility,
            m.LedgerEntry.to_responsibility,
            m.LedgerEntry.amount_cents,
        ).where(m.LedgerEntry.claim_id == claim_id, m.LedgerEntry.claim_line_id.is_not(None))
    ):
        acc = out.setdefault(line_id, [0, 0, 0, 0])
        for r, delta in L.effect_pairs(resp, to, amount):
            acc[r] += delta
    return out


def _fee_schedule(s: Session, payer_id: int | None, lines: Sequence[m.ClaimLine]) -> dict:
    """{(code, modifier): per-unit contracted cents} for this payer's codes on the claim."""
    if payer_id is None or not lines:
        return {}
    codes = {ln.procedure_code for ln in lines}
    return {
        (r[0], r[1] or ""): r[2]
        for r in s.execute(
            select(
                m.FeeSchedule.procedure_code, m.FeeSchedule.modifier, m.FeeSchedule.allowed_cents
            ).where(m.FeeSchedule.payer_id == payer_id, m.FeeSchedule.procedure_code.in_(codes))
        )
    }


def _contracted(fees: dict, ln: m.ClaimLine) -> int | None:
    per_unit = fees.get((ln.procedure_code, ln.modifier1 or ""))
    if per_unit is None:
        per_unit = fees.get((ln.procedure_code, ""))
    if per_unit is None:
        return None
    return A.contracted_cents_for(per_unit, ln.units)


def _load(s: Session, claim: m.Claim) -> PostingClaim:
    patient = s.get(m.Patient, claim.patient_id)
    resp = claim.responsibility
    payer = _payer_for_rank(s, claim, resp)
    ranks = [
        c.rank
        for c in s.scalars(select(m.Coverage).where(m.Coverage.patient_id == claim.patient_id))
    ]
    nxt = L.responsibility_after_transfer_target(ranks, resp) if L.is_insurance(resp) else 0
    next_payer = _payer_for_rank(s, claim, nxt) if L.is_insurance(nxt) else None
    lines = [
        ln
        for ln in s.scalars(
            select(m.ClaimLine)
            .where(m.ClaimLine.claim_id == claim.id)
            .order_by(m.ClaimLine.line_no)
        )
        if not ln.removed
    ]
    bal = line_balances(s, claim.id)
    fees = _fee_schedule(s, payer.id if payer else None, lines)
    return PostingClaim(
        claim_id=claim.id,
        claim_number=claim.claim_number,
        version=claim.version,
        patient_id=claim.patient_id,
        patient_name=f"{patient.last_name}, {patient.first_name}",
        payer_name=payer.name if payer else "Patient",
        responsibility=resp,
        status=claim.status,
        next_payer_name=next_payer.name if next_payer else None,
        lines=tuple(
            PostingLine(
                line_no=ln.line_no,
                service_date=ln.service_date,
                procedure_code=ln.procedure_code,
                modifiers=_modifiers(ln),
                units=ln.units,
                billed_cents=ln.charge_cents,
                open_cents=bal.get(ln.id, [0, 0, 0, 0])[resp],
                contracted_cents=_contracted(fees, ln),
            )
            for ln in lines
        ),
    )


def load_claim_for_posting(db: Database, claim_number: str) -> PostingClaim:
    number = (claim_number or "").strip()
    with UnitOfWork(db, write=False) as uow:
        claim = uow.claims.by_number(number)
        if claim is None:
            raise NotFoundError(f"no claim numbered {number!r}")
        return _load(uow.session, claim)


def load_claim_for_posting_by_id(db: Database, claim_id: int) -> PostingClaim:
    with UnitOfWork(db, write=False) as uow:
        claim = uow.claims.get(claim_id)
        if claim is None:
            raise NotFoundError(f"claim id {claim_id} does not exist")
        return _load(uow.session, claim)


# --- writing --------------------------------------------------------------------------------


def _move_status(claim: m.Claim, final: str) -> None:
    """Walk the status machine to ``final`` (raises IllegalTransition when it cannot)."""
    A.status_path(claim.status, final)
    if claim.status != final:
        claim.status = final


def _locked_batch(uow: UnitOfWork, batch_id: int) -> m.PaymentBatch:
    batch = uow.batches.get(batch_id, lock=True)
    if batch is None:
        raise NotFoundError(f"payment batch {batch_id} does not exist")
    if batch.status == "closed":
        raise ValidationError(
            f"payment batch {batch.trace_number} is closed; open a new batch", field="batch"
        )
    return batch


def _check_room(s: Session, batch: m.PaymentBatch, paying: int) -> None:
    remaining = batch.amount_cents - batch_posted_cents(s, batch.id)
    if paying > remaining:
        raise ValidationError(
            f"posting {Money(paying).format(True)} would take payment batch "
            f"{batch.trace_number} past its amount: only {Money(remaining).format(True)} "
            "remains",
            field="paid",
        )


def post_claim(
    db: Database,
    actor: Actor,
    *,
    claim_id: int,
    expected_version: int,
    lines: Sequence[EobLine],
    batch_id: int | None,
    claim_denied: bool = False,
) -> ClaimPostResult:
    """Post an EOB's lines for one claim in one transaction (see the module docstring).

    ``claim_denied`` is the 835's CLP02 = 4: every non-contractual CO/OA/PI amount on the
    claim stays open as a denial even on lines with a payment.
    """
    if not lines:
        raise ValidationError("the EOB has no lines to post", field="paid")
    seen: set[int] = set()
    for eob in lines:
        if eob.line_no in seen:
            raise ValidationError(f"line {eob.line_no} appears twice on the EOB", field="line")
        seen.add(eob.line_no)
    now = utcnow()
    today = now.date()
    with UnitOfWork(db) as uow:
        s = uow.session
        claim = uow.claims.get(claim_id, lock=True)
        if claim is None:
            raise NotFoundError(f"claim id {claim_id} does not exist")
        if claim.version != expected_version:
            raise ConflictError(f"Claim {claim.claim_number}")
        if claim.status in NOT_SENT:
            raise ValidationError(
                f"claim {claim.claim_number} is {ClaimStatus(claim.status).label}: "
                "it was never sent to the payer, so there is nothing to post"
            )
        resp = claim.responsibility
        if not L.is_insurance(resp):
            raise ValidationError(
                f"claim {claim.claim_number} is billed to the patient; post a patient payment"
            )
        by_no = {ln.line_no: ln for ln in uow.claims.lines(claim.id) if not ln.removed}
        bal = line_balances(s, claim.id)
        ranks = uow.patients.coverage_ranks(claim.patient_id)
        next_resp = L.responsibility_after_transfer_target(ranks, resp)
        payer = _payer_for_rank(s, claim, resp)
        fees = _fee_schedule(s, payer.id if payer else None, list(by_no.values()))
        plans: list[tuple[m.ClaimLine, EobLine, A.LineOutcome]] = []
        for eob in lines:
            line = by_no.get(eob.line_no)
            if line is None:
                raise ValidationError(
                    f"claim {claim.claim_number} has no line {eob.line_no}", field="line"
                )
            adj = A.LineAdjudication(
                open_cents=bal.get(line.id, [0, 0, 0, 0])[resp],
                paid_cents=eob.paid_cents,
                cas=eob.cas(),
                allowed_cents=eob.allowed_cents,
                remarks=eob.remarks,
            )
            try:
                outcome = A.adjudicate_line(adj, resp, next_resp, claim_denied=claim_denied)
            except ValidationError as exc:
                raise ValidationError(f"line {eob.line_no}: {exc}", field=exc.field) from None
            plans.append((line, eob, outcome))
        if not any(o.entries or o.denied for _, _, o in plans):
            raise ValidationError("nothing to post: every amount on the EOB is 0.00", field="paid")
        paying = sum(e.paid_cents for e in lines)
        batch = None
        if batch_id is not None:
            batch = _locked_batch(uow, batch_id)
            if batch.patient_id is not None:
                raise ValidationError(
                    f"payment batch {batch.trace_number} holds a patient's payment; "
                    "post it as a patient payment",
                    field="batch",
                )
            if batch.payer_id is not None and payer is not None and batch.payer_id != payer.id:
                raise ValidationError(
                    f"payment batch {batch.trace_number} is from another payer than "
                    f"{payer.name}, who this claim is billed to",
                    field="batch",
                )
            _check_room(s, batch, paying)
        posting_id = uuid.uuid4().hex
        denials: list[m.Denial] = []
        underpaid: list[int] = []
        moved = False
        items: list[tuple[m.ClaimLine, L.Entry]] = []
        for line, eob, outcome in plans:
            after = bal.setdefault(line.id, [0, 0, 0, 0])
            for e in outcome.entries:
                for r, delta in L.effects(e):
                    after[r] += delta
                items.append((line, e))
                if (
                    e.kind is L.EntryKind.TRANSFER
                    and e.to_responsibility == next_resp
                    and L.is_insurance(next_resp)
                ):
                    moved = True
            for cas in outcome.denied:
                denial = m.Denial(
                    claim_id=claim.id,
                    claim_line_id=line.id,
                    group_code=cas.group_code,
                    carc=cas.carc,
                    rarc=cas.rarc or (eob.remarks[0] if eob.remarks else None),
                    amount_cents=cas.amount_cents,
                    category=denial_category(cas.carc),
                    status="open",
                    denied_on=today,
                    due_date=today + dt.timedelta(days=payer.appeal_window_days)
                    if payer is not None
                    else None,
                    created_at=now,
                )
                s.add(denial)
                denials.append(denial)
                note_adjudication(claim, today)
            contracted = _contracted(fees, line)
            if eob.allowed_cents is not None and contracted is not None:
                variance = contracted - eob.allowed_cents
                if variance > 0:
                    s.add(
                        m.Underpayment(
                            claim_id=claim.id,
                            claim_line_id=line.id,
                            posting_id=posting_id,
                            payer_id=payer.id if payer else None,
                            allowed_cents=eob.allowed_cents,
                            contracted_cents=contracted,
                            variance_cents=variance,
                            status="open",
                            created_at=now,
                        )
                    )
                    underpaid.append(line.line_no)
        entry_ids = uow.ledger.append_many(
            claim, items, user_id=actor.user_id, now=now, batch_id=batch_id, posting_id=posting_id
        )
        if denials:
            s.flush()  # their ids, for the link to this posting
            for denial in denials:
                s.add(m.PostingDenial(posting_id=posting_id, denial_id=denial.id))
        denial_ids = [d.id for d in denials]
        final = A.status_after_posting(
            claim.status,
            ins_balance_cents=claim.ins_balance_cents,
            pat_balance_cents=claim.pat_balance_cents,
            any_paid=paying > 0,
            any_denied=bool(denial_ids),
            moved_to_next_payer=moved,
        )
        _move_status(claim, final)
        if not moved and claim.rebill and resp > L.PRIMARY:
            claim.rebill = False  # the payer it was billed on to has answered
        if moved:
            claim.rebill = True
            if sum(v[resp] for v in bal.values()) == 0:  # (bal now includes this posting)
                claim.responsibility = next_resp  # the next payer is billed now
        claim.last_activity_at = today
        if batch is not None:
            s.flush()  # the batch figures are summed in SQL
            settle_status(s, batch)
        uow.audit(
            actor,
            "claim_posted",
            "claim",
            claim.claim_number,
            patient_id=claim.patient_id,
            posting=posting_id,
            batch=batch_id,
            lines=[e.line_no for e in lines],
            paid=paying,
            entries=len(entry_ids),
            denials=denial_ids,
            underpaid=underpaid,
            status=claim.status,
        )
        uow.commit()
        return ClaimPostResult(
            claim_id=claim.id,
            claim_number=claim.claim_number,
            claim_version=claim.version,
            posting_id=posting_id,
            status=claim.status,
            ins_balance_cents=claim.ins_balance_cents,
            pat_balance_cents=claim.pat_balance_cents,
            denial_ids=tuple(denial_ids),
            underpaid_lines=tuple(underpaid),
            batch=summarize(s, [batch])[0] if batch is not None else None,
        )


def _rank_balance(s: Session, claim_id: int, rank: int) -> int:
    return sum(v[rank] for v in line_balances(s, claim_id).values())


def _net_paid(s: Session, claim_id: int) -> int:
    """Insurance payments on the claim net of their reversals (positive = money in)."""
    total = 0
    originals: dict[int, str] = {}
    rows = s.execute(
        select(
            m.LedgerEntry.id,
            m.LedgerEntry.kind,
            m.LedgerEntry.amount_cents,
            m.LedgerEntry.reverses_id,
        )
        .where(m.LedgerEntry.claim_id == claim_id)
        .order_by(m.LedgerEntry.seq)
    ).all()
    for entry_id, kind, amount, reverses in rows:
        originals[entry_id] = kind
        if kind == L.EntryKind.INSURANCE_PAYMENT.value or (
            kind == L.EntryKind.REVERSAL.value
            and originals.get(reverses) == L.EntryKind.INSURANCE_PAYMENT.value
        ):
            total -= amount
    return total


def rederive_status(s: Session, claim: m.Claim) -> None:
    """Status after money left or came back outside an EOB (reversal, refund, write-off)."""
    if claim.status in NOT_SENT:
        return
    any_denied = bool(
        s.scalar(select(exists().where(m.Denial.claim_id == claim.id, m.Denial.status == "open")))
    )
    later = sum(_rank_balance(s, claim.id, r) for r in L.PAYER_RANKS if r > claim.responsibility)
    final = A.status_after_posting(
        claim.status,
        ins_balance_cents=claim.ins_balance_cents,
        pat_balance_cents=claim.pat_balance_cents,
        any_paid=_net_paid(s, claim.id) > 0,
        any_denied=any_denied,
        moved_to_next_payer=claim.status == ClaimStatus.TRANSFERRED.value and later > 0,
    )
    _move_status(claim, final)


def reverse_posting(db: Database, actor: Actor, posting_id: str, reason: str) -> ClaimPostResult:
    """Reverse every entry of a posting, withdraw its denials and underpayment flags,
    reopen its batch and re-derive the claim status."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("a reversal needs a reason", field="reason")
    now = utcnow()
    with UnitOfWork(db) as uow:
        s = uow.session
        claim_id = s.scalar(
            select(m.LedgerEntry.claim_id).where(posting_entries_clause(posting_id)).limit(1)
        )
        denial_ids = list(
            s.scalars(
                select(m.PostingDenial.denial_id).where(m.PostingDenial.posting_id == posting_id)
            )
        )
        if claim_id is None and denial_ids:  # a posting that only opened denials
            claim_id = s.scalar(select(m.Denial.claim_id).where(m.Denial.id == denial_ids[0]))
        if claim_id is None:
            raise NotFoundError(f"posting {posting_id} does not exist")
        claim = uow.claims.get(claim_id, lock=True)
        originals = s.scalars(
            select(m.LedgerEntry)
            .where(
                posting_entries_clause(posting_id),
                m.LedgerEntry.kind != L.EntryKind.REVERSAL.value,
            )
            .order_by(m.LedgerEntry.seq)
        ).all()
        if not originals and not denial_ids:
            raise ValidationError("that posting is itself a reversal; post the EOB again")
        already = bool(
            s.scalar(
                select(func.count()).where(m.LedgerEntry.reverses_id.in_([o.id for o in originals]))
            )
        ) or (
            not originals
            and not s.scalar(
                select(func.count()).where(
                    m.Denial.id.in_(denial_ids), m.Denial.status != "reversed"
                )
            )
        )
        if already:
            raise ValidationError(f"this posting on claim {claim.claim_number} is already reversed")
        rev_posting = uuid.uuid4().hex
        batch_ids = set()
        for original in reversed(originals):
            entry = L.Entry(
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
            uow.ledger.append(
                claim,
                line,
                L.reversal_of(entry),
                user_id=actor.user_id,
                now=now,
                batch_id=original.batch_id,
                posting_id=rev_posting,
                memo=reason[:200],
            )
            if original.batch_id is not None:
                batch_ids.add(original.batch_id)
        if denial_ids:
            s.execute(
                update(m.Denial)
                .where(m.Denial.id.in_(denial_ids), m.Denial.status == "open")
                .values(status="reversed")
            )
        s.execute(
            update(m.Underpayment)
            .where(m.Underpayment.posting_id == posting_id)
            .values(status="reversed")
        )
        s.flush()
        payer_rank = min(
            (o.responsibility for o in originals if L.is_insurance(o.responsibility)),
            default=claim.responsibility,
        )
        if claim.responsibility != payer_rank or claim.rebill:
            later = sum(_rank_balance(s, claim.id, r) for r in L.PAYER_RANKS if r > payer_rank)
            if later == 0:  # the share that went on to the next payer came back
                claim.rebill = False
                claim.responsibility = payer_rank
        rederive_status(s, claim)
        claim.last_activity_at = now.date()
        batch = None
        for bid in sorted(batch_ids):
            b = uow.batches.get(bid, lock=True)
            if b is not None:
                settle_status(s, b)  # money left it: open again unless it still balances
                batch = b
        uow.flush()
        uow.audit(
            actor,
            "posting_reversed",
            "claim",
            claim.claim_number,
            patient_id=claim.patient_id,
            posting=posting_id,
            reversal=rev_posting,
            entries=len(originals),
            denials=denial_ids,
            reason=reason[:200],
            status=claim.status,
        )
        uow.commit()
        return ClaimPostResult(
            claim_id=claim.id,
            claim_number=claim.claim_number,
            claim_version=claim.version,
            posting_id=rev_posting,
            status=claim.status,
            ins_balance_cents=claim.ins_balance_cents,
            pat_balance_cents=claim.pat_balance_cents,
            denial_ids=tuple(denial_ids),
            underpaid_lines=(),
            batch=summarize(s, [batch])[0] if batch is not None else None,
        )


def post_patient_payment(
    db: Database,
    actor: Actor,
    *,
    batch_id: int,
    claim_id: int,
    amount_cents: int,
    expected_version: int,
) -> ClaimPostResult:
    """Apply a patient's payment (from a patient batch) to the claim's patient balance,
    oldest line first."""
    if type(amount_cents) is not int:
        raise TypeError("amount_cents must be int cents")
    if amount_cents <= 0:
        raise ValidationError("a payment must be more than 0.00", field="amount")
    now = utcnow()
    with UnitOfWork(db) as uow:
        s = uow.session
        claim = uow.claims.get(claim_id, lock=True)
        if claim is None:
            raise NotFoundError(f"claim id {claim_id} does not exist")
        if claim.version != expected_version:
            raise ConflictError(f"Claim {claim.claim_number}")
        batch = _locked_batch(uow, batch_id)
        if batch.patient_id is None:
            raise ValidationError(
                f"payment batch {batch.trace_number} is a payer's; post the EOB instead",
                field="batch",
            )
        if batch.patient_id != claim.patient_id:
            raise ValidationError(
                f"payment batch {batch.trace_number} is another patient's payment",
                field="batch",
            )
        if amount_cents > claim.pat_balance_cents:
            raise ValidationError(
                f"{Money(amount_cents).format(True)} is more than the patient owes on claim "
                f"{claim.claim_number} ({Money(claim.pat_balance_cents).format(True)})",
                field="amount",
            )
        _check_room(s, batch, amount_cents)
        posting_id = uuid.uuid4().hex
        left = amount_cents
        for line in uow.claims.lines(claim.id):
            if left == 0:
                break
            take = min(left, line.pat_balance_cents)
            if take <= 0:
                continue
            uow.ledger.append(
                claim,
                line,
                L.patient_payment(take),
                user_id=actor.user_id,
                now=now,
                batch_id=batch.id,
                posting_id=posting_id,
            )
            left -= take
        if left:  # the claim-level patient balance sits on no line: post it to the claim
            uow.ledger.append(
                claim,
                None,
                L.patient_payment(left),
                user_id=actor.user_id,
                now=now,
                batch_id=batch.id,
                posting_id=posting_id,
            )
        if claim.ins_balance_cents + claim.pat_balance_cents == 0:
            _move_status(claim, ClaimStatus.CLOSED.value)
        claim.last_activity_at = now.date()
        s.flush()
        settle_status(s, batch)
        uow.flush()
        uow.audit(
            actor,
            "patient_payment_posted",
            "claim",
            claim.claim_number,
            patient_id=claim.patient_id,
            posting=posting_id,
            batch=batch.id,
            amount=amount_cents,
            status=claim.status,
        )
        uow.commit()
        return ClaimPostResult(
            claim_id=claim.id,
            claim_number=claim.claim_number,
            claim_version=claim.version,
            posting_id=posting_id,
            status=claim.status,
            ins_balance_cents=claim.ins_balance_cents,
            pat_balance_cents=claim.pat_balance_cents,
            denial_ids=(),
            underpaid_lines=(),
            batch=summarize(s, [batch])[0],
        )


def underpayments(db: Database, *, limit: int = 200) -> list[UnderpaymentRow]:
    """Open underpayment flags, biggest variance first (the "Underpaid" list)."""
    with UnitOfWork(db, write=False) as uow:
        rows = uow.session.execute(
            select(
                m.Claim.id,
                m.Claim.claim_number,
                m.Patient.id,
                m.Patient.last_name,
                m.Patient.first_name,
                m.Payer.name,
                m.ClaimLine.line_no,
                m.ClaimLine.procedure_code,
                m.Underpayment.allowed_cents,
                m.Underpayment.contracted_cents,
                m.Underpayment.variance_cents,
                m.Underpayment.created_at,
            )
            .join(m.Claim, m.Claim.id == m.Underpayment.claim_id)
            .join(m.Patient, m.Patient.id == m.Claim.patient_id)
            .join(m.ClaimLine, m.ClaimLine.id == m.Underpayment.claim_line_id)
            .outerjoin(m.Payer, m.Payer.id == m.Underpayment.payer_id)
            .where(m.Underpayment.status == "open")
            .order_by(m.Underpayment.variance_cents.desc(), m.Underpayment.id)
            .limit(limit)
        ).all()
    return [
        UnderpaymentRow(
            claim_id=r[0],
            claim_number=r[1],
            patient_id=r[2],
            patient_name=f"{r[3]}, {r[4]}",
            payer_name=r[5] or "",
            line_no=r[6],
            procedure_code=r[7],
            allowed_cents=r[8],
            contracted_cents=r[9],
            variance_cents=r[10],
            posted_at=r[11],
        )
        for r in rows
    ]
