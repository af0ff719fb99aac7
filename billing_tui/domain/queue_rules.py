"""A work queue's rule: a structured filter over claims, stored as JSON, never as SQL.

A queue only ever lists claims with money on them (a non-zero insurance or patient
balance): a closed claim has no work left. On top of that every field set below must
hold (fields left empty do not filter):

    payer_ids / payer_types   the claim's current payer
    balance_kind, min/max     which balance (total, insurance, patient) and its range
    age_basis, min/max days   age by date of service, last activity or submission
    statuses                  claim statuses
    denial_categories         an open denial of one of these categories
    follow_up_due             the follow-up date is today or earlier
    deadline_within_days      the filing/appeal deadline is this close (or missed)
    owner                     any / mine (the rep looking) / unassigned / one user

The sort is separate (``QueueSort``): a column of the queue table and a direction,
priority first by default. ``validate`` returns messages a supervisor can act on.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields, replace
from enum import StrEnum

from billing_tui.domain.claim_status import ClaimStatus
from billing_tui.domain.errors import ValidationError
from billing_tui.domain.reason_codes import CATEGORIES as REASON_CATEGORIES
from billing_tui.domain.reason_codes import LEGACY_CATEGORIES

PAYER_TYPES: tuple[str, ...] = ("commercial", "medicare", "medicaid", "self_pay", "other")
# The reason-code table owns the categories; stored rules naming a retired one
# ("missing_info") read as its successor (see from_dict).
DENIAL_CATEGORIES: tuple[str, ...] = REASON_CATEGORIES
MAX_AGE_DAYS = 36_500
MAX_DEADLINE_DAYS = 3_650


class BalanceKind(StrEnum):
    TOTAL = "total"
    INSURANCE = "insurance"
    PATIENT = "patient"


class AgeBasis(StrEnum):
    SERVICE_DATE = "service_date"
    LAST_ACTIVITY = "last_activity"  # falls back to the date of service when never worked
    SUBMITTED = "submitted"  # claims never submitted have no age on this basis


class OwnerFilter(StrEnum):
    ANY = "any"
    MINE = "mine"
    UNASSIGNED = "unassigned"
    USER = "user"


class SortColumn(StrEnum):
    """The queue table's columns a queue can be sorted by."""

    PRIORITY = "priority"
    PATIENT = "patient"
    CLAIM = "claim"
    PAYER = "payer"
    DOS = "dos"
    BILLED = "billed"
    BALANCE = "balance"
    AGE = "age"
    LAST_NOTE = "last_note"
    FOLLOW_UP = "follow_up"
    OWNER = "owner"

    @property
    def label(self) -> str:
        return SORT_LABELS[self]


SORT_LABELS: dict[SortColumn, str] = {
    SortColumn.PRIORITY: "priority",
    SortColumn.PATIENT: "patient",
    SortColumn.CLAIM: "claim",
    SortColumn.PAYER: "payer",
    SortColumn.DOS: "date of service",
    SortColumn.BILLED: "billed",
    SortColumn.BALANCE: "balance",
    SortColumn.AGE: "age",
    SortColumn.LAST_NOTE: "last note",
    SortColumn.FOLLOW_UP: "next follow-up",
    SortColumn.OWNER: "owner",
}
# The natural first direction when a rep picks a column: most urgent / largest first.
DEFAULT_DESCENDING: dict[SortColumn, bool] = {
    SortColumn.PRIORITY: True,
    SortColumn.BILLED: True,
    SortColumn.BALANCE: True,
    SortColumn.AGE: True,
}


@dataclass(frozen=True, slots=True)
class QueueSort:
    column: SortColumn = SortColumn.PRIORITY
    descending: bool = True

    def to_text(self) -> str:
        return f"{self.column.value} {'desc' if self.descending else 'asc'}"

    @classmethod
    def from_text(cls, text: str | None) -> QueueSort:
        """Parse "balance desc" (as stored in work_queues.sort); empty = priority first."""
        parts = (text or "").split()
        if not parts:
            return cls()
        try:
            column = SortColumn(parts[0])
        except ValueError:
            options = ", ".join(c.value for c in SortColumn)
            raise ValidationError(
                f"cannot sort a queue by {parts[0]!r}; choose one of: {options}", field="sort"
            ) from None
        if len(parts) > 2 or (len(parts) == 2 and parts[1] not in ("asc", "desc")):
            raise ValidationError(
                f"sort {text!r} should be a column then asc or desc, e.g. 'balance desc'",
                field="sort",
            )
        descending = (
            parts[1] == "desc" if len(parts) == 2 else DEFAULT_DESCENDING.get(column, False)
        )
        return cls(column, descending)

    def label(self) -> str:
        return f"{self.column.label} {'(highest first)' if self.descending else '(lowest first)'}"


