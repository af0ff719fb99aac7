"""Claim status machine: the allowed moves, and clear refusals for the rest."""

import pytest

from billing_tui.domain.claim_status import (
    ADJUDICATED,
    OPEN_STATUSES,
    TRANSITIONS,
    ClaimStatus,
    allowed_next,
    can_transition,
    status_after_adjudication,
    transition,
)
from billing_tui.domain.errors import DomainError, IllegalTransition, ValidationError

S = ClaimStatus


def test_every_status_has_a_row():
    assert set(TRANSITIONS) == set(ClaimStatus)
    for targets in TRANSITIONS.values():
        assert targets <= set(ClaimStatus)


@pytest.mark.parametrize(
    "path",
    [
        # clean claim: paid, coinsurance moved to the patient, patient pays
        [S.DRAFT, S.READY, S.SUBMITTED, S.ACCEPTED, S.PAID, S.TRANSFERRED, S.CLOSED],
        # denial, appeal, paid on appeal
        [S.SUBMITTED, S.DENIED, S.APPEALED, S.PAID, S.CLOSED],
        # rejection fixed and resubmitted
        [S.SUBMITTED, S.REJECTED, S.CORRECTED, S.SUBMITTED, S.ACCEPTED, S.PARTIALLY_PAID],
        # secondary billing
        [S.PAID, S.TRANSFERRED, S.SUBMITTED, S.PAID, S.CLOSED],
        # reversal reopens a closed claim, re-adjudication
        [S.PAID, S.CLOSED, S.PAID, S.PARTIALLY_PAID, S.PAID],
        # corrected after payment
        [S.PAID, S.CORRECTED, S.SUBMITTED],
        # denied amount written off
        [S.DENIED, S.CLOSED],
        [S.DRAFT, S.VOID],
        [S.READY, S.DRAFT, S.READY],
    ],
)
def test_realistic_paths(path):
    for a, b in zip(path, path[1:], strict=False):
        assert transition(a, b) is b


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (S.DENIED, S.DRAFT),
        (S.DRAFT, S.SUBMITTED),
        (S.DRAFT, S.PAID),
        (S.SUBMITTED, S.CLOSED),
        (S.VOID, S.DRAFT),
        (S.CLOSED, S.DRAFT),
        (S.PAID, S.APPEALED),
        (S.APPEALED, S.APPEALED),
        (S.SUBMITTED, S.SUBMITTED),
        (S.PAID, S.VOID),
    ],
)
def test_illegal(a, b):
    assert not can_transition(a, b)
    with pytest.raises(IllegalTransition):
        transition(a, b)


def test_message_is_for_a_rep():
    with pytest.raises(IllegalTransition) as exc:
        transition(S.DENIED, S.DRAFT)
    msg = str(exc.value)
    assert msg.startswith("A claim that is denied cannot become draft.")
    assert "appealed" in msg and "\n" not in msg
    assert isinstance(exc.value, DomainError)
    with pytest.raises(IllegalTransition, match="partially paid cannot become ready"):
        transition(S.PARTIALLY_PAID, S.READY)
    with pytest.raises(IllegalTransition, match="final"):
        transition(S.VOID, S.READY)


def test_readjudication_and_reopening():
    for a in ADJUDICATED:
        for b in ADJUDICATED:
            assert can_transition(a, b)
        assert can_transition(S.CLOSED, a)
        assert can_transition(a, S.CLOSED)
        assert can_transition(a, S.CORRECTED)
        assert can_transition(a, S.TRANSFERRED)
    assert can_transition(S.DENIED, S.APPEALED)
    assert can_transition(S.PARTIALLY_PAID, S.APPEALED)


def test_void_is_terminal():
    assert allowed_next(S.VOID) == []


def test_allowed_next_in_workflow_order():
    assert allowed_next(S.DRAFT) == [S.READY, S.VOID]
    assert allowed_next(S.SUBMITTED) == [
        S.ACCEPTED,
        S.REJECTED,
        S.PAID,
        S.PARTIALLY_PAID,
        S.DENIED,
    ]


def test_accepts_database_strings():
    assert can_transition("draft", "ready")
    assert transition("paid", "closed") is S.CLOSED
    with pytest.raises(ValidationError):
        can_transition("nonsense", "ready")


def test_sets():
    assert frozenset({S.PAID, S.PARTIALLY_PAID, S.DENIED}) == ADJUDICATED
    assert set(ClaimStatus) - {S.CLOSED, S.VOID} == OPEN_STATUSES


@pytest.mark.parametrize(
    ("paid", "billed", "denied", "expected"),
    [
        (20000, 20000, False, S.PAID),
        (9600, 20000, False, S.PAID),  # example 1: contractual + coinsurance
        (0, 15000, False, S.PAID),  # example 2: all to deductible, not a denial
        (0, 30000, True, S.DENIED),  # example 3
        (5000, 30000, True, S.PARTIALLY_PAID),  # some lines denied
        (30000, 30000, True, S.PAID),
        (0, 0, False, S.PAID),
    ],
)
def test_status_after_adjudication(paid, billed, denied, expected):
    assert status_after_adjudication(paid, billed, denied) is expected


def test_status_after_adjudication_rejects_negative_and_float():
    with pytest.raises(ValidationError):
        status_after_adjudication(-16000, 20000, False)
    with pytest.raises(TypeError):
        status_after_adjudication(1.0, 2, False)
