"""What a rep does on an open account: log a payer call, set the follow-up, change a
claim's status, move its open balance on to the next payer or the patient, mark it
for rebill.

Each function is one unit of work: it locks the claim row, checks the version the
screen loaded (``expected_version``; a stale one raises ConflictError naming the
claim), makes its change, writes its audit event and commits, or writes nothing and
raises a DomainError whose message the screen shows as is.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from enum import StrEnum

from billing_tui.db import models as m
from billing_tui.db.engine import Database
from billing_tui.db.uow import UnitOfWork, utcnow
from billing_tui.domain import ledger as L
from billing_tui.domain.call_outcomes import CallOutcome, check_follow_up, parse_outcome
from billing_tui.domain.claim_status import ClaimStatus, allowed_next, transition
from billing_tui.domain.errors import ConflictError, NotFoundError, ValidationError
from billing_tui.domain.money import Money
from billing_tui.domain.users import Actor

# Statuses with nothing left to chase: no follow-up date on them.
_FINISHED = frozenset({ClaimStatus.CLOSED, ClaimStatus.VOID})
# "transferred" is reached by moving the balance (transfer_balance), never by hand, so
# the ledger and the status always agree.
_NOT_BY_HAND = frozenset({ClaimStatus.TRANSFERRED})
# Claims that were never sent (or are finished) have nothing to rebill.
_NO_REBILL = frozenset({ClaimStatus.DRAFT, ClaimStatus.READY, *_FINISHED})

MAX_CALL_SECONDS = 24 * 3600


class TransferTarget(StrEnum):
    NEXT_PAYER = "next_payer"
    PATIENT = "patient"


@dataclass(frozen=True, slots=True)
class CallNote:
    """What the call-note form sends. ``next_follow_up`` None = the outcome's default
    (no follow-up at all on a closed or void claim)."""

    claim_id: int
    outcome: CallOutcome | str
    payer_contact: str = ""
    contact_phone: str = ""
    call_reference: str = ""
    text: str = ""
    next_follow_up: dt.date | None = None
    duration_seconds: int = 0


@dataclass(frozen=True, slots=True)
class ActionResult:
    """The claim after an action, and one line for the rep's status bar."""

    claim_id: int
    claim_number: str
    claim_version: int
    status: str
    follow_up_date: dt.date | None
    responsibility: int
    rebill: bool
    message: str
    activity_id: int | None = None
    entry_ids: tuple[int, ...] = ()
    moved_cents: int = 0


@dataclass(frozen=True, slots=True)
class ClaimState:
    """The few fields a form needs to retry after a conflict (no PHI, so no audit)."""

    claim_id: int
    claim_number: str
    version: int
    status: str
    follow_up_date: dt.date | None
    responsibility: int
    rebill: bool


def status_choices(status: str) -> list[str]:
    """The statuses a rep may pick for a claim that is ``status`` now (workflow order)."""
    return [str(s) for s in allowed_next(status) if s not in _NOT_BY_HAND]


def responsibility_label(resp: int) -> str:
    return {0: "the patient", 1: "the primary payer", 2: "the secondary payer"}.get(
        resp, "the tertiary payer"
    )


# --- helpers --------------------------------------------------------------------------


def _claim_for_update(uow: UnitOfWork, claim_id: int, expected_version: int) -> m.Claim:
    claim = uow.claims.get(claim_id, lock=True)
    if claim is None:
        raise NotFoundError(f"claim id {claim_id} does not exist")
    if claim.version != expected_version:
        raise ConflictError(f"Claim {claim.claim_number}")
    return claim


def _result(claim: m.Claim, message: str, **extra: object) -> ActionResult:
    return ActionResult(
        claim_id=claim.id,
        claim_number=claim.claim_number,
        claim_version=claim.version,
        status=claim.status,
        follow_up_date=claim.follow_up_date,
        responsibility=claim.responsibility,
        rebill=claim.rebill,
        message=message,
        **extra,  # type: ignore[arg-type]
    )


def _text(value: str, what: str, field: str, limit: int) -> str:
    value = (value or "").strip()
    if "\n" in value or "\r" in value:
        raise ValidationError(f"the {what} must be one line", field=field)
    if len(value) > limit:
        raise ValidationError(
            f"the {what} is {len(value)} characters long; at most {limit} fit", field=field
        )
    return value


