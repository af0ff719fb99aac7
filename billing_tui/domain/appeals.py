"""Appeal levels and their deadlines: the dates after which a denial can no longer be fought.

Levels: first (the payer's reconsideration; Medicare: redetermination), second (a
second internal review; Medicare: reconsideration by the QIC) and external (independent
review; Medicare: the ALJ hearing). The first level's window runs from the denial date;
a later level's from the decision on the level before it. Windows are calendar days.

Rules (per level, first / second / external):
- Medicare: 120 / 180 / 60 days (redetermination, reconsideration, ALJ hearing).
- Everyone else: the payer's stated window when stored; else the payer's general appeal
  window for the first and second level, and 120 days (four months) for external review.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from enum import IntEnum

from billing_tui.domain.errors import ValidationError

DUE_SOON_DAYS = 7


class AppealLevel(IntEnum):
    FIRST = 1
    SECOND = 2
    EXTERNAL = 3

    @property
    def label(self) -> str:
        return {1: "first level", 2: "second level", 3: "external review"}[self.value]

    @property
    def key(self) -> str:
        return {1: "first", 2: "second", 3: "external"}[self.value]


MEDICARE_WINDOWS: Mapping[AppealLevel, int] = {
    AppealLevel.FIRST: 120,
    AppealLevel.SECOND: 180,
    AppealLevel.EXTERNAL: 60,
}
EXTERNAL_REVIEW_DAYS = 120

OUTCOMES: tuple[str, ...] = ("won", "partly", "lost")


def parse_level(value: object) -> AppealLevel:
    """1/2/3 or "first"/"second"/"external" -> AppealLevel; anything else is bad input."""
    if isinstance(value, AppealLevel):
        return value
    names = {"first": 1, "second": 2, "external": 3}
    try:
        if isinstance(value, str):
            v = value.strip().lower()
            return AppealLevel(names[v] if v in names else int(v))
        if type(value) is int:
            return AppealLevel(value)
    except (KeyError, ValueError):
        pass
    raise ValidationError(
        f"appeal level {value!r}? choose first, second or external", field="level"
    )


def window_days(
    level: AppealLevel | int | str,
    *,
    payer_type: str,
    payer_window_days: int | None,
    level_windows: Mapping[int, int] | None = None,
) -> int:
    """Days allowed to file an appeal at ``level`` (see the module rules)."""
    lv = parse_level(level)
    if level_windows and int(lv) in level_windows:
        days = level_windows[int(lv)]
    elif payer_type == "medicare":
        days = MEDICARE_WINDOWS[lv]
    elif lv is AppealLevel.EXTERNAL:
        days = EXTERNAL_REVIEW_DAYS
    else:
        days = payer_window_days if payer_window_days is not None else 180
    if type(days) is not int or days <= 0:
        raise ValidationError(
            f"the {lv.label} appeal window must be a whole number of days above 0",
            field="window_days",
        )
    return days


def appeal_deadline(
    level: AppealLevel | int | str,
    *,
    denial_date: dt.date,
    payer_type: str,
    payer_window_days: int | None,
    prior_decision_date: dt.date | None = None,
    level_windows: Mapping[int, int] | None = None,
) -> dt.date:
    """Last day to file the appeal. A later level counts from the decision on the level
    before it, which must be known (and not before the denial)."""
    lv = parse_level(level)
    start = denial_date
    if lv is not AppealLevel.FIRST:
        if prior_decision_date is None:
            raise ValidationError(
                f"a {lv.label} appeal counts from the decision on the level before it; "
                "record that appeal's outcome first",
                field="level",
            )
        if prior_decision_date < denial_date:
            raise ValidationError(
                "the earlier appeal's decision date is before the denial date", field="level"
            )
        start = prior_decision_date
    days = window_days(
        lv, payer_type=payer_type, payer_window_days=payer_window_days, level_windows=level_windows
    )
    return start + dt.timedelta(days=days)


def days_left(deadline: dt.date, today: dt.date) -> int:
    """0 on the last day itself, negative once passed."""
    return (deadline - today).days


def urgency(deadline: dt.date | None, today: dt.date) -> str:
    """ "overdue" once passed, "due_soon" within 7 days (the last day included), else "ok"."""
    if deadline is None:
        return "ok"
    left = days_left(deadline, today)
    if left < 0:
        return "overdue"
    if left <= DUE_SOON_DAYS:
        return "due_soon"
    return "ok"


def parse_outcome(value: str) -> str:
    v = (value or "").strip().lower()
    if v in ("partial", "partially"):
        v = "partly"
    if v not in OUTCOMES:
        raise ValidationError(
            f"appeal outcome {value!r}? choose won, partly or lost", field="outcome"
        )
    return v
