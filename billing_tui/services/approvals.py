"""Write-offs, adjustments and refunds under the approval matrix (DESIGN section 5).

Every request is recorded in adjustment_requests. Within the requester's approval limit
it posts at once (status "posted"); above it, it waits ("pending") for a user whose limit
covers it and who is not the requester. Posting writes ledger entries only (write_off,
adjustment or refund), re-derives the claim status, and an approved write-off on a denied
line closes that line's denials once nothing is left open ("written_off"). A denial waiting
on a write-off request (denials.request_write_off) is settled by the decision itself, in
the same transaction: approved -> written_off, denied -> open.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from billing_tui.db import models as m
from billing_tui.db.engine import Database
from billing_tui.db.uow import UnitOfWork, utcnow
from billing_tui.domain import ledger as L
from billing_tui.domain.errors import (
    NotFoundError,
    PermissionDenied,
    ValidationError,
)
from billing_tui.domain.money import Money
from billing_tui.domain.users import Actor
from billing_tui.services.eob_posting import line_balances, rederive_status

KINDS = ("write_off", "adjustment", "refund")
REFUND_TARGETS = ("payer", "patient")


@dataclass(frozen=True, slots=True)
class ApprovalOutcome:
    request_id: int
    status: str  # posted / pending / denied
    message: str


@dataclass(frozen=True, slots=True)
class ApprovalRow:
    id: int
    kind: str
    claim_id: int
    claim_number: str
    patient_name: str
    amount_cents: int
    carc: str | None
    reason: str
    requested_by: str
    requested_at: dt.datetime
    status: str


# --- the arithmetic of one request ----------------------------------------------------------


def _balances(s: Session, claim: m.Claim) -> tuple[dict[int, list[int]], list[int]]:
    """(per-line balances by responsibility, claim totals by responsibility)."""
    lines = line_balances(s, claim.id)
    totals = [0, 0, 0, 0]
    for resp, to, amount in s.execute(
        select(
            m.LedgerEntry.responsibility,
            m.LedgerEntry.to_responsibility,
            m.LedgerEntry.amount_cents,
        ).where(m.LedgerEntry.claim_id == claim.id)
    ):
        for r, delta in L.effect_pairs(resp, to, amount):
            totals[r] += delta
    return lines, totals


def _owing_resp(claim: m.Claim, owed: list[int]) -> int:
    """Who owes it when the rep did not say: the party billed now, else the first with a
    balance."""
    if owed[claim.responsibility] > 0:
        return claim.responsibility
    for r in (*L.PAYER_RANKS, L.PATIENT):
        if owed[r] > 0:
            return r
    return claim.responsibility


def _refund_resp(to: str, totals: list[int]) -> int:
    if to == "patient":
        return L.PATIENT
    ranks = [r for r in L.PAYER_RANKS if totals[r] < 0]
    return min(ranks, key=lambda r: totals[r]) if ranks else L.PRIMARY


def _plan(
    s: Session, claim: m.Claim, kind: str, amount: int, resp: int, line_id: int | None
) -> list[tuple[int | None, int]]:
    """[(claim line id or None, cents)] that the request posts, or ValidationError when the
    balance it works on is not there (a write-off above what is owed, a refund above the
    credit)."""
    lines, totals = _balances(s, claim)
    sign = -1 if kind == "refund" else 1  # refunds work on a credit (negative balance)
    if line_id is not None:
        if line_id not in lines and s.get(m.ClaimLine, line_id) is None:
            raise NotFoundError(f"claim line {line_id} does not exist")
        available = sign * lines.get(line_id, [0, 0, 0, 0])[resp]
        where = "on that line"
    else:
        available = sign * totals[resp]
        where = f"on claim {claim.claim_number}"
    who = "the patient" if resp == L.PATIENT else f"payer rank {resp}"
    if amount > available:
        what = "credit of" if kind == "refund" else "balance owed by"
        raise ValidationError(
            f"{Money(amount).format(True)} is more than the {what} {who} {where} "
            f"({Money(max(available, 0)).format(True)})",
            field="amount",
        )
    if line_id is not None:
        return [(line_id, amount)]
    plan: list[tuple[int | None, int]] = []
    left = amount
    for lid in sorted(lines):
        have = sign * lines[lid][resp]
        if left and have > 0:
            take = min(left, have)
            plan.append((lid, take))
            left -= take
    if left:
        plan.append((None, left))  # the part of the balance that sits on no line
    return plan


def _entry(req: m.AdjustmentRequest, cents: int) -> L.Entry:
    resp = req.responsibility
    if req.kind == "refund":
        return L.refund(cents, resp)
    if req.kind == "write_off":
        return L.write_off(cents, resp, req.carc)
    group = "CO" if L.is_insurance(resp) else "OA"
    return L.adjustment(cents, group, req.carc, None, resp)


def _apply(uow: UnitOfWork, actor: Actor, req: m.AdjustmentRequest, now: dt.datetime) -> None:
    """Post the request's ledger entries on the locked claim."""
    s = uow.session
    claim = uow.claims.get(req.claim_id, lock=True)
    plan = _plan(s, claim, req.kind, req.amount_cents, req.responsibility, req.claim_line_id)
    posting_id = uuid.uuid4().hex
    for line_id, cents in plan:
        line = uow.claims.line(line_id) if line_id is not None else None
        uow.ledger.append(
            claim,
            line,
            _entry(req, cents),
            user_id=actor.user_id,
            now=now,
            posting_id=posting_id,
            memo=req.reason[:200],
        )
    req.posting_id = posting_id
    s.flush()
    if req.kind == "write_off" and L.is_insurance(req.responsibility):
        lines, totals = _balances(s, claim)
        closes = []
        if sum(totals) == 0:
            closes = [m.Denial.claim_id == claim.id]
        elif (
            req.claim_line_id is not None
            and lines.get(req.claim_line_id, [0, 0, 0, 0])[req.responsibility] == 0
        ):
            closes = [m.Denial.claim_line_id == req.claim_line_id]
        if closes:
            s.execute(
                update(m.Denial)
                .where(*closes, m.Denial.status.in_(("open", "approval_pending")))
                .values(status="written_off")
            )
    rederive_status(s, claim)
    claim.last_activity_at = now.date()