def _payer_name(uow: UnitOfWork, claim: m.Claim, rank: int) -> str:
    if rank == L.PATIENT:
        return "the patient"
    for cov in uow.patients.coverages(claim.patient_id):
        if cov.rank == rank:
            payer = uow.payers.get(cov.payer_id)
            if payer is not None:
                return payer.name
    return responsibility_label(rank)


# --- call notes -----------------------------------------------------------------------


def log_call_note(
    db: Database,
    actor: Actor,
    note: CallNote,
    *,
    expected_version: int,
    today: dt.date | None = None,
) -> ActionResult:
    """Save a payer call on the claim and move the claim's follow-up to the note's date."""
    today = today or dt.date.today()
    outcome = parse_outcome(note.outcome)
    contact = _text(note.payer_contact, "payer contact name", "payer_contact", 80)
    phone = _text(note.contact_phone, "phone number", "contact_phone", 20)
    reference = _text(note.call_reference, "call reference number", "call_reference", 40)
    text = (note.text or "").strip()
    if len(text) > 4000:
        raise ValidationError(
            f"the note is {len(text):,} characters long; at most 4,000 fit", field="text"
        )
    if not contact and outcome is not CallOutcome.NO_RESPONSE:
        raise ValidationError(
            "enter the name of the payer representative you spoke with "
            "(or choose the outcome no response)",
            field="payer_contact",
        )
    if outcome is CallOutcome.OTHER and not text:
        raise ValidationError("outcome other: write in the note what the payer said", field="text")
    if type(note.duration_seconds) is not int or not 0 <= note.duration_seconds <= MAX_CALL_SECONDS:
        raise ValidationError(
            "the call duration must be between 0 seconds and 24 hours", field="duration"
        )
    if note.next_follow_up is not None:
        check_follow_up(note.next_follow_up, today)

    now = utcnow()
    with UnitOfWork(db) as uow:
        claim = _claim_for_update(uow, note.claim_id, expected_version)
        finished = ClaimStatus(claim.status) in _FINISHED
        follow_up = note.next_follow_up
        if finished and follow_up is not None:
            raise ValidationError(
                f"claim {claim.claim_number} is {ClaimStatus(claim.status).label}; "
                "leave the follow-up date empty",
                field="next_follow_up",
            )
        if follow_up is None and not finished:
            follow_up = today + dt.timedelta(days=outcome.follow_up_days)
        activity = uow.activities.add(
            m.Activity(
                patient_id=claim.patient_id,
                claim_id=claim.id,
                kind="call",
                payer_contact=contact or None,
                contact_phone=phone or None,
                call_reference=reference or None,
                outcome=str(outcome),
                text=text,
                next_follow_up=follow_up,
                duration_seconds=note.duration_seconds,
                user_id=actor.user_id,
                created_at=now,
            )
        )
        if not finished:
            claim.follow_up_date = follow_up
        claim.last_activity_at = today
        uow.flush()
        uow.audit(
            actor,
            "call_logged",
            "claim",
            claim.claim_number,
            patient_id=claim.patient_id,
            activity=activity.id,
            outcome=str(outcome),
            follow_up=follow_up,
            duration=note.duration_seconds,
        )
        uow.commit()
        when = f"; next follow-up {follow_up.isoformat()}" if follow_up else ""
        return _result(
            claim,
            f"Call note saved on {claim.claim_number} ({outcome.label}){when}.",
            activity_id=activity.id,
        )


# --- follow-up ------------------------------------------------------------------------


