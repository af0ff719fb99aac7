"""The work-queue priority score: which account a rep should work first.

This module is the one place the score is defined. A claim's score is the sum of four
parts, each read from a small step table below (higher = work it sooner):

    dollars at stake   |insurance balance| + |patient balance|   0 .. 400 points
    deadline           days left before the money is lost      0 .. 300 points
    age                days since the date of service          0 .. 100 points
    last touch         days since anyone last worked it        0 .. 100 points

- **Dollars** rise roughly with the logarithm of the balance: $5,000 is not a hundred
  times as urgent as $50, but it comes first. A credit balance (money owed back) counts
  by its size too: refunds have deadlines of their own.
- **Deadline** is the next date after which the payer will refuse the money: the
  timely-filing limit (service date + the payer's filing days) while the payer has not
  accepted the claim, or the appeal deadline of an open denial. It outweighs age: a
  claim with 5 days left beats an old one with months left. A missed deadline keeps a
  few points so it stays visible (to be disputed or written off), but below live ones.
- **Age** follows the aging buckets (0-30, 31-60, 61-90, 91-120, 120+).
- **Last touch** (a call note, a posting) lowers the score of an account worked in the
  last week, so a team spreads over the queue; never touched counts as long ago.

A claim with nothing owed scores 0 and any claim with a balance scores at least 1, so
``priority > 0`` means "there is work here". Scores are integers, stored on the claim
(``claims.priority``, indexed) and recomputed when its balance, status or activity
changes, and for every claim by ``billing-tui queues refresh`` (age and days-left move
with the calendar, so run it daily; a stale score only reorders, it never hides work).
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from dataclasses import dataclass

from billing_tui.domain.claim_status import ClaimStatus
from billing_tui.domain.deadlines import timely_filing_deadline

# (lower bound, points): the points of the last bound <= the value.
DOLLAR_STEPS: tuple[tuple[int, int], ...] = (
    (1, 10),  # any balance at all (cents)
    (5_000, 40),  # $50
    (10_000, 80),  # $100
    (25_000, 120),  # $250
    (50_000, 160),  # $500
    (100_000, 200),  # $1,000
    (250_000, 250),  # $2,500
    (500_000, 300),  # $5,000
    (1_000_000, 350),  # $10,000
    (2_500_000, 400),  # $25,000
)
# Days left before the deadline (negative = missed).
DEADLINE_STEPS: tuple[tuple[int, int], ...] = (
    (-(10**9), 40),  # missed: keep it visible, below live deadlines
    (0, 300),  # due within a week (0-7 days left)
    (8, 250),
    (15, 200),  # 15-30 days left: "at risk"
    (31, 100),
    (61, 50),
    (91, 0),  # more than three months left
)
AGE_STEPS: tuple[tuple[int, int], ...] = ((-(10**9), 0), (31, 25), (61, 50), (91, 75), (121, 100))
TOUCH_STEPS: tuple[tuple[int, int], ...] = ((-(10**9), 0), (7, 25), (14, 50), (30, 75), (60, 100))
NEVER_TOUCHED_POINTS = 100

MAX_SCORE = DOLLAR_STEPS[-1][1] + DEADLINE_STEPS[1][1] + AGE_STEPS[-1][1] + TOUCH_STEPS[-1][1]

# While the payer has not accepted the claim, the timely-filing limit runs.
FILING_STATUSES: frozenset[str] = frozenset(
    {
        ClaimStatus.DRAFT,
        ClaimStatus.READY,
        ClaimStatus.SUBMITTED,
        ClaimStatus.REJECTED,
        ClaimStatus.CORRECTED,
    }
)
# An adjudication that denied money can be appealed until the appeal deadline.
APPEAL_STATUSES: frozenset[str] = frozenset({ClaimStatus.DENIED, ClaimStatus.PARTIALLY_PAID})


def _steps(table: tuple[tuple[int, int], ...], value: int) -> int:
    i = bisect_right(table, (value, 10**9)) - 1
    return table[i][1] if i >= 0 else 0


def dollar_points(balance_cents: int) -> int:
    return _steps(DOLLAR_STEPS, balance_cents)


def deadline_points(days_left: int | None) -> int:
    return 0 if days_left is None else _steps(DEADLINE_STEPS, days_left)


def age_points(age_days: int) -> int:
    return _steps(AGE_STEPS, age_days)


def touch_points(days_since_touch: int | None) -> int:
    return (
        NEVER_TOUCHED_POINTS if days_since_touch is None else _steps(TOUCH_STEPS, days_since_touch)
    )


def priority_score(
    balance_cents: int, days_left: int | None, age_days: int, days_since_touch: int | None
) -> int:
    """The score from its four inputs; 0 when nothing is owed (``balance_cents`` 0)."""
    stake = abs(balance_cents)
    if stake == 0:
        return 0
    return (
        dollar_points(stake)
        + deadline_points(days_left)
        + age_points(age_days)
        + touch_points(days_since_touch)
    )


def next_deadline(
    status: str,
    service_date: dt.date,
    filing_days: int | None,
    appeal_due: dt.date | None,
) -> dt.date | None:
    """The date after which money is lost, if one is running for a claim in ``status``.

    ``filing_days`` is the payer's timely-filing window (None for self-pay);
    ``appeal_due`` the earliest appeal deadline among the claim's open denials.
    """
    if status in FILING_STATUSES and filing_days is not None:
        return timely_filing_deadline(service_date, filing_days)
    if status in APPEAL_STATUSES and appeal_due is not None:
        return appeal_due
    return None


@dataclass(frozen=True, slots=True)
class WorkFields:
    """What the queues store on a claim: its score and the deadline that drove it."""

    priority: int
    deadline: dt.date | None


def claim_work_fields(
    *,
    status: str,
    service_date: dt.date,
    ins_balance_cents: int,
    pat_balance_cents: int,
    last_activity: dt.date | None,
    filing_days: int | None,
    appeal_due: dt.date | None,
    today: dt.date,
) -> WorkFields:
    """Score and deadline of one claim as of ``today`` (the stored columns' recipe).
    Nothing owed: score 0 and no deadline (there is no money left to lose)."""
    stake = abs(ins_balance_cents) + abs(pat_balance_cents)
    if stake == 0:
        return WorkFields(0, None)
    deadline = next_deadline(status, service_date, filing_days, appeal_due)
    score = priority_score(
        stake,
        None if deadline is None else (deadline - today).days,
        (today - service_date).days,
        None if last_activity is None else (today - last_activity).days,
    )
    return WorkFields(score, deadline)
