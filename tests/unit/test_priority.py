"""The priority score (domain/priority.py): each part, their sum, and the stored fields."""

from __future__ import annotations

import datetime as dt

import pytest

from billing_tui.domain import priority as P

TODAY = dt.date(2026, 11, 27)


@pytest.mark.parametrize(
    ("cents", "points"),
    [(0, 0), (1, 10), (4_999, 10), (5_000, 40), (99_999, 160), (100_000, 200),
     (499_999, 250), (500_000, 300), (2_500_000, 400), (10**9, 400)],
)  # fmt: skip
def test_dollar_steps(cents, points):
    assert P.dollar_points(cents) == points


@pytest.mark.parametrize(
    ("days_left", "points"),
    [(None, 0), (-400, 40), (-1, 40), (0, 300), (7, 300), (8, 250), (14, 250), (15, 200),
     (30, 200), (31, 100), (60, 100), (61, 50), (90, 50), (91, 0), (500, 0)],
)  # fmt: skip
def test_deadline_steps(days_left, points):
    assert P.deadline_points(days_left) == points


@pytest.mark.parametrize(
    ("age", "points"),
    [(-3, 0), (0, 0), (30, 0), (31, 25), (60, 25), (61, 50), (91, 75), (121, 100)],
)
def test_age_follows_the_aging_buckets(age, points):
    assert P.age_points(age) == points


@pytest.mark.parametrize(
    ("days", "points"), [(None, 100), (0, 0), (6, 0), (7, 25), (14, 50), (30, 75), (60, 100)]
)
def test_last_touch(days, points):
    assert P.touch_points(days) == points


def test_nothing_owed_scores_zero_and_any_balance_scores():
    assert P.priority_score(0, 3, 400, None) == 0
    assert P.priority_score(1, None, 0, 0) >= 1
    assert P.priority_score(-25_000, None, 0, 0) == P.dollar_points(25_000)  # a credit counts


def test_score_is_the_sum_of_its_parts():
    assert P.priority_score(120_000, 10, 95, 20) == 200 + 250 + 75 + 50
    assert P.MAX_SCORE == P.priority_score(10**9, 0, 1000, None) == 900


def test_a_close_deadline_beats_age_and_more_money_beats_less():
    old_far = P.priority_score(30_000, 200, 300, 10)
    young_close = P.priority_score(30_000, 5, 40, 10)
    assert young_close > old_far
    assert P.priority_score(300_000, 60, 70, 10) > P.priority_score(30_000, 60, 70, 10)
    # Worked yesterday ranks below the same claim untouched for a month.
    assert P.priority_score(30_000, 60, 70, 1) < P.priority_score(30_000, 60, 70, 30)


def test_next_deadline_by_status():
    dos = dt.date(2026, 9, 1)
    assert P.next_deadline("submitted", dos, 90, None) == dt.date(2026, 11, 30)
    assert P.next_deadline("draft", dos, None, None) is None  # self-pay: no filing limit
    assert P.next_deadline("accepted", dos, 90, None) is None  # the payer has it
    appeal = dt.date(2027, 1, 15)
    assert P.next_deadline("denied", dos, 90, appeal) == appeal
    assert P.next_deadline("denied", dos, 90, None) is None  # appealed already
    assert P.next_deadline("paid", dos, 90, appeal) is None


def test_claim_work_fields_put_it_together():
    f = P.claim_work_fields(
        status="submitted",
        service_date=dt.date(2026, 9, 1),
        ins_balance_cents=60_000,
        pat_balance_cents=-2_000,
        last_activity=None,
        filing_days=90,
        appeal_due=None,
        today=TODAY,
    )
    assert f.deadline == dt.date(2026, 11, 30)
    # $620 at stake (160), 3 days left (300), 87 days old (50), never touched (100).
    assert f.priority == 160 + 300 + 50 + 100
    closed = P.claim_work_fields(
        status="closed", service_date=TODAY, ins_balance_cents=0, pat_balance_cents=0,
        last_activity=TODAY, filing_days=90, appeal_due=None, today=TODAY,
    )  # fmt: skip
    assert closed == P.WorkFields(0, None)
