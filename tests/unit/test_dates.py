"""The one date parser for what reps type (follow-ups, service dates, dates of birth)."""

from __future__ import annotations

import datetime as dt

import pytest

from billing_tui.domain.dates import parse_date, parse_optional_date
from billing_tui.domain.errors import ValidationError

TODAY = dt.date(2026, 11, 27)
D = dt.date


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-01", D(2026, 12, 1)),
        ("2026-1-5", D(2026, 1, 5)),
        ("12/01/2026", D(2026, 12, 1)),
        ("12/1/2026", D(2026, 12, 1)),
        ("12/1/26", D(2026, 12, 1)),
        ("1/5/27", D(2027, 1, 5)),
        ("12-01-2026", D(2026, 12, 1)),
        ("  12/01/2026 ", D(2026, 12, 1)),
        ("+14", D(2026, 12, 11)),
        ("+ 14", D(2026, 12, 11)),
        ("+0", TODAY),
        ("-3", D(2026, 11, 24)),
        ("t", TODAY),
        ("T", TODAY),
        ("today", TODAY),
        ("t+10", D(2026, 12, 7)),
        ("T-1", D(2026, 11, 26)),
        ("2/29/2028", D(2028, 2, 29)),
    ],
)
def test_parses_the_usual_forms(text: str, expected: dt.date) -> None:
    assert parse_date(text, TODAY) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A two-digit year is the one nearest today for ordinary dates ...
        ("3/14/62", D(2062, 3, 14)),
        ("3/14/75", D(2075, 3, 14)),
        ("3/14/80", D(1980, 3, 14)),
        ("3/14/77", D(1977, 3, 14)),
        ("3/14/99", D(1999, 3, 14)),
        ("3/14/00", D(2000, 3, 14)),
    ],
)
def test_two_digit_years_nearest_today(text: str, expected: dt.date) -> None:
    assert parse_date(text, TODAY) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # ... and the latest past one for birth dates.
        ("3/14/62", D(1962, 3, 14)),
        ("03/14/1962", D(1962, 3, 14)),
        ("1962-03-14", D(1962, 3, 14)),
        ("1/1/20", D(2020, 1, 1)),
        ("11/27/26", D(2026, 11, 27)),  # born today
        ("11/28/26", D(1926, 11, 28)),  # tomorrow in 2026 is impossible: 1926
        ("12/31/99", D(1999, 12, 31)),
        ("1/1/00", D(2000, 1, 1)),
    ],
)
def test_two_digit_birth_years_are_in_the_past(text: str, expected: dt.date) -> None:
    assert parse_date(text, TODAY, birth_date=True) == expected


@pytest.mark.parametrize(
    "text",
    [
        "13/01/2026",
        "12/32/2026",
        "2/30/2026",
        "2026-02-30",
        "2027-13-01",
        "abc",
        "12/01",
        "12/01/202",
        "2026/12/01",
        "1.12.2026",
        "+",
        "++3",
        "12/01/2026x",
    ],
)
def test_rejects_what_is_not_a_date(text: str) -> None:
    with pytest.raises(ValidationError) as err:
        parse_date(text, TODAY)
    message = str(err.value)
    assert "\n" not in message and "12/01/2026" in message and "+14" in message
    assert err.value.field == "date"


def test_empty_is_an_error_but_optional_means_none() -> None:
    with pytest.raises(ValidationError, match="empty"):
        parse_date("  ", TODAY)
    assert parse_optional_date("", TODAY) is None
    assert parse_optional_date(" +2 ", TODAY) == D(2026, 11, 29)


@pytest.mark.parametrize("text", ["+14", "t", "today", "-3", "12/01/2026", "2030-01-01"])
def test_birth_dates_are_never_relative_or_in_the_future(text: str) -> None:
    with pytest.raises(ValidationError) as err:
        parse_date(text, TODAY, birth_date=True)
    assert "3/14/62" in str(err.value)  # the birth-date hint, not the follow-up one


def test_birth_date_too_long_ago() -> None:
    with pytest.raises(ValidationError, match="too long ago"):
        parse_date("1/1/1850", TODAY, birth_date=True)


def test_error_quotes_the_input() -> None:
    with pytest.raises(ValidationError, match='"13/45/2026" is not a date'):
        parse_date("13/45/2026", TODAY)
    with pytest.raises(ValidationError, match="not a day on the calendar"):
        parse_date("2/30/2026", TODAY)


def test_day_by_day_round_trip_over_two_years() -> None:
    day = D(2025, 1, 1)
    while day < D(2027, 1, 1):
        assert parse_date(day.isoformat(), TODAY) == day
        assert parse_date(f"{day.month}/{day.day}/{day.year}", TODAY) == day
        assert parse_date(f"{day.month:02d}/{day.day:02d}/{day.year % 100:02d}", TODAY) == day
        offset = (day - TODAY).days
        assert parse_date(f"+{offset}" if offset >= 0 else str(offset), TODAY) == day
        day += dt.timedelta(days=1)


def test_not_text_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        parse_date(20261201, TODAY)  # type: ignore[arg-type]
