"""A/R aging buckets, and their date bounds so SQL can filter with BETWEEN.

Buckets count whole days from the basis date (service date or last activity) to today.
``bucket_bounds`` is the same rule expressed as date ranges; the unit tests check that
the two agree day by day, so the Python view and the SQL report cannot drift.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum


class AgingBucket(StrEnum):
    D0_30 = "0-30"
    D31_60 = "31-60"
    D61_90 = "61-90"
    D91_120 = "91-120"
    D120_PLUS = "120+"


BUCKETS: tuple[AgingBucket, ...] = tuple(AgingBucket)

# (bucket, first day, last day) in days of age; None = open-ended.
_DAY_RANGES: tuple[tuple[AgingBucket, int | None, int | None], ...] = (
    (AgingBucket.D0_30, None, 30),
    (AgingBucket.D31_60, 31, 60),
    (AgingBucket.D61_90, 61, 90),
    (AgingBucket.D91_120, 91, 120),
    (AgingBucket.D120_PLUS, 121, None),
)


class AgingBasis(StrEnum):
    SERVICE_DATE = "service_date"
    LAST_ACTIVITY = "last_activity"


def bucket_for_days(days: int) -> AgingBucket:
    """Bucket for an age in days; a future basis date (negative age) counts as current."""
    if days <= 30:
        return AgingBucket.D0_30
    if days <= 60:
        return AgingBucket.D31_60
    if days <= 90:
        return AgingBucket.D61_90
    if days <= 120:
        return AgingBucket.D91_120
    return AgingBucket.D120_PLUS


def aging_bucket(basis: dt.date, today: dt.date) -> AgingBucket:
    return bucket_for_days((today - basis).days)


def bucket_bounds(
    today: dt.date,
) -> list[tuple[AgingBucket, dt.date | None, dt.date | None]]:
    """Per bucket the inclusive basis-date range (oldest, newest); None = unbounded.

    E.g. 0-30 is (today - 30, None) and 120+ is (None, today - 121).
    """
    bounds: list[tuple[AgingBucket, dt.date | None, dt.date | None]] = []
    for bucket, first_day, last_day in _DAY_RANGES:
        oldest = None if last_day is None else today - dt.timedelta(days=last_day)
        newest = None if first_day is None else today - dt.timedelta(days=first_day)
        bounds.append((bucket, oldest, newest))
    return bounds
