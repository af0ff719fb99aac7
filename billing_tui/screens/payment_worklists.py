"""Two payment worklists: claims holding a credit balance (paid more than owed) and claims
a payer paid below its contract ("Underpaid").

From a credit balance ``f`` requests a refund (to the payer or the patient, amount,
reason): within the rep's approval limit it posts at once, above it it waits for a
supervisor (screens/approvals.py); the service's message says which. ``enter`` opens
the account. Both lists load in workers from services/refunds.py and
services/eob_posting.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Input, Label, Select, Static
from textual.worker import get_current_worker

from billing_tui.domain.errors import DomainError, ValidationError
from billing_tui.domain.money import Money, parse_money
from billing_tui.widgets.cells import money_cell, right, row_at_cursor, text_cell
from billing_tui.widgets.keys_footer import KeysFooter
from billing_tui.widgets.service_dialog import ServiceDialog
from billing_tui.widgets.status import StatusLine
from billing_tui.widgets.title_bar import TitleBar
from billing_tui.widgets.worker_failures import ReportsWorkerFailures

if TYPE_CHECKING:
    import datetime as dt

    from billing_tui.app import BillingApp
    from billing_tui.domain.users import Actor
    from billing_tui.services.approvals import ApprovalOutcome
    from billing_tui.services.eob_posting import UnderpaymentRow
    from billing_tui.services.refunds import CreditBalanceRow


class RefundDialog(ServiceDialog["ApprovalOutcome | None"]):
    """Request a refund of (part of) a claim's credit balance."""

    BINDING_GROUP_TITLE = "Refund"
    AUTO_FOCUS = "#refund-reason"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Request refund", priority=True, id="refund.save"),
        Binding("escape", "cancel", "Cancel", id="refund.cancel"),
    ]
    DEFAULT_CSS = """
    RefundDialog .refund-row { height: 1; margin-top: 1; }
    RefundDialog .refund-row > Label { width: 10; color: $text-muted; }
    #refund-to { width: 24; }
    #refund-amount { width: 16; }
    #refund-reason { width: 1fr; }
    #refund-text { margin-top: 1; height: auto; }
    #refund-hint { color: $text-muted; height: 1; margin-top: 1; }
    """

    def __init__(self, row: CreditBalanceRow) -> None:
        super().__init__(f"Refund · claim {row.claim_number}")
        self.row = row

    def body(self) -> ComposeResult:
        r = self.row
        # Whose credit it is decides the default: the patient's money goes back to them.
        to = "patient" if r.pat_balance_cents < 0 and r.ins_balance_cents >= 0 else "payer"
        yield Static(
            f"{r.patient_name} · {r.payer_name or 'self-pay'} · DOS "
            f"{r.service_date.isoformat()}\nCredit {Money(r.credit_cents).format(symbol=True)}"
            f" (insurance {Money(r.ins_balance_cents)}, patient {Money(r.pat_balance_cents)})",
            id="refund-text",
            markup=False,
        )
        with Horizontal(classes="refund-row"):
            yield Label("To")
            yield Select(
                (("the payer", "payer"), ("the patient", "patient")),
                value=to,
                allow_blank=False,
                id="refund-to",
                compact=True,
            )
        with Horizontal(classes="refund-row"):
            yield Label("Amount")
            yield Input(Money(r.credit_cents).format(), id="refund-amount", compact=True)
        with Horizontal(classes="refund-row"):
            yield Label("Reason")
            yield Input(
                placeholder="why (the approver reads it)",
                id="refund-reason",
                compact=True,
                max_length=200,
            )
        yield Label("enter or ctrl+s requests the refund · escape cancels", id="refund-hint")

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    def action_save(self) -> None:
        if self.busy:
            return
        try:
            cents = parse_money(self.query_one("#refund-amount", Input).value).cents
        except ValidationError as exc:
            self.status.show_error(f"Amount {exc}")
            self.query_one("#refund-amount").focus()
            return
        reason = self.query_one("#refund-reason", Input).value.strip()
        to = str(self.query_one("#refund-to", Select).value)
        claim_id = self.row.claim_id

        def call(actor: Actor, _today: dt.date) -> ApprovalOutcome:
            from billing_tui.services.refunds import request_refund

            return request_refund(
                self.billing_app.database(),
                actor,
                claim_id=claim_id,
                amount_cents=cents,
                to=to,
                reason=reason,
            )

        self.start(call)

    @on(ServiceDialog.Failed)
    def _focus_field(self, message: ServiceDialog.Failed) -> None:
        """After the base shows the message: put the cursor where the mistake is."""
        target = {"amount": "#refund-amount", "reason": "#refund-reason", "to": "#refund-to"}
        if message.field in target:
            self.query_one(target[message.field]).focus()


