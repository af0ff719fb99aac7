"""Timely-filing and appeal deadlines: the dates after which money is lost for good.

Windows are calendar days counted from the service (or denial) date, as payers state
them; the per-payer numbers live on Payer (timely filing days, appeal window days).
"""

from __future__ import annotations

import datetime as dt

from billing_tui.domain.errors import ValidationError


def _window(days: int, what: str) -> dt.timedelta:
    if type(days) is not int or days < 0:
        raise ValidationError(f"{what} must be a whole number of days, 0 or more", field=what)
    return dt.timedelta(days=days)


def timely_filing_deadline(service_date: dt.date, filing_days: int) -> dt.date:
    """Last day the payer accepts the claim."""
    return service_date + _window(filing_days, "filing_days")


def appeal_deadline(denial_date: dt.date, window_days: int) -> dt.date:
    """Last day an appeal of the denial is accepted."""
    return denial_date + _window(window_days, "window_days")


def days_left(deadline: dt.date, today: dt.date) -> int:
    """Days until the deadline: 0 on the day itself, negative once it has passed."""
    return (deadline - today).days


def is_at_risk(deadline: dt.date, today: dt.date, threshold_days: int = 30) -> bool:
    """True when the deadline is within ``threshold_days`` or already missed.

    Missed deadlines stay flagged so they are seen (and written off or disputed), not
    silently dropped from the queue.
    """
    return days_left(deadline, today) <= threshold_days


def is_missed(deadline: dt.date, today: dt.date) -> bool:
    """True once the deadline has passed (the last day itself still counts)."""
    return days_left(deadline, today) < 0
