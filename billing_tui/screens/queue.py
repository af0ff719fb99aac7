"""A work queue: its claims a page at a time, sortable, filterable, worked by keys.

The table holds the pages loaded so far (100 rows each, from ``services.queues.queue_page``
in an exclusive thread worker); moving the cursor near the end loads the next page, so
a queue of 100,000 claims never sits in memory. ``enter`` leases the highlighted claim
and opens its account, ``n`` leases the next free claim of the queue (another rep's
lease is skipped), ``s`` / ``o`` change the sort, ``f`` filters by typing.

``QueuePanel`` is the home page's list of the rep's queues (counts and dollars).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import DataTable, Input, Static
from textual.worker import Worker, WorkerState, get_current_worker

from billing_tui.domain.errors import DomainError
from billing_tui.domain.queue_rules import DEFAULT_DESCENDING, QueueSort, SortColumn
from billing_tui.widgets.cells import (
    count_cell,
    date_cell,
    money_cell,
    right,
    row_at_cursor,
    text_cell,
)
from billing_tui.widgets.keys_footer import KeysFooter
from billing_tui.widgets.status import StatusLine
from billing_tui.widgets.title_bar import TitleBar

if TYPE_CHECKING:
    from billing_tui.app import BillingApp
    from billing_tui.domain.users import Actor
    from billing_tui.services.queues import LeasedItem, PageCursor, QueuePage, QueueSummary

FILTER_DELAY = 0.25  # seconds of no typing before the filter runs
LOAD_MORE_WITHIN = 10  # rows from the end of what is loaded

# Table columns, in order: key, label, sort column, width (None = auto).
COLUMNS: tuple[tuple[str, str, SortColumn, int | None], ...] = (
    ("patient", "Patient", SortColumn.PATIENT, 17),
    ("claim", "Claim", SortColumn.CLAIM, 9),
    ("payer", "Payer", SortColumn.PAYER, 12),
    ("dos", "DOS", SortColumn.DOS, 10),
    ("billed", "Billed", SortColumn.BILLED, 9),
    ("balance", "Balance", SortColumn.BALANCE, 9),
    ("age", "Age", SortColumn.AGE, 4),
    ("note", "Last note", SortColumn.LAST_NOTE, 11),
    ("follow_up", "Follow-up", SortColumn.FOLLOW_UP, 10),
    ("owner", "Owner", SortColumn.OWNER, 7),
)
SORT_CYCLE: tuple[SortColumn, ...] = (SortColumn.PRIORITY, *(c[2] for c in COLUMNS))
_MONEY = {"billed", "balance"}


def _clip(text: str, width: int | None) -> str:
    if width is None or len(text) <= width:
        return text
    return text[: width - 1] + "…"


class QueueScreen(Screen[None]):
    BINDING_GROUP_TITLE = "Work queue"
    AUTO_FOCUS = "#queue-table"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open", "Open account", id="queue.open"),
        Binding("n", "next", "Next account", id="queue.next"),
        Binding("f", "filter", "Filter", id="queue.filter"),
        Binding("s", "sort", "Sort by", id="queue.sort"),
        Binding("o", "order", "Reverse order", id="queue.order"),
        Binding("r", "refresh", "Refresh", id="queue.refresh"),
        Binding("space", "mark", "Mark", show=False, id="queue.mark"),
        Binding("a", "assign", "Assign", id="queue.assign"),
        Binding("e", "edit", "Edit queue", id="queue.edit"),
    ]
    DEFAULT_CSS = """
    QueueScreen #queue-head { height: 1; padding: 0 1; }
    QueueScreen #queue-rule { width: 1fr; color: $text-muted; }
    QueueScreen #queue-sort { width: auto; color: $text-primary; }
    QueueScreen #queue-filter { margin: 0 1; height: 3; }
    QueueScreen #queue-table { height: 1fr; }
    QueueScreen #queue-status { padding: 0 1; }
    """

    class PageLoaded(Message):
        def __init__(self, page: QueuePage, append: bool, generation: int) -> None:
            super().__init__()
            self.page = page
            self.append = append
            self.generation = generation

    class Leased(Message):
        def __init__(self, item: LeasedItem | None) -> None:
            super().__init__()
            self.item = item

    class Failed(Message):
        def __init__(self, reason: str) -> None:
            super().__init__()
            self.reason = reason

    def __init__(self, queue_id: int, name: str = "", description: str = "") -> None:
        super().__init__()
        self.queue_id = queue_id
        self.queue_name = name
        self.description = description
        self.sort: QueueSort | None = None  # None until the first page says the queue's own
        self.filter_text = ""
        self.next_cursor: PageCursor | None = None
        self.row_ids: list[int] = []  # claim ids in table order
        self._shown: set[int] = set()
        self.patients: dict[int, int] = {}  # claim id -> patient id
        self.marked: set[int] = set()
        self.loading_more = False
        self.loaded_at: float | None = None  # perf_counter of the first page on screen
        self._generation = 0
        self._filter_timer: Timer | None = None
        self._opened = False  # an account was opened from here (release on return)

    @property
    def billing_app(self) -> BillingApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield TitleBar()
        with Vertical():
            with Horizontal(id="queue-head"):
                yield Static(self.description, id="queue-rule", markup=False)
                yield Static("", id="queue-sort", markup=False)
            yield Input(
                placeholder="Filter (f): patient, account, claim no. or payer",
                id="queue-filter",
            )
            yield DataTable(id="queue-table", cursor_type="row", zebra_stripes=True)
            yield StatusLine(id="queue-status")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.title = self.queue_name or "Work queue"
        self.sub_title = "Work queue"
        table = self.query_one(DataTable)
        for key, label, _sort, width in COLUMNS:
            table.add_column(right(label) if key in _MONEY else label, key=key, width=width)
        self.load(append=False)

    # --- loading ------------------------------------------------------------------

    def load(self, *, append: bool) -> None:
        actor = self.billing_app.actor
        if actor is None:
            return
        if not append:
            self._generation += 1
            self.query_one(DataTable).loading = not self.row_ids
        self.loading_more = append
        self.fetch(
            actor,
            self.sort,
            self.filter_text,
            self.next_cursor if append else None,
            append,
            self._generation,
        )

    @work(thread=True, exclusive=True, exit_on_error=False, group="queue-page")
    def fetch(
        self,
        actor: Actor,
        sort: QueueSort | None,
        filter_text: str,
        after: PageCursor | None,
        append: bool,
        generation: int,
    ) -> None:
        from billing_tui.services.queues import queue_page

        worker = get_current_worker()
        try:
            page = queue_page(
                self.billing_app.database(),
                actor,
                self.queue_id,
                sort=sort,
                filter_text=filter_text,
                after=after,
                today=self.billing_app.today,
            )
        except DomainError as exc:
            if not worker.is_cancelled:
                self.post_message(self.Failed(str(exc)))
            return
        if not worker.is_cancelled:
            self.post_message(self.PageLoaded(page, append, generation))

    @on(PageLoaded)
    def _page_loaded(self, message: PageLoaded) -> None:
        if message.generation != self._generation:
            return  # an older sort or filter
        page = message.page
        table = self.query_one(DataTable)
        self.loading_more = False
        self.sort = page.sort
        self.queue_name = page.queue_name
        self.title = page.queue_name
        keep = None
        if not message.append:
            if table.row_count and table.cursor_row < len(self.row_ids):
                keep = self.row_ids[table.cursor_row]
            table.clear()
            self.row_ids = []
            self._shown = set()
        today = self.billing_app.today
        for r in page.rows:
            if r.claim_id in self._shown:
                continue  # already shown (a claim whose sort value moved between pages)
            self._shown.add(r.claim_id)
            self.row_ids.append(r.claim_id)
            self.patients[r.claim_id] = r.patient_id
            name = _clip(r.patient_name, COLUMNS[0][3])
            if r.leased_by:
                patient = Text(name, style="dim")
            elif r.claim_id in self.marked:
                patient = Text("✓ " + name, style="bold")
            else:
                patient = Text(name)
            note = f"{r.last_note_at:%m-%d} {r.last_note}" if r.last_note_at else ""
            table.add_row(
                patient,
                text_cell(r.claim_number),
                text_cell(_clip(r.payer_name, COLUMNS[2][3])),
                r.service_date.isoformat(),
                money_cell(r.billed_cents),
                money_cell(r.balance_cents),
                count_cell(r.age_days),
                text_cell(_clip(note, COLUMNS[7][3])),
                date_cell(r.follow_up_date, today=today) if r.follow_up_date else "",
                text_cell(
                    _clip(r.leased_by and f"busy: {r.leased_by}" or r.owner_name, COLUMNS[9][3])
                ),
                key=str(r.claim_id),
            )
        self.next_cursor = page.next_cursor
        table.loading = False
        if keep is not None and keep in self.row_ids:
            table.move_cursor(row=self.row_ids.index(keep))
        self._show_sort()
        self._show_count()
        if self.focused is None:
            table.focus()  # AUTO_FOCUS can miss the table while it is still loading
        self.refresh_bindings()
        if self.loaded_at is None:
            import time

            self.loaded_at = time.perf_counter()

    def _show_sort(self) -> None:
        sort = self.sort or QueueSort()
        self.query_one("#queue-sort", Static).update(f"sorted by {sort.label()}")

    def _show_count(self) -> None:
        n = len(self.row_ids)
        what = f"filter {self.filter_text!r}: " if self.filter_text else ""
        if n == 0:
            text = f"{what}no claims" if what else "This queue is empty: nothing to work."
        elif self.next_cursor is not None:
            text = f"{what}{n:,} claims loaded, more below (page down)"
        else:
            text = f"{what}{n:,} claim{'s' if n != 1 else ''}"
        if self.marked:
            text += f" · {len(self.marked)} marked"
        self.query_one("#queue-status", StatusLine).show_info(text)

    @on(DataTable.RowHighlighted, "#queue-table")
    def _near_end(self, event: DataTable.RowHighlighted) -> None:
        table = self.query_one(DataTable)
        if (
            self.next_cursor is not None
            and not self.loading_more
            and event.cursor_row >= table.row_count - LOAD_MORE_WITHIN
        ):
            self.load(append=True)

    @on(Failed)
    def _failed(self, message: Failed) -> None:
        self.loading_more = False
        self.query_one(DataTable).loading = False
        self.query_one("#queue-status", StatusLine).show_error(message.reason)

    @on(Worker.StateChanged)
    def _worker_crashed(self, event: Worker.StateChanged) -> None:
        if event.worker.group in ("queue-page", "queue-lease") and event.state == (
            WorkerState.ERROR
        ):
            error = event.worker.error
            self.post_message(self.Failed(f"{type(error).__name__}: {error}"))

    # --- sort and filter --------------------------------------------------------------

    def action_sort(self) -> None:
        current = (self.sort or QueueSort()).column
        nxt = SORT_CYCLE[(SORT_CYCLE.index(current) + 1) % len(SORT_CYCLE)]
        self.sort = QueueSort(nxt, DEFAULT_DESCENDING.get(nxt, False))
        self._resort()

    def action_order(self) -> None:
        sort = self.sort or QueueSort()
        self.sort = QueueSort(sort.column, not sort.descending)
        self._resort()

    @on(DataTable.HeaderSelected, "#queue-table")
    def _header(self, event: DataTable.HeaderSelected) -> None:
        column = next(c[2] for c in COLUMNS if c[0] == event.column_key.value)
        sort = self.sort or QueueSort()
        if sort.column == column:
            self.sort = QueueSort(column, not sort.descending)
        else:
            self.sort = QueueSort(column, DEFAULT_DESCENDING.get(column, False))
        self._resort()

    def _resort(self) -> None:
        self._show_sort()
        self.query_one(DataTable).move_cursor(row=0)
        self.load(append=False)

    def action_filter(self) -> None:
        self.query_one("#queue-filter", Input).focus()

    @on(Input.Changed, "#queue-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        if self._filter_timer is not None:
            self._filter_timer.stop()
        self._filter_timer = self.set_timer(FILTER_DELAY, self._apply_filter)

    def _apply_filter(self) -> None:
        text = self.query_one("#queue-filter", Input).value.strip()
        if text != self.filter_text:
            self.filter_text = text
            self.load(append=False)

    @on(Input.Submitted, "#queue-filter")
    def _filter_done(self) -> None:
        if self._filter_timer is not None:
            self._filter_timer.stop()
        self._apply_filter()
        self.query_one(DataTable).focus()

    # --- working the queue -------------------------------------------------------------

    def _highlighted(self) -> int | None:
        return row_at_cursor(self.query_one(DataTable), self.row_ids)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        actor = self.billing_app.actor
        if action in ("edit", "assign", "mark"):
            return bool(actor and actor.is_supervisor)
        if action == "open":
            return None if self._highlighted() is None else True
        return True

    def action_open(self) -> None:
        claim_id = self._highlighted()
        actor = self.billing_app.actor
        if claim_id is None or actor is None:
            return
        self.query_one("#queue-status", StatusLine).show_info("Opening the account…")
        self.lease(actor, claim_id)

    @on(DataTable.RowSelected, "#queue-table")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()  # the table takes enter first; it means "open" here too
        self.action_open()

    def action_next(self) -> None:
        actor = self.billing_app.actor
        if actor is None:
            return
        self.query_one("#queue-status", StatusLine).show_info("Taking the next account…")
        self.lease(actor, None)

    @work(thread=True, exclusive=True, exit_on_error=False, group="queue-lease")
    def lease(self, actor: Actor, claim_id: int | None) -> None:
        from billing_tui.services.queues import take, take_next

        db = self.billing_app.database()
        try:
            if claim_id is None:
                item = take_next(db, actor, self.queue_id, today=self.billing_app.today)
            else:
                item = take(db, actor, self.queue_id, claim_id)
        except DomainError as exc:
            self.post_message(self.Failed(str(exc)))
            return
        self.post_message(self.Leased(item))

    @on(Leased)
    def _leased(self, message: Leased) -> None:
        item = message.item
        status = self.query_one("#queue-status", StatusLine)
        if item is None:
            status.show_info("No free account left in this queue (the rest are being worked).")
            return
        if item.claim_id in self.row_ids:
            self.query_one(DataTable).move_cursor(row=self.row_ids.index(item.claim_id))
        self._opened = True
        self.billing_app.open_account(
            item.patient_id, focus_claim_id=item.claim_id, queue_id=item.queue_id
        )

    def on_screen_resume(self) -> None:
        if self._opened:
            # Back on the list: the rep holds no account now; release it for the team.
            self._opened = False
            actor = self.billing_app.actor
            if actor is not None:
                self.release_all(actor)
            self.load(append=False)

    @work(thread=True, exclusive=True, exit_on_error=False, group="queue-release")
    def release_all(self, actor: Actor) -> None:
        from billing_tui.services.queues import release_mine

        try:
            release_mine(self.billing_app.database(), actor)
        except DomainError as exc:
            self.post_message(self.Failed(str(exc)))

    def action_refresh(self) -> None:
        self.load(append=False)

    # --- supervisors -------------------------------------------------------------------

    def action_mark(self) -> None:
        claim_id = self._highlighted()
        if claim_id is None:
            return
        self.marked ^= {claim_id}
        table = self.query_one(DataTable)
        row = table.cursor_row
        cell = table.get_cell_at((row, 0))
        name = cell.plain if isinstance(cell, Text) else str(cell)
        name = name.removeprefix("✓ ")
        marked = claim_id in self.marked
        table.update_cell_at(
            (row, 0), Text(("✓ " if marked else "") + name, style="bold" if marked else "")
        )
        if row + 1 < table.row_count:
            table.move_cursor(row=row + 1)
        self._show_count()

    def action_assign(self) -> None:
        from billing_tui.screens.queue_editor import AssignClaimsScreen

        claims = sorted(self.marked) or ([c] if (c := self._highlighted()) else [])
        if not claims:
            return

        def done(assigned: bool | None) -> None:
            if assigned:
                self.marked.clear()
                self.load(append=False)

        self.app.push_screen(AssignClaimsScreen(claims), done)

    def action_edit(self) -> None:
        from billing_tui.screens.queue_editor import QueueEditorScreen

        def done(changed: bool | None) -> None:
            if changed is None:
                return
            if changed is False:  # deleted
                self.app.pop_screen()
                return
            self.sort = None
            self.load(append=False)

        self.app.push_screen(QueueEditorScreen(self.queue_id), done)


# --- home page panel ------------------------------------------------------------------


class QueueListTable(DataTable):
    """The rep's queues: name, claims in it, open dollars."""

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.add_column("Work queue", key="name")
        self.add_column(right("Claims"), key="items", width=6)
        self.add_column(right("Balance"), key="dollars", width=12)

    def show(self, queues: list[QueueSummary]) -> None:
        row = self.cursor_row
        self.clear()
        for q in queues:
            self.add_row(
                text_cell(q.name),
                count_cell(q.items),
                money_cell(q.balance_cents),
                key=str(q.queue_id),
            )
        if queues:
            self.move_cursor(row=min(max(row, 0), len(queues) - 1))


