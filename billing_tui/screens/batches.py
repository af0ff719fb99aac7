"""Payment batches: the deposits a rep posts EOBs against (f8 from home).

The list shows each batch's check amount, what is posted and what remains; ``n`` opens
a batch (payer found by fuzzy look-up, or a patient by account or name), ``enter``
opens the posting screen on the highlighted batch. Opening runs
``services.batches.open_batch`` in a worker; a trace number the payer already used is
refused with the existing batch named, and the form keeps what was typed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import DataTable, Input, Label, OptionList, Select, Static
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from billing_tui.domain.dates import FORMATS_HINT, parse_optional_date
from billing_tui.domain.errors import DomainError, ValidationError
from billing_tui.domain.money import Money, parse_money
from billing_tui.screens.approvals import local_time
from billing_tui.screens.lookup import DEBOUNCE_SECONDS, KIND_LABELS
from billing_tui.widgets.cells import money_cell, right, row_at_cursor, text_cell
from billing_tui.widgets.keys_footer import KeysFooter
from billing_tui.widgets.service_dialog import ServiceDialog
from billing_tui.widgets.status import StatusLine
from billing_tui.widgets.title_bar import TitleBar
from billing_tui.widgets.worker_failures import ReportsWorkerFailures

if TYPE_CHECKING:
    from billing_tui.app import BillingApp
    from billing_tui.domain.users import Actor
    from billing_tui.services.batches import BatchSummary
    from billing_tui.services.lookup import Match

# "unclosed": open and balanced (posted to the cent, not yet closed): the batches in work.
STATUS_FILTERS: tuple[str | None, ...] = ("unclosed", "open", "balanced", "closed", None)
FILTER_LABELS = {"unclosed": "open and balanced", None: "all"}
METHODS = (("Check", "check"), ("EFT", "eft"), ("Card", "card"), ("Cash", "cash"))
METHOD_SHORT = {"check": "chk", "eft": "EFT", "card": "card", "cash": "cash"}


# --- the new-batch form -----------------------------------------------------------------


class NewBatchScreen(ReportsWorkerFailures, ServiceDialog["BatchSummary | None"]):
    """Open a payment batch: who paid, how, the trace number, amount and deposit date.
    The payer (or patient) is looked up as the rep types; the batch opens through the
    dialog's one service call, and a mistake keeps the form with the cursor on it."""

    WORKER_FAILURES: ClassVar[dict[str, str]] = {"nb-lookup": "look up payers and patients"}
    FAILURE_STATUS = "#dialog-status"

    BINDING_GROUP_TITLE = "New batch"
    AUTO_FOCUS = "#nb-from"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Open batch", priority=True, id="new_batch.save"),
        Binding("escape", "cancel", "Cancel", id="new_batch.cancel"),
        Binding("down", "pick_down", "Next match", show=False, id="new_batch.down"),
        Binding("up", "pick_up", "Previous match", show=False, id="new_batch.up"),
        Binding("f1", "help", "Help", show=False, id="new_batch.help"),
    ]
    DEFAULT_CSS = """
    NewBatchScreen > Vertical { width: 90; }
    NewBatchScreen .nb-row { height: 1; margin-top: 1; }
    NewBatchScreen .nb-row > Label { width: 17; color: $text-muted; }
    #nb-from { width: 50; }
    #nb-chosen { width: 1fr; padding-left: 1; color: $text-success; }
    #nb-matches { height: auto; max-height: 8; margin-left: 17; }
    #nb-method { width: 20; }
    #nb-trace { width: 30; }
    #nb-amount { width: 16; }
    #nb-date { width: 16; }
    NewBatchScreen .nb-hint { color: $text-muted; height: 1; margin-top: 1; }
    NewBatchScreen #dialog-status { margin-top: 1; }
    """

    class Found(Message):
        def __init__(self, query: str, matches: list[Match]) -> None:
            super().__init__()
            self.query = query
            self.matches = matches

    def __init__(self) -> None:
        super().__init__("New payment batch")
        self.matches: list[Match] = []
        self.chosen: Match | None = None  # the payer or patient the batch is from
        self._debounce: Timer | None = None

    def body(self) -> ComposeResult:
        with Horizontal(classes="nb-row"):
            yield Label("Payer / patient")
            yield Input(placeholder="payer name or id; a patient's name or account",
                        id="nb-from", compact=True)  # fmt: skip
            yield Label("", id="nb-chosen")
        yield OptionList(id="nb-matches")
        with Horizontal(classes="nb-row"):
            yield Label("Method")
            yield Select(METHODS, value="check", allow_blank=False, id="nb-method",
                         compact=True)  # fmt: skip
        with Horizontal(classes="nb-row"):
            yield Label("Check/EFT no.")
            yield Input(placeholder="trace number", id="nb-trace", compact=True,
                        max_length=50)  # fmt: skip
        with Horizontal(classes="nb-row"):
            yield Label("Amount")
            yield Input(placeholder="1,234.56", id="nb-amount", compact=True)
        with Horizontal(classes="nb-row"):
            yield Label("Deposit date")
            yield Input(self.billing_app.today.isoformat(), id="nb-date", compact=True)
        yield Label(f"Dates: {FORMATS_HINT}", classes="nb-hint")
        yield Label(
            "↑↓ and enter pick the payer · enter moves on · ctrl+s opens the batch",
            classes="nb-hint",
        )

    def on_mount(self) -> None:
        matches = self.query_one("#nb-matches", OptionList)
        matches.can_focus = False
        matches.display = False

    # --- payer / patient look-up --------------------------------------------------------

    @on(Input.Changed, "#nb-from")
    def _from_typed(self, event: Input.Changed) -> None:
        if self.chosen is not None and event.value != self.chosen.label:
            self.chosen = None
            self.query_one("#nb-chosen", Label).update("")
        if self._debounce is not None:
            self._debounce.stop()
        self._debounce = self.set_timer(DEBOUNCE_SECONDS, self._search_now, name="nb-lookup")

    def _search_now(self) -> None:
        self._debounce = None
        query = self.query_one("#nb-from", Input).value
        if self.chosen is not None or not query.strip():
            self._show_matches([])
            return
        self.search(query)

    @work(thread=True, exclusive=True, exit_on_error=False, group="nb-lookup")
    def search(self, query: str) -> None:
        from billing_tui.services.lookup import find

        worker = get_current_worker()
        app = self.billing_app
        try:
            payers = find(app.database(), app.actor, query, kind="payer", limit=8, today=app.today)
            patients = find(
                app.database(), app.actor, query, kind="patient", limit=4, today=app.today
            )
        except DomainError as exc:
            if not worker.is_cancelled:
                self.post_message(self.Failed(str(exc)))
            return
        if not worker.is_cancelled:
            self.post_message(self.Found(query, payers + patients))

    @on(Found)
    def _found(self, message: Found) -> None:
        if message.query != self.query_one("#nb-from", Input).value or self.chosen is not None:
            return
        self._show_matches(message.matches)

    def _show_matches(self, matches: list[Match]) -> None:
        self.matches = matches
        box = self.query_one("#nb-matches", OptionList)
        box.clear_options()
        for i, mt in enumerate(matches):
            extra = mt.detail if mt.kind == "payer" else f"{mt.account_no} · born {mt.dob}"
            label = Text(f"{KIND_LABELS[mt.kind]:<8}{mt.label} · {extra}")  # never markup
            box.add_option(Option(label, id=str(i)))
        box.display = bool(matches)
        if matches:
            box.highlighted = 0

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("pick_down", "pick_up"):
            return bool(self.matches) and self.focused is self.query_one("#nb-from")
        return True

    def action_pick_down(self) -> None:
        self.query_one("#nb-matches", OptionList).action_cursor_down()

    def action_pick_up(self) -> None:
        self.query_one("#nb-matches", OptionList).action_cursor_up()

    @on(Input.Submitted, "#nb-from")
    def _from_entered(self, event: Input.Submitted) -> None:
        event.stop()
        if self._debounce is not None or (not self.matches and self.chosen is None):
            # enter before the search ran: search now; the rep presses enter again to pick
            if self._debounce is not None:
                self._debounce.stop()
                self._debounce = None
            if event.value.strip():
                self.search(event.value)
            return
        box = self.query_one("#nb-matches", OptionList)
        if self.matches and box.highlighted is not None:
            self._choose(self.matches[box.highlighted])
        if self.chosen is not None:
            self.query_one("#nb-method").focus()

    def _choose(self, mt: Match) -> None:
        self.chosen = mt
        inp = self.query_one("#nb-from", Input)
        with inp.prevent(Input.Changed):
            inp.value = mt.label
        self.query_one("#nb-chosen", Label).update(f"✓ {KIND_LABELS[mt.kind].lower()}")
        self._show_matches([])

    @on(Input.Submitted, "#nb-trace, #nb-amount")
    def _next_field(self, event: Input.Submitted) -> None:
        event.stop()
        self.focus_next()

    @on(Input.Submitted, "#nb-date")
    def _date_entered(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    # --- saving ---------------------------------------------------------------------------

    def action_save(self) -> None:
        if self.busy:
            return
        try:
            form = self._read()
        except ValidationError as exc:
            self.status.show_error(str(exc))
            self._focus(exc.field)
            return
        from billing_tui.services.batches import open_batch

        db = self.billing_app.database()
        self.start(lambda actor, _today: open_batch(db, actor, **form), "Opening the batch…")

    def _read(self) -> dict:
        mt = self.chosen
        if mt is None:
            raise ValidationError(
                "Pick the payer (or patient) the money is from: type, then enter on a match.",
                field="from",
            )
        trace = self.query_one("#nb-trace", Input).value.strip()
        if not trace:
            raise ValidationError("Type the check or EFT trace number.", field="trace")
        amount_text = self.query_one("#nb-amount", Input).value
        try:
            amount = parse_money(amount_text).cents
        except ValidationError as exc:
            raise ValidationError(f"Amount {exc}", field="amount") from exc
        try:
            day = parse_optional_date(
                self.query_one("#nb-date", Input).value, self.billing_app.today
            )
        except ValidationError as exc:
            raise ValidationError(str(exc), field="deposit_date") from exc
        if day is None:
            raise ValidationError("Type the deposit date.", field="deposit_date")
        method = self.query_one("#nb-method", Select).value
        return {
            "payer_id": mt.id if mt.kind == "payer" else None,
            "patient_id": mt.id if mt.kind == "patient" else None,
            "method": str(method),
            "trace_number": trace,
            "amount_cents": amount,
            "deposit_date": day,
        }

    @on(ServiceDialog.Failed)
    def _focus_field(self, message: ServiceDialog.Failed) -> None:
        """After the base shows the message: put the cursor where the mistake is."""
        self._focus(message.field)

    def _focus(self, field: str | None) -> None:
        target = {
            "from": "#nb-from",
            "payer": "#nb-from",
            "payer_id": "#nb-from",
            "patient_id": "#nb-from",
            "method": "#nb-method",
            "trace": "#nb-trace",
            "trace_number": "#nb-trace",
            "amount": "#nb-amount",
            "amount_cents": "#nb-amount",
            "deposit_date": "#nb-date",
        }.get(field or "")
        if target:
            self.query_one(target).focus()

    def action_help(self) -> None:
        self.billing_app.action_help()


# --- the batch list ---------------------------------------------------------------------


class BatchesScreen(ReportsWorkerFailures, Screen[None]):
    WORKER_FAILURES: ClassVar[dict[str, str]] = {"batches": "list batches"}
    FAILURE_STATUS = "#batches-status"
    BINDING_GROUP_TITLE = "Payment batches"
    AUTO_FOCUS = "#batches"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "new_batch", "New batch", id="batches.new"),
        Binding("enter", "open_batch", "Post to batch", id="batches.open"),
        Binding("p", "postings", "Postings", id="batches.postings"),
        Binding("s", "cycle_status", "Which batches", id="batches.status"),
        Binding("w", "worklists", "Credit balances", id="batches.worklists"),
        Binding("r", "reload", "Reload", show=False, id="batches.reload"),
    ]
    DEFAULT_CSS = """
    #batches-body { padding: 0 1; height: 1fr; }
    #batches-panel {
        border: round $primary; height: 1fr; padding: 0;
        border-title-style: bold;
    }
    #batches { height: 1fr; }
    """

    class Loaded(Message):
        def __init__(self, batches: list[BatchSummary]) -> None:
            super().__init__()
            self.batches = batches

    class LoadFailed(Message):
        def __init__(self, reason: str) -> None:
            super().__init__()
            self.reason = reason

    def __init__(self) -> None:
        super().__init__()
        self.batches: list[BatchSummary] = []
        self.status_filter: str | None = "unclosed"
        self.loads = 0
        self._select_id: int | None = None

    @property
    def billing_app(self) -> BillingApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield TitleBar()
        with Vertical(id="batches-body"):
            with Vertical(id="batches-panel") as panel:
                panel.border_title = "Payment batches"
                yield DataTable(id="batches", cursor_type="row", zebra_stripes=True)
            yield StatusLine(id="batches-status")
        yield KeysFooter()

    def on_mount(self) -> None:
        table = self.query_one("#batches", DataTable)
        table.add_column("Batch", key="id", width=5)
        table.add_column("From", key="from", width=21)
        table.add_column("Check / EFT no.", key="trace", width=20)
        table.add_column("Deposit", key="deposit", width=10)
        table.add_column(right("Amount"), key="amount", width=10)
        table.add_column(right("Posted"), key="posted", width=10)
        table.add_column(right("Remaining"), key="remaining", width=10)
        table.add_column("Status", key="status", width=8)
        actor = self.billing_app.actor
        self.sub_title = f"{actor.display_name} ({actor.role})" if actor else ""
        self.action_reload()

    def on_screen_resume(self) -> None:
        if self.loads:
            self.action_reload()  # back from posting: posted and remaining moved

    @property
    def status(self) -> StatusLine:
        return self.query_one("#batches-status", StatusLine)

    def action_reload(self) -> None:
        self.load(self.status_filter)

    @work(thread=True, exclusive=True, exit_on_error=False, group="batches")
    def load(self, status: str | None) -> None:
        from billing_tui.services.batches import list_batches

        worker = get_current_worker()
        try:
            batches = list_batches(self.billing_app.database(), status=status)
        except DomainError as exc:
            if not worker.is_cancelled:
                self.post_message(self.LoadFailed(str(exc)))
            return
        if not worker.is_cancelled:
            self.post_message(self.Loaded(batches))

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        table = self.query_one("#batches", DataTable)
        keep = self._select_id
        shown = self.selected()
        if keep is None and shown is not None:
            keep = shown.id  # a reload keeps the cursor on the same batch
        self.batches = message.batches
        table.clear()
        for b in self.batches:
            table.add_row(
                f"#{b.id}",
                text_cell(b.payer_name),
                text_cell(f"{METHOD_SHORT.get(b.method, b.method)} {b.trace_number}"),
                b.deposit_date.isoformat(),
                money_cell(b.amount_cents),
                money_cell(b.posted_cents),
                money_cell(b.remaining_cents, bold=bool(b.remaining_cents)),
                b.status,
                key=str(b.id),
            )
        ids = [b.id for b in self.batches]
        if keep in ids:
            table.move_cursor(row=ids.index(keep), animate=False)
        self._select_id = None
        which = FILTER_LABELS.get(self.status_filter, self.status_filter)
        panel = self.query_one("#batches-panel")
        panel.border_title = f"Payment batches: {which} ({len(self.batches)})"
        if not self.batches:
            self.status.show_info(f"No {which} batches. n opens a new one.")
        elif not self.status.is_error:
            self.status.show_info("enter posts EOBs to the highlighted batch; n opens a new one.")
        self.loads += 1
        self.refresh_bindings()

    @on(LoadFailed)
    def _load_failed(self, message: LoadFailed) -> None:
        self.status.show_error(message.reason)

    # --- actions ----------------------------------------------------------------------------

    def selected(self) -> BatchSummary | None:
        return row_at_cursor(self.query_one("#batches", DataTable), self.batches)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("open_batch", "postings"):
            return True if self.batches else None
        return True

    def action_postings(self) -> None:
        batch = self.selected()
        if batch is not None:
            self.app.push_screen(BatchPostingsScreen(batch))

    def action_cycle_status(self) -> None:
        i = STATUS_FILTERS.index(self.status_filter)
        self.status_filter = STATUS_FILTERS[(i + 1) % len(STATUS_FILTERS)]
        self.action_reload()

    @on(DataTable.RowSelected, "#batches")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open_batch()

    def action_open_batch(self) -> None:
        batch = self.selected()
        if batch is None:
            return
        from billing_tui.screens.posting import PostingScreen

        self.app.push_screen(PostingScreen(batch.id))

    def action_new_batch(self) -> None:
        self.app.push_screen(NewBatchScreen(), self._batch_opened)

    def _batch_opened(self, batch: BatchSummary | None) -> None:
        if batch is None:
            return
        from billing_tui.screens.posting import PostingScreen

        self.status.show_info(f"Opened batch #{batch.id} ({batch.payer_name}).")
        self._select_id = batch.id
        if self.status_filter not in ("unclosed", "open", None):
            self.status_filter = "unclosed"  # the new batch shows when the rep comes back
        self.app.push_screen(PostingScreen(batch.id))

    def action_worklists(self) -> None:
        from billing_tui.screens.payment_worklists import PaymentWorklistsScreen

        self.app.push_screen(PaymentWorklistsScreen())


