"""Who is acting: roles, approval limits, and the log-in lock-out rule."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    REP = "rep"
    SENIOR = "senior"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


# Seed approval limits in cents (None = unlimited): write-offs and adjustments
# above the actor's limit become approval requests.
DEFAULT_LIMITS: dict[Role, int | None] = {
    Role.REP: 5_000,
    Role.SENIOR: 50_000,
    Role.SUPERVISOR: 500_000,
    Role.ADMIN: None,
}

MAX_FAILED_LOGINS = 5
LOCKOUT = dt.timedelta(minutes=15)


@dataclass(frozen=True, slots=True)
class Actor:
    """The logged-in user every service receives; plain data, safe to pass to screens."""

    user_id: int
    username: str
    display_name: str
    role: Role
    approval_limit_cents: int | None

    def can_approve(self, cents: int) -> bool:
        return self.approval_limit_cents is None or abs(cents) <= self.approval_limit_cents

    @property
    def is_supervisor(self) -> bool:
        return self.role in (Role.SUPERVISOR, Role.ADMIN)


def lockout_after_failure(failed_logins: int, now: dt.datetime) -> dt.datetime | None:
    """After the 5th consecutive failure the account locks for 15 minutes."""
    return now + LOCKOUT if failed_logins >= MAX_FAILED_LOGINS else None
