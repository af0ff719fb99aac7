"""Cell helpers for DataTables: money and counts right-aligned, labels right-aligned, and
text from the database shown as typed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TypeVar

from rich.text import Text

from billing_tui.domain.money import Money

T = TypeVar("T")


def money_cell(cents: int, *, bold: bool = False, symbol: bool = False) -> Text:
    """Integer cents as "1,234.56" (or "$1,234.56"), right-aligned; negatives in red."""
    style = "bold" if bold else ""
    if cents < 0:
        style = f"{style} red".strip()
    return Text(Money(cents).format(symbol=symbol), style=style, justify="right")


def count_cell(n: int, *, bold: bool = False) -> Text:
    return Text(f"{n:,}", style="bold" if bold else "", justify="right")


def right(label: str, *, bold: bool = False) -> Text:
    """A right-aligned column label (for money and count columns)."""
    return Text(label, style="bold" if bold else "", justify="right")


def date_cell(day: dt.date, *, today: dt.date | None = None) -> Text:
    """ISO date; dates before ``today`` (overdue) are highlighted."""
    overdue = today is not None and day < today
    return Text(day.isoformat(), style="red" if overdue else "")


def text_cell(value: str) -> Text:
    """Database text (a name, claim no., memo) as a cell: a str cell is read as markup, so
    "Smith [/x]" would crash the table and "[b]" would vanish. Unwrapped, like a str cell
    in a one-line row."""
    return Text(value, no_wrap=True, end="")


def row_at_cursor(table, rows: Sequence[T]) -> T | None:
    """The item behind the table's highlighted row (rows are shown in ``rows`` order), or
    None when the table is empty or the cursor is past the rows loaded so far."""
    cursor = table.cursor_row
    if not rows or cursor is None or not 0 <= cursor < len(rows):
        return None
    return rows[cursor]
