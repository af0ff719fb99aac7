"""Money as integer cents, and the one parser for amounts reps type and files carry.

Floats never appear: binary fractions cannot hold 0.10 exactly, and a ledger that is off
by a cent does not balance. Parsing works on the text's digits, never through float.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import ClassVar

from billing_tui.domain.errors import MoneyParseError

_DIGITS = frozenset("0123456789")


@dataclass(frozen=True, slots=True, order=True)
class Money:
    """An amount in integer cents; arithmetic stays in Money so units never mix."""

    cents: int

    def __post_init__(self) -> None:
        # bool is an int subclass and float "works" by accident: both would hide bugs.
        if type(self.cents) is not int:
            raise TypeError(f"Money needs int cents, not {type(self.cents).__name__}")

    @classmethod
    def zero(cls) -> Money:
        return cls(0)

    @classmethod
    def from_cents(cls, cents: int) -> Money:
        return cls(cents)

    def __add__(self, other: object) -> Money:
        if type(other) is Money:
            return Money(self.cents + other.cents)
        return NotImplemented

    def __radd__(self, other: object) -> Money:
        # Lets sum() start from its default int 0; any other int is a units bug.
        if type(other) is int and other == 0:
            return self
        return NotImplemented

    def __sub__(self, other: object) -> Money:
        if type(other) is Money:
            return Money(self.cents - other.cents)
        return NotImplemented

    def __neg__(self) -> Money:
        return Money(-self.cents)

    def __pos__(self) -> Money:
        return self

    def __abs__(self) -> Money:
        return Money(abs(self.cents))

    def __bool__(self) -> bool:
        return self.cents != 0

    def __mul__(self, other: object) -> Money:
        # Units (int) only: a percentage would need an explicit rounding rule.
        if type(other) is int:
            return Money(self.cents * other)
        return NotImplemented

    __rmul__ = __mul__

    def __str__(self) -> str:
        return self.format()

    def format(self, symbol: bool = False) -> str:
        """Grouped dollars without a symbol ("-3.50"); ``symbol=True`` gives "-$3.50"."""
        sign = "-" if self.cents < 0 else ""
        dollars, cents = divmod(abs(self.cents), 100)
        return f"{sign}{'$' if symbol else ''}{dollars:,}.{cents:02d}"

    def to_decimal(self) -> Decimal:
        """Exact Decimal with two places (for reports and X12 output)."""
        return Decimal(f"{self.cents}E-2")

    # Assigned below, once parse_money exists: Money.parse("1,234.56").
    parse: ClassVar[Callable[[str], Money]]


def _fail(text: str, problem: str) -> MoneyParseError:
    return MoneyParseError(f'"{text}": {problem}')


def _parse(text: str, *, rep_input: bool) -> Money:
    """Shared grammar; ``rep_input`` also allows $, thousands commas and (accounting)."""
    if not isinstance(text, str):
        raise TypeError(f"amount text must be str, not {type(text).__name__}")
    s = text.strip()
    if not s:
        raise _fail(text, "amount is empty")

    negative = False
    if rep_input and len(s) >= 2 and s[0] == "(" and s[-1] == ")":
        negative = True
        s = s[1:-1]
        if s.startswith("$"):
            s = s[1:]
    elif rep_input and s.startswith(("-$", "$-")):
        negative = True
        s = s[2:]
    elif s.startswith("-"):
        negative = True
        s = s[1:]
    elif rep_input and s.startswith("$"):
        s = s[1:]

    allowed = _DIGITS | {".", ","} if rep_input else _DIGITS | {"."}
    if not s or not set(s) <= allowed or s == ".":
        raise _fail(text, "not an amount")
    if s.count(".") > 1:
        raise _fail(text, "more than one decimal point")

    whole, _, frac = s.partition(".")
    if "," in whole:
        groups = whole.split(",")
        if not (1 <= len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])):
            raise _fail(text, "misplaced thousands separator")
        whole = whole.replace(",", "")
    if "," in frac:
        raise _fail(text, "misplaced thousands separator")
    if len(frac) > 2:
        raise _fail(text, "more than 2 decimal places")

    cents = int(whole or "0") * 100 + int(frac.ljust(2, "0"))
    return Money(-cents if negative else cents)


def parse_money(text: str) -> Money:
    """Parse what a rep types or a file carries: "$1,234.5", "-3", "(12.50)", ".5".

    Raises MoneyParseError naming the problem and quoting the input.
    """
    return _parse(text, rep_input=True)


def parse_x12_amount(text: str) -> Money:
    """Parse an X12 R-type amount ("96", "96.5", "-160.00"): no $ and no commas."""
    return _parse(text, rep_input=False)


Money.parse = staticmethod(parse_money)
