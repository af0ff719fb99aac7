"""What a payer said on a call, and when to call again.

The outcome list is fixed (queues, reports and the denial work all key on it). Each
outcome carries the default number of days to the next follow-up; the call-note form
fills the date from it and the rep may change it.

    outcome            follow up in   why
    check pending      10 days        payment issued: a check or EFT posts within ~10 days
    in process         14 days        payers ask for 14 more days before calling back
    denied              7 days        work the denial (appeal, correct) within a week
    need information   10 days        records go out now; check they were received
    resubmit           21 days        a new claim takes ~2-3 weeks to adjudicate
    appeal             30 days        appeals are decided in 30-60 days: check at 30
    no response         2 days        nobody answered: try again in two days
    other               7 days        a week, unless the rep says otherwise
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from types import MappingProxyType

from billing_tui.domain.errors import ValidationError


class CallOutcome(StrEnum):
    CHECK_PENDING = "check_pending"
    IN_PROCESS = "in_process"
    DENIED = "denied"
    NEED_INFORMATION = "need_information"
    RESUBMIT = "resubmit"
    APPEAL = "appeal"
    NO_RESPONSE = "no_response"
    OTHER = "other"

    @property
    def label(self) -> str:
        """Human wording for lists and messages: "check pending"."""
        return self.value.replace("_", " ")

    @property
    def follow_up_days(self) -> int:
        return FOLLOW_UP_DAYS[self]


FOLLOW_UP_DAYS = MappingProxyType(
    {
        CallOutcome.CHECK_PENDING: 10,
        CallOutcome.IN_PROCESS: 14,
        CallOutcome.DENIED: 7,
        CallOutcome.NEED_INFORMATION: 10,
        CallOutcome.RESUBMIT: 21,
        CallOutcome.APPEAL: 30,
        CallOutcome.NO_RESPONSE: 2,
        CallOutcome.OTHER: 7,
    }
)

# A follow-up further out than this is almost certainly a typo (2062 for 2026).
MAX_FOLLOW_UP_DAYS = 365


def parse_outcome(value: object) -> CallOutcome:
    """The outcome for a stored value ("in_process") or a label ("in process", any case)."""
    if isinstance(value, CallOutcome):
        return value
    text = str(value or "").strip().lower().replace(" ", "_").replace("-", "_")
    try:
        return CallOutcome(text)
    except ValueError:
        options = ", ".join(o.label for o in CallOutcome)
        raise ValidationError(
            f'"{value}" is not a call outcome; choose one of: {options}', field="outcome"
        ) from None


def default_follow_up(outcome: CallOutcome | str, today: dt.date) -> dt.date:
    """The follow-up date the call-note form proposes for ``outcome``."""
    return today + dt.timedelta(days=parse_outcome(outcome).follow_up_days)


def check_follow_up(follow_up: dt.date, today: dt.date) -> dt.date:
    """A follow-up must be today or later and within a year; returns it unchanged."""
    if follow_up < today:
        raise ValidationError(
            f"the follow-up date {follow_up.isoformat()} is in the past; "
            "choose today or a later day",
            field="next_follow_up",
        )
    if (follow_up - today).days > MAX_FOLLOW_UP_DAYS:
        raise ValidationError(
            f"the follow-up date {follow_up.isoformat()} is more than a year away; check the year",
            field="next_follow_up",
        )
    return follow_up
