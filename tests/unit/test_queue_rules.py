"""Queue rules (domain/queue_rules.py): validation messages, JSON round-trip, sorts, seeds."""

from __future__ import annotations

import json
import re

import pytest

from billing_tui.domain.errors import ValidationError
from billing_tui.domain.queue_rules import (
    SEED_QUEUES,
    AgeBasis,
    BalanceKind,
    OwnerFilter,
    QueueRule,
    QueueSort,
    SortColumn,
)

FULL = QueueRule(
    payer_ids=(3, 7),
    payer_types=("medicare", "medicaid"),
    balance_kind=BalanceKind.INSURANCE,
    min_balance_cents=1,
    max_balance_cents=500_000,
    age_basis=AgeBasis.LAST_ACTIVITY,
    min_age_days=31,
    max_age_days=60,
    statuses=("denied", "partially_paid"),
    denial_categories=("authorization",),
    follow_up_due=True,
    deadline_within_days=30,
    owner=OwnerFilter.USER,
    owner_user_id=4,
)


def test_json_round_trip_keeps_every_field():
    assert FULL.problems() == []
    again = QueueRule.from_json(FULL.to_json())
    assert again == FULL
    assert QueueRule.from_json(QueueRule().to_json()) == QueueRule()
    assert QueueRule().to_json() == "{}"  # defaults are left out


def test_stored_json_is_plain_data():
    data = json.loads(FULL.to_json())
    assert data["balance_kind"] == "insurance" and data["payer_ids"] == [3, 7]


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        (QueueRule(min_balance_cents=500, max_balance_cents=100), "the lowest balance is above"),
        (QueueRule(min_age_days=90, max_age_days=30), "the lowest age (90 days) is above"),
        (QueueRule(min_age_days=-1), "the lowest age must be a whole number"),
        (QueueRule(payer_types=("martian",)), "payer type 'martian' is unknown"),
        (QueueRule(statuses=("lost",)), "claim status 'lost' is unknown"),
        (QueueRule(denial_categories=("bad luck",)), "denial category 'bad luck' is unknown"),
        (QueueRule(deadline_within_days=-5), "deadline days must be"),
        (QueueRule(owner=OwnerFilter.USER), "choose the user"),
        (QueueRule(payer_ids=(0,)), "payer id 0 is not a payer"),
    ],
)
def test_validation_says_what_is_wrong(rule, message):
    with pytest.raises(ValidationError, match=re.escape("queue rule: " + message)) as err:
        rule.validate()
    assert "\n" not in str(err.value)


def test_bad_json_is_one_readable_line():
    with pytest.raises(ValidationError, match="not valid JSON"):
        QueueRule.from_json("{nope")
    with pytest.raises(ValidationError, match="must be a list"):
        QueueRule.from_json('{"statuses": "denied"}')
    with pytest.raises(ValidationError, match="queue rule"):
        QueueRule.from_json('{"balance_kind": "gold"}')
    assert QueueRule.from_json('{"colour": "red"}').problems() == ["unknown rule fields: colour"]


def test_sort_text_round_trip_and_defaults():
    assert QueueSort.from_text("") == QueueSort(SortColumn.PRIORITY, True)
    assert QueueSort.from_text("balance") == QueueSort(SortColumn.BALANCE, True)
    assert QueueSort.from_text("patient") == QueueSort(SortColumn.PATIENT, False)
    for column in SortColumn:
        for desc in (True, False):
            s = QueueSort(column, desc)
            assert QueueSort.from_text(s.to_text()) == s
    with pytest.raises(ValidationError, match="cannot sort a queue by 'colour'"):
        QueueSort.from_text("colour desc")
    with pytest.raises(ValidationError, match="asc or desc"):
        QueueSort.from_text("balance sideways")


def test_descriptions_read_like_the_queue():
    assert QueueRule().describe() == "every claim with a balance"
    text = FULL.describe({3: "Aetna"})
    assert "payer Aetna, #7" in text and "31-60 days since last activity" in text
    assert "insurance balance $0.01 to $5,000" in text


def test_seeded_queues_are_the_issue_list_and_valid():
    names = [q.name for q in SEED_QUEUES]
    assert names == [
        "Follow-ups due today", "Insurance 31-60", "Insurance 61-90", "Insurance 91-120",
        "Insurance 120+", "High dollar >= $5,000", "No response 30+ days",
        "Timely filing at risk", "Medicare", "Medicaid", "Patient balance",
    ]  # fmt: skip
    for q in SEED_QUEUES:
        assert q.rule.problems() == [], q.name
        assert q.sort == QueueSort()  # priority first
    assert SEED_QUEUES[4].rule.min_age_days == 121 and SEED_QUEUES[4].rule.max_age_days is None
