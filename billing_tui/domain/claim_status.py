"""The claim status machine: which status a claim may move to next, and why not.

    from            -> allowed next
    draft           -> ready, void
    ready           -> draft, submitted, void
    submitted       -> accepted, rejected, paid, partially_paid, denied
    accepted        -> paid, partially_paid, denied, rejected
    rejected        -> draft, ready, corrected, void
    paid            -> paid, partially_paid, denied, corrected, transferred, closed
    partially_paid  -> paid, partially_paid, denied, appealed, corrected, transferred, closed
    denied          -> paid, partially_paid, denied, appealed, corrected, transferred, closed
    appealed        -> paid, partially_paid, denied, closed
    corrected       -> submitted, ready, closed
    transferred     -> submitted, paid, partially_paid, denied, closed
    closed          -> paid, partially_paid, denied
    void            -> (nothing: terminal)

Why: an adjudicated claim (paid / partially paid / denied) can be re-adjudicated by a
later 835, including into the same status (a reversal and repayment leaves it paid).
Appeals start from a denial or a partial payment; corrected claims from a rejection or
any adjudication. Transferred means the balance moved to the secondary payer or the
patient; secondary billing submits it again. "closed" means a zero balance (the service
checks the balance before closing) and reopens when a later reversal or refund brings
a balance back. Void is final: a voided claim is replaced, never revived.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType

from billing_tui.domain.errors import IllegalTransition, ValidationError


class ClaimStatus(StrEnum):
    DRAFT = "draft"
    READY = "ready"
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    PAID = "paid"
    PARTIALLY_PAID = "partially_paid"
    DENIED = "denied"
    APPEALED = "appealed"
    CORRECTED = "corrected"  # corrected / resubmitted
    TRANSFERRED = "transferred"  # to the secondary payer or the patient
    CLOSED = "closed"  # zero balance
    VOID = "void"

    @property
    def label(self) -> str:
        """Human wording for messages and screens: "partially paid"."""
        return self.value.replace("_", " ")


S = ClaimStatus

ADJUDICATED: frozenset[ClaimStatus] = frozenset({S.PAID, S.PARTIALLY_PAID, S.DENIED})
OPEN_STATUSES: frozenset[ClaimStatus] = frozenset(set(S) - {S.CLOSED, S.VOID})

TRANSITIONS: Mapping[ClaimStatus, frozenset[ClaimStatus]] = MappingProxyType(
    {
        S.DRAFT: frozenset({S.READY, S.VOID}),
        S.READY: frozenset({S.DRAFT, S.SUBMITTED, S.VOID}),
        S.SUBMITTED: frozenset({S.ACCEPTED, S.REJECTED, *ADJUDICATED}),
        S.ACCEPTED: frozenset({*ADJUDICATED, S.REJECTED}),
        S.REJECTED: frozenset({S.DRAFT, S.READY, S.CORRECTED, S.VOID}),
        S.PAID: frozenset({*ADJUDICATED, S.CORRECTED, S.TRANSFERRED, S.CLOSED}),
        S.PARTIALLY_PAID: frozenset(
            {*ADJUDICATED, S.APPEALED, S.CORRECTED, S.TRANSFERRED, S.CLOSED}
        ),
        S.DENIED: frozenset({*ADJUDICATED, S.APPEALED, S.CORRECTED, S.TRANSFERRED, S.CLOSED}),
        S.APPEALED: frozenset({*ADJUDICATED, S.CLOSED}),
        S.CORRECTED: frozenset({S.SUBMITTED, S.READY, S.CLOSED}),
        S.TRANSFERRED: frozenset({S.SUBMITTED, *ADJUDICATED, S.CLOSED}),
        S.CLOSED: frozenset(ADJUDICATED),
        S.VOID: frozenset(),
    }
)


def _status(value: object) -> ClaimStatus:
    # Statuses arrive from the database as plain strings.
    try:
        return ClaimStatus(value)
    except ValueError:
        raise ValidationError(f"{value!r} is not a claim status", field="status") from None


def can_transition(a: ClaimStatus | str, b: ClaimStatus | str) -> bool:
    return _status(b) in TRANSITIONS[_status(a)]


def allowed_next(a: ClaimStatus | str) -> list[ClaimStatus]:
    """Allowed next statuses in workflow order (the enum's order), for menus and messages."""
    nxt = TRANSITIONS[_status(a)]
    return [s for s in ClaimStatus if s in nxt]


def transition(a: ClaimStatus | str, b: ClaimStatus | str) -> ClaimStatus:
    """Return the new status ``b``, or raise IllegalTransition saying what is allowed."""
    src, dst = _status(a), _status(b)
    if dst not in TRANSITIONS[src]:
        options = ", ".join(s.label for s in allowed_next(src)) or "nothing (it is final)"
        raise IllegalTransition(
            f"A claim that is {src.label} cannot become {dst.label}. "
            f"From {src.label} it can become: {options}."
        )
    return dst


def status_after_adjudication(paid_cents: int, billed_cents: int, denied: bool) -> ClaimStatus:
    """Status an 835 claim payment leaves the claim in.

    Paid in full -> PAID. Denied (``denied``: the payer denied the claim or some of its
    lines) -> DENIED when nothing was paid, PARTIALLY_PAID when something was. Not denied
    -> PAID even when less than billed or zero: contractual reductions and deductible or
    coinsurance moved to the patient are a processed claim, not a partial one (DESIGN
    example 2: zero paid is not always a denial).
    """
    if type(paid_cents) is not int or type(billed_cents) is not int:
        raise TypeError("paid_cents and billed_cents must be int cents")
    if paid_cents < 0 or billed_cents < 0:
        raise ValidationError(
            "an adjudication cannot pay or bill a negative amount; post it as a reversal"
        )
    if paid_cents >= billed_cents and paid_cents > 0:
        return ClaimStatus.PAID
    if denied:
        return ClaimStatus.PARTIALLY_PAID if paid_cents > 0 else ClaimStatus.DENIED
    return ClaimStatus.PAID
