"""Call outcomes: the fixed list, default follow-up days, and the follow-up rules."""

from __future__ import annotations

import datetime as dt

import pytest

from billing_tui.domain.call_outcomes import (
    FOLLOW_UP_DAYS,
    MAX_FOLLOW_UP_DAYS,
    CallOutcome,
    check_follow_up,
    default_follow_up,
    parse_outcome,
)
from billing_tui.domain.errors import ValidationError

TODAY = dt.date(2026, 11, 27)


def test_the_fixed_list_in_form_order() -> None:
    assert [o.label for o in CallOutcome] == [
        "check pending", "in process", "denied", "need information",
        "resubmit", "appeal", "no response", "other",
    ]  # fmt: skip
    assert set(FOLLOW_UP_DAYS) == set(CallOutcome)
    # Stored values fit activities.outcome (String(20)).
    assert all(len(o.value) <= 20 for o in CallOutcome)


def test_defaults_named_in_the_issue() -> None:
    assert default_follow_up(CallOutcome.IN_PROCESS, TODAY) == dt.date(2026, 12, 11)  # +14
    assert default_follow_up(CallOutcome.CHECK_PENDING, TODAY) == dt.date(2026, 12, 7)  # +10
    assert default_follow_up("in_process", TODAY) == TODAY + dt.timedelta(days=14)


@pytest.mark.parametrize("outcome", list(CallOutcome))
def test_every_default_is_a_valid_follow_up(outcome: CallOutcome) -> None:
    day = default_follow_up(outcome, TODAY)
    assert day > TODAY
    assert check_follow_up(day, TODAY) == day
    assert outcome.follow_up_days == (day - TODAY).days


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("in_process", CallOutcome.IN_PROCESS),
        ("In Process", CallOutcome.IN_PROCESS),
        (" check pending ", CallOutcome.CHECK_PENDING),
        ("need-information", CallOutcome.NEED_INFORMATION),
        (CallOutcome.APPEAL, CallOutcome.APPEAL),
    ],
)
def test_parse_outcome(value: object, expected: CallOutcome) -> None:
    assert parse_outcome(value) is expected


@pytest.mark.parametrize("value", ["", None, "paid", "in  process x"])
def test_parse_outcome_refuses_others_and_lists_the_choices(value: object) -> None:
    with pytest.raises(ValidationError) as err:
        parse_outcome(value)
    assert err.value.field == "outcome"
    assert "check pending" in str(err.value) and "other" in str(err.value)


def test_follow_up_rules() -> None:
    assert check_follow_up(TODAY, TODAY) == TODAY
    last = TODAY + dt.timedelta(days=MAX_FOLLOW_UP_DAYS)
    assert check_follow_up(last, TODAY) == last
    with pytest.raises(ValidationError, match="in the past") as err:
        check_follow_up(TODAY - dt.timedelta(days=1), TODAY)
    assert err.value.field == "next_follow_up"
    with pytest.raises(ValidationError, match="more than a year"):
        check_follow_up(last + dt.timedelta(days=1), TODAY)
