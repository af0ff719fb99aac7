"""A DataTable that draws one-line text cells without Rich's layout machinery.

Textual's DataTable renders every cell through ``Styled(Padding(cell))`` and two nested
``Console.render_lines`` calls: four generator layers to put one short string between two
spaces. On the denial work list that was a fifth of the time to the first page (about
190 cells, 100 microseconds each). For the cells every work list holds (a ``Text`` or
str, no line breaks or tabs, in a one-line row) this draws the same segments directly:
justify and crop the text as Rich would, pad it with ``cell_padding`` spaces, and layer
the row, cursor and CSS styles exactly as ``Styled`` does. Anything else (headers, row
labels, fixed rows or columns, taller rows, other renderables) goes to DataTable's own
code. ``tests/ui/test_fast_table.py`` checks the two agree segment for segment.

Textual is pinned exactly (pyproject): this overrides a private method of that version.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual._types import SegmentLines
from textual.geometry import Region
from textual.strip import Strip
from textual.widgets import DataTable
from textual.widgets._data_table import RowKey

_NULL = Style.null()


class FastTable(DataTable):
    """Two more savings, for tables whose columns all have fixed widths (as the work
    lists' do, so pages never jump):

    - new rows are not measured cell by cell (DataTable measures every cell to size
      auto-width columns, even when no column is auto-width);
    - a resize that keeps the width drawn at does not throw away every rendered row
      (DataTable does, and repaints the whole table one frame after its first paint).
    """

    _drawn_width: int | None = None

    def _update_dimensions(self, new_rows: Iterable[RowKey]) -> None:
        if any(column.auto_width for column in self.columns.values()):
            return super()._update_dimensions(new_rows)
        rows = [key for key in new_rows if key in self._row_locations]
        if any(self.rows[key].label is not None or self.rows[key].auto_height for key in rows):
            return super()._update_dimensions(rows)
        return super()._update_dimensions(())  # no cell to measure: the sizes only

    def render_lines(self, crop: Region) -> list[Strip]:
        self._drawn_width = self.size.width
        return super().render_lines(crop)

    def _on_resize(self, event: events.Resize) -> None:
        if event.size.width == self._drawn_width:
            # Rows are drawn for a width (the fill after the last column); the same
            # width keeps them right. DataTable's handler would discard them all.
            event.prevent_default()

    def _render_cell(
        self,
        row_index: int,
        column_index: int,
        base_style: Style,
        width: int,
        cursor: bool = False,
        hover: bool = False,
    ) -> SegmentLines:
        if row_index < 0 or column_index < 0:
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        if row_index < self.fixed_rows or column_index < self.fixed_columns:
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        row_key = self._row_locations.get_key(row_index)
        column_key = self._column_locations.get_key(column_index)
        cache_key = (
            row_key,
            column_key,
            base_style,
            cursor,
            hover,
            self._show_hover_cursor,
            self._update_count,
            self._pseudo_class_state,
        )
        cache = self._cell_render_cache
        lines = cache.get(cache_key)
        if lines is not None:
            return lines
        row = self.rows[row_key]
        cell = self._get_row_renderables(row_index).cells[column_index]
        if (
            row.height != 1
            or row.auto_height
            or not isinstance(cell, Text)
            or "\n" in cell.plain
            or "\t" in cell.plain
        ):
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        component_style, post_style = self._get_styles_to_render_cell(
            False,
            False,
            False,
            hover,
            cursor,
            self.show_cursor,
            self._show_hover_cursor,
            self.cursor_foreground_priority == "css",
            self.cursor_background_priority == "css",
        )
        pre_style = base_style + Style.from_meta({"row": row_index, "column": column_index})
        pre_style += component_style
        lines = [self._cell_line(cell, width, pre_style, post_style)]
        cache[cache_key] = lines
        return lines

    def _cell_line(self, text: Text, width: int, pre: Style, post: Style) -> list[Segment]:
        """One cell's segments: what Styled(Padding(text, (0, p)), pre, post) renders at
        ``width`` with no wrapping, one line high."""
        pad = self.cell_padding
        inner = max(0, width - 2 * pad)
        console = self.app.console
        justify = text.justify or "default"
        overflow = text.overflow or "fold"
        line = text.copy()
        if justify == "left":
            line.truncate(inner, overflow=overflow, pad=True)
        elif justify == "right":
            line.rstrip()
            line.truncate(inner, overflow=overflow)
            line.pad_left(inner - cell_len(line.plain))
        elif justify == "center":
            line.rstrip()
            line.truncate(inner, overflow=overflow)
            line.pad_left((inner - cell_len(line.plain)) // 2)
            line.pad_right(inner - cell_len(line.plain))
        else:  # "default" or "full" (one line: nothing to spread)
            line.truncate(inner, overflow=overflow)
        rendered = [s for s in line.render(console, end="") if s.text]
        if line.style:  # Text.render drops the base style of a text without spans
            base = console.get_style(line.style, default=_NULL)
            rendered = [Segment(t, base + s if s else base) for t, s, _ in rendered]
        segments = Segment.adjust_line_length(rendered, inner, style=_NULL)
        if pad:
            segments = [Segment(" " * pad, _NULL), *segments, Segment(" " * pad, _NULL)]
        styled = [Segment(t, pre + s) for t, s, _ in segments]  # as Segment.apply_style
        if post:
            return [Segment(t, (s + post) if s else post) for t, s, _ in styled]
        return styled