# --- what was posted to one batch, and reversing a posting ----------------------------------


class BatchPostingsScreen(ReportsWorkerFailures, Screen[None]):
    """Every posting of one batch (per claim line), with ``x`` to reverse one: the
    service reverses each of its entries, reopens the batch and re-derives the claim."""

    WORKER_FAILURES: ClassVar[dict[str, str]] = {"batch-postings": "list postings"}
    FAILURE_STATUS = "#bp-status"

    BINDING_GROUP_TITLE = "Batch postings"
    AUTO_FOCUS = "#postings"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("x", "reverse", "Reverse posting", id="batch_postings.reverse"),
        Binding("r", "reload", "Reload", show=False, id="batch_postings.reload"),
    ]
    DEFAULT_CSS = """
    #bp-body { padding: 0 1; height: 1fr; }
    #bp-header { height: 2; }
    #bp-panel { border: round $primary; height: 1fr; padding: 0; border-title-style: bold; }
    #postings { height: 1fr; }
    """

    class Loaded(Message):
        def __init__(self, batch: BatchSummary, rows: list) -> None:
            super().__init__()
            self.batch = batch
            self.rows = rows

    class LoadFailed(Message):
        def __init__(self, reason: str) -> None:
            super().__init__()
            self.reason = reason

    def __init__(self, batch: BatchSummary) -> None:
        super().__init__()
        self.batch = batch
        self.rows: list = []  # BatchPostingRow
        self.loads = 0
        self._flash: str | None = None

    @property
    def billing_app(self) -> BillingApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        from billing_tui.screens.posting import batch_header

        yield TitleBar()
        with Vertical(id="bp-body"):
            yield Static(batch_header(self.batch), id="bp-header")
            with Vertical(id="bp-panel") as panel:
                panel.border_title = "Postings"
                yield DataTable(id="postings", cursor_type="row", zebra_stripes=True)
            yield StatusLine(id="bp-status")
        yield KeysFooter()

    def on_mount(self) -> None:
        table = self.query_one("#postings", DataTable)
        table.add_column("Claim", key="claim", width=10)
        table.add_column("Patient", key="patient", width=20)
        table.add_column("Ln", key="line", width=2)
        table.add_column(right("Paid"), key="paid", width=10)
        table.add_column(right("Adjusted"), key="adj", width=10)
        table.add_column(right("Pt share"), key="share", width=10)
        table.add_column("Posted", key="at", width=16)
        table.add_column("By", key="by", width=10)
        table.add_column("", key="reversed", width=8)
        self.title = f"Batch #{self.batch.id} postings"
        self.action_reload()

    @property
    def status(self) -> StatusLine:
        return self.query_one("#bp-status", StatusLine)

    def action_reload(self, message: str | None = None) -> None:
        self._flash = message
        self.load(self.batch.id)

    @work(thread=True, exclusive=True, exit_on_error=False, group="batch-postings")
    def load(self, batch_id: int) -> None:
        from billing_tui.services.batches import batch_postings, get_batch

        worker = get_current_worker()
        db = self.billing_app.database()
        try:
            batch = get_batch(db, batch_id)
            rows = batch_postings(db, batch_id)
        except DomainError as exc:
            if not worker.is_cancelled:
                self.post_message(self.LoadFailed(str(exc)))
            return
        if not worker.is_cancelled:
            self.post_message(self.Loaded(batch, rows))

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        from billing_tui.screens.posting import batch_header

        self.batch, self.rows = message.batch, message.rows
        self.query_one("#bp-header", Static).update(batch_header(self.batch))
        table = self.query_one("#postings", DataTable)
        table.clear()
        for r in self.rows:
            table.add_row(
                text_cell(r.claim_number),
                text_cell(r.patient_name),
                "" if r.line_no is None else str(r.line_no),
                money_cell(r.paid_cents),
                money_cell(r.adjustment_cents),
                money_cell(r.patient_share_cents),
                local_time(r.posted_at),
                text_cell(r.posted_by),
                "reversed" if r.reversed else "",
            )
        self.query_one("#bp-panel").border_title = f"Postings ({len(self.rows)})"
        if self._flash:
            self.status.show_info(self._flash)
            self._flash = None
        elif not self.rows:
            self.status.show_info("Nothing is posted to this batch yet.")
        self.loads += 1
        self.refresh_bindings()

    @on(LoadFailed)
    def _load_failed(self, message: LoadFailed) -> None:
        self.status.show_error(message.reason)

    def selected(self):
        return row_at_cursor(self.query_one("#postings", DataTable), self.rows)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "reverse":
            row = self.selected()
            return True if row is not None and not row.reversed else None
        return True

    @on(DataTable.RowHighlighted, "#postings")
    def _moved(self) -> None:
        self.refresh_bindings()

    def action_reverse(self) -> None:
        from billing_tui.screens.approvals import DecisionDialog

        row = self.selected()
        if row is None or row.reversed:
            return
        # Every line of that posting goes back, not only the highlighted one.
        same = [r for r in self.rows if r.posting_id == row.posting_id]
        paid = sum(r.paid_cents for r in same)
        text = (
            f"Reverse the posting on claim {row.claim_number} ({row.patient_name}) of "
            f"{local_time(row.posted_at)} by {row.posted_by}: {len(same)} line(s), paid "
            f"{Money(paid).format(symbol=True)}? Every entry of it is reversed (nothing is "
            "deleted), the balances it moved come back and the batch reopens."
        )
        db = self.billing_app
        posting_id = row.posting_id

        def call(actor: Actor, reason: str):
            from billing_tui.services.eob_posting import reverse_posting

            return reverse_posting(db.database(), actor, posting_id, reason)

        self.app.push_screen(
            DecisionDialog(
                f"Reverse posting · {row.claim_number}", text, call, reason_required=True
            ),
            self._reversed,
        )

    def _reversed(self, result) -> None:
        if result is not None:
            self.action_reload(
                f"Reversed: claim {result.claim_number} is {result.status.replace('_', ' ')}, "
                f"insurance {Money(result.ins_balance_cents)}, "
                f"patient {Money(result.pat_balance_cents)}."
            )
