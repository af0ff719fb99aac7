"""Ledger math: DESIGN's worked examples as oracles, plus properties of the sign rules."""

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing_tui.domain import ledger as L
from billing_tui.domain.errors import ValidationError
from billing_tui.domain.ledger import (
    PATIENT,
    PRIMARY,
    SECONDARY,
    TERTIARY,
    Balance,
    Entry,
    EntryKind,
    adjustment,
    balance,
    charge,
    check_line_identity,
    effects,
    insurance_payment,
    patient_payment,
    refund,
    responsibility_after_transfer_target,
    reversal_of,
    totals_by_kind,
    transfer,
    write_off,
)


def with_ids(entries, start=1):
    """Entries as the database would return them: each with its id."""
    return [dataclasses.replace(e, entry_id=i) for i, e in enumerate(entries, start)]


def cash(entries, by_id):
    """Insurance cash received: payments, and reversals of payments (a take-back)."""
    total = 0
    for e in entries:
        if e.kind is EntryKind.INSURANCE_PAYMENT or (
            e.kind is EntryKind.REVERSAL
            and by_id[e.reverses_id].kind is EntryKind.INSURANCE_PAYMENT
        ):
            total -= e.amount_cents
    return total


# --- DESIGN worked examples -------------------------------------------------------------


def test_example_1_paid_with_coinsurance():
    entries = [
        charge(20000),
        insurance_payment(9600),
        adjustment(8000, "CO", "45"),
        transfer(2400, PRIMARY, PATIENT, group_code="PR", carc="2"),
    ]
    b = balance(entries)
    assert b.insurance_cents == 0
    assert b.patient_cents == 2400
    assert b.total_cents == 2400
    assert b.by_responsibility == (2400, 0, 0, 0)
    assert check_line_identity(entries)


def test_example_2_zero_paid_is_not_a_denial():
    entries = [
        charge(15000),
        adjustment(5000, "CO", "45"),
        transfer(10000, PRIMARY, PATIENT, group_code="PR", carc="1"),
    ]
    b = balance(entries)
    assert b.patient_cents == 10000
    assert b.insurance_cents == 0
    # A zero payment is not an entry at all.
    with pytest.raises(ValidationError):
        insurance_payment(0)


def test_example_4_secondary_coverage():
    target = responsibility_after_transfer_target([PRIMARY, SECONDARY], PRIMARY)
    assert target == SECONDARY
    entries = [
        charge(20000),
        insurance_payment(9600),
        adjustment(8000, "CO", "45"),
        transfer(2400, PRIMARY, target, group_code="PR", carc="2"),
    ]
    b = balance(entries)
    assert b.for_resp(SECONDARY) == 2400
    assert b.patient_cents == 0
    assert b.insurance_cents == 2400

    after_secondary = responsibility_after_transfer_target([PRIMARY, SECONDARY], SECONDARY)
    assert after_secondary == PATIENT
    entries += [
        insurance_payment(2000, SECONDARY),
        transfer(400, SECONDARY, after_secondary, group_code="PR", carc="2"),
    ]
    b = balance(entries)
    assert b.patient_cents == 400
    assert b.insurance_cents == 0
    assert check_line_identity(entries)


def test_example_5_reversal_and_readjudication():
    first = with_ids([charge(20000), insurance_payment(16000), adjustment(4000, "CO", "45")])
    assert balance(first) == Balance.zero()
    by_id = {e.entry_id: e for e in first}

    reversals = [reversal_of(first[1]), reversal_of(first[2])]
    assert [r.reverses_id for r in reversals] == [2, 3]
    assert [r.amount_cents for r in reversals] == [16000, 4000]  # negations of -160.00, -40.00
    assert balance(first + reversals).insurance_cents == 20000

    readjudication = [insurance_payment(12000), adjustment(8000, "CO", "45")]
    everything = first + reversals + readjudication
    assert balance(everything) == Balance.zero()
    assert cash(reversals + readjudication, by_id) == -4000
    assert check_line_identity(everything)


def test_denial_stays_insurance_ar():
    # Example 3: CO-197 is not posted as an adjustment; 300.00 stays with the payer.
    entries = [charge(30000)]
    assert balance(entries).insurance_cents == 30000
    entries.append(write_off(30000, PRIMARY, carc="197"))
    assert balance(entries) == Balance.zero()


