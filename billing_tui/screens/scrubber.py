"""The scrubber work list: claims that cannot go out yet, each with what is wrong.

Paged from the database (50 claims a page, by claim id). The highlighted claim's
messages are shown under the table. ``enter`` opens the claim in claim entry; coming
back re-scrubs it (fix -> re-scrub) and the cursor stays where it was. ``s`` re-scrubs
the highlighted claim, ``a`` scrubs every unsent claim, ``v`` switches between the
claims that need work and those ready to send.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Static
from textual.worker import Worker, WorkerState, get_current_worker

from billing_tui.domain.errors import DomainError
from billing_tui.widgets.cells import money_cell, row_at_cursor, text_cell
from billing_tui.widgets.fast_table import FastTable
from billing_tui.widgets.keys_footer import KeysFooter
from billing_tui.widgets.status import StatusLine
from billing_tui.widgets.title_bar import TitleBar

if TYPE_CHECKING:
    from billing_tui.app import BillingApp
    from billing_tui.services.scrubber import FindingView, WorkListPage

PAGE = 50
VIEW_TITLES = {"needs_work": "Needs work", "ready": "Ready to send"}


class ScrubberScreen(Screen[None]):
    BINDING_GROUP_TITLE = "Scrubber"
    AUTO_FOCUS = "#scrub-table"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "edit", "Edit claim", id="scrubber.edit"),
        Binding("s", "rescrub", "Re-scrub", id="scrubber.rescrub"),
        Binding("a", "scrub_all", "Scrub all", id="scrubber.scrub_all"),
        Binding("v", "switch_view", "Needs work / ready", id="scrubber.switch_view"),
        Binding("n", "next_page", "Next page", id="scrubber.next_page"),
        Binding("p", "previous_page", "Previous page", id="scrubber.previous_page"),
        Binding("r", "refresh", "Refresh", show=False, id="scrubber.refresh"),
    ]
    DEFAULT_CSS = """
    #scrub-body { padding: 0 1; height: 1fr; }
    #scrub-counts { height: 1; }
    #scrub-table { height: 1fr; }
    #scrub-findings {
        height: 8; border: round $primary 60%; padding: 0 1;
        border-title-color: $text-primary; border-title-style: bold;
    }
    """

    class PageLoaded(Message):
        def __init__(self, page: WorkListPage, keep_claim: int | None, note: str) -> None:
            super().__init__()
            self.page = page
            self.keep_claim = keep_claim
            self.note = note

    class FindingsLoaded(Message):
        def __init__(self, claim_id: int, findings: list[FindingView]) -> None:
            super().__init__()
            self.claim_id = claim_id
            self.findings = findings

    class Failed(Message):
        def __init__(self, reason: str) -> None:
            super().__init__()
            self.reason = reason

    def __init__(self) -> None:
        super().__init__()
        self.view = "needs_work"
        self.page: WorkListPage | None = None
        self.starts: list[int] = [0]  # after_claim_id of each page seen
        self.busy = False
        self.editing: int | None = None  # the claim opened in claim entry

    @property
    def billing_app(self) -> BillingApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield TitleBar()
        with Vertical(id="scrub-body"):
            yield Static("", id="scrub-counts")
            # Fixed widths: sized from the cells, the table could be caught at its header
            # widths between a page's rows arriving and being measured (a snapshot flaked).
            table = FastTable(id="scrub-table", cursor_type="row", zebra_stripes=True)
            table.add_column("Claim", key="claim", width=9)
            table.add_column("Patient", key="patient", width=20)
            table.add_column("Payer", key="payer", width=22)
            table.add_column("DOS", key="dos", width=10)
            table.add_column(Text("Charge", justify="right"), key="charge", width=9)
            table.add_column("Status", key="status", width=10)
            table.add_column(Text("Probs", justify="right"), key="n", width=5)
            table.add_column("First problem", key="first", width=70)
            yield table
            findings = Static("", id="scrub-findings")
            findings.border_title = "Problems on this claim"
            yield findings
            yield StatusLine(id="scrub-status")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.sub_title = "Scrubber work list"
        self.reload()

    # --- loading ---------------------------------------------------------------------

    def reload(self, keep_claim: int | None = None, note: str = "") -> None:
        self.busy = True
        self.load_page(self.view, self.starts[-1], keep_claim, note)

    @work(thread=True, exclusive=True, exit_on_error=False, group="scrubber")
    def load_page(self, view: str, after: int, keep_claim: int | None, note: str) -> None:
        from billing_tui.services.scrubber import work_list

        try:
            page = work_list(
                self.billing_app.database(), view=view, after_claim_id=after, limit=PAGE
            )
        except DomainError as exc:
            self.post_message(self.Failed(str(exc)))
            return
        if not get_current_worker().is_cancelled:
            self.post_message(self.PageLoaded(page, keep_claim, note))

    @on(PageLoaded)
    def _page(self, message: PageLoaded) -> None:
        self.busy = False
        page = message.page
        self.page = page
        counts = page.counts
        n_page = len(self.starts)
        self.query_one("#scrub-counts", Static).update(
            Text.assemble(
                (VIEW_TITLES[page.view], "bold"),
                f"  ·  needs work {counts.get('needs_work', 0):,}  ·  ready to send "
                f"{counts.get('ready', 0):,}  ·  page {n_page}",
                ("  (more: n)" if page.has_more else ""),
            )
        )
        table = self.query_one("#scrub-table", DataTable)
        table.clear()
        for it in page.items:
            result = it.result or "not scrubbed"
            table.add_row(
                text_cell(it.claim_number),
                text_cell(it.patient_name[:22]),
                text_cell(it.payer_name[:22]),
                it.service_date.isoformat(),
                money_cell(it.total_charge_cents),
                it.status.replace("_", " ") + ("" if it.result else "*"),
                Text(str(it.finding_count) if it.result else "-", justify="right"),
                text_cell((it.first_message or result)[:70]),
                key=str(it.claim_id),
            )
        if page.items:
            ids = [it.claim_id for it in page.items]
            row = ids.index(message.keep_claim) if message.keep_claim in ids else 0
            table.move_cursor(row=row)
            self.show_findings()
        else:
            empty = (
                "Nothing needs work: every unsent claim is clean."
                if page.view == "needs_work"
                else "No claim is ready to send."
            )
            self.query_one("#scrub-findings", Static).update(empty)
        status = self.query_one("#scrub-status", StatusLine)
        if message.note:
            status.show_info(message.note)
        else:
            status.clear()

    def _current(self):
        items = self.page.items if self.page is not None else ()
        return row_at_cursor(self.query_one("#scrub-table", DataTable), items)

    @on(DataTable.RowSelected, "#scrub-table")
    def _selected(self) -> None:
        # The table takes enter itself (select the row): it means "edit" here.
        self.action_edit()

    @on(DataTable.RowHighlighted, "#scrub-table")
    def _highlighted(self) -> None:
        self.show_findings()

    def show_findings(self) -> None:
        item = self._current()
        if item is not None:
            self.load_findings(item.claim_id)

    @work(thread=True, exclusive=True, exit_on_error=False, group="scrubber-findings")
    def load_findings(self, claim_id: int) -> None:
        from billing_tui.services.scrubber import claim_findings

        try:
            found = claim_findings(self.billing_app.database(), claim_id)
        except DomainError as exc:
            self.post_message(self.Failed(str(exc)))
            return
        if not get_current_worker().is_cancelled:
            self.post_message(self.FindingsLoaded(claim_id, found))

    @on(FindingsLoaded)
    def _findings(self, message: FindingsLoaded) -> None:
        item = self._current()
        if item is None or item.claim_id != message.claim_id:
            return
        box = self.query_one("#scrub-findings", Static)
        box.border_title = Text(f"Problems on claim {item.claim_number}")  # never markup
        if message.findings:
            box.update(
                Text("\n").join(
                    Text.assemble((f"{f.label}: ", "bold"), f.message) for f in message.findings
                )
            )
        elif item.result is None:
            box.update("Not scrubbed yet: press s to scrub it.")
        else:
            box.update("Clean.")

    # --- actions ---------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("edit", "rescrub"):
            return None if (self.busy or self._current() is None) else True
        if action == "scrub_all":
            return None if self.busy else True
        if action == "next_page":
            return None if not (self.page and self.page.has_more) else True
        if action == "previous_page":
            return None if len(self.starts) < 2 else True
        return True

    def action_refresh(self) -> None:
        item = self._current()
        self.reload(item.claim_id if item else None)

    def action_switch_view(self) -> None:
        self.view = "ready" if self.view == "needs_work" else "needs_work"
        self.starts = [0]
        self.reload()

    def action_next_page(self) -> None:
        if self.page and self.page.has_more and self.page.items:
            self.starts.append(self.page.items[-1].claim_id)
            self.reload()

    def action_previous_page(self) -> None:
        if len(self.starts) > 1:
            self.starts.pop()
            self.reload()

    def action_edit(self) -> None:
        item = self._current()
        if item is None:
            return
        from billing_tui.screens.claim_entry import ClaimEntryScreen

        self.editing = item.claim_id
        self.app.push_screen(ClaimEntryScreen(claim_id=item.claim_id))

    def on_screen_resume(self) -> None:
        # Back from claim entry (escape pops it): scrub the claim the rep was fixing.
        if self.editing is not None:
            claim_id, self.editing = self.editing, None
            self.busy = True
            self.scrub([claim_id], claim_id)

    def action_rescrub(self) -> None:
        item = self._current()
        if item is None or self.busy:
            return
        self.busy = True
        self.query_one("#scrub-status", StatusLine).show_info(f"scrubbing {item.claim_number}...")
        self.scrub([item.claim_id], item.claim_id)

    def action_scrub_all(self) -> None:
        if self.busy:
            return
        self.busy = True
        self.query_one("#scrub-status", StatusLine).show_info("scrubbing every unsent claim...")
        item = self._current()
        self.scrub(None, item.claim_id if item else None)

    @work(thread=True, exclusive=True, exit_on_error=False, group="scrubber")
    def scrub(self, ids: list[int] | None, keep: int | None) -> None:
        from billing_tui.services.scrubber import scrub_claims, work_list

        app = self.billing_app
        try:
            summary = scrub_claims(app.database(), app.actor, ids, today=app.today)
            if ids and len(ids) == 1 and summary.results:
                r = summary.results[0]
                note = (
                    f"{r.claim_number} is clean: {r.status.replace('_', ' ')}"
                    if r.result == "clean"
                    else f"{r.claim_number}: {len(r.findings)} problem(s) left"
                )
            else:
                note = f"{summary.scrubbed:,} scrubbed: {summary.clean:,} clean, {summary.failed:,} with problems"
            page = work_list(
                app.database(), view=self.view, after_claim_id=self.starts[-1], limit=PAGE
            )
        except DomainError as exc:
            self.post_message(self.Failed(str(exc)))
            return
        self.post_message(self.PageLoaded(page, keep, note))

    @on(Failed)
    def _failed(self, message: Failed) -> None:
        self.busy = False
        self.query_one("#scrub-status", StatusLine).show_error(message.reason)

    @on(Worker.StateChanged)
    def _crashed(self, event: Worker.StateChanged) -> None:
        if event.worker.group.startswith("scrubber") and event.state == WorkerState.ERROR:
            self.busy = False
            error = event.worker.error
            self.query_one("#scrub-status", StatusLine).show_error(
                f"Could not finish: {type(error).__name__}: {error}"
            )
