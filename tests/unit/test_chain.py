"""Hash chains: any edit, relink or deletion is found, at the first broken row."""

import datetime as dt
from decimal import Decimal
from enum import IntEnum

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing_tui.domain.chain import GENESIS, canonical, link_hash, verify_chain
from billing_tui.domain.ledger import EntryKind
from billing_tui.domain.money import Money


def build(field_rows, genesis=GENESIS):
    rows, prev = [], genesis
    for fields in field_rows:
        h = link_hash(prev, fields)
        rows.append((prev, h, fields))
        prev = h
    return rows


def sample(n=5):
    return build(
        [
            {"seq": i, "kind": "insurance_payment", "amount_cents": -100 * (i + 1), "memo": None}
            for i in range(n)
        ]
    )


def test_intact_chain_verifies():
    assert verify_chain(sample()) is None
    assert verify_chain([]) is None


def test_changed_amount_is_found():
    rows = sample()
    prev, h, fields = rows[2]
    rows[2] = (prev, h, {**fields, "amount_cents": -1})
    assert verify_chain(rows) == 2


def test_changed_prev_link_is_found():
    rows = sample()
    _, h, fields = rows[3]
    rows[3] = ("f" * 64, h, fields)
    assert verify_chain(rows) == 3


def test_rehashed_row_still_breaks_the_next_link():
    # An attacker who edits a row and recomputes its hash breaks the following row.
    rows = sample()
    prev, _, fields = rows[1]
    fields = {**fields, "amount_cents": 0}
    rows[1] = (prev, link_hash(prev, fields), fields)
    assert verify_chain(rows) == 2


def test_deleted_middle_row_is_found():
    rows = sample()
    del rows[2]
    assert verify_chain(rows) == 2


def test_wrong_genesis_is_found():
    assert verify_chain(sample(), genesis="1" * 64) == 0
    assert verify_chain(build([{"a": 1}], genesis="ab"), genesis="ab") is None


def test_link_hash_definition():
    import hashlib

    fields = {"b": 2, "a": "x"}
    expected = hashlib.sha256((GENESIS + "\n" + "a=x|b=2").encode()).hexdigest()
    assert link_hash(GENESIS, fields) == expected
    assert len(GENESIS) == 64 and set(GENESIS) == {"0"}


def test_canonical_rules():
    text = canonical(
        {
            "z": None,
            "b": True,
            "c": False,
            "i": -42,
            "d": dt.date(2024, 2, 29),
            "t": dt.datetime(2024, 2, 29, 13, 5, 7, 120),
            "m": Decimal("12.50"),
            "s": "a|b=c\\d",
        }
    )
    assert text == (
        "b=1|c=0|d=2024-02-29|i=-42|m=12.50|s=a\\|b\\=c\\\\d|t=2024-02-29T13:05:07.000120|z="
    )


def test_canonical_is_order_independent_and_stable():
    a = {"x": 1, "y": "two", "z": None}
    b = {"z": None, "y": "two", "x": 1}
    assert canonical(a) == canonical(b) == canonical(dict(a))


def test_datetimes_same_instant_same_text():
    naive_utc = dt.datetime(2024, 1, 1, 12, 0, 0)
    aware_utc = naive_utc.replace(tzinfo=dt.UTC)
    aware_cet = aware_utc.astimezone(dt.timezone(dt.timedelta(hours=1)))
    assert canonical({"t": naive_utc}) == canonical({"t": aware_utc}) == canonical({"t": aware_cet})
    assert canonical({"t": naive_utc}) == "t=2024-01-01T12:00:00.000000"


def test_enums_and_money_render_as_values():
    class Rank(IntEnum):
        PRIMARY = 1

    assert canonical({"k": EntryKind.CHARGE, "r": Rank.PRIMARY, "m": Money(-350)}) == (
        "k=charge|m=-350|r=1"
    )


@pytest.mark.parametrize("bad", [1.5, object(), [1], b"x"])
def test_canonical_refuses_unstable_types(bad):
    with pytest.raises(TypeError):
        canonical({"v": bad})


@given(
    st.dictionaries(st.text(), st.text(), max_size=5),
    st.dictionaries(st.text(), st.text(), max_size=5),
)
def test_different_dicts_never_collide(a, b):
    if a != b:
        assert canonical(a) != canonical(b)


@given(st.dictionaries(st.sampled_from("ab|=\\"), st.sampled_from(["", "|", "=", "\\", "a=b"])))
def test_appending_a_separator_changes_the_text(d):
    # Swapping any one value for another changes the text.
    for k in d:
        other = {**d, k: d[k] + "|"}
        assert canonical(other) != canonical(d)


@given(st.lists(st.dictionaries(st.text(max_size=3), st.integers(), max_size=3), max_size=6))
def test_built_chains_verify(field_rows):
    assert verify_chain(build(field_rows)) is None