# --- sign rules and validation ----------------------------------------------------------


def test_signs_of_each_constructor():
    assert charge(100).amount_cents == 100
    assert insurance_payment(100).amount_cents == -100
    assert patient_payment(100).amount_cents == -100
    assert patient_payment(100).responsibility == PATIENT
    assert adjustment(100, "CO", "45").amount_cents == -100
    assert adjustment(-100, "CO", "45").amount_cents == 100  # negative CAS raises it
    assert write_off(100, PATIENT).amount_cents == -100
    assert refund(100, PATIENT).amount_cents == 100
    t = transfer(100, PRIMARY, PATIENT)
    assert (t.amount_cents, t.responsibility, t.to_responsibility) == (100, PRIMARY, PATIENT)
    assert effects(t) == [(PRIMARY, -100), (PATIENT, 100)]
    assert effects(charge(5)) == [(PRIMARY, 5)]


def test_overpayment_and_refund():
    entries = [charge(10000), insurance_payment(12000)]
    assert balance(entries).insurance_cents == -2000  # a credit
    entries.append(refund(2000, PRIMARY))
    assert balance(entries) == Balance.zero()


@pytest.mark.parametrize(
    "make",
    [
        lambda: charge(0),
        lambda: charge(-5),
        lambda: insurance_payment(0),
        lambda: insurance_payment(100, PATIENT),
        lambda: patient_payment(-1),
        lambda: write_off(0, PRIMARY),
        lambda: refund(0, PRIMARY),
        lambda: transfer(100, PRIMARY, PRIMARY),
        lambda: transfer(0, PRIMARY, PATIENT),
        lambda: charge(100, 4),
        lambda: charge(100, -1),
        lambda: transfer(100, PRIMARY, 7),
        lambda: adjustment(100, "XX", "45"),
        lambda: adjustment(100, None, "45"),
        lambda: Entry(EntryKind.TRANSFER, PRIMARY, 100),
        lambda: Entry(EntryKind.CHARGE, PRIMARY, 100, to_responsibility=PATIENT),
        lambda: Entry("bogus", PRIMARY, 100),
    ],
)
def test_invalid_entries_raise(make):
    with pytest.raises(ValidationError):
        make()


@pytest.mark.parametrize("bad", [1.5, True, None, "100"])
def test_amounts_must_be_int(bad):
    with pytest.raises(TypeError):
        charge(bad)
    with pytest.raises(TypeError):
        Entry(EntryKind.CHARGE, PRIMARY, bad)


def test_kind_from_database_string_is_coerced():
    e = Entry("insurance_payment", PRIMARY, -100)
    assert e.kind is EntryKind.INSURANCE_PAYMENT


def test_reversal_rules():
    with pytest.raises(ValidationError):
        reversal_of(charge(100))  # not saved yet: no id to point at
    (e,) = with_ids([charge(100)])
    r = dataclasses.replace(reversal_of(e), entry_id=2)
    assert r.kind is EntryKind.REVERSAL and r.reverses_id == 1
    with pytest.raises(ValidationError):
        reversal_of(r)


def test_reversal_of_transfer_moves_back():
    (t,) = with_ids([transfer(2400, PRIMARY, PATIENT, group_code="PR", carc="2")])
    r = reversal_of(t)
    assert r.to_responsibility == PATIENT and r.group_code == "PR" and r.carc == "2"
    assert effects(r) == [(PRIMARY, 2400), (PATIENT, -2400)]


def test_balance_helpers():
    b = Balance((1, 2, 3, 4))
    assert b.patient_cents == 1
    assert b.insurance_cents == 9
    assert b.total_cents == 10
    assert [b.for_resp(r) for r in (PATIENT, PRIMARY, SECONDARY, TERTIARY)] == [1, 2, 3, 4]
    assert b + b == Balance((2, 4, 6, 8))
    assert b - b == Balance.zero()
    assert balance([]) == Balance.zero()
    with pytest.raises(ValidationError):
        b.for_resp(5)


