"""The supervisor's approvals queue: write-offs, adjustments and refunds waiting for
someone whose approval limit covers them (f12 from home).

``a`` approves the highlighted request (the service posts its entry), ``d`` denies it
with a reason. Permission problems (a limit too low, one's own request) come back from
``services.approvals`` and are shown as they are; the list reloads after each decision.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Input, Static
from textual.worker import get_current_worker

from billing_tui.domain.errors import DomainError
from billing_tui.domain.money import Money
from billing_tui.widgets.cells import money_cell, right, row_at_cursor, text_cell
from billing_tui.widgets.keys_footer import KeysFooter
from billing_tui.widgets.service_dialog import ServiceDialog
from billing_tui.widgets.status import StatusLine
from billing_tui.widgets.title_bar import TitleBar
from billing_tui.widgets.worker_failures import ReportsWorkerFailures

if TYPE_CHECKING:
    from billing_tui.app import BillingApp
    from billing_tui.domain.users import Actor
    from billing_tui.services.approvals import ApprovalOutcome, ApprovalRow

KIND_LABELS = {"write_off": "write-off", "adjustment": "adjustment", "refund": "refund"}


class DecisionDialog(ServiceDialog["ApprovalOutcome | None"]):
    """Approve or deny one request: says what happens, takes a reason, runs the service
    in a worker; on an error it stays open with the service's message."""

    BINDING_GROUP_TITLE = "Decision"
    AUTO_FOCUS = "#decision-reason"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="decision.cancel"),
    ]
    DEFAULT_CSS = """
    DecisionDialog .dialog-text { margin: 1 0; height: auto; }
    DecisionDialog .dialog-hint { color: $text-muted; height: auto; }
    """

    def __init__(
        self,
        title: str,
        text: str,
        call: Callable[[Actor, str], ApprovalOutcome],
        *,
        reason_required: bool,
    ) -> None:
        super().__init__(title)
        self.text = text
        self.call = call
        self.reason_required = reason_required

    def body(self) -> ComposeResult:
        yield Static(self.text, classes="dialog-text", markup=False)
        placeholder = "reason (required)" if self.reason_required else "note (optional)"
        yield Input(placeholder=placeholder, id="decision-reason", max_length=200)
        yield Static("enter confirms, escape cancels", classes="dialog-hint")

    @on(Input.Submitted, "#decision-reason")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self.busy:
            return
        reason = event.value.strip()
        if self.reason_required and not reason:
            self.status.show_error("Type the reason first: the requester will read it.")
            return
        self.start(lambda actor, _today: self.call(actor, reason))


