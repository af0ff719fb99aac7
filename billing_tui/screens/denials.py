"""The denial work list: open denials grouped by category and CARC (counts and dollars),
the highlighted group's denials below, oldest first.

``tab`` moves between the groups and the denials; ``enter`` on a group shows its
denials, on a denial opens it (root cause and actions). ``p`` filters by payer, ``a``
steps through the age filters, ``n`` loads the group's next page. Coming back from a
denial reloads the list (a worked denial leaves it).

f10 reads the first page before it pushes the screen (``first_page`` in the app's
worker), so the screen is built full and painted once; pushed without a page (tests, or
when that read failed) it loads itself and shows what went wrong.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from billing_tui.domain.errors import DomainError
from billing_tui.domain.money import Money
from billing_tui.widgets.cells import count_cell, money_cell, row_at_cursor
from billing_tui.widgets.fast_table import FastTable
from billing_tui.widgets.keys_footer import KeysFooter
from billing_tui.widgets.status import StatusLine
from billing_tui.widgets.title_bar import TitleBar
from billing_tui.widgets.worker_failures import ReportsWorkerFailures

if TYPE_CHECKING:
    from billing_tui.app import BillingApp
    from billing_tui.services.denials import DenialRow, DenialWorkList

AGES = ("all", "0-30", "31-60", "61-90", "91+")
PAGE = 50


def first_page(app: BillingApp) -> DenialWorkList:
    """Worker threads only: the unfiltered work list's first page, as the screen opens."""
    from billing_tui.services.denials import work_list

    return work_list(app.database(), today=app.today, limit=PAGE)


class PayerPicker(ModalScreen["int | None | bool"]):
    """Pick the payer to filter by; "All payers" clears it (escape: no change)."""

    BINDING_GROUP_TITLE = "Payer filter"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="payer_picker.cancel"),
    ]
    AUTO_FOCUS = "#payer-options"
    DEFAULT_CSS = """
    PayerPicker { align: center middle; }
    PayerPicker > Vertical {
        width: 60; height: auto; max-height: 90%; padding: 0 1;
        border: round $primary; background: $surface;
    }
    PayerPicker OptionList { height: auto; max-height: 24; }
    """

    def __init__(self, payers: list[tuple[int, str]], current: int | None) -> None:
        super().__init__()
        self.payers = payers
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "Filter by payer"
            options = [Option("All payers", id="all")]
            options += [Option(Text(name), id=str(pid)) for pid, name in self.payers]
            yield OptionList(*options, id="payer-options")
        yield KeysFooter()

    def on_mount(self) -> None:
        ol = self.query_one(OptionList)
        if self.current is not None:
            ids = [str(pid) for pid, _ in self.payers]
            if str(self.current) in ids:
                ol.highlighted = ids.index(str(self.current)) + 1
        else:
            ol.highlighted = 0

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        oid = event.option.id
        self.dismiss(None if oid == "all" else int(oid))

    def action_cancel(self) -> None:
        self.dismiss(False)