def test_totals_by_kind():
    entries = [charge(20000), insurance_payment(9600), transfer(2400, PRIMARY, PATIENT)]
    t = totals_by_kind(entries)
    assert t[EntryKind.CHARGE] == 20000
    assert t[EntryKind.INSURANCE_PAYMENT] == -9600
    assert t[EntryKind.TRANSFER] == 2400
    assert t[EntryKind.REFUND] == 0
    assert set(t) == set(EntryKind)


def test_line_identity_catches_drift_in_effects(monkeypatch):
    # If the per-party effects ever stopped matching the signed amounts, the check fails.
    entries = [charge(20000), transfer(2400, PRIMARY, PATIENT)]
    assert check_line_identity(entries)
    monkeypatch.setattr(L, "effects", lambda e: [(e.responsibility, e.amount_cents)])
    assert not check_line_identity(entries)


@pytest.mark.parametrize(
    ("ranks", "current", "expected"),
    [
        ([1, 2, 3], PRIMARY, SECONDARY),
        ([1, 3], PRIMARY, TERTIARY),
        ([1], PRIMARY, PATIENT),
        ([], PRIMARY, PATIENT),
        ([1, 2, 3], TERTIARY, PATIENT),
        ([3, 2, 1], PRIMARY, SECONDARY),
        ([1, 2], PATIENT, PATIENT),
    ],
)
def test_next_responsibility(ranks, current, expected):
    assert responsibility_after_transfer_target(ranks, current) == expected


def test_is_insurance():
    assert not L.is_insurance(PATIENT)
    assert all(L.is_insurance(r) for r in (PRIMARY, SECONDARY, TERTIARY))


# --- properties -------------------------------------------------------------------------

resp = st.sampled_from([PATIENT, PRIMARY, SECONDARY, TERTIARY])
payer = st.sampled_from([PRIMARY, SECONDARY, TERTIARY])
cents = st.integers(min_value=1, max_value=10_000_000)
group = st.sampled_from(["CO", "PR", "OA", "PI", "CR"])
carc = st.sampled_from(["45", "1", "2", "3", "197", "253"])


@st.composite
def transfers(draw):
    a = draw(resp)
    b = draw(resp.filter(lambda r: r != a))
    return transfer(draw(cents), a, b, draw(st.none() | group), draw(st.none() | carc))


entry = st.one_of(
    st.builds(charge, cents, resp),
    st.builds(insurance_payment, cents, payer),
    st.builds(patient_payment, cents),
    st.builds(adjustment, st.integers(-1_000_000, 1_000_000), group, carc, st.none(), resp),
    st.builds(write_off, cents, resp, st.none() | carc),
    st.builds(refund, cents, resp),
    transfers(),
)


@st.composite
def ledgers(draw):
    """A saved ledger: ordinary entries plus reversals of some of them."""
    base = with_ids(draw(st.lists(entry, max_size=25)))
    reversible = list(base)
    out = list(base)
    for e in draw(st.lists(st.sampled_from(reversible), unique_by=id)) if reversible else []:
        out.append(reversal_of(e))
    return out


@given(ledgers(), st.randoms(use_true_random=False))
def test_balance_independent_of_order(entries, rnd):
    shuffled = list(entries)
    rnd.shuffle(shuffled)
    assert balance(shuffled) == balance(entries)


@given(st.lists(entry, max_size=8).flatmap(st.permutations))
def test_balance_independent_of_permutation(entries):
    assert balance(entries) == balance(sorted(entries, key=repr))


@given(ledgers(), entry)
def test_reversal_restores_previous_balance(entries, e):
    before = balance(entries)
    saved = dataclasses.replace(e, entry_id=10_000)
    after = entries + [saved]
    assert balance(after + [reversal_of(saved)]) == before


@given(ledgers())
def test_line_identity_holds(entries):
    assert check_line_identity(entries)


@given(ledgers())
def test_balance_equals_sum_of_effects(entries):
    acc = [0, 0, 0, 0]
    for e in entries:
        for r, d in effects(e):
            acc[r] += d
    assert balance(entries).by_responsibility == tuple(acc)


@given(ledgers())
def test_transfers_never_change_the_total(entries):
    moves = [e for e in entries if e.to_responsibility is not None]
    assert balance(moves).total_cents == 0