def _label(kind: str) -> str:
    return kind.replace("_", "-")


def place_request(
    uow: UnitOfWork,
    actor: Actor,
    *,
    kind: str,
    claim_id: int,
    amount_cents: int,
    carc: str | None,
    reason: str,
    claim_line_id: int | None,
    resp: int | None,
    refund_to: str | None = None,
    now: dt.datetime,
) -> ApprovalOutcome:
    """Record a request in the caller's unit of work (posting it at once within the
    actor's limit) without committing, so a caller such as a denial action can change
    its own rows in the same transaction."""
    if type(amount_cents) is not int:
        raise TypeError("amount_cents must be int cents")
    if amount_cents <= 0:
        raise ValidationError(f"a {_label(kind)} must be more than 0.00", field="amount")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(f"a {_label(kind)} needs a reason", field="reason")
    carc = (carc or "").strip() or None
    if kind == "adjustment" and carc is None:
        raise ValidationError("an adjustment needs a reason code (CARC)", field="carc")
    if resp is not None and resp not in L.RESPONSIBILITIES:
        raise ValidationError(f"responsibility {resp!r} is not 0-3", field="resp")
    s = uow.session
    claim = uow.claims.get(claim_id, lock=True)
    if claim is None:
        raise NotFoundError(f"claim id {claim_id} does not exist")
    if claim_line_id is not None:
        line = uow.claims.line(claim_line_id)
        if line is None or line.claim_id != claim.id:
            raise NotFoundError(f"claim {claim.claim_number} has no line with id {claim_line_id}")
    lines, totals = _balances(s, claim)
    if kind == "refund":
        resp = _refund_resp(refund_to or "payer", totals)
    elif resp is None:
        owed = lines.get(claim_line_id, totals) if claim_line_id is not None else totals
        resp = _owing_resp(claim, owed)
    _plan(s, claim, kind, amount_cents, resp, claim_line_id)  # refuse early, clearly
    req = m.AdjustmentRequest(
        claim_id=claim.id,
        claim_line_id=claim_line_id,
        kind=kind,
        amount_cents=amount_cents,
        carc=carc,
        reason=reason[:200],
        status="pending",
        requested_by=actor.user_id,
        requested_at=now,
        responsibility=resp,
        refund_to=refund_to,
    )
    s.add(req)
    s.flush()
    at_once = actor.can_approve(amount_cents)
    if at_once:
        _apply(uow, actor, req, now)
        req.status = "posted"
        req.decided_by = actor.user_id
        req.decided_at = now
    uow.flush()
    uow.audit(
        actor,
        f"{kind}_requested",
        "claim",
        claim.claim_number,
        patient_id=claim.patient_id,
        request=req.id,
        amount=amount_cents,
        carc=carc,
        resp=resp,
        to=refund_to,
        status=req.status,
        posting=req.posting_id,
        reason=reason[:200],
    )
    money = Money(amount_cents).format(True)
    if at_once:
        msg = f"{_label(kind).capitalize()} of {money} posted to claim {claim.claim_number}"
    else:
        msg = (
            f"{_label(kind).capitalize()} of {money} is above your approval limit; "
            f"request #{req.id} waits for approval"
        )
    return ApprovalOutcome(req.id, req.status, msg)


