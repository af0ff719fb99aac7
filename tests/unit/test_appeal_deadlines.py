"""Appeal levels and deadline rules (domain/appeals.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from billing_tui.domain import appeals as A
from billing_tui.domain.errors import ValidationError

DENIED = dt.date(2026, 3, 2)
D = dt.timedelta


@pytest.mark.parametrize(
    ("level", "days"),
    [(A.AppealLevel.FIRST, 120), (A.AppealLevel.SECOND, 180), (A.AppealLevel.EXTERNAL, 60)],
)
def test_medicare_windows(level, days):
    assert A.window_days(level, payer_type="medicare", payer_window_days=365) == days


def test_commercial_windows_follow_the_payer_then_four_months_external():
    assert A.window_days(1, payer_type="commercial", payer_window_days=90) == 90
    assert A.window_days(2, payer_type="commercial", payer_window_days=90) == 90
    assert A.window_days(3, payer_type="commercial", payer_window_days=90) == 120
    assert A.window_days(1, payer_type="medicaid", payer_window_days=None) == 180


def test_stored_level_windows_win_over_the_rules():
    assert (
        A.window_days(1, payer_type="medicare", payer_window_days=120, level_windows={1: 30}) == 30
    )
    assert (
        A.window_days(2, payer_type="commercial", payer_window_days=90, level_windows={1: 30}) == 90
    )
    with pytest.raises(ValidationError, match="whole number of days"):
        A.window_days(1, payer_type="commercial", payer_window_days=0)


def test_first_level_counts_from_the_denial_date():
    assert A.appeal_deadline(
        "first", denial_date=DENIED, payer_type="medicare", payer_window_days=None
    ) == DENIED + D(120)
    assert A.appeal_deadline(
        1, denial_date=DENIED, payer_type="commercial", payer_window_days=60
    ) == DENIED + D(60)


def test_later_levels_count_from_the_prior_decision():
    decided = dt.date(2026, 5, 1)
    assert A.appeal_deadline(
        "second",
        denial_date=DENIED,
        payer_type="medicare",
        payer_window_days=120,
        prior_decision_date=decided,
    ) == decided + D(180)
    assert A.appeal_deadline(
        "external",
        denial_date=DENIED,
        payer_type="medicare",
        payer_window_days=120,
        prior_decision_date=decided,
    ) == decided + D(60)
    with pytest.raises(ValidationError, match="record that appeal's outcome first"):
        A.appeal_deadline(2, denial_date=DENIED, payer_type="medicare", payer_window_days=120)
    with pytest.raises(ValidationError, match="before the denial date"):
        A.appeal_deadline(
            2,
            denial_date=DENIED,
            payer_type="medicare",
            payer_window_days=120,
            prior_decision_date=DENIED - D(1),
        )


def test_due_soon_is_seven_days_and_overdue_after_the_last_day():
    today = dt.date(2026, 11, 27)
    assert A.urgency(today + D(8), today) == "ok"
    assert A.urgency(today + D(7), today) == "due_soon"
    assert A.urgency(today, today) == "due_soon"  # the last day still counts
    assert A.urgency(today - D(1), today) == "overdue"
    assert A.urgency(None, today) == "ok"
    assert A.days_left(today - D(3), today) == -3


def test_levels_and_outcomes_parse():
    assert A.parse_level("External") is A.AppealLevel.EXTERNAL
    assert A.parse_level("2") is A.AppealLevel.SECOND
    assert A.AppealLevel.FIRST.label == "first level"
    with pytest.raises(ValidationError, match="first, second or external"):
        A.parse_level("fourth")
    with pytest.raises(ValidationError):
        A.parse_level(4)
    assert A.parse_outcome("Partial") == "partly"
    with pytest.raises(ValidationError, match="won, partly or lost"):
        A.parse_outcome("draw")
