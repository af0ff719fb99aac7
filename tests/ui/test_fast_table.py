"""FastTable draws exactly what DataTable draws: the same characters in the same styles,
for every line of a table of mixed cells (styled, justified, cropped, ellipsis, wide
characters, markup strings, numbers), focused or not, with the cursor anywhere."""

from __future__ import annotations

import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.text import Text
from textual.app import App, ComposeResult
from textual.widgets import DataTable

from billing_tui.widgets.fast_table import FastTable

STYLES = ["", "bold", "red", "bold yellow", "dim", "italic on blue", "underline green"]

words = st.text(string.ascii_letters + string.digits + " -.,$[]/" + "é漢", max_size=30)
texts = st.builds(
    lambda plain, style, justify, overflow, span: _text(plain, style, justify, overflow, span),
    words,
    st.sampled_from(STYLES),
    st.sampled_from([None, "left", "right", "center", "default", "full"]),
    st.sampled_from([None, "fold", "crop", "ellipsis"]),
    st.sampled_from(STYLES),
)
cells = st.one_of(texts, words.map(lambda s: s.replace("[", "(")), st.integers(), st.none())


def _text(plain: str, style: str, justify, overflow, span_style: str) -> Text:
    text = Text(plain, style=style, justify=justify, overflow=overflow)
    if span_style and len(plain) > 2:
        text.stylize(span_style, 1, len(plain) // 2 + 1)
    return text


class Pair(App):
    """The same rows in a DataTable and a FastTable, side by side in one app."""

    def __init__(self, rows, widths, cursor_type: str, padding: int) -> None:
        super().__init__()
        self.rows, self.widths = rows, widths
        self.cursor_type, self.padding = cursor_type, padding

    def compose(self) -> ComposeResult:
        for cls, id_ in ((DataTable, "stock"), (FastTable, "fast")):
            table = cls(id=id_, cursor_type=self.cursor_type, zebra_stripes=True)
            table.cell_padding = self.padding
            for i, w in enumerate(self.widths):
                table.add_column(Text(f"C{i}", justify="right" if i % 2 else "left"), width=w)
            for row in self.rows:
                table.add_row(*row)
            table.styles.height = len(self.rows) + 1
            yield table


def _cells(strip) -> list[tuple[str, object]]:
    """A rendered line as (character, style) pairs: segments may split differently."""
    return [(ch, seg.style) for seg in strip for ch in seg.text]


def _lines(table, n: int) -> list[list[tuple[str, object]]]:
    return [_cells(table.render_line(y)) for y in range(n)]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    widths=st.lists(st.integers(1, 14), min_size=1, max_size=4),
    data=st.data(),
    cursor_type=st.sampled_from(["row", "cell", "none"]),
    padding=st.integers(0, 2),
)
async def test_fast_table_draws_what_datatable_draws(widths, data, cursor_type, padding):
    rows = data.draw(
        st.lists(st.lists(cells, min_size=len(widths), max_size=len(widths)), max_size=6)
    )
    app = Pair(rows, widths, cursor_type, padding)
    async with app.run_test(size=(140, 30)) as pilot:
        stock = app.query_one("#stock", DataTable)
        fast = app.query_one("#fast", FastTable)
        if rows:
            row = data.draw(st.integers(0, len(rows) - 1))
            col = data.draw(st.integers(0, len(widths) - 1))
            stock.move_cursor(row=row, column=col)
            fast.move_cursor(row=row, column=col)
        n = len(rows) + 1
        app.set_focus(None)
        await pilot.pause()
        assert _lines(fast, n) == _lines(stock, n)  # neither focused
        stock.focus()
        await pilot.pause()
        stock_focused = _lines(stock, n)
        fast.focus()
        await pilot.pause()
        assert _lines(fast, n) == stock_focused  # each with the focus
        app.set_focus(None)
        await pilot.resize_terminal(100, 30)  # narrower: the fill after the last column
        await pilot.pause()
        assert fast.size.width == stock.size.width == 100
        assert _lines(fast, n) == _lines(stock, n)


async def test_fast_table_skips_measuring_fixed_width_columns():
    """Fixed-width columns keep their width whatever the cells hold; an auto-width
    column is still sized to its widest cell."""
    app = Pair([["a much longer cell than the column", "xyz"]], [4, 6], "row", 1)
    async with app.run_test(size=(80, 10)) as pilot:
        fast = app.query_one("#fast", FastTable)
        assert [c.get_render_width(fast) for c in fast.ordered_columns] == [6, 8]
        fast.add_column("auto")
        fast.add_row("1", "2", "twelve chars")
        await pilot.pause()
        assert fast.ordered_columns[2].get_render_width(fast) == len("twelve chars") + 2