def request_kind(
    db: Database,
    actor: Actor,
    *,
    kind: str,
    claim_id: int,
    amount_cents: int,
    carc: str | None,
    reason: str,
    claim_line_id: int | None,
    resp: int | None,
    refund_to: str | None = None,
) -> ApprovalOutcome:
    """One request in its own transaction (see place_request)."""
    with UnitOfWork(db) as uow:
        outcome = place_request(
            uow,
            actor,
            kind=kind,
            claim_id=claim_id,
            amount_cents=amount_cents,
            carc=carc,
            reason=reason,
            claim_line_id=claim_line_id,
            resp=resp,
            refund_to=refund_to,
            now=utcnow(),
        )
        uow.commit()
        return outcome


# --- use cases ----------------------------------------------------------------------------


def request_write_off(
    db: Database,
    actor: Actor,
    *,
    claim_id: int,
    amount_cents: int,
    carc: str | None,
    reason: str,
    claim_line_id: int | None = None,
    resp: int | None = None,
) -> ApprovalOutcome:
    return request_kind(
        db,
        actor,
        kind="write_off",
        claim_id=claim_id,
        amount_cents=amount_cents,
        carc=carc,
        reason=reason,
        claim_line_id=claim_line_id,
        resp=resp,
    )


def request_adjustment(
    db: Database,
    actor: Actor,
    *,
    claim_id: int,
    amount_cents: int,
    carc: str | None,
    reason: str,
    claim_line_id: int | None = None,
    resp: int | None = None,
) -> ApprovalOutcome:
    return request_kind(
        db,
        actor,
        kind="adjustment",
        claim_id=claim_id,
        amount_cents=amount_cents,
        carc=carc,
        reason=reason,
        claim_line_id=claim_line_id,
        resp=resp,
    )


def pending_requests(db: Database, *, limit: int = 200) -> list[ApprovalRow]:
    """Requests waiting for approval, oldest first."""
    with UnitOfWork(db, write=False) as uow:
        rows = uow.session.execute(
            select(
                m.AdjustmentRequest,
                m.Claim.claim_number,
                m.Patient.last_name,
                m.Patient.first_name,
                m.User.username,
            )
            .join(m.Claim, m.Claim.id == m.AdjustmentRequest.claim_id)
            .join(m.Patient, m.Patient.id == m.Claim.patient_id)
            .join(m.User, m.User.id == m.AdjustmentRequest.requested_by)
            .where(m.AdjustmentRequest.status == "pending")
            .order_by(m.AdjustmentRequest.requested_at, m.AdjustmentRequest.id)
            .limit(limit)
        ).all()
        return [
            ApprovalRow(
                id=r.id,
                kind=r.kind,
                claim_id=r.claim_id,
                claim_number=number,
                patient_name=f"{last}, {first}",
                amount_cents=r.amount_cents,
                carc=r.carc,
                reason=r.reason,
                requested_by=user,
                requested_at=r.requested_at,
                status=r.status,
            )
            for r, number, last, first, user in rows
        ]


