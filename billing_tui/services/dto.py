"""Plain results services hand to screens and the CLI (never live ORM objects)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class AgingRow:
    bucket: str  # "0-30" ... "120+"
    insurance_cents: int
    insurance_claims: int
    patient_cents: int
    patient_claims: int


@dataclass(frozen=True, slots=True)
class AgingReport:
    as_of: dt.date
    basis: str  # service_date / last_activity
    rows: list[AgingRow]

    @property
    def insurance_total_cents(self) -> int:
        return sum(r.insurance_cents for r in self.rows)

    @property
    def patient_total_cents(self) -> int:
        return sum(r.patient_cents for r in self.rows)


@dataclass(frozen=True, slots=True)
class FollowUpRow:
    claim_id: int
    claim_number: str
    patient_id: int
    patient_name: str
    payer_name: str
    follow_up_date: dt.date
    balance_cents: int
    status: str


@dataclass(frozen=True, slots=True)
class RecentAccount:
    patient_id: int
    account_no: str
    patient_name: str
    viewed_at: dt.datetime


@dataclass(frozen=True, slots=True)
class HomeSummary:
    user_display_name: str
    role: str
    aging: AgingReport
    follow_ups_due: int
    follow_ups: list[FollowUpRow]
    recent_accounts: list[RecentAccount] = field(default_factory=list)