@dataclass(frozen=True, slots=True)
class QueueRule:
    payer_ids: tuple[int, ...] = ()
    payer_types: tuple[str, ...] = ()
    balance_kind: BalanceKind = BalanceKind.TOTAL
    min_balance_cents: int | None = None
    max_balance_cents: int | None = None
    age_basis: AgeBasis = AgeBasis.SERVICE_DATE
    min_age_days: int | None = None
    max_age_days: int | None = None
    statuses: tuple[str, ...] = ()
    denial_categories: tuple[str, ...] = ()
    follow_up_due: bool = False
    deadline_within_days: int | None = None
    owner: OwnerFilter = OwnerFilter.ANY
    owner_user_id: int | None = None
    _extra: tuple[str, ...] = field(default=(), repr=False, compare=False)

    # --- validation -----------------------------------------------------------------

    def problems(self) -> list[str]:
        """Everything wrong with the rule, as sentences a supervisor can act on."""
        out: list[str] = []
        if self._extra:
            out.append(f"unknown rule fields: {', '.join(self._extra)}")
        for pid in self.payer_ids:
            if type(pid) is not int or pid <= 0:
                out.append(f"payer id {pid!r} is not a payer")
        for pt in self.payer_types:
            if pt not in PAYER_TYPES:
                out.append(f"payer type {pt!r} is unknown; use one of: {', '.join(PAYER_TYPES)}")
        for name in ("min_balance_cents", "max_balance_cents"):
            v = getattr(self, name)
            if v is not None and type(v) is not int:
                out.append("balances are whole cents")
        lo, hi = self.min_balance_cents, self.max_balance_cents
        if type(lo) is int and type(hi) is int and lo > hi:
            out.append("the lowest balance is above the highest balance")
        for name, label in (("min_age_days", "lowest age"), ("max_age_days", "highest age")):
            v = getattr(self, name)
            if v is not None and (type(v) is not int or not 0 <= v <= MAX_AGE_DAYS):
                out.append(f"the {label} must be a whole number of days from 0 to {MAX_AGE_DAYS}")
        lo_a, hi_a = self.min_age_days, self.max_age_days
        if type(lo_a) is int and type(hi_a) is int and lo_a > hi_a:
            out.append(f"the lowest age ({lo_a} days) is above the highest age ({hi_a} days)")
        known = {s.value for s in ClaimStatus}
        for st in self.statuses:
            if st not in known:
                out.append(f"claim status {st!r} is unknown")
        for cat in self.denial_categories:
            if cat not in DENIAL_CATEGORIES:
                out.append(
                    f"denial category {cat!r} is unknown; use one of: {', '.join(DENIAL_CATEGORIES)}"
                )
        d = self.deadline_within_days
        if d is not None and (type(d) is not int or not 0 <= d <= MAX_DEADLINE_DAYS):
            out.append(f"deadline days must be a whole number from 0 to {MAX_DEADLINE_DAYS}")
        if self.owner == OwnerFilter.USER and not self.owner_user_id:
            out.append("choose the user whose claims the queue lists")
        if self.owner != OwnerFilter.USER and self.owner_user_id is not None:
            out.append("an owner user is given but the owner filter is not 'user'")
        return out

    def validate(self) -> QueueRule:
        """The rule itself, or ValidationError naming the first problem."""
        problems = self.problems()
        if problems:
            raise ValidationError(f"queue rule: {problems[0]}", field="rule")
        return self

    # --- JSON round-trip ---------------------------------------------------------

    def to_dict(self) -> dict:
        """Only the fields that filter (defaults left out), JSON-ready."""
        out = {}
        for f in fields(self):
            if f.name.startswith("_"):
                continue
            v = getattr(self, f.name)
            if v == f.default:
                continue
            out[f.name] = (
                list(v) if isinstance(v, tuple) else (str(v) if isinstance(v, StrEnum) else v)
            )
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict) -> QueueRule:
        if not isinstance(data, dict):
            raise ValidationError("queue rule: expected an object of rule fields", field="rule")
        names = {f.name for f in fields(cls) if not f.name.startswith("_")}
        extra = tuple(sorted(k for k in data if k not in names))
        kw: dict = {}
        try:
            for k, v in data.items():
                if k not in names:
                    continue
                if k in ("payer_ids", "payer_types", "statuses", "denial_categories"):
                    if not isinstance(v, list | tuple):
                        raise ValidationError(f"queue rule: {k} must be a list", field="rule")
                    v = tuple(v)
                    if k == "denial_categories":
                        v = tuple(LEGACY_CATEGORIES.get(c, c) for c in v)
                elif k == "balance_kind":
                    v = BalanceKind(v)
                elif k == "age_basis":
                    v = AgeBasis(v)
                elif k == "owner":
                    v = OwnerFilter(v)
                elif k == "follow_up_due":
                    v = bool(v)
                kw[k] = v
        except ValueError as exc:
            raise ValidationError(f"queue rule: {exc}", field="rule") from None
        return cls(**kw, _extra=extra)

    @classmethod
    def from_json(cls, text: str) -> QueueRule:
        try:
            data = json.loads(text or "{}")
        except json.JSONDecodeError as exc:
            raise ValidationError(
                f"queue rule is not valid JSON: {exc.msg}", field="rule"
            ) from None
        return cls.from_dict(data)

    # --- description ---------------------------------------------------------------

    def describe(self, payer_names: dict[int, str] | None = None) -> str:
        """One line for screens: 'insurance balance; 31-60 days by date of service; ...'."""
        parts: list[str] = []
        if self.payer_types:
            parts.append("payer type " + "/".join(t.replace("_", "-") for t in self.payer_types))
        if self.payer_ids:
            names = [(payer_names or {}).get(p, f"#{p}") for p in self.payer_ids]
            parts.append("payer " + ", ".join(names))
        lo, hi = self.min_balance_cents, self.max_balance_cents
        what = f"{self.balance_kind.value} balance"
        if lo is not None and hi is not None:
            parts.append(f"{what} {_dollars(lo)} to {_dollars(hi)}")
        elif lo is not None:
            parts.append(f"{what} >= {_dollars(lo)}")
        elif hi is not None:
            parts.append(f"{what} <= {_dollars(hi)}")
        elif self.balance_kind != BalanceKind.TOTAL:
            parts.append(f"open {what}")
        basis = {
            AgeBasis.SERVICE_DATE: "since service",
            AgeBasis.LAST_ACTIVITY: "since last activity",
            AgeBasis.SUBMITTED: "since submission",
        }[self.age_basis]
        a, b = self.min_age_days, self.max_age_days
        if a is not None and b is not None:
            parts.append(f"{a}-{b} days {basis}")
        elif a is not None:
            parts.append(f"{a}+ days {basis}")
        elif b is not None:
            parts.append(f"at most {b} days {basis}")
        if self.statuses:
            parts.append("status " + "/".join(s.replace("_", " ") for s in self.statuses))
        if self.denial_categories:
            parts.append("denied: " + "/".join(c.replace("_", " ") for c in self.denial_categories))
        if self.follow_up_due:
            parts.append("follow-up due")
        if self.deadline_within_days is not None:
            parts.append(f"deadline within {self.deadline_within_days} days")
        if self.owner != OwnerFilter.ANY:
            parts.append(
                {"mine": "my claims", "unassigned": "unassigned claims"}.get(
                    self.owner.value, f"claims of user #{self.owner_user_id}"
                )
            )
        return "; ".join(parts) or "every claim with a balance"

    def with_(self, **changes) -> QueueRule:
        return replace(self, **changes)


