"""What a payer's answer on one service line does to the ledger, and the claim status after.

One set of rules for paper EOBs (typed by a rep) and 835 ERAs (DESIGN section 2):

- paid -> an insurance payment from the payer now responsible;
- CO / OA / PI / CR CAS -> adjustments carrying group code, CARC and RARC;
- PR CAS (deductible 1, coinsurance 2, copay 3, ...) -> a transfer to the next
  responsibility: the next payer rank on file, else the patient (example 4);
- denied amounts are NOT adjusted off: when nothing is paid on the line (or the whole
  claim is denied), CO/OA/PI amounts whose CARC is not contractual stay open with the
  payer and become denials (example 3). Zero paid with CO-45 + PR-1 is a processed
  claim, not a denial (example 2).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from billing_tui.domain import ledger as L
from billing_tui.domain.claim_status import TRANSITIONS, ClaimStatus
from billing_tui.domain.errors import IllegalTransition, ValidationError
from billing_tui.domain.money import Money

# CARCs that reduce what is owed under the contract or by a routine payer rule: they are
# always adjusted off, even on a zero-paid line. 97 (bundled) is left out on purpose: a
# bundling edit is worked as a denial.
CONTRACTUAL_CARCS: frozenset[str] = frozenset(
    {"45", "253", "59", "94", "131", "144", "237", "24", "23", "42", "104"}
)

# Group codes whose non-contractual amounts are denials when nothing was paid.
DENIAL_GROUPS: frozenset[str] = frozenset({"CO", "OA", "PI"})


@dataclass(frozen=True, slots=True)
class Cas:
    """One claim adjustment (CAS) amount, signed as printed: positive lowers the balance."""

    group_code: str  # CO / PR / OA / PI / CR
    carc: str
    amount_cents: int
    rarc: str | None = None

    def __post_init__(self) -> None:
        if type(self.amount_cents) is not int:
            raise TypeError(
                f"amount_cents must be int cents, not {type(self.amount_cents).__name__}"
            )
        if self.group_code not in L.GROUP_CODES:
            raise ValidationError(
                f"group code {self.group_code!r} is not one of CO, PR, OA, PI, CR",
                field="group_code",
            )
        if not self.carc or not str(self.carc).strip():
            raise ValidationError(
                f"a {self.group_code} adjustment needs a reason code (CARC)", field="carc"
            )


@dataclass(frozen=True, slots=True)
class LineAdjudication:
    """What a payer says about one service line (paper EOB or 835 SVC loop)."""

    open_cents: int  # the line's open balance with this payer (what must be explained)
    paid_cents: int
    cas: tuple[Cas, ...] = ()
    allowed_cents: int | None = None
    remarks: tuple[str, ...] = ()

    @property
    def accounted_cents(self) -> int:
        return self.paid_cents + sum(c.amount_cents for c in self.cas)

    @property
    def difference_cents(self) -> int:
        """open - paid - sum(CAS incl. PR and denied amounts); 0 means the line balances."""
        return self.open_cents - self.accounted_cents


@dataclass(frozen=True, slots=True)
class LineOutcome:
    entries: tuple[L.Entry, ...]  # in posting order: payment, adjustments, PR transfers
    denied: tuple[Cas, ...]  # CAS left open as denials
    denied_cents: int
    patient_share_cents: int  # sum of PR


def is_denial(cas: Cas, *, paid_cents: int, claim_denied: bool = False) -> bool:
    """True when this CAS amount stays open with the payer as a denial."""
    return (
        (paid_cents == 0 or claim_denied)
        and cas.group_code in DENIAL_GROUPS
        and cas.carc not in CONTRACTUAL_CARCS
        and cas.amount_cents > 0
    )


def adjudicate_line(
    adj: LineAdjudication, resp: int, next_resp: int, *, claim_denied: bool = False
) -> LineOutcome:
    """The ledger entries and denials for one line, or ValidationError if it does not balance.

    ``resp`` is the payer rank answering; ``next_resp`` who owes the patient's share next
    (``ledger.responsibility_after_transfer_target``).
    """
    if not L.is_insurance(resp):
        raise ValidationError(
            "an EOB line can only be posted for a payer rank 1-3, not the patient",
            field="paid",
        )
    if next_resp == resp:
        raise ValidationError("the patient's share must move to someone other than the payer")
    for name, value in (("open_cents", adj.open_cents), ("paid_cents", adj.paid_cents)):
        if type(value) is not int:
            raise TypeError(f"{name} must be int cents, not {type(value).__name__}")
    if adj.paid_cents < 0:
        raise ValidationError(
            f"paid {Money(adj.paid_cents)} is negative; a take-back is posted as a reversal",
            field="paid",
        )
    diff = adj.difference_cents
    if diff != 0:
        raise ValidationError(
            f"paid + adjustments + patient responsibility = {Money(adj.accounted_cents)}, "
            f"but the open balance is {Money(adj.open_cents)} (difference {Money(diff)})",
            field="paid",
        )
    payment: list[L.Entry] = []
    adjustments: list[L.Entry] = []
    transfers: list[L.Entry] = []
    denied: list[Cas] = []
    if adj.paid_cents:
        payment.append(L.insurance_payment(adj.paid_cents, resp))
    for cas in adj.cas:
        if cas.amount_cents == 0:
            continue  # 835s carry 0.00 CAS amounts; they change nothing
        if cas.group_code == "PR":
            if cas.amount_cents > 0:
                transfers.append(
                    L.transfer(cas.amount_cents, resp, next_resp, group_code="PR", carc=cas.carc)
                )
            else:  # a negative PR hands the share back to the payer
                transfers.append(
                    L.transfer(-cas.amount_cents, next_resp, resp, group_code="PR", carc=cas.carc)
                )
        elif is_denial(cas, paid_cents=adj.paid_cents, claim_denied=claim_denied):
            denied.append(cas)
        else:
            adjustments.append(
                L.adjustment(cas.amount_cents, cas.group_code, cas.carc, cas.rarc, resp)
            )
    return LineOutcome(
        entries=(*payment, *adjustments, *transfers),
        denied=tuple(denied),
        denied_cents=sum(c.amount_cents for c in denied),
        patient_share_cents=sum(c.amount_cents for c in adj.cas if c.group_code == "PR"),
    )


def status_after_posting(
    current: str,
    *,
    ins_balance_cents: int,
    pat_balance_cents: int,
    any_paid: bool,
    any_denied: bool,
    moved_to_next_payer: bool,
) -> str:
    """The claim status a posting leaves (reach it with ``status_path``).

    Zero balance -> closed; patient share moved to a next payer -> transferred (secondary
    billing); a denial with nothing paid -> denied; paid but insurance money or a denial
    still open -> partially paid; otherwise paid (a patient balance alone is patient AR on
    a paid claim, DESIGN example 2). With nothing paid, no denial and insurance still
    open (e.g. after a reversal), an open claim keeps its status.
    """
    cur = ClaimStatus(current)
    if ins_balance_cents + pat_balance_cents == 0:
        return ClaimStatus.CLOSED.value
    if moved_to_next_payer:
        return ClaimStatus.TRANSFERRED.value
    if any_denied and not any_paid:
        return ClaimStatus.DENIED.value
    if any_paid and (any_denied or ins_balance_cents > 0):
        return ClaimStatus.PARTIALLY_PAID.value
    if ins_balance_cents > 0 and not any_paid and not any_denied:
        # nothing adjudicated yet (or all of it reversed): an open claim stays where it is
        # (a closed or transferred claim whose money came back is adjudicated and open)
        if cur in (ClaimStatus.CLOSED, ClaimStatus.TRANSFERRED):
            return ClaimStatus.PARTIALLY_PAID.value
        return cur.value
    return ClaimStatus.PAID.value


def status_path(current: str, target: str) -> tuple[str, ...]:
    """The statuses to pass through, after ``current``, to reach ``target`` legally.

    Empty when already there. Shortest path, preferring statuses in workflow order, so
    submitted -> closed goes via paid. Raises IllegalTransition when no path exists.
    """
    src, dst = ClaimStatus(current), ClaimStatus(target)
    if src is dst:
        return ()
    seen = {src: None}
    todo = deque([src])
    while todo:
        s = todo.popleft()
        for nxt in ClaimStatus:  # enum order = workflow order
            if nxt in TRANSITIONS[s] and nxt not in seen:
                seen[nxt] = s
                if nxt is dst:
                    path = [nxt]
                    while seen[path[-1]] is not src:
                        path.append(seen[path[-1]])
                    return tuple(p.value for p in reversed(path))
                todo.append(nxt)
    raise IllegalTransition(f"A claim that is {src.label} cannot become {dst.label}.")


def underpayment_cents(
    allowed_cents: int | None, contracted_cents: int | None, units: Decimal
) -> int:
    """Contracted amount x units minus what the payer allowed; > 0 means underpaid.

    0 when either amount is unknown. ``contracted_cents`` is per unit (the fee schedule);
    the product is rounded half-up to the cent.
    """
    if allowed_cents is None or contracted_cents is None:
        return 0
    expected = contracted_cents_for(contracted_cents, units)
    return max(expected - allowed_cents, 0)


def contracted_cents_for(per_unit_cents: int, units: Decimal) -> int:
    """Fee schedule amount for ``units`` units, rounded half-up to the cent."""
    return int((Decimal(per_unit_cents) * Decimal(units)).quantize(Decimal(1), ROUND_HALF_UP))
