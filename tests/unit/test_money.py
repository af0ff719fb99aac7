"""Money: the one parser and the cents value type (never a float anywhere)."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing_tui.domain.errors import MoneyParseError, ValidationError
from billing_tui.domain.money import Money, parse_money, parse_x12_amount


@pytest.mark.parametrize(
    ("text", "cents"),
    [
        ("1,234.56", 123456),
        ("12,345", 1234500),
        ("1,234,567.8", 123456780),
        ("12", 1200),
        ("12.5", 1250),
        ("12.50", 1250),
        (".5", 50),
        ("12.", 1200),
        ("(12.50)", -1250),
        ("($1,234.56)", -123456),
        ("  $12  ", 1200),
        ("-3.50", -350),
        ("-$3.50", -350),
        ("$-3.50", -350),
        ("$1,234.56", 123456),
        ("0", 0),
        ("-0.00", 0),
        ("007.10", 710),
    ],
)
def test_parse_accepts(text, cents):
    assert parse_money(text) == Money(cents)
    assert Money.parse(text) == Money(cents)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("12.345", '"12.345": more than 2 decimal places'),
        ("abc", '"abc": not an amount'),
        ("1.2.3", '"1.2.3": more than one decimal point'),
        ("", '"": amount is empty'),
        ("   ", '"   ": amount is empty'),
        ("1,23", '"1,23": misplaced thousands separator'),
        ("1,2345", '"1,2345": misplaced thousands separator'),
        (",123", '",123": misplaced thousands separator'),
        ("1234,567", '"1234,567": misplaced thousands separator'),
        ("1.234,56", '"1.234,56": misplaced thousands separator'),
        ("-", '"-": not an amount'),
        ("$", '"$": not an amount'),
        (".", '".": not an amount'),
        ("--5", '"--5": not an amount'),
        ("(-5)", '"(-5)": not an amount'),
        ("(5", '"(5": not an amount'),
        ("1e3", '"1e3": not an amount'),
        ("1 000", '"1 000": not an amount'),
        ("nan", '"nan": not an amount'),
        ("١٢", '"١٢": not an amount'),
    ],
)
def test_parse_rejects_with_message(text, message):
    with pytest.raises(MoneyParseError) as exc:
        parse_money(text)
    assert str(exc.value) == message
    assert isinstance(exc.value, ValidationError)


@pytest.mark.parametrize(
    ("text", "cents"),
    [("96", 9600), ("96.5", 9650), ("-160.00", -16000), ("0", 0), (".5", 50)],
)
def test_x12_amounts(text, cents):
    assert parse_x12_amount(text) == Money(cents)


@pytest.mark.parametrize("text", ["$96", "1,234.00", "(5)", "96.123", "", "-$5"])
def test_x12_rejects_rep_conveniences(text):
    with pytest.raises(MoneyParseError):
        parse_x12_amount(text)


def test_parse_requires_text():
    with pytest.raises(TypeError):
        parse_money(12.5)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [1.5, True, Decimal("1"), "100", None])
def test_money_rejects_non_int(bad):
    with pytest.raises(TypeError):
        Money(bad)


def test_formatting():
    assert str(Money(123456)) == "1,234.56"
    assert str(Money(-350)) == "-3.50"
    assert str(Money(5)) == "0.05"
    assert Money(123456).format(symbol=True) == "$1,234.56"
    assert Money(-350).format(symbol=True) == "-$3.50"
    assert Money(0).format(symbol=True) == "$0.00"
    assert Money(123456).to_decimal() == Decimal("1234.56")
    assert str(Money(-5).to_decimal()) == "-0.05"
    assert str(Money(10**30 + 1).to_decimal()) == "1" + "0" * 28 + ".01"


def test_arithmetic():
    a, b = Money(1050), Money(-25)
    assert a + b == Money(1025)
    assert a - b == Money(1075)
    assert -a == Money(-1050)
    assert abs(b) == Money(25)
    assert a * 3 == Money(3150) == 3 * a
    assert sum([a, b, a]) == Money(2075)
    assert sum([], Money.zero()) == Money(0)
    assert Money.from_cents(7) == Money(7)
    assert not Money.zero()
    assert b
    assert b < Money.zero() < a
    assert sorted([a, b]) == [b, a]
    assert len({Money(1), Money(1)}) == 1


@pytest.mark.parametrize("other", [1.5, 2.0, Decimal("2"), True, Money(2)])
def test_multiplication_by_int_only(other):
    with pytest.raises(TypeError):
        Money(100) * other


@pytest.mark.parametrize("other", [0, 1, 1.0, Decimal("0")])
def test_no_adding_plain_numbers(other):
    with pytest.raises(TypeError):
        Money(100) + other


@pytest.mark.parametrize("other", [1, 0.0, 1.0, Decimal("0"), False])
def test_only_int_zero_on_the_left(other):
    # sum() starts from the int 0; anything else on the left is a units bug.
    with pytest.raises(TypeError):
        other + Money(100)
    assert 0 + Money(100) == Money(100)


def test_frozen():
    m = Money(1)
    with pytest.raises(AttributeError):
        m.cents = 2  # type: ignore[misc]


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_roundtrip_str(c):
    assert parse_money(str(Money(c))) == Money(c)
    assert parse_money(Money(c).format()) == Money(c)
    assert parse_money(Money(c).format(symbol=True)) == Money(c)
    assert parse_x12_amount(str(Money(c).to_decimal())) == Money(c)


@given(st.integers())
def test_roundtrip_any_int(c):
    assert parse_money(str(Money(c))) == Money(c)
    # to_decimal is exact at any size (no context rounding).
    assert int(str(Money(c).to_decimal()).replace(".", "")) == c


@given(st.text(max_size=12))
def test_parse_never_fails_unexpectedly(text):
    # Any text either parses to Money or raises MoneyParseError: never ValueError etc.
    try:
        result = parse_money(text)
    except MoneyParseError as exc:
        assert f'"{text}"' in str(exc)
    else:
        assert type(result.cents) is int
