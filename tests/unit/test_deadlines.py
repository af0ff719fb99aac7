"""Timely-filing and appeal deadlines."""

import datetime as dt

import pytest

from billing_tui.domain.deadlines import (
    appeal_deadline,
    days_left,
    is_at_risk,
    is_missed,
    timely_filing_deadline,
)
from billing_tui.domain.errors import ValidationError


def test_timely_filing_deadline():
    assert timely_filing_deadline(dt.date(2024, 1, 15), 90) == dt.date(2024, 4, 14)
    assert timely_filing_deadline(dt.date(2023, 12, 31), 365) == dt.date(2024, 12, 30)
    assert timely_filing_deadline(dt.date(2024, 1, 1), 0) == dt.date(2024, 1, 1)


def test_appeal_deadline():
    assert appeal_deadline(dt.date(2024, 2, 1), 60) == dt.date(2024, 4, 1)


@pytest.mark.parametrize("bad", [-1, 1.5, None])
def test_windows_must_be_whole_days(bad):
    with pytest.raises(ValidationError):
        timely_filing_deadline(dt.date(2024, 1, 1), bad)
    with pytest.raises(ValidationError):
        appeal_deadline(dt.date(2024, 1, 1), bad)


def test_days_left():
    deadline = dt.date(2024, 4, 14)
    assert days_left(deadline, dt.date(2024, 4, 4)) == 10
    assert days_left(deadline, deadline) == 0
    assert days_left(deadline, dt.date(2024, 4, 16)) == -2


@pytest.mark.parametrize(
    ("left", "risk", "missed"),
    [(31, False, False), (30, True, False), (1, True, False), (0, True, False), (-1, True, True)],
)
def test_at_risk_and_missed(left, risk, missed):
    today = dt.date(2024, 6, 1)
    deadline = today + dt.timedelta(days=left)
    assert is_at_risk(deadline, today) is risk
    assert is_missed(deadline, today) is missed


def test_custom_threshold():
    today = dt.date(2024, 6, 1)
    assert is_at_risk(today + dt.timedelta(days=7), today, threshold_days=7)
    assert not is_at_risk(today + dt.timedelta(days=8), today, threshold_days=7)