class PaymentWorklistsScreen(ReportsWorkerFailures, Screen[None]):
    WORKER_FAILURES: ClassVar[dict[str, str]] = {"payment-worklists": "load the lists"}
    FAILURE_STATUS = "#pw-status"
    BINDING_GROUP_TITLE = "Credit balances and underpaid"
    AUTO_FOCUS = "#credits"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f", "refund", "Refund", id="payment_worklists.refund"),
        Binding("enter", "open_account", "Open account", id="payment_worklists.open"),
        Binding("r", "reload", "Reload", id="payment_worklists.reload"),
    ]
    DEFAULT_CSS = """
    #pw-body { padding: 0 1; height: 1fr; }
    .pw-panel {
        border: round $primary 60%; height: 1fr; padding: 0; border-title-style: bold;
    }
    .pw-panel:focus-within { border: round $primary; }
    .pw-panel DataTable { height: 1fr; }
    """

    class Loaded(Message):
        def __init__(
            self, credits: list[CreditBalanceRow], underpaid: list[UnderpaymentRow]
        ) -> None:
            super().__init__()
            self.credits = credits
            self.underpaid = underpaid

    class LoadFailed(Message):
        def __init__(self, reason: str) -> None:
            super().__init__()
            self.reason = reason

    def __init__(self) -> None:
        super().__init__()
        self.credits: list[CreditBalanceRow] = []
        self.underpaid: list[UnderpaymentRow] = []
        self.loads = 0
        self._flash: str | None = None

    @property
    def billing_app(self) -> BillingApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield TitleBar()
        with Vertical(id="pw-body"):
            with Vertical(id="credits-panel", classes="pw-panel") as panel:
                panel.border_title = "Credit balances"
                yield DataTable(id="credits", cursor_type="row", zebra_stripes=True)
            with Vertical(id="underpaid-panel", classes="pw-panel") as panel:
                panel.border_title = "Underpaid"
                yield DataTable(id="underpaid", cursor_type="row", zebra_stripes=True)
            yield StatusLine(id="pw-status")
        yield KeysFooter()

    def on_mount(self) -> None:
        credits = self.query_one("#credits", DataTable)
        credits.add_column("Claim", key="claim", width=10)
        credits.add_column("Patient", key="patient", width=22)
        credits.add_column("Payer", key="payer", width=20)
        credits.add_column("DOS", key="dos", width=10)
        credits.add_column(right("Ins bal"), key="ins", width=10)
        credits.add_column(right("Pat bal"), key="pat", width=10)
        credits.add_column(right("Credit"), key="credit", width=10)
        credits.add_column("Status", key="status", width=10)
        under = self.query_one("#underpaid", DataTable)
        under.add_column("Claim", key="claim", width=10)
        under.add_column("Patient", key="patient", width=20)
        under.add_column("Payer", key="payer", width=18)
        under.add_column("Ln", key="line", width=2)
        under.add_column("Code", key="code", width=5)
        under.add_column(right("Allowed"), key="allowed", width=10)
        under.add_column(right("Contract"), key="contract", width=10)
        under.add_column(right("Variance"), key="variance", width=10)
        under.add_column("Posted", key="posted", width=10)
        actor = self.billing_app.actor
        self.sub_title = f"{actor.display_name} ({actor.role})" if actor else ""
        self.action_reload()

    @property
    def status(self) -> StatusLine:
        return self.query_one("#pw-status", StatusLine)

    def action_reload(self, message: str | None = None) -> None:
        self._flash = message
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="payment-worklists")
    def load(self) -> None:
        from billing_tui.services.eob_posting import underpayments
        from billing_tui.services.refunds import credit_balances

        worker = get_current_worker()
        db = self.billing_app.database()
        try:
            credits = credit_balances(db)
            underpaid = underpayments(db)
        except DomainError as exc:
            if not worker.is_cancelled:
                self.post_message(self.LoadFailed(str(exc)))
            return
        if not worker.is_cancelled:
            self.post_message(self.Loaded(credits, underpaid))

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        self.credits, self.underpaid = message.credits, message.underpaid
        credits = self.query_one("#credits", DataTable)
        credits.clear()
        for c in self.credits:
            credits.add_row(
                text_cell(c.claim_number),
                text_cell(c.patient_name),
                text_cell(c.payer_name or "self-pay"),
                c.service_date.isoformat(),
                money_cell(c.ins_balance_cents),
                money_cell(c.pat_balance_cents),
                money_cell(c.credit_cents, bold=True),
                c.status.replace("_", " "),
                key=str(c.claim_id),
            )
        under = self.query_one("#underpaid", DataTable)
        under.clear()
        for u in self.underpaid:
            under.add_row(
                text_cell(u.claim_number),
                text_cell(u.patient_name),
                text_cell(u.payer_name),
                str(u.line_no),
                text_cell(u.procedure_code),
                money_cell(u.allowed_cents),
                money_cell(u.contracted_cents),
                money_cell(u.variance_cents, bold=True),
                u.posted_at.strftime("%Y-%m-%d"),
            )
        credit_total = Money(sum(c.credit_cents for c in self.credits)).format(symbol=True)
        variance = Money(sum(u.variance_cents for u in self.underpaid)).format(symbol=True)
        credits_panel = self.query_one("#credits-panel")
        credits_panel.border_title = f"Credit balances ({len(self.credits)} · {credit_total})"
        under_panel = self.query_one("#underpaid-panel")
        under_panel.border_title = f"Underpaid ({len(self.underpaid)} lines · variance {variance})"
        if self._flash:
            self.status.show_info(self._flash)
            self._flash = None
        elif not self.status.is_error:
            self.status.show_info(
                "f requests a refund of the highlighted credit · enter opens the account · "
                "tab switches lists"
            )
        self.loads += 1
        self.refresh_bindings()

    @on(LoadFailed)
    def _load_failed(self, message: LoadFailed) -> None:
        self.status.show_error(message.reason)

    # --- actions ----------------------------------------------------------------------------

    def _selected_credit(self) -> CreditBalanceRow | None:
        return row_at_cursor(self.query_one("#credits", DataTable), self.credits)

    def _selected_underpaid(self) -> UnderpaymentRow | None:
        return row_at_cursor(self.query_one("#underpaid", DataTable), self.underpaid)

    def _in_underpaid(self) -> bool:
        return self.focused is self.query_one("#underpaid")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "refund":
            return True if self.credits and not self._in_underpaid() else None
        if action == "open_account":
            rows = self.underpaid if self._in_underpaid() else self.credits
            return True if rows else None
        return True

    @on(DataTable.RowSelected)
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open_account()

    def on_descendant_focus(self) -> None:
        self.refresh_bindings()  # f applies to the credit list only

    def action_open_account(self) -> None:
        row = self._selected_underpaid() if self._in_underpaid() else self._selected_credit()
        if row is not None:
            self.billing_app.open_account(row.patient_id, focus_claim_id=row.claim_id)

    def action_refund(self) -> None:
        row = self._selected_credit()
        if row is None or self._in_underpaid():
            return
        self.app.push_screen(RefundDialog(row), self._refund_done)

    def _refund_done(self, outcome: ApprovalOutcome | None) -> None:
        if outcome is not None:
            self.action_reload(outcome.message)

    def on_screen_resume(self) -> None:
        if self.loads:
            self.load()
