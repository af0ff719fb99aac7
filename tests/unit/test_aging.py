"""Aging buckets, and the SQL date bounds that must agree with them day by day."""

import datetime as dt

import pytest

from billing_tui.domain.aging import (
    BUCKETS,
    AgingBasis,
    AgingBucket,
    aging_bucket,
    bucket_bounds,
    bucket_for_days,
)

TODAY = dt.date(2024, 3, 1)  # after a leap day, to catch calendar arithmetic slips


@pytest.mark.parametrize(
    ("days", "bucket"),
    [
        (-3, AgingBucket.D0_30),
        (0, AgingBucket.D0_30),
        (30, AgingBucket.D0_30),
        (31, AgingBucket.D31_60),
        (60, AgingBucket.D31_60),
        (61, AgingBucket.D61_90),
        (90, AgingBucket.D61_90),
        (91, AgingBucket.D91_120),
        (120, AgingBucket.D91_120),
        (121, AgingBucket.D120_PLUS),
        (5000, AgingBucket.D120_PLUS),
    ],
)
def test_bucket_for_days(days, bucket):
    assert bucket_for_days(days) is bucket
    assert aging_bucket(TODAY - dt.timedelta(days=days), TODAY) is bucket


def test_bucket_order_and_labels():
    assert [b.value for b in BUCKETS] == ["0-30", "31-60", "61-90", "91-120", "120+"]
    assert [b for b, _, _ in bucket_bounds(TODAY)] == list(BUCKETS)


def test_bounds_examples():
    bounds = {b: (lo, hi) for b, lo, hi in bucket_bounds(TODAY)}
    assert bounds[AgingBucket.D0_30] == (TODAY - dt.timedelta(days=30), None)
    assert bounds[AgingBucket.D31_60] == (
        TODAY - dt.timedelta(days=60),
        TODAY - dt.timedelta(days=31),
    )
    assert bounds[AgingBucket.D120_PLUS] == (None, TODAY - dt.timedelta(days=121))


def _in(basis, lo, hi):
    return (lo is None or basis >= lo) and (hi is None or basis <= hi)


@pytest.mark.parametrize("today", [TODAY, dt.date(2023, 12, 31), dt.date(2025, 1, 1)])
def test_bounds_agree_with_aging_bucket(today):
    bounds = bucket_bounds(today)
    for offset in range(-5, 401):
        basis = today - dt.timedelta(days=offset)
        matching = [b for b, lo, hi in bounds if _in(basis, lo, hi)]
        assert matching == [aging_bucket(basis, today)], offset


def test_basis_values():
    assert AgingBasis("service_date") is AgingBasis.SERVICE_DATE
    assert AgingBasis.LAST_ACTIVITY == "last_activity"