class DenialsScreen(ReportsWorkerFailures, Screen[None]):
    BINDING_GROUP_TITLE = "Denials"
    WORKER_FAILURES: ClassVar[dict[str, str]] = {
        "denials": "load the work list",
        "denials-rows": "load the group's denials",
        "denials-payers": "list the payers",
    }
    FAILURE_STATUS = "#den-status"
    AUTO_FOCUS = "#den-groups"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open", "Open", id="denials.open"),
        Binding("p", "payer", "Payer filter", id="denials.payer"),
        Binding("a", "age", "Age filter", id="denials.age"),
        Binding("n", "next_page", "Next page", id="denials.next_page"),
        Binding("r", "refresh", "Refresh", id="denials.refresh"),
    ]
    DEFAULT_CSS = """
    #den-body { padding: 0 1; height: 1fr; }
    #den-body.loading DataTable { display: none; }
    #den-filters { height: 1; }
    #den-groups { height: 2fr; }
    #den-rows { height: 3fr; }
    #den-rows-title { height: 1; margin-top: 1; text-style: bold; }
    """

    class Loaded(Message):
        def __init__(self, wl: DenialWorkList, note: str) -> None:
            super().__init__()
            self.wl = wl
            self.note = note

    class RowsLoaded(Message):
        def __init__(self, group: tuple[str, str], rows: list[DenialRow], more: bool, offset: int):
            super().__init__()
            self.group = group
            self.rows = rows
            self.more = more
            self.row_offset = offset

    class PayersLoaded(Message):
        def __init__(self, payers: list[tuple[int, str]]) -> None:
            super().__init__()
            self.payers = payers

    class Failed(Message):
        def __init__(self, reason: str) -> None:
            super().__init__()
            self.reason = reason

    def __init__(self, first: DenialWorkList | None = None) -> None:
        super().__init__()
        self.first = first  # the first page, read before the push (None: load it here)
        self.payer_id: int | None = None
        self.payer_name = "All payers"
        self.age = "all"
        self.wl: DenialWorkList | None = None
        self.group: tuple[str, str] | None = None
        self.rows: list[DenialRow] = []
        self.row_offset = 0
        self.more = False
        self.busy = False
        self.opened = False

    @property
    def billing_app(self) -> BillingApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        if self.first is None:
            # Query first: the work list loads in its thread while the widgets below are
            # built and styled.
            self.reload()
        yield TitleBar()
        # Without a first page the tables stay hidden until the answer: laying out and
        # painting them empty, then again full, cost a third of the time to the list.
        with Vertical(id="den-body", classes="" if self.first else "loading"):
            yield Static("", id="den-filters")
            # Fixed column widths: the layout never jumps between pages, and the table
            # does not measure every cell of every row to size its columns.
            groups = FastTable(id="den-groups", cursor_type="row", zebra_stripes=True)
            groups.add_column("Category", key="category", width=26)
            groups.add_column("CARC", key="carc", width=5)
            groups.add_column("What the payer said", key="description", width=58)
            groups.add_column(Text("Denials", justify="right"), key="count", width=7)
            groups.add_column(Text("Dollars", justify="right"), key="dollars", width=12)
            yield groups
            yield Static("", id="den-rows-title")
            rows = FastTable(id="den-rows", cursor_type="row", zebra_stripes=True)
            rows.add_column("Claim", key="claim", width=14)
            rows.add_column("Patient", key="patient", width=24)
            rows.add_column("Payer", key="payer", width=24)
            rows.add_column("Denied", key="denied", width=10)
            rows.add_column(Text("Age", justify="right"), key="age", width=5)
            rows.add_column(Text("Amount", justify="right"), key="amount", width=10)
            rows.add_column("Root cause", key="root", width=14)
            yield rows
            yield StatusLine(id="den-status")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.sub_title = "Denial work list"
        if self.first is not None:  # filled before the first paint: one paint, full
            self._loaded(self.Loaded(self.first, ""))
            self.first = None

    def on_screen_resume(self) -> None:
        if self.opened:  # back from a denial: it may have left the list
            self.opened = False
            self.reload(keep_group=True)

    # --- loading -----------------------------------------------------------------------

    def reload(self, note: str = "", keep_group: bool = False) -> None:
        self.busy = True
        self.load(self.payer_id, self.age, self.group if keep_group else None, note)

    @work(thread=True, exclusive=True, exit_on_error=False, group="denials")
    def load(self, payer_id: int | None, age: str, group, note: str) -> None:
        from billing_tui.services.denials import work_list

        try:
            wl = work_list(
                self.billing_app.database(),
                payer_id=payer_id,
                age=age,
                group=group,
                today=self.billing_app.today,
                limit=PAGE,
            )
        except DomainError as exc:
            self.post_message(self.Failed(str(exc)))
            return
        if not get_current_worker().is_cancelled:
            self.post_message(self.Loaded(wl, note))

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        self.busy = False
        wl = message.wl
        self.wl = wl
        self.query_one("#den-body").remove_class("loading")
        self.query_one("#den-filters", Static).update(
            Text.assemble(
                ("Open denials ", "bold"),
                f"{wl.total_count:,} · ",
                (Money(wl.total_cents).format(True), "bold"),
                f"  ·  payer: {self.payer_name} (p)  ·  age: {self.age} days (a)",
            )
        )
        table = self.query_one("#den-groups", DataTable)
        table.clear()
        for g in wl.groups:
            carc = g.carc + ("" if g.known else " ?")
            table.add_row(
                g.category_label,
                Text(carc, style="" if g.known else "bold yellow"),
                g.description[:58],
                count_cell(g.count),
                money_cell(g.amount_cents),
                key=f"{g.category}|{g.carc}",
            )
        keys = [(g.category, g.carc) for g in wl.groups]
        if wl.group in keys:
            table.move_cursor(row=keys.index(wl.group))
        self._show_rows(wl.group, list(wl.rows), wl.has_more, 0)
        if self.focused is None:
            table.focus()  # AUTO_FOCUS can miss the table while the screen is loading
        self.refresh_bindings()
        status = self.query_one("#den-status", StatusLine)
        if message.note:
            status.show_info(message.note)
        elif not wl.groups:
            status.show_info("No open denials match these filters.")
        else:
            status.clear()

    def _show_rows(self, group, rows: list[DenialRow], more: bool, offset: int) -> None:
        self.group, self.rows, self.more, self.row_offset = group, rows, more, offset
        title = self.query_one("#den-rows-title", Static)
        if group is None:
            title.update("")
        else:
            g = next((g for g in self.wl.groups if (g.category, g.carc) == group), None)
            label = f"{g.category_label} · CARC {g.carc}" if g else f"CARC {group[1]}"
            page = offset // PAGE + 1
            title.update(f"{label}: oldest first, page {page}" + ("  (more: n)" if more else ""))
        table = self.query_one("#den-rows", DataTable)
        table.clear()
        for r in rows:
            table.add_row(  # Text, not str: a DataTable reads a str as markup ("[/x]" breaks it)
                Text(r.claim_number),
                Text(r.patient_name[:24]),
                Text(r.payer_name[:24]),
                r.denied_on.isoformat(),
                Text(str(r.age_days), justify="right"),
                money_cell(r.amount_cents),
                (r.root_cause or "-").replace("_", " "),
                key=str(r.denial_id),
            )

    @work(thread=True, exclusive=True, exit_on_error=False, group="denials-rows")
    def load_rows(self, group: tuple[str, str], offset: int) -> None:
        from billing_tui.services.denials import group_rows

        try:
            rows, more = group_rows(
                self.billing_app.database(),
                group[0],
                group[1],
                payer_id=self.payer_id,
                age=self.age,
                offset=offset,
                limit=PAGE,
                today=self.billing_app.today,
            )
        except DomainError as exc:
            self.post_message(self.Failed(str(exc)))
            return
        if not get_current_worker().is_cancelled:
            self.post_message(self.RowsLoaded(group, rows, more, offset))

    @on(RowsLoaded)
    def _rows_loaded(self, message: RowsLoaded) -> None:
        self._show_rows(message.group, message.rows, message.more, message.row_offset)
        self.refresh_bindings()

    @on(Failed)
    def _failed(self, message: Failed) -> None:
        self.busy = False
        self.query_one("#den-status", StatusLine).show_error(message.reason)

    def worker_failed(self, group: str) -> None:
        self.busy = False

    # --- keys --------------------------------------------------------------------------

    def _highlighted_group(self) -> tuple[str, str] | None:
        groups = self.wl.groups if self.wl is not None else ()
        g = row_at_cursor(self.query_one("#den-groups", DataTable), groups)
        return None if g is None else (g.category, g.carc)

    def _highlighted_denial(self) -> DenialRow | None:
        return row_at_cursor(self.query_one("#den-rows", DataTable), self.rows)

    @on(DataTable.RowHighlighted, "#den-groups")
    def _group_highlighted(self) -> None:
        group = self._highlighted_group()
        if group is not None and group != self.group and not self.busy:
            self.load_rows(group, 0)

    @on(DataTable.RowSelected, "#den-groups")
    def _group_selected(self) -> None:
        self.action_open()

    @on(DataTable.RowSelected, "#den-rows")
    def _row_selected(self) -> None:
        self.action_open()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "next_page":
            return True if self.more else None
        return True

    def action_open(self) -> None:
        rows = self.query_one("#den-rows", DataTable)
        if self.focused is not rows:
            if self.rows:
                rows.focus()
            return
        denial = self._highlighted_denial()
        if denial is None:
            return
        from billing_tui.screens.denial_detail import open_denial

        self.opened = True
        open_denial(self.billing_app, denial.denial_id)

    def action_next_page(self) -> None:
        if self.group is not None and self.more:
            self.load_rows(self.group, self.row_offset + PAGE)

    def action_refresh(self) -> None:
        self.reload(keep_group=True)

    def action_age(self) -> None:
        self.age = AGES[(AGES.index(self.age) + 1) % len(AGES)]
        self.reload()

    def action_payer(self) -> None:
        self.load_payers()

    @work(thread=True, exclusive=True, exit_on_error=False, group="denials-payers")
    def load_payers(self) -> None:
        from billing_tui.services.denials import payer_choices

        try:
            payers = payer_choices(self.billing_app.database())
        except DomainError as exc:
            self.post_message(self.Failed(str(exc)))
            return
        self.post_message(self.PayersLoaded(payers))

    @on(PayersLoaded)
    def _payers(self, message: PayersLoaded) -> None:
        names = dict(message.payers)

        def chosen(result: int | None | bool) -> None:
            if result is False:
                return
            self.payer_id = result  # type: ignore[assignment]
            self.payer_name = names.get(result, "All payers") if result else "All payers"
            self.reload()

        self.app.push_screen(PayerPicker(message.payers, self.payer_id), chosen)
