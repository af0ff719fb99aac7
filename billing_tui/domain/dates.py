"""Dates as reps type them: 2026-12-01, 12/01/2026, 12/1/26, +14 (days from today), t.

One parser for every date field on the screens (follow-ups, dates of service, dates of
birth), so "12/1/26" means the same thing everywhere. Month comes first in slashed
dates (US billing forms). A two-digit year is read in the century that puts the date
nearest to today; with ``birth_date=True`` it is read as the latest such date that is
not in the future (3/14/62 is 1962, never 2062), and a birth date after today is refused.
"""

from __future__ import annotations

import datetime as dt
import re

from billing_tui.domain.errors import ValidationError

_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_US = re.compile(r"^(\d{1,2})[/-](\d{1,2})[/-](\d{2}|\d{4})$")
_RELATIVE = re.compile(r"^(?:t(?:oday)?)?\s*([+-])\s*(\d{1,4})$")
_TODAY = ("t", "today")

FORMATS_HINT = "12/01/2026, 12/1/26, 2026-12-01 or +14 (days from today)"
BIRTH_FORMATS_HINT = "03/14/1962, 3/14/62 or 1962-03-14"


def _fail(text: str, birth_date: bool, problem: str = "is not a date") -> ValidationError:
    hint = BIRTH_FORMATS_HINT if birth_date else FORMATS_HINT
    return ValidationError(f'"{text.strip()}" {problem}: type it as {hint}', field="date")


def two_digit_year(yy: int, month: int, day: int, today: dt.date, birth_date: bool) -> int:
    """The full year for a two-digit one (shared by date entry and the DOB look-up)."""
    century = today.year - today.year % 100
    candidates = [century - 100 + yy, century + yy, century + 100 + yy]
    if birth_date:
        # The latest reading that is not after today (a birth date is never in the future).
        past = [y for y in candidates if (y, month, day) <= (today.year, today.month, today.day)]
        return max(past)
    return min(candidates, key=lambda y: abs(y - today.year))


def parse_date(text: str, today: dt.date, *, birth_date: bool = False) -> dt.date:
    """Parse a date a rep typed; raise ValidationError (field "date") saying how to type it.

    ``today`` anchors "+14", "t", "t-3" and two-digit years. ``birth_date`` refuses
    relative dates and dates after today, and reads two-digit years as the past.
    """
    if not isinstance(text, str):
        raise TypeError(f"date text must be str, not {type(text).__name__}")
    s = text.strip().lower()
    if not s:
        raise ValidationError("the date is empty", field="date")

    if s in _TODAY or (rel := _RELATIVE.match(s)):
        if birth_date:
            raise _fail(text, birth_date, "is not a date of birth")
        if s in _TODAY:
            return today
        days = int(rel.group(2))
        try:
            return today + dt.timedelta(days=days if rel.group(1) == "+" else -days)
        except OverflowError:
            raise _fail(text, birth_date, "is too far away") from None

    if m := _ISO.match(s):
        year, month, day = int(m.group(1)), int(m.group(2)), int(m.group(3))
    elif m := _US.match(s):
        month, day = int(m.group(1)), int(m.group(2))
        year_text = m.group(3)
        if not 1 <= month <= 12 or not 1 <= day <= 31:
            raise _fail(text, birth_date)
        year = (
            two_digit_year(int(year_text), month, day, today, birth_date)
            if len(year_text) == 2
            else int(year_text)
        )
    else:
        raise _fail(text, birth_date)

    try:
        value = dt.date(year, month, day)
    except ValueError:
        raise _fail(text, birth_date, "is not a day on the calendar") from None
    if birth_date:
        if value > today:
            raise _fail(text, birth_date, "is in the future, so it cannot be a date of birth")
        if value.year < today.year - 130:
            raise _fail(text, birth_date, "is too long ago for a date of birth")
    return value


def parse_optional_date(text: str, today: dt.date, *, birth_date: bool = False) -> dt.date | None:
    """Like ``parse_date`` but an empty field means "no date" (e.g. clear a follow-up)."""
    if not text.strip():
        return None
    return parse_date(text, today, birth_date=birth_date)