def set_follow_up(
    db: Database,
    actor: Actor,
    claim_id: int,
    follow_up: dt.date | None,
    *,
    expected_version: int,
    today: dt.date | None = None,
) -> ActionResult:
    """Set (or with None clear) the claim's next follow-up date."""
    today = today or dt.date.today()
    if follow_up is not None:
        check_follow_up(follow_up, today)
    with UnitOfWork(db) as uow:
        claim = _claim_for_update(uow, claim_id, expected_version)
        if follow_up is not None and ClaimStatus(claim.status) in _FINISHED:
            raise ValidationError(
                f"claim {claim.claim_number} is {ClaimStatus(claim.status).label}; "
                "it needs no follow-up",
                field="next_follow_up",
            )
        before = claim.follow_up_date
        claim.follow_up_date = follow_up
        uow.flush()
        uow.audit(
            actor,
            "follow_up_set",
            "claim",
            claim.claim_number,
            patient_id=claim.patient_id,
            before=before,
            after=follow_up,
        )
        uow.commit()
        what = f"set to {follow_up.isoformat()}" if follow_up else "cleared"
        return _result(claim, f"Follow-up on {claim.claim_number} {what}.")


# --- status ---------------------------------------------------------------------------


def change_status(
    db: Database,
    actor: Actor,
    claim_id: int,
    new_status: ClaimStatus | str,
    *,
    expected_version: int,
    today: dt.date | None = None,
) -> ActionResult:
    """Move the claim along the status machine; closing needs a zero balance and clears
    the follow-up."""
    today = today or dt.date.today()
    with UnitOfWork(db) as uow:
        claim = _claim_for_update(uow, claim_id, expected_version)
        before = ClaimStatus(claim.status)
        after = transition(before, new_status)
        if after in _NOT_BY_HAND:
            raise ValidationError(
                f"claim {claim.claim_number}: a claim becomes transferred when its balance "
                "is transferred to the next payer or the patient; do that instead",
                field="status",
            )
        if after is ClaimStatus.CLOSED:
            ins, pat = claim.ins_balance_cents, claim.pat_balance_cents
            if ins or pat:
                raise ValidationError(
                    f"claim {claim.claim_number} still has a balance of {Money(ins + pat)} "
                    f"(insurance {Money(ins)}, patient {Money(pat)}); "
                    "only a zero balance can be closed",
                    field="status",
                )
        claim.status = str(after)
        if after in _FINISHED:
            claim.follow_up_date = None
        claim.last_activity_at = today
        uow.flush()
        uow.audit(
            actor,
            "status_changed",
            "claim",
            claim.claim_number,
            patient_id=claim.patient_id,
            before=str(before),
            after=str(after),
        )
        uow.commit()
        return _result(claim, f"Claim {claim.claim_number} is now {after.label}.")


# --- transfer of responsibility ---------------------------------------------------------


def _open_by_line(
    entries: list[m.LedgerEntry],
) -> dict[int | None, L.Balance]:
    by_line: dict[int | None, list[L.Entry]] = {}
    for e in entries:
        by_line.setdefault(e.claim_line_id, []).append(
            L.Entry(
                kind=L.EntryKind(e.kind),
                responsibility=e.responsibility,
                amount_cents=e.amount_cents,
                to_responsibility=e.to_responsibility,
                group_code=e.group_code,
                carc=e.carc,
                rarc=e.rarc,
            )
        )
    return {line_id: L.balance(es) for line_id, es in by_line.items()}


