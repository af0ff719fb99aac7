"""Ledger math: signed entries per claim line and the balances derived from them.

Sign convention (the database stores exactly these numbers): ``amount_cents`` is the
signed effect on the balance of ``responsibility``. CHARGE and REFUND raise it;
payments, adjustments and write-offs lower it (a negative CAS gives a positive
adjustment). A TRANSFER moves ``amount_cents`` out of ``responsibility`` into
``to_responsibility``. A REVERSAL copies the reversed entry with the amount negated, so
its effect is exactly the negation, whatever the original kind was. Corrections are
always new entries: nothing financial is updated or deleted.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from billing_tui.domain.errors import ValidationError

# Responsibility: who owes the open amount. Payer ranks match Coverage.rank (1/2/3).
PATIENT = 0
PRIMARY = 1
SECONDARY = 2
TERTIARY = 3
RESPONSIBILITIES = (PATIENT, PRIMARY, SECONDARY, TERTIARY)
PAYER_RANKS = (PRIMARY, SECONDARY, TERTIARY)

GROUP_CODES = frozenset({"CO", "PR", "OA", "PI", "CR"})


class EntryKind(StrEnum):
    CHARGE = "charge"
    INSURANCE_PAYMENT = "insurance_payment"
    PATIENT_PAYMENT = "patient_payment"
    ADJUSTMENT = "adjustment"
    TRANSFER = "transfer"
    REFUND = "refund"
    WRITE_OFF = "write_off"
    REVERSAL = "reversal"


ADJUDICATION_KINDS = frozenset({"insurance_payment", "adjustment"})


def is_adjudication(kind: str, group_code: str | None) -> bool:
    """True for an entry a payer's decision wrote: a payment, a CAS adjustment, or a PR
    amount moved on with its group code (a rep's manual transfer carries none). A claim's
    first such entry (or first denial) dates its adjudication for the denial-rate report."""
    return kind in ADJUDICATION_KINDS or (kind == "transfer" and group_code is not None)


def is_insurance(resp: int) -> bool:
    """True for a payer rank (1-3), False for the patient."""
    return resp in PAYER_RANKS


def _check_resp(resp: object, what: str = "responsibility") -> None:
    if type(resp) is not int or resp not in RESPONSIBILITIES:
        raise ValidationError(
            f"{what} must be 0 (patient) or a payer rank 1-3, not {resp!r}", field=what
        )


@dataclass(frozen=True, slots=True)
class Entry:
    """One ledger entry; see the module docstring for what the sign of the amount means."""

    kind: EntryKind
    responsibility: int
    amount_cents: int
    to_responsibility: int | None = None
    group_code: str | None = None
    carc: str | None = None
    rarc: str | None = None
    entry_id: int | None = None
    reverses_id: int | None = None

    def __post_init__(self) -> None:
        # Rows read back from the database carry kind as a plain str.
        if type(self.kind) is not EntryKind:
            try:
                object.__setattr__(self, "kind", EntryKind(self.kind))
            except ValueError:
                raise ValidationError(f"unknown ledger entry kind {self.kind!r}") from None
        if type(self.amount_cents) is not int:
            raise TypeError(
                f"amount_cents must be int cents, not {type(self.amount_cents).__name__}"
            )
        _check_resp(self.responsibility)
        if self.to_responsibility is not None:
            if self.kind not in (EntryKind.TRANSFER, EntryKind.REVERSAL):
                raise ValidationError(f"a {self.kind} entry cannot move responsibility")
            _check_resp(self.to_responsibility, "to_responsibility")
            if self.to_responsibility == self.responsibility:
                raise ValidationError("a transfer must move the balance to someone else")
        elif self.kind is EntryKind.TRANSFER:
            raise ValidationError("a transfer needs a responsibility to move the balance to")
        if self.group_code is not None and self.group_code not in GROUP_CODES:
            raise ValidationError(
                f"group code {self.group_code!r} is not one of CO, PR, OA, PI, CR",
                field="group_code",
            )

    @property
    def is_move(self) -> bool:
        """True when the entry moves balance between parties (total unchanged)."""
        return self.to_responsibility is not None


def _magnitude(cents: object, what: str) -> int:
    if type(cents) is not int:
        raise TypeError(f"{what} must be int cents, not {type(cents).__name__}")
    if cents <= 0:
        raise ValidationError(f"{what} must be more than 0.00", field="amount")
    return cents


def charge(cents: int, resp: int = PRIMARY) -> Entry:
    """The billed amount, owed first by ``resp`` (the primary payer, or the patient if self-pay)."""
    return Entry(EntryKind.CHARGE, resp, _magnitude(cents, "a charge"))


def insurance_payment(cents: int, resp: int = PRIMARY) -> Entry:
    if not is_insurance(resp):
        raise ValidationError("an insurance payment must be posted to a payer rank 1-3")
    return Entry(EntryKind.INSURANCE_PAYMENT, resp, -_magnitude(cents, "a payment"))


def patient_payment(cents: int) -> Entry:
    return Entry(EntryKind.PATIENT_PAYMENT, PATIENT, -_magnitude(cents, "a payment"))


def adjustment(
    cents: int,
    group_code: str,
    carc: str,
    rarc: str | None = None,
    resp: int = PRIMARY,
) -> Entry:
    """A CAS adjustment as the 835 carries it: positive lowers the balance, negative raises it.

    Zero is accepted because 835s do carry 0.00 CAS amounts; it changes no balance.
    PR amounts are not adjustments here: they are transfers to the patient.
    """
    if type(cents) is not int:
        raise TypeError(f"an adjustment must be int cents, not {type(cents).__name__}")
    if group_code is None:
        raise ValidationError("an adjustment needs a group code (CO, PR, OA, PI, CR)")
    return Entry(EntryKind.ADJUSTMENT, resp, -cents, group_code=group_code, carc=carc, rarc=rarc)


def write_off(cents: int, resp: int, carc: str | None = None) -> Entry:
    return Entry(EntryKind.WRITE_OFF, resp, -_magnitude(cents, "a write-off"), carc=carc)


def refund(cents: int, resp: int) -> Entry:
    """Money given back: it raises the balance, undoing the credit an overpayment left."""
    return Entry(EntryKind.REFUND, resp, _magnitude(cents, "a refund"))


def transfer(
    cents: int,
    from_resp: int,
    to_resp: int,
    group_code: str | None = None,
    carc: str | None = None,
) -> Entry:
    """Move ``cents`` of open balance from one party to another (e.g. PR-2 to the patient)."""
    return Entry(
        EntryKind.TRANSFER,
        from_resp,
        _magnitude(cents, "a transfer"),
        to_responsibility=to_resp,
        group_code=group_code,
        carc=carc,
    )


def reversal_of(entry: Entry) -> Entry:
    """The entry that undoes ``entry`` exactly and points at it."""
    if entry.kind is EntryKind.REVERSAL:
        raise ValidationError(
            "a reversal cannot be reversed; post the original entry again instead"
        )
    if entry.entry_id is None:
        raise ValidationError("only a saved ledger entry (with an id) can be reversed")
    return Entry(
        EntryKind.REVERSAL,
        entry.responsibility,
        -entry.amount_cents,
        to_responsibility=entry.to_responsibility,
        group_code=entry.group_code,
        carc=entry.carc,
        rarc=entry.rarc,
        reverses_id=entry.entry_id,
    )


def effect_pairs(
    responsibility: int, to_responsibility: int | None, amount_cents: int
) -> list[tuple[int, int]]:
    """The sign rule on raw stored values (hot path of `check`, no Entry built):
    (responsibility, delta) pairs, one for ordinary entries, two for a move."""
    if to_responsibility is None:
        return [(responsibility, amount_cents)]
    return [(responsibility, -amount_cents), (to_responsibility, amount_cents)]


def effects(entry: Entry) -> list[tuple[int, int]]:
    """(responsibility, delta) pairs: one for ordinary entries, two for a move."""
    return effect_pairs(entry.responsibility, entry.to_responsibility, entry.amount_cents)


@dataclass(frozen=True, slots=True)
class Balance:
    """Open balance split by responsibility: index 0 patient, 1-3 payer ranks."""

    by_responsibility: tuple[int, int, int, int] = (0, 0, 0, 0)

    def __post_init__(self) -> None:
        if len(self.by_responsibility) != 4:
            raise ValueError("Balance needs exactly 4 amounts (patient, ranks 1-3)")

    @classmethod
    def zero(cls) -> Balance:
        return cls()

    @property
    def patient_cents(self) -> int:
        return self.by_responsibility[PATIENT]

    @property
    def insurance_cents(self) -> int:
        b = self.by_responsibility
        return b[PRIMARY] + b[SECONDARY] + b[TERTIARY]

    @property
    def total_cents(self) -> int:
        return sum(self.by_responsibility)

    def for_resp(self, resp: int) -> int:
        _check_resp(resp)
        return self.by_responsibility[resp]

    def __add__(self, other: object) -> Balance:
        if type(other) is not Balance:
            return NotImplemented
        a, b = self.by_responsibility, other.by_responsibility
        return Balance((a[0] + b[0], a[1] + b[1], a[2] + b[2], a[3] + b[3]))

    def __sub__(self, other: object) -> Balance:
        if type(other) is not Balance:
            return NotImplemented
        a, b = self.by_responsibility, other.by_responsibility
        return Balance((a[0] - b[0], a[1] - b[1], a[2] - b[2], a[3] - b[3]))

    def __neg__(self) -> Balance:
        a = self.by_responsibility
        return Balance((-a[0], -a[1], -a[2], -a[3]))


def balance(entries: Iterable[Entry]) -> Balance:
    """Derive the balance from the ledger (the only source of truth for balances)."""
    acc = [0, 0, 0, 0]
    for e in entries:
        to = e.to_responsibility
        if to is None:
            acc[e.responsibility] += e.amount_cents
        else:
            acc[e.responsibility] -= e.amount_cents
            acc[to] += e.amount_cents
    return Balance((acc[0], acc[1], acc[2], acc[3]))


def totals_by_kind(entries: Iterable[Entry]) -> dict[EntryKind, int]:
    """Sum of signed ``amount_cents`` per kind (every kind present, zero when unused).

    Transfers sum the amounts moved; they change who owes, not the total.
    """
    totals = dict.fromkeys(EntryKind, 0)
    for e in entries:
        totals[e.kind] += e.amount_cents
    return totals


def check_line_identity(entries: Iterable[Entry]) -> bool:
    """Check total = charges - payments - adjustments - write-offs + refunds +/- reversals.

    Each term is the signed sum of its kind; transfers and reversals of transfers are left
    out because they net to zero in the total. The balance side goes through ``effects``,
    so this catches any drift between the posting rules and the balance math.
    """
    entries = list(entries)
    t = totals_by_kind(e for e in entries if e.to_responsibility is None)
    charges = t[EntryKind.CHARGE]
    payments = -(t[EntryKind.INSURANCE_PAYMENT] + t[EntryKind.PATIENT_PAYMENT])
    adjustments = -t[EntryKind.ADJUSTMENT]
    write_offs = -t[EntryKind.WRITE_OFF]
    refunds = t[EntryKind.REFUND]
    reversals = t[EntryKind.REVERSAL]
    expected = charges - payments - adjustments - write_offs + refunds + reversals
    total = sum(delta for e in entries for _, delta in effects(e))
    return total == expected == balance(entries).total_cents


def responsibility_after_transfer_target(ranks_available: Sequence[int], current: int) -> int:
    """Who owes next after ``current``: the next payer rank on file, else the patient.

    The patient is the end of the line, so from PATIENT the answer is PATIENT.
    """
    _check_resp(current)
    if current == PATIENT:
        return PATIENT
    later = [r for r in ranks_available if is_insurance(r) and r > current]
    return min(later) if later else PATIENT