class QueuePanel(Vertical):
    """Home page panel: the rep's work queues; enter opens one (its own worker).
    Supervisors also create (c) and edit (e) queues from here."""

    BINDING_GROUP_TITLE = "Work queues"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c", "create_queue", "New queue", id="queues.create"),
        Binding("e", "edit_queue", "Edit queue", id="queues.edit"),
    ]

    class Loaded(Message):
        def __init__(self, queues: list[QueueSummary]) -> None:
            super().__init__()
            self.queues = queues

    class LoadFailed(Message):
        def __init__(self, reason: str) -> None:
            super().__init__()
            self.reason = reason

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.queues: list[QueueSummary] = []
        self.border_title = "Work queues"

    def compose(self) -> ComposeResult:
        yield QueueListTable(id="queue-list")
        yield Static("", id="queue-list-note", classes="empty", markup=False)

    def on_mount(self) -> None:
        self.query_one("#queue-list-note").display = False  # the home screen calls reload

    def reload(self) -> None:
        app: BillingApp = self.app  # type: ignore[assignment]
        if app.actor is None:
            return
        self.loading = True
        self.load_queues(app.actor, app.today)

    @work(thread=True, exclusive=True, exit_on_error=False, group="home-queues")
    def load_queues(self, actor: Actor, today: dt.date) -> None:
        from billing_tui.services.queues import list_queues

        app: BillingApp = self.app  # type: ignore[assignment]
        worker = get_current_worker()
        try:
            queues = list_queues(app.database(), actor, today)
        except DomainError as exc:
            if not worker.is_cancelled:
                self.post_message(self.LoadFailed(str(exc)))
            return
        if not worker.is_cancelled:
            self.post_message(self.Loaded(queues))

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        self.queues = message.queues
        self.query_one(QueueListTable).show(message.queues)
        note = self.query_one("#queue-list-note", Static)
        note.update("No work queues are assigned to you." if not message.queues else "")
        note.display = not message.queues
        self.loading = False

    @on(LoadFailed)
    def _failed(self, message: LoadFailed) -> None:
        note = self.query_one("#queue-list-note", Static)
        note.update(message.reason)
        note.display = True
        self.loading = False

    @on(Worker.StateChanged)
    def _crashed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "home-queues" and event.state == WorkerState.ERROR:
            self.post_message(
                self.LoadFailed(f"Could not load the work queues: {event.worker.error}")
            )

    @on(DataTable.RowSelected, "#queue-list")
    def _open(self, event: DataTable.RowSelected) -> None:
        event.stop()
        queue_id = int(str(event.row_key.value))
        q = next((q for q in self.queues if q.queue_id == queue_id), None)
        self.app.push_screen(QueueScreen(queue_id, q.name if q else "", q.description if q else ""))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("create_queue", "edit_queue"):
            actor = self.app.actor  # type: ignore[attr-defined]
            return bool(actor and actor.is_supervisor)
        return True

    def _edit(self, queue_id: int | None) -> None:
        from billing_tui.screens.queue_editor import QueueEditorScreen

        def done(changed: bool | None) -> None:
            if changed is not None:
                self.reload()

        self.app.push_screen(QueueEditorScreen(queue_id), done)

    def action_create_queue(self) -> None:
        self._edit(None)

    def action_edit_queue(self) -> None:
        table = self.query_one(QueueListTable)
        if table.row_count and 0 <= table.cursor_row < len(self.queues):
            self._edit(self.queues[table.cursor_row].queue_id)
