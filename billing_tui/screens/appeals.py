"""The appeals work list: appeals waiting for the payer's decision, soonest deadline first.

Overdue deadlines show in red and those due within 7 days in yellow, so none passes
unseen. ``enter`` opens the denial behind the highlighted appeal; ``o`` records the
payer's decision (won / partly / lost); ``d`` also lists decided appeals.
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
from textual.widgets import DataTable, Input, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from billing_tui.domain.errors import DomainError
from billing_tui.screens.denial_detail import URGENCY_STYLE, DenialDialog
from billing_tui.widgets.cells import money_cell, row_at_cursor, text_cell
from billing_tui.widgets.keys_footer import KeysFooter
from billing_tui.widgets.status import StatusLine
from billing_tui.widgets.title_bar import TitleBar
from billing_tui.widgets.worker_failures import ReportsWorkerFailures

if TYPE_CHECKING:
    from billing_tui.app import BillingApp
    from billing_tui.services.appeals import AppealView

OUTCOME_LABELS = (("won", "Won: the payer will pay"), ("partly", "Partly won"), ("lost", "Lost"))


class OutcomeDialog(DenialDialog):
    """The payer's decision on one appeal."""

    BINDING_GROUP_TITLE = "Appeal decision"
    AUTO_FOCUS = "#outcomes"

    def __init__(self, appeal: AppealView) -> None:
        super().__init__("Appeal decision", None)  # type: ignore[arg-type]
        self.appeal = appeal

    def body(self) -> ComposeResult:
        a = self.appeal
        yield Static(
            f"{a.level_label.capitalize()} appeal on {a.claim_number} ({a.payer_name}), "
            f"filed {a.filed_on.isoformat() if a.filed_on else '-'}",
            classes="dialog-text",
            markup=False,
        )
        yield Input(placeholder="note (optional)", id="outcome-note")
        yield OptionList(*(Option(label, id=key) for key, label in OUTCOME_LABELS), id="outcomes")
        yield Static("enter on an outcome records it", classes="dialog-hint")

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        from billing_tui.services.appeals import record_outcome

        outcome = event.option.id or ""
        note = self.query_one("#outcome-note", Input).value
        db, appeal_id = self.billing_app.database(), self.appeal.appeal_id
        self.start(
            lambda actor, today: record_outcome(
                db, actor, appeal_id, outcome, note=note, today=today
            )
        )

    @on(Input.Submitted)
    def _note(self, event: Input.Submitted) -> None:
        event.stop()
        self.query_one(OptionList).focus()