def _dollars(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    return f"{sign}${whole:,}" + (f".{part:02d}" if part else "")


@dataclass(frozen=True, slots=True)
class SeedQueue:
    name: str
    rule: QueueRule
    sort: QueueSort = QueueSort()


# The queues every practice starts with, all in priority order (migration 0002 stores
# them; a supervisor edits or deletes them like any other).
_FILING = tuple(
    str(s)
    for s in (
        ClaimStatus.DRAFT,
        ClaimStatus.READY,
        ClaimStatus.SUBMITTED,
        ClaimStatus.REJECTED,
        ClaimStatus.CORRECTED,
    )
)


def _ins(lo: int, hi: int | None) -> QueueRule:
    return QueueRule(
        balance_kind=BalanceKind.INSURANCE, min_balance_cents=1, min_age_days=lo, max_age_days=hi
    )


SEED_QUEUES: tuple[SeedQueue, ...] = (
    SeedQueue("Follow-ups due today", QueueRule(follow_up_due=True)),
    SeedQueue("Insurance 31-60", _ins(31, 60)),
    SeedQueue("Insurance 61-90", _ins(61, 90)),
    SeedQueue("Insurance 91-120", _ins(91, 120)),
    SeedQueue("Insurance 120+", _ins(121, None)),
    SeedQueue("High dollar >= $5,000", QueueRule(min_balance_cents=500_000)),
    SeedQueue(
        "No response 30+ days",
        QueueRule(
            statuses=("submitted", "accepted"),
            age_basis=AgeBasis.SUBMITTED,
            min_age_days=30,
            balance_kind=BalanceKind.INSURANCE,
            min_balance_cents=1,
        ),
    ),
    SeedQueue(
        "Timely filing at risk",
        QueueRule(statuses=_FILING, deadline_within_days=30),
    ),
    SeedQueue(
        "Medicare",
        QueueRule(
            payer_types=("medicare",), balance_kind=BalanceKind.INSURANCE, min_balance_cents=1
        ),
    ),
    SeedQueue(
        "Medicaid",
        QueueRule(
            payer_types=("medicaid",), balance_kind=BalanceKind.INSURANCE, min_balance_cents=1
        ),
    ),
    SeedQueue("Patient balance", QueueRule(balance_kind=BalanceKind.PATIENT, min_balance_cents=1)),
)
