"""Adjudication rules: DESIGN's worked examples 1-4 as oracles, then the edges."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing_tui.domain import ledger as L
from billing_tui.domain.adjudication import (
    CONTRACTUAL_CARCS,
    Cas,
    LineAdjudication,
    adjudicate_line,
    status_after_posting,
    status_path,
    underpayment_cents,
)
from billing_tui.domain.claim_status import can_transition
from billing_tui.domain.errors import IllegalTransition, ValidationError
from billing_tui.domain.ledger import PATIENT, PRIMARY, SECONDARY, EntryKind


def _after(outcome, start: L.Balance) -> L.Balance:
    return start + L.balance(outcome.entries)


def test_example_1_paid_with_coinsurance():
    adj = LineAdjudication(
        open_cents=20000,
        paid_cents=9600,
        cas=(Cas("CO", "45", 8000), Cas("PR", "2", 2400)),
        allowed_cents=12000,
    )
    out = adjudicate_line(adj, PRIMARY, PATIENT)
    kinds = [e.kind for e in out.entries]
    assert kinds == [EntryKind.INSURANCE_PAYMENT, EntryKind.ADJUSTMENT, EntryKind.TRANSFER]
    bal = _after(out, L.Balance((0, 20000, 0, 0)))
    assert bal.insurance_cents == 0
    assert bal.patient_cents == 2400
    assert out.denied == () and out.denied_cents == 0
    assert out.patient_share_cents == 2400
    co45 = out.entries[1]
    assert (co45.group_code, co45.carc, co45.amount_cents) == ("CO", "45", -8000)
    pr2 = out.entries[2]
    assert (pr2.group_code, pr2.carc, pr2.to_responsibility) == ("PR", "2", PATIENT)


def test_example_2_zero_paid_with_deductible_is_not_a_denial():
    adj = LineAdjudication(
        open_cents=15000,
        paid_cents=0,
        cas=(Cas("CO", "45", 5000), Cas("PR", "1", 10000)),
        allowed_cents=10000,
    )
    out = adjudicate_line(adj, PRIMARY, PATIENT)
    assert out.denied == ()
    bal = _after(out, L.Balance((0, 15000, 0, 0)))
    assert (bal.patient_cents, bal.insurance_cents) == (10000, 0)
    assert (
        status_after_posting(
            "submitted",
            ins_balance_cents=0,
            pat_balance_cents=10000,
            any_paid=False,
            any_denied=False,
            moved_to_next_payer=False,
        )
        == "paid"
    )


def test_example_3_denial_stays_open():
    adj = LineAdjudication(open_cents=30000, paid_cents=0, cas=(Cas("CO", "197", 30000),))
    out = adjudicate_line(adj, PRIMARY, PATIENT, claim_denied=True)
    assert out.entries == ()
    assert out.denied == (Cas("CO", "197", 30000),)
    assert out.denied_cents == 30000
    status = status_after_posting(
        "submitted",
        ins_balance_cents=30000,
        pat_balance_cents=0,
        any_paid=False,
        any_denied=True,
        moved_to_next_payer=False,
    )
    assert status == "denied"


def test_example_4_patient_share_moves_to_the_secondary():
    adj = LineAdjudication(
        open_cents=20000,
        paid_cents=9600,
        cas=(Cas("CO", "45", 8000), Cas("PR", "2", 2400)),
    )
    out = adjudicate_line(adj, PRIMARY, SECONDARY)
    bal = _after(out, L.Balance((0, 20000, 0, 0)))
    assert bal.by_responsibility == (0, 0, 2400, 0)
    assert (
        status_after_posting(
            "accepted",
            ins_balance_cents=2400,
            pat_balance_cents=0,
            any_paid=True,
            any_denied=False,
            moved_to_next_payer=True,
        )
        == "transferred"
    )
    # the secondary pays 20.00 with PR-2 4.00: the patient owes 4.00
    second = adjudicate_line(
        LineAdjudication(open_cents=2400, paid_cents=2000, cas=(Cas("PR", "2", 400),)),
        SECONDARY,
        PATIENT,
    )
    bal = bal + L.balance(second.entries)
    assert bal.by_responsibility == (400, 0, 0, 0)
    assert (
        status_after_posting(
            "transferred",
            ins_balance_cents=0,
            pat_balance_cents=400,
            any_paid=True,
            any_denied=False,
            moved_to_next_payer=False,
        )
        == "paid"
    )


def test_unbalanced_line_names_the_difference():
    adj = LineAdjudication(open_cents=20000, paid_cents=9600, cas=(Cas("CO", "45", 8000),))
    assert adj.difference_cents == 2400
    with pytest.raises(ValidationError) as err:
        adjudicate_line(adj, PRIMARY, PATIENT)
    assert err.value.field == "paid"
    assert "24.00" in str(err.value)


def test_contractual_carcs_adjust_even_when_nothing_is_paid():
    assert "45" in CONTRACTUAL_CARCS and "97" not in CONTRACTUAL_CARCS
    out = adjudicate_line(
        LineAdjudication(open_cents=5000, paid_cents=0, cas=(Cas("CO", "45", 5000),)),
        PRIMARY,
        PATIENT,
    )
    assert out.denied == () and len(out.entries) == 1


def test_bundling_on_a_zero_paid_line_is_a_denial_but_not_on_a_paid_line():
    zero = adjudicate_line(
        LineAdjudication(open_cents=5000, paid_cents=0, cas=(Cas("CO", "97", 5000),)),
        PRIMARY,
        PATIENT,
    )
    assert zero.denied_cents == 5000 and zero.entries == ()
    paid = adjudicate_line(
        LineAdjudication(
            open_cents=5000, paid_cents=1000, cas=(Cas("CO", "97", 4000, rarc="M15"),)
        ),
        PRIMARY,
        PATIENT,
    )
    assert paid.denied == ()
    assert paid.entries[1].rarc == "M15"


def test_claim_level_denial_keeps_non_contractual_amounts_open_even_if_paid():
    out = adjudicate_line(
        LineAdjudication(
            open_cents=10000,
            paid_cents=1000,
            cas=(Cas("CO", "45", 2000), Cas("OA", "18", 7000)),
        ),
        PRIMARY,
        PATIENT,
        claim_denied=True,
    )
    assert out.denied == (Cas("OA", "18", 7000),)
    assert [e.kind for e in out.entries] == [EntryKind.INSURANCE_PAYMENT, EntryKind.ADJUSTMENT]


def test_zero_and_negative_amounts():
    out = adjudicate_line(
        LineAdjudication(
            open_cents=10000,
            paid_cents=10500,
            cas=(Cas("CO", "45", 0), Cas("CO", "45", -500)),
        ),
        PRIMARY,
        PATIENT,
    )
    assert [e.amount_cents for e in out.entries] == [-10500, 500]
    back = adjudicate_line(
        LineAdjudication(
            open_cents=0, paid_cents=0, cas=(Cas("PR", "2", -300), Cas("CO", "45", 300))
        ),
        PRIMARY,
        PATIENT,
    )
    move = back.entries[-1]
    assert (move.responsibility, move.to_responsibility, move.amount_cents) == (
        PATIENT,
        PRIMARY,
        300,
    )


def test_refusals():
    with pytest.raises(ValidationError):
        adjudicate_line(LineAdjudication(open_cents=100, paid_cents=100), PATIENT, PATIENT)
    with pytest.raises(ValidationError, match="reversal"):
        adjudicate_line(
            LineAdjudication(open_cents=0, paid_cents=-100, cas=(Cas("CO", "45", 100),)),
            PRIMARY,
            PATIENT,
        )
    with pytest.raises(ValidationError):
        Cas("XX", "45", 100)
    with pytest.raises(ValidationError):
        Cas("CO", "", 100)
    with pytest.raises(TypeError):
        Cas("CO", "45", 1.5)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        (dict(ins=0, pat=0, paid=True, denied=False, moved=False), "closed"),
        (dict(ins=500, pat=0, paid=True, denied=False, moved=False), "partially_paid"),
        (dict(ins=0, pat=500, paid=True, denied=True, moved=False), "partially_paid"),
        (dict(ins=0, pat=500, paid=True, denied=False, moved=False), "paid"),
        (dict(ins=-500, pat=0, paid=True, denied=False, moved=False), "paid"),
        (dict(ins=900, pat=0, paid=False, denied=True, moved=False), "denied"),
        (dict(ins=900, pat=0, paid=False, denied=False, moved=True), "transferred"),
    ],
)
def test_status_after_posting(facts, expected):
    got = status_after_posting(
        "accepted",
        ins_balance_cents=facts["ins"],
        pat_balance_cents=facts["pat"],
        any_paid=facts["paid"],
        any_denied=facts["denied"],
        moved_to_next_payer=facts["moved"],
    )
    assert got == expected


def test_reversed_to_nothing_keeps_an_open_claim_and_reopens_a_closed_one():
    kw = dict(ins_balance_cents=900, pat_balance_cents=0, any_paid=False, any_denied=False)
    assert status_after_posting("paid", moved_to_next_payer=False, **kw) == "paid"
    assert status_after_posting("closed", moved_to_next_payer=False, **kw) == "partially_paid"
    assert status_after_posting("transferred", moved_to_next_payer=False, **kw) == "partially_paid"
    assert status_after_posting("submitted", moved_to_next_payer=False, **kw) == "submitted"


def test_status_path_is_legal_and_goes_via_paid():
    assert status_path("submitted", "closed") == ("paid", "closed")
    assert status_path("paid", "paid") == ()
    assert status_path("transferred", "transferred") == ()
    assert status_path("closed", "closed") == ()
    assert status_path("appealed", "transferred")[-1] == "transferred"
    with pytest.raises(IllegalTransition):
        status_path("void", "paid")


@given(
    st.sampled_from(
        [
            "submitted",
            "accepted",
            "paid",
            "partially_paid",
            "denied",
            "appealed",
            "transferred",
            "closed",
            "corrected",
        ]
    ),
    st.sampled_from(["paid", "partially_paid", "denied", "transferred", "closed"]),
)
def test_status_path_every_step_is_allowed(src, dst):
    path = status_path(src, dst)
    prev = src
    for step in path:
        assert can_transition(prev, step)
        prev = step
    assert prev == dst


def test_underpayment():
    assert underpayment_cents(9000, 10000, Decimal("1")) == 1000
    assert underpayment_cents(20000, 10000, Decimal("2")) == 0
    assert underpayment_cents(15000, 10000, Decimal("2")) == 5000
    assert underpayment_cents(12000, 10000, Decimal("1")) == 0
    assert underpayment_cents(None, 10000, Decimal("1")) == 0
    assert underpayment_cents(9000, None, Decimal("1")) == 0
    assert underpayment_cents(0, 333, Decimal("1.5")) == 500  # 499.5 rounds half up


@given(
    open_=st.integers(0, 10**7),
    paid=st.integers(0, 10**7),
    co=st.integers(-(10**5), 10**6),
    pr=st.integers(0, 10**6),
    carc=st.sampled_from(["45", "97", "197", "16", "253"]),
    next_resp=st.sampled_from([PATIENT, SECONDARY]),
)
def test_balanced_line_moves_exactly_what_is_explained(open_, paid, co, pr, carc, next_resp):
    other = open_ - paid - co - pr
    cas = (Cas("CO", carc, co), Cas("PR", "2", pr), Cas("OA", "23", other))
    out = adjudicate_line(LineAdjudication(open_, paid, cas), PRIMARY, next_resp)
    after = L.Balance((0, open_, 0, 0)) + L.balance(out.entries)
    # what is left with the payer is exactly the denied amount; the share moved on
    assert after.for_resp(PRIMARY) == out.denied_cents
    assert after.for_resp(next_resp) == pr
    assert L.check_line_identity([L.charge(open_)] + list(out.entries)) if open_ else True