class AppealsScreen(ReportsWorkerFailures, Screen[None]):
    WORKER_FAILURES: ClassVar[dict[str, str]] = {"appeals": "load the appeals"}
    FAILURE_STATUS = "#appeals-status"
    BINDING_GROUP_TITLE = "Appeals"
    AUTO_FOCUS = "#appeals-table"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open", "Open denial", id="appeals.open"),
        Binding("o", "outcome", "Record decision", id="appeals.outcome"),
        Binding("d", "decided", "Show decided", id="appeals.decided"),
        Binding("r", "refresh", "Refresh", id="appeals.refresh"),
    ]
    DEFAULT_CSS = """
    #appeals-body { padding: 0 1; height: 1fr; }
    #appeals-counts { height: 1; }
    #appeals-table { height: 1fr; }
    """

    class Loaded(Message):
        def __init__(self, rows: list[AppealView], note: str) -> None:
            super().__init__()
            self.rows = rows
            self.note = note

    class Failed(Message):
        def __init__(self, reason: str) -> None:
            super().__init__()
            self.reason = reason

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[AppealView] = []
        self.include_decided = False
        self.opened = False

    @property
    def billing_app(self) -> BillingApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield TitleBar()
        with Vertical(id="appeals-body"):
            yield Static("", id="appeals-counts")
            t = DataTable(id="appeals-table", cursor_type="row", zebra_stripes=True)
            t.add_column("Deadline", key="deadline")
            t.add_column(Text("Days", justify="right"), key="days")
            t.add_column("Level", key="level")
            t.add_column("Claim", key="claim")
            t.add_column("Patient", key="patient")
            t.add_column("Payer", key="payer")
            t.add_column("CARC", key="carc")
            t.add_column(Text("Amount", justify="right"), key="amount")
            t.add_column("Status", key="status")
            yield t
            yield StatusLine(id="appeals-status")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.sub_title = "Appeals by deadline"
        self.reload()

    def on_screen_resume(self) -> None:
        if self.opened:
            self.opened = False
            self.reload()

    def reload(self, note: str = "") -> None:
        self.load(self.include_decided, note)

    @work(thread=True, exclusive=True, exit_on_error=False, group="appeals")
    def load(self, include_decided: bool, note: str) -> None:
        from billing_tui.services.appeals import appeals_work_list

        try:
            rows = appeals_work_list(
                self.billing_app.database(),
                today=self.billing_app.today,
                include_decided=include_decided,
            )
        except DomainError as exc:
            self.post_message(self.Failed(str(exc)))
            return
        if not get_current_worker().is_cancelled:
            self.post_message(self.Loaded(rows, note))

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        self.rows = message.rows
        waiting = [r for r in self.rows if r.status != "decided"]
        soon = sum(1 for r in waiting if r.urgency == "due_soon")
        late = sum(1 for r in waiting if r.urgency == "overdue")
        self.query_one("#appeals-counts", Static).update(
            Text.assemble(
                ("Waiting for a decision ", "bold"),
                f"{len(waiting):,}  ·  ",
                (f"due within 7 days {soon}", URGENCY_STYLE["due_soon"] if soon else ""),
                "  ·  ",
                (f"overdue {late}", URGENCY_STYLE["overdue"] if late else ""),
                "  ·  decided shown (d)" if self.include_decided else "",
            )
        )
        table = self.query_one("#appeals-table", DataTable)
        table.clear()
        for r in self.rows:
            style = URGENCY_STYLE[r.urgency]
            table.add_row(
                Text(r.deadline.isoformat(), style=style),
                Text(str(r.days_left), style=style, justify="right"),
                r.level_label,
                text_cell(r.claim_number),
                text_cell(r.patient_name[:22]),
                text_cell(r.payer_name[:22]),
                text_cell(r.carc),
                money_cell(r.amount_cents),
                r.status + (f" ({r.outcome})" if r.outcome else ""),
                key=str(r.appeal_id),
            )
        status = self.query_one("#appeals-status", StatusLine)
        if message.note:
            status.show_info(message.note)
        elif not self.rows:
            status.show_info("No appeal is waiting for a decision.")
        else:
            status.clear()
        self.refresh_bindings()

    @on(Failed)
    def _failed(self, message: Failed) -> None:
        self.query_one("#appeals-status", StatusLine).show_error(message.reason)

    def _current(self) -> AppealView | None:
        return row_at_cursor(self.query_one("#appeals-table", DataTable), self.rows)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "open":
            return True if self._current() else None
        if action == "outcome":
            cur = self._current()
            return True if cur and cur.status != "decided" else None
        return True

    @on(DataTable.RowSelected, "#appeals-table")
    def _selected(self) -> None:
        self.action_open()

    @on(DataTable.RowHighlighted, "#appeals-table")
    def _highlighted(self) -> None:
        self.refresh_bindings()

    def action_open(self) -> None:
        cur = self._current()
        if cur is None:
            return
        from billing_tui.screens.denial_detail import open_denial

        self.opened = True
        open_denial(self.billing_app, cur.denial_id)

    def action_outcome(self) -> None:
        cur = self._current()
        if cur is None or cur.status == "decided":
            return

        def done(message: str | None) -> None:
            if message:
                self.reload(message)

        self.app.push_screen(OutcomeDialog(cur), done)

    def action_decided(self) -> None:
        self.include_decided = not self.include_decided
        self.reload()

    def action_refresh(self) -> None:
        self.reload()