def transfer_balance(
    db: Database,
    actor: Actor,
    claim_id: int,
    to: TransferTarget | str,
    *,
    expected_version: int,
    today: dt.date | None = None,
) -> ActionResult:
    """Move what is open with the payer now responsible to the next payer (coverage rank)
    or to the patient: one TRANSFER ledger entry per line with an open balance there;
    the claim's responsibility moves on and its status becomes transferred."""
    today = today or dt.date.today()
    try:
        target_kind = TransferTarget(to)
    except ValueError:
        raise ValidationError(
            f"transfer to {to!r}? choose the next payer or the patient", field="to"
        ) from None
    now = utcnow()
    with UnitOfWork(db) as uow:
        claim = _claim_for_update(uow, claim_id, expected_version)
        current = claim.responsibility
        number = claim.claim_number
        if current == L.PATIENT:
            raise ValidationError(
                f"claim {number} is already billed to the patient; there is no one to move "
                "the balance to"
            )
        current_name = _payer_name(uow, claim, current)
        if target_kind is TransferTarget.PATIENT:
            target = L.PATIENT
        else:
            ranks = [c.rank for c in uow.patients.coverages(claim.patient_id)]
            target = L.responsibility_after_transfer_target(ranks, current)
            if target == L.PATIENT:
                raise ValidationError(
                    f"the patient has no payer after {current_name} on file; "
                    f"transfer claim {number} to the patient instead"
                )
        status = ClaimStatus(claim.status)
        if status is not ClaimStatus.TRANSFERRED:
            transition(status, ClaimStatus.TRANSFERRED)
        target_name = _payer_name(uow, claim, target)
        lines = {ln.id: ln for ln in uow.claims.lines(claim.id)}
        open_by_line = _open_by_line(list(uow.ledger.for_claim(claim.id)))
        moves = [
            (line_id, bal.for_resp(current))
            for line_id, bal in sorted(open_by_line.items(), key=lambda kv: (kv[0] is None, kv[0]))
            if bal.for_resp(current) > 0
        ]
        waiting_at_target = sum(max(0, b.for_resp(target)) for b in open_by_line.values())
        if not moves and not waiting_at_target:
            raise ValidationError(
                f"nothing is open with {current_name} on claim {number}; nothing to transfer"
            )
        posting_id = uuid.uuid4().hex
        memo = f"transfer to {target_name}"[:200]
        rows = [
            uow.ledger.append(
                claim,
                lines.get(line_id) if line_id is not None else None,
                L.transfer(cents, current, target),
                user_id=actor.user_id,
                now=now,
                posting_id=posting_id,
                memo=memo,
            )
            for line_id, cents in moves
        ]
        moved = sum(cents for _, cents in moves)
        claim.responsibility = target
        claim.status = str(ClaimStatus.TRANSFERRED)
        claim.last_activity_at = today
        uow.flush()
        uow.audit(
            actor,
            "balance_transferred",
            "claim",
            number,
            patient_id=claim.patient_id,
            from_resp=current,
            to_resp=target,
            amount=moved,
            entries=[r.id for r in rows],
        )
        uow.commit()
        return _result(
            claim,
            f"Moved {Money(moved)} on {number} from {current_name} to {target_name}.",
            entry_ids=tuple(r.id for r in rows),
            moved_cents=moved,
        )


# --- rebill ---------------------------------------------------------------------------


def mark_for_rebill(
    db: Database,
    actor: Actor,
    claim_id: int,
    *,
    expected_version: int,
    rebill: bool = True,
    reason: str = "",
    today: dt.date | None = None,
) -> ActionResult:
    """Flag a sent claim to go out again as is in the next claim batch (``rebill=False``
    takes the flag off again)."""
    today = today or dt.date.today()
    reason = _text(reason, "reason", "reason", 200)
    with UnitOfWork(db) as uow:
        claim = _claim_for_update(uow, claim_id, expected_version)
        number = claim.claim_number
        status = ClaimStatus(claim.status)
        if rebill:
            if claim.rebill:
                raise ValidationError(f"claim {number} is already marked for rebill")
            if status in _NO_REBILL:
                why = (
                    "has not been sent yet; it goes out with the next batch"
                    if status in (ClaimStatus.DRAFT, ClaimStatus.READY)
                    else f"is {status.label}; there is nothing to rebill"
                )
                raise ValidationError(f"claim {number} {why}")
        elif not claim.rebill:
            raise ValidationError(f"claim {number} is not marked for rebill")
        claim.rebill = rebill
        claim.last_activity_at = today
        uow.flush()
        uow.audit(
            actor,
            "rebill_marked" if rebill else "rebill_cleared",
            "claim",
            number,
            patient_id=claim.patient_id,
            reason=reason,
        )
        uow.commit()
        what = "marked for rebill" if rebill else "no longer marked for rebill"
        return _result(claim, f"Claim {number} {what}.")


# --- read -----------------------------------------------------------------------------


def claim_state(db: Database, claim_id: int) -> ClaimState:
    """The claim's current version and status (for a form retrying after a conflict)."""
    with UnitOfWork(db, write=False) as uow:
        claim = uow.claims.get(claim_id)
        if claim is None:
            raise NotFoundError(f"claim id {claim_id} does not exist")
        return ClaimState(
            claim_id=claim.id,
            claim_number=claim.claim_number,
            version=claim.version,
            status=claim.status,
            follow_up_date=claim.follow_up_date,
            responsibility=claim.responsibility,
            rebill=claim.rebill,
        )