class ApprovalsScreen(ReportsWorkerFailures, Screen[None]):
    WORKER_FAILURES: ClassVar[dict[str, str]] = {"approvals": "list requests"}
    FAILURE_STATUS = "#approvals-status"
    BINDING_GROUP_TITLE = "Approvals"
    AUTO_FOCUS = "#approvals"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "approve", "Approve", id="approvals.approve"),
        Binding("d", "deny", "Deny", id="approvals.deny"),
        Binding("r", "reload", "Reload", id="approvals.reload"),
    ]
    DEFAULT_CSS = """
    #approvals-body { padding: 0 1; height: 1fr; }
    #approvals-panel {
        border: round $primary; height: 1fr; padding: 0 1; border-title-style: bold;
    }
    #approvals { height: 1fr; }
    #approval-detail { height: 2; margin-top: 1; }
    """

    class Loaded(Message):
        def __init__(self, rows: list[ApprovalRow]) -> None:
            super().__init__()
            self.rows = rows

    class LoadFailed(Message):
        def __init__(self, reason: str) -> None:
            super().__init__()
            self.reason = reason

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[ApprovalRow] = []
        self.loads = 0
        self._flash: str | None = None

    @property
    def billing_app(self) -> BillingApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield TitleBar()
        with Vertical(id="approvals-body"):
            with Vertical(id="approvals-panel") as panel:
                panel.border_title = "Waiting for approval"
                yield DataTable(id="approvals", cursor_type="row", zebra_stripes=True)
            yield Static("", id="approval-detail", markup=False)
            yield StatusLine(id="approvals-status")
        yield KeysFooter()

    def on_mount(self) -> None:
        table = self.query_one("#approvals", DataTable)
        table.add_column("Req", key="id", width=5)
        table.add_column("Kind", key="kind", width=10)
        table.add_column("Claim", key="claim", width=10)
        table.add_column("Patient", key="patient", width=22)
        table.add_column(right("Amount"), key="amount", width=11)
        table.add_column("CARC", key="carc", width=5)
        table.add_column("Requested by", key="by", width=12)
        table.add_column("When", key="when", width=16)
        actor = self.billing_app.actor
        self.sub_title = f"{actor.display_name} ({actor.role})" if actor else ""
        self.action_reload()

    @property
    def status(self) -> StatusLine:
        return self.query_one("#approvals-status", StatusLine)

    def action_reload(self, message: str | None = None) -> None:
        self._flash = message
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="approvals")
    def load(self) -> None:
        from billing_tui.services.approvals import pending_requests

        worker = get_current_worker()
        try:
            rows = pending_requests(self.billing_app.database())
        except DomainError as exc:
            if not worker.is_cancelled:
                self.post_message(self.LoadFailed(str(exc)))
            return
        if not worker.is_cancelled:
            self.post_message(self.Loaded(rows))

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        self.rows = message.rows
        table = self.query_one("#approvals", DataTable)
        table.clear()
        for r in self.rows:
            table.add_row(
                str(r.id),
                KIND_LABELS.get(r.kind, r.kind),
                text_cell(r.claim_number),
                text_cell(r.patient_name),
                money_cell(r.amount_cents),
                text_cell(r.carc or ""),
                text_cell(r.requested_by),
                local_time(r.requested_at),
                key=str(r.id),
            )
        self.query_one("#approvals-panel").border_title = f"Waiting for approval ({len(self.rows)})"
        if self._flash:
            self.status.show_info(self._flash)
            self._flash = None
        elif not self.rows:
            self.status.show_info("Nothing is waiting for approval.")
        elif not self.status.is_error:
            self.status.clear()
        self._show_detail()
        self.loads += 1
        self.refresh_bindings()

    @on(LoadFailed)
    def _load_failed(self, message: LoadFailed) -> None:
        self.status.show_error(message.reason)

    def selected(self) -> ApprovalRow | None:
        return row_at_cursor(self.query_one("#approvals", DataTable), self.rows)

    @on(DataTable.RowHighlighted, "#approvals")
    def _highlighted(self) -> None:
        self._show_detail()

    def _show_detail(self) -> None:
        r = self.selected()
        self.query_one("#approval-detail", Static).update(
            f"Request {r.id}: {KIND_LABELS.get(r.kind, r.kind)} of {Money(r.amount_cents)} on "
            f"claim {r.claim_number} ({r.patient_name})\nReason: {r.reason}"
            if r
            else ""
        )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("approve", "deny"):
            return True if self.rows else None
        return True

    def _decide(self, approve: bool) -> None:
        r = self.selected()
        if r is None:
            return
        db = self.billing_app
        what = f"{KIND_LABELS.get(r.kind, r.kind)} of {Money(r.amount_cents)} on claim {r.claim_number}"

        if approve:

            def call(actor: Actor, reason: str) -> ApprovalOutcome:
                from billing_tui.services.approvals import approve_request

                return approve_request(db.database(), actor, r.id, reason)

            text = (
                f"Approve the {what}, requested by {r.requested_by}?\n"
                f"It posts at once. Reason given: {r.reason}"
            )
            title = f"Approve request {r.id}"
        else:

            def call(actor: Actor, reason: str) -> ApprovalOutcome:
                from billing_tui.services.approvals import deny_request

                return deny_request(db.database(), actor, r.id, reason)

            text = f"Deny the {what}, requested by {r.requested_by}? Nothing is posted."
            title = f"Deny request {r.id}"
        self.app.push_screen(
            DecisionDialog(title, text, call, reason_required=not approve), self._decided
        )

    def action_approve(self) -> None:
        self._decide(True)

    def action_deny(self) -> None:
        self._decide(False)

    def _decided(self, outcome: ApprovalOutcome | None) -> None:
        if outcome is not None:
            self.action_reload(outcome.message)


def local_time(value: dt.datetime) -> str:
    """Stored as naive UTC; the supervisor reads local time."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone().strftime("%Y-%m-%d %H:%M")