def _pending(uow: UnitOfWork, request_id: int) -> m.AdjustmentRequest:
    req = uow.session.scalar(
        select(m.AdjustmentRequest)
        .where(m.AdjustmentRequest.id == request_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if req is None:
        raise NotFoundError(f"request #{request_id} does not exist")
    if req.status != "pending":
        raise ValidationError(f"request #{request_id} is already {req.status}")
    return req


def _waiting_denials(uow: UnitOfWork, req: m.AdjustmentRequest) -> list[m.Denial]:
    """Denials whose write-off waits on this request (read before posting, which may
    already close the line's denials)."""
    return list(
        uow.session.scalars(
            select(m.Denial).where(
                m.Denial.request_id == req.id, m.Denial.status == "approval_pending"
            )
        )
    )


def _settle_denials(
    uow: UnitOfWork,
    actor: Actor,
    req: m.AdjustmentRequest,
    claim: m.Claim,
    denials: list[m.Denial],
    now: dt.datetime,
) -> None:
    """The decision settles the denials waiting on it in the same transaction: approved
    and posted -> written_off; denied -> open again for the rep to work another way."""
    for denial in denials:
        if req.status == "denied":
            denial.status = "open"
            denial.action = "write_off_denied"
        else:
            denial.status = "written_off"
        denial.worked_at = now
        uow.audit(
            actor,
            "denial_write_off_settled",
            "claim",
            claim.claim_number,
            patient_id=claim.patient_id,
            denial=denial.id,
            request=req.id,
            request_status=req.status,
            status=denial.status,
        )


def approve_request(
    db: Database, actor: Actor, request_id: int, reason: str = ""
) -> ApprovalOutcome:
    """Approve and post a pending request (by someone else whose limit covers it)."""
    now = utcnow()
    with UnitOfWork(db) as uow:
        req = _pending(uow, request_id)
        if req.requested_by == actor.user_id:
            raise PermissionDenied("you cannot approve your own request; ask a supervisor")
        if not actor.can_approve(req.amount_cents):
            limit = Money(actor.approval_limit_cents or 0).format(True)
            raise PermissionDenied(
                f"{Money(req.amount_cents).format(True)} is above your approval limit of {limit}"
            )
        denials = _waiting_denials(uow, req)
        _apply(uow, actor, req, now)
        req.status = "approved"
        req.decided_by = actor.user_id
        req.decided_at = now
        req.decision_reason = (reason or "").strip()[:200] or None
        claim = uow.claims.get(req.claim_id)
        uow.flush()
        uow.audit(
            actor,
            "request_approved",
            "claim",
            claim.claim_number,
            patient_id=claim.patient_id,
            request=req.id,
            kind=req.kind,
            amount=req.amount_cents,
            posting=req.posting_id,
            reason=req.decision_reason,
        )
        _settle_denials(uow, actor, req, claim, denials, now)
        uow.commit()
        return ApprovalOutcome(
            req.id,
            "posted",
            f"request #{req.id} approved: {_label(req.kind)} of "
            f"{Money(req.amount_cents).format(True)} posted to claim {claim.claim_number}",
        )


def deny_request(db: Database, actor: Actor, request_id: int, reason: str) -> ApprovalOutcome:
    """Refuse a pending request; the reason is required and nothing is posted."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("a denial of a request needs a reason", field="reason")
    now = utcnow()
    with UnitOfWork(db) as uow:
        req = _pending(uow, request_id)
        if req.requested_by != actor.user_id and not actor.can_approve(req.amount_cents):
            raise PermissionDenied(
                f"{Money(req.amount_cents).format(True)} is above your approval limit"
            )
        req.status = "denied"
        req.decided_by = actor.user_id
        req.decided_at = now
        req.decision_reason = reason[:200]
        claim = uow.claims.get(req.claim_id)
        uow.audit(
            actor,
            "request_denied",
            "claim",
            claim.claim_number,
            patient_id=claim.patient_id,
            request=req.id,
            kind=req.kind,
            amount=req.amount_cents,
            reason=reason[:200],
        )
        _settle_denials(uow, actor, req, claim, _waiting_denials(uow, req), now)
        uow.commit()
        return ApprovalOutcome(req.id, "denied", f"request #{req.id} denied")
