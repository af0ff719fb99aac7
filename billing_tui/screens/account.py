"""Account detail: everything a rep reads before and during a payer call, and the
actions that follow it, each one key away.

Layout: patient and coverages on top, the account's claims in the middle (the cursor
picks the claim the actions work on), the selected claim's lines and ledger bottom left,
denials and the notes timeline (newest first) bottom right.

The account loads in a thread worker (``services.accounts.load_account``, which audits
the view). Moving the claim cursor only redraws the detail tables from what is already
loaded, so it never waits for the database. Every action runs its service in a worker
of its dialog; on success the account reloads in place with the cursor on the same
claim (VistA habit: back to the same list, same place); on an error the dialog stays
open with what the rep typed and the service's message.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Input, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState, get_current_worker

from billing_tui.domain.claim_status import ClaimStatus
from billing_tui.domain.dates import FORMATS_HINT, parse_optional_date
from billing_tui.domain.errors import DomainError, ValidationError
from billing_tui.domain.money import Money
from billing_tui.screens.call_note import (
    CallNoteContext,
    CallNoteSaved,
    CallNoteScreen,
    format_duration,
)
from billing_tui.widgets.cells import date_cell, money_cell, right, text_cell
from billing_tui.widgets.fast_table import FastTable
from billing_tui.widgets.keys_footer import KeysFooter
from billing_tui.widgets.service_dialog import ServiceDialog
from billing_tui.widgets.status import StatusLine
from billing_tui.widgets.title_bar import TitleBar

if TYPE_CHECKING:
    from billing_tui.app import BillingApp
    from billing_tui.domain.users import Actor
    from billing_tui.services.account_actions import ActionResult
    from billing_tui.services.accounts import AccountView, ClaimView

_RESP_SHORT = {0: "Pat", 1: "Pri", 2: "Sec", 3: "Ter"}
_KIND_LABELS = {
    "charge": "charge",
    "insurance_payment": "ins payment",
    "patient_payment": "pat payment",
    "adjustment": "adjustment",
    "transfer": "transfer",
    "refund": "refund",
    "write_off": "write-off",
    "reversal": "reversal",
}
_FINISHED = {str(ClaimStatus.CLOSED), str(ClaimStatus.VOID)}
_NOT_SENT = {str(ClaimStatus.DRAFT), str(ClaimStatus.READY)}


def _local(when: dt.datetime) -> dt.datetime:
    # Times are stored as naive UTC; the rep reads local time.
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.astimezone()


def _age(dob: dt.date, today: dt.date) -> int:
    return today.year - dob.year - ((today.month, today.day) < (dob.month, dob.day))


def _status_label(status: str) -> str:
    return status.replace("_", " ")


def _flow(resp: int, to: int | None) -> str:
    if to is None:
        return _RESP_SHORT.get(resp, str(resp))
    return f"{_RESP_SHORT.get(resp, resp)}→{_RESP_SHORT.get(to, to)}"


# Read-only tables are drawn as fixed-width text: a DataTable per panel costs several
# times more to style and paint, and only the claims list needs a cursor.
Column = tuple[str, int, str]  # title, width, "<" or ">"
_COVERAGE_COLUMNS: list[Column] = [
    ("#", 1, "<"), ("Payer", 20, "<"), ("Member id", 12, "<"), ("Eligibility", 15, "<"),
    ("Payer phone", 12, "<"),
]  # fmt: skip
_LINE_COLUMNS: list[Column] = [
    ("Ln", 2, "<"), ("DOS", 10, "<"), ("Code × units", 14, "<"), ("Charge", 9, ">"),
    ("Ins bal", 9, ">"), ("Pat bal", 9, ">"),
]  # fmt: skip
_LEDGER_COLUMNS: list[Column] = [
    ("Posted", 10, "<"), ("Ln", 2, "<"), ("Entry", 11, "<"), ("Who", 7, "<"),
    ("Amount", 9, ">"), ("Code", 6, "<"), ("Memo", 12, "<"),
]  # fmt: skip
_DENIAL_COLUMNS: list[Column] = [
    ("Claim", 9, "<"), ("CARC", 6, "<"), ("Category", 14, "<"), ("Amount", 9, ">"),
]  # fmt: skip


def grid(columns: list[Column], rows: list[list[str | Text]]) -> Text:
    """A header row and one line per row, each cell cropped or padded to its width."""
    out = Text(no_wrap=True, overflow="crop", end="")
    for i, (title, width, align) in enumerate(columns):
        out.append(
            ("  " if i else "") + (title.rjust(width) if align == ">" else title.ljust(width)),
            style="bold",
        )
    for row in rows:
        out.append("\n")
        for i, ((_title, width, align), cell) in enumerate(zip(columns, row, strict=True)):
            if i:
                out.append("  ")
            text = cell if isinstance(cell, Text) else Text(cell)
            if text.cell_len > width:
                text = text[: width - 1] + "…"
            pad = " " * (width - text.cell_len)
            if align == ">":
                out.append(pad)
                out.append_text(text)
            else:
                out.append_text(text)
                out.append(pad)
    return out


# --- dialogs ----------------------------------------------------------------------------


class ActionDialog(ServiceDialog["ActionResult | None"]):
    """A small modal that runs one account action (a service call, in a worker) and
    returns its ActionResult; subclasses yield their body and call ``start``. On an error
    the dialog stays open with what was typed."""

    BINDING_GROUP_TITLE = "Dialog"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="dialog.cancel"),
    ]
    DEFAULT_CSS = """
    ActionDialog > Vertical { width: 76; }
    ActionDialog .dialog-text {
        margin: 1 0;
        height: auto;
    }
    ActionDialog .dialog-hint {
        color: $text-muted;
        height: auto;
    }
    ActionDialog OptionList {
        height: auto;
        max-height: 14;
        margin-bottom: 1;
    }
    """

    def __init__(self, title: str, claim: ClaimView) -> None:
        super().__init__(title)
        self.claim = claim


class FollowUpDialog(ActionDialog):
    BINDING_GROUP_TITLE = "Follow-up date"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "save", "Save", id="follow_up.save"),
    ]
    AUTO_FOCUS = "#follow-up-date"

    def body(self) -> ComposeResult:
        current = self.claim.follow_up_date
        yield Static(
            f"Claim {self.claim.claim_number}: next follow-up "
            + (current.isoformat() if current else "not set"),
            classes="dialog-text",
            markup=False,
        )
        yield Input(
            value=current.isoformat() if current else "",
            placeholder="+14",
            id="follow-up-date",
        )
        yield Static(f"{FORMATS_HINT}; empty clears it", classes="dialog-hint")

    @on(Input.Submitted, "#follow-up-date")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    def action_save(self) -> None:
        text = self.query_one("#follow-up-date", Input).value
        try:
            day = parse_optional_date(text, self.billing_app.today)
        except ValidationError as exc:
            self.status.show_error(str(exc))
            return
        claim, db = self.claim, self.billing_app

        def call(actor: Actor, today: dt.date) -> ActionResult:
            from billing_tui.services.account_actions import set_follow_up

            return set_follow_up(
                db.database(),
                actor,
                claim.claim_id,
                day,
                expected_version=claim.version,
                today=today,
            )

        self.start(call)


class StatusDialog(ActionDialog):
    """A picker of the statuses the claim may move to (and nothing else)."""

    BINDING_GROUP_TITLE = "Change status"
    AUTO_FOCUS = "#status-choices"

    def body(self) -> ComposeResult:
        claim = self.claim
        yield Static(
            f"Claim {claim.claim_number} is {_status_label(claim.status)}. It can become:",
            classes="dialog-text",
            markup=False,
        )
        balance = claim.ins_balance_cents + claim.pat_balance_cents
        options = []
        for status in claim.allowed_next:
            if status == ClaimStatus.CLOSED and balance:
                options.append(
                    Option(
                        f"closed  (needs a zero balance; open {Money(balance)})",
                        id=status,
                        disabled=True,
                    )
                )
            else:
                options.append(Option(_status_label(status), id=status))
        yield OptionList(*options, id="status-choices")
        yield Static("up/down picks, enter changes the status", classes="dialog-hint")

    @on(OptionList.OptionSelected, "#status-choices")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        new_status = event.option.id
        claim, db = self.claim, self.billing_app

        def call(actor: Actor, today: dt.date) -> ActionResult:
            from billing_tui.services.account_actions import change_status

            return change_status(
                db.database(),
                actor,
                claim.claim_id,
                new_status,
                expected_version=claim.version,
                today=today,
            )

        self.start(call)


class ConfirmDialog(ActionDialog):
    """Says exactly what will happen; enter does it, escape does not."""

    BINDING_GROUP_TITLE = "Confirm"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "confirm", "Confirm", id="confirm.yes"),
    ]

    def __init__(
        self,
        title: str,
        claim: ClaimView,
        text: str,
        call: Callable[[Actor, dt.date, str], ActionResult],
        *,
        ask_reason: bool = False,
    ) -> None:
        super().__init__(title, claim)
        self.text = text
        self.call = call
        self.ask_reason = ask_reason

    def body(self) -> ComposeResult:
        yield Static(self.text, classes="dialog-text", markup=False)  # names payer, claim
        if self.ask_reason:
            yield Input(placeholder="reason (optional)", id="confirm-reason", max_length=200)
        yield Static("enter confirms, escape cancels", classes="dialog-hint")

    @on(Input.Submitted, "#confirm-reason")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_confirm()

    def action_confirm(self) -> None:
        reason = self.query_one("#confirm-reason", Input).value if self.ask_reason else ""
        call = self.call
        self.start(lambda actor, today: call(actor, today, reason))


# --- the account screen ------------------------------------------------------------------


class AccountScreen(Screen[None]):
    BINDING_GROUP_TITLE = "Account"
    AUTO_FOCUS = "#claims"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c", "call_note", "Call note", id="account.call_note"),
        Binding("f", "follow_up", "Follow-up", id="account.follow_up"),
        Binding("s", "change_status", "Status", id="account.change_status"),
        Binding("t", "transfer_payer", "Next payer", id="account.transfer_payer"),
        Binding("p", "transfer_patient", "To patient", id="account.transfer_patient"),
        # Least used: F1 lists it; the footer has no room to spare once "n" shows too.
        Binding("b", "rebill", "Rebill", show=False, id="account.rebill"),
        Binding("n", "next_account", "Next account", id="account.next_account"),
        Binding("r", "reload", "Reload", show=False, id="account.reload"),
    ]

    DEFAULT_CSS = """
    #acct-body {
        height: 1fr;
        padding: 0 1;
    }
    #acct-top {
        height: auto;
    }
    AccountScreen .acct-panel {
        border: round $primary 60%;
        border-title-color: $text-primary;
        border-title-style: bold;
        height: auto;
        padding: 0 1;
    }
    AccountScreen .acct-panel:focus-within {
        border: round $primary;
    }
    #patient-panel {
        width: 44;
        height: 6;
    }
    #coverage-panel {
        width: 1fr;
        height: 6;
    }
    #coverages {
        height: 4;
        overflow: hidden;
    }
    #claims-panel {
        height: 10;
    }
    #claims {
        height: 1fr;
    }
    #acct-bottom {
        height: 1fr;
    }
    #detail-panel {
        width: 1fr;
        height: 1fr;
    }
    #lines {
        height: 6;
        overflow: hidden;
    }
    AccountScreen DataTable {
        overflow-x: hidden;
    }
    #ledger {
        height: 1fr;
        margin-top: 1;
    }
    #ledger-text {
        height: auto;
    }
    #side-panel {
        width: 48;
        height: 1fr;
    }
    #denials {
        height: auto;
        max-height: 4;
        overflow: hidden;
    }
    #notes {
        height: 1fr;
        margin-top: 1;
    }
    #notes-text {
        height: auto;
    }
    #acct-status {
        height: 1;
    }
    """

    class Loaded(Message):
        def __init__(self, view: AccountView) -> None:
            super().__init__()
            self.view = view

    class LoadFailed(Message):
        def __init__(self, reason: str) -> None:
            super().__init__()
            self.reason = reason

    class NextTaken(Message):
        def __init__(
            self,
            patient_id: int | None,
            claim_id: int | None,
            reason: str,
            view: AccountView | None = None,
        ) -> None:
            super().__init__()
            self.patient_id = patient_id
            self.claim_id = claim_id
            self.reason = reason
            self.view = view  # the next account, read in the same worker

    def __init__(
        self,
        patient_id: int,
        *,
        focus_claim_id: int | None = None,
        queue_id: int | None = None,
        view: AccountView | None = None,
    ) -> None:
        super().__init__()
        self.patient_id = patient_id
        self._first_view = view  # read before the push (app.open_account); None: read here
        self.focus_claim_id = focus_claim_id
        self.queue_id = queue_id
        self.view: AccountView | None = None
        self.selected_claim_id: int | None = focus_claim_id
        self._shown_claim_id: int | None = None
        self.busy = False
        self.loads = 0  # completed loads (tests and the bench wait on it)
        self.painted_at: float | None = None  # perf_counter when the first load was painted
        self._flash: str | None = None
        self._keys_state: tuple[bool | None, ...] = ()
        self.texts: dict[str, Text] = {}  # what the read-only panels show (tests read it)

    @property
    def billing_app(self) -> BillingApp:
        return self.app  # type: ignore[return-value]

    # --- layout -----------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield TitleBar()
        with Vertical(id="acct-body"):
            with Horizontal(id="acct-top"):
                with Vertical(id="patient-panel", classes="acct-panel") as patient:
                    patient.border_title = "Patient"
                    yield Static("", id="patient")
                with Vertical(id="coverage-panel", classes="acct-panel") as cov:
                    cov.border_title = "Coverage"
                    yield Static("", id="coverages")
            with Vertical(id="claims-panel", classes="acct-panel") as claims:
                claims.border_title = "Claims"
                yield FastTable(id="claims", cursor_type="row", zebra_stripes=True)
            with Horizontal(id="acct-bottom"):
                with Vertical(id="detail-panel", classes="acct-panel") as detail:
                    detail.border_title = "Lines and ledger"
                    yield Static("", id="lines")
                    with VerticalScroll(id="ledger"):
                        yield Static("", id="ledger-text")
                with Vertical(id="side-panel", classes="acct-panel") as side:
                    side.border_title = "Denials and notes"
                    yield Static("", id="denials")
                    with VerticalScroll(id="notes"):
                        yield Static("", id="notes-text")
            yield StatusLine(id="acct-status")
        yield KeysFooter()

    def on_mount(self) -> None:
        # What the footer shows now; it is rebuilt only when this changes.
        self._keys_state = tuple(self.check_action(a, ()) for a in self._CLAIM_ACTIONS)
        self._columns()
        actor = self.billing_app.actor
        self.sub_title = f"{actor.display_name} ({actor.role})" if actor else ""
        if self._first_view is not None:  # shown before the first paint: one paint, full
            self._loaded(self.Loaded(self._first_view))
            self._first_view = None
        else:
            self.action_reload(self._flash)
        if self.queue_id is not None and self.focus_claim_id is not None:
            # Taken from a queue: keep the lease alive through a long call on hold, so the
            # account is never handed to a second rep while this one still works it.
            self.set_interval(self.lease_renew_seconds(), self._renew_lease)

    @staticmethod
    def lease_renew_seconds() -> float:
        """Half the lease: one missed renewal (a slow database) still leaves time."""
        from billing_tui.services.queues import LEASE_MINUTES

        return LEASE_MINUTES * 60 / 2

    def _renew_lease(self) -> None:
        actor = self.billing_app.actor
        if actor is not None and self.focus_claim_id is not None:
            self.renew_lease(actor, self.focus_claim_id)

    @work(thread=True, exclusive=True, exit_on_error=False, group="lease")
    def renew_lease(self, actor: Actor, claim_id: int) -> None:
        from billing_tui.services.queues import renew

        try:
            renew(self.billing_app.database(), actor, claim_id)
        except DomainError as exc:
            self.app.call_from_thread(
                self.query_one("#acct-status", StatusLine).show_error, str(exc)
            )

    def _columns(self) -> None:
        claims = self.query_one("#claims", DataTable)
        # Fixed widths: sized from the cells, a table repainted while its rows were being
        # replaced could show the header widths for a frame (seen in snapshots).
        claims.add_column("Claim", key="claim", width=10)
        claims.add_column("DOS", key="dos", width=10)
        claims.add_column("Billed to", key="billed_to", width=22)
        claims.add_column("Status", key="status", width=11)
        claims.add_column(right("Charge"), key="charge", width=10)
        claims.add_column(right("Ins bal"), key="ins", width=10)
        claims.add_column(right("Pat bal"), key="pat", width=10)
        claims.add_column("Follow-up", key="follow_up", width=10)
        claims.add_column("Flags", key="flags")

    # --- loading ------------------------------------------------------------------------

    def action_reload(self, message: str | None = None) -> None:
        actor = self.billing_app.actor
        if actor is None:
            return
        self._flash = message
        if self.view is None:
            # A status line, not a loading overlay: mounting and removing the overlay
            # (and the focus and footer changes it drags along) costs more than the load.
            self.query_one("#acct-status", StatusLine).show_info("Loading the account…")
        self.load(actor, self.patient_id)

    @work(thread=True, exclusive=True, exit_on_error=False, group="account")
    def load(self, actor: Actor, patient_id: int) -> None:
        from billing_tui.services.accounts import load_account

        worker = get_current_worker()
        try:
            view = load_account(self.billing_app.database(), actor, patient_id)
        except DomainError as exc:
            if not worker.is_cancelled:
                self.post_message(self.LoadFailed(str(exc)))
            return
        if not worker.is_cancelled:
            self.post_message(self.Loaded(view))

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        self.show(message.view)
        status = self.query_one("#acct-status", StatusLine)
        if self._flash:
            status.show_info(self._flash)
            self._flash = None
        elif not status.is_error:
            status.clear()
        self.loads += 1
        if self.painted_at is None:
            self.call_after_refresh(self._mark_painted)

    def _mark_painted(self) -> None:
        self.painted_at = time.perf_counter()

    @on(LoadFailed)
    def _load_failed(self, message: LoadFailed) -> None:
        self.query_one("#acct-status", StatusLine).show_error(message.reason)

    @on(Worker.StateChanged)
    def _worker_crashed(self, event: Worker.StateChanged) -> None:
        if event.state != WorkerState.ERROR or event.worker.group not in ("account", "next"):
            return
        self.busy = False
        error = event.worker.error
        what = "load the account" if event.worker.group == "account" else "take the next account"
        self.query_one("#acct-status", StatusLine).show_error(
            f"Could not {what}: {type(error).__name__}: {error}"
        )

    # --- showing ------------------------------------------------------------------------

    def show(self, view: AccountView) -> None:
        """Fill every panel from ``view``, keeping the claim cursor on the same claim."""
        self.view = view
        today = self.billing_app.today
        self.title = f"{view.name} · {view.account_no}"
        self._show_patient(view, today)
        self._show_coverages(view)
        self._show_claims(view, today)
        self._show_denials(view)
        self._show_notes(view)
        self._shown_claim_id = None
        self._show_claim_detail()
        self._refresh_keys()

    def _show_patient(self, view: AccountView, today: dt.date) -> None:
        text = Text()
        text.append(view.name, style="bold")
        text.append(f"\nDOB {view.dob.isoformat()} (age {_age(view.dob, today)}) · {view.sex}")
        text.append(f"\nAccount {view.account_no} · Phone {view.phone or 'none on file'}")
        text.append("\nOpen: insurance ")
        text.append(Money(view.ins_balance_cents).format(), style="bold")
        text.append(" · patient ")
        text.append(Money(view.pat_balance_cents).format(), style="bold")
        self.query_one("#patient", Static).update(text)

    def _show_coverages(self, view: AccountView) -> None:
        rows = []
        for c in view.coverages:
            elig = c.eligibility or "not verified"
            if c.eligibility_verified_at:
                elig = f"{elig} {c.eligibility_verified_at:%m/%d/%y}"
            if c.term_date and c.term_date < self.billing_app.today:
                elig = f"termed {c.term_date.isoformat()}"
            rows.append([str(c.rank), c.payer_name, c.member_id_masked, elig, c.payer_phone or ""])
        text = grid(_COVERAGE_COLUMNS, rows)
        if not view.coverages:
            text.append("\nself-pay: no coverage on file", style="italic")
        self.texts["coverages"] = text
        self.query_one("#coverages", Static).update(text)

    def _show_claims(self, view: AccountView, today: dt.date) -> None:
        table = self.query_one("#claims", DataTable)
        table.clear()
        open_denied = {d.claim_id for d in view.denials if d.status == "open"}
        for c in view.claims:
            flags = []
            if c.rebill:
                flags.append("rebill")
            if c.claim_id in open_denied:
                flags.append("denial")
            table.add_row(
                text_cell(c.claim_number),
                c.service_date.isoformat(),
                text_cell(f"{_RESP_SHORT.get(c.responsibility, '')} {c.billed_to}"),
                _status_label(c.status),
                money_cell(c.total_charge_cents),
                money_cell(c.ins_balance_cents),
                money_cell(c.pat_balance_cents),
                date_cell(c.follow_up_date, today=today) if c.follow_up_date else "",
                " ".join(flags),
                key=str(c.claim_id),
            )
        panel = self.query_one("#claims-panel")
        panel.border_title = f"Claims ({len(view.claims)})"
        if not view.claims:
            self.selected_claim_id = None
            return
        ids = [c.claim_id for c in view.claims]
        target = self.selected_claim_id if self.selected_claim_id in ids else None
        if target is None:
            # The first claim with money open, else the newest.
            target = next(
                (c.claim_id for c in view.claims if c.ins_balance_cents or c.pat_balance_cents),
                ids[0],
            )
        self.selected_claim_id = target
        table.move_cursor(row=ids.index(target), animate=False, scroll=True)

    def _show_denials(self, view: AccountView) -> None:
        rows = []
        for d in view.denials:
            category = d.category.replace("_", " ")
            if d.status != "open":
                category = f"{d.status}: {category}"
            rows.append(
                [d.claim_number, f"{d.group_code}-{d.carc}", category, money_cell(d.amount_cents)]
            )
        text = grid(_DENIAL_COLUMNS, rows)
        self.texts["denials"] = text
        denials = self.query_one("#denials", Static)
        denials.update(text)
        denials.display = bool(view.denials)

    def _show_notes(self, view: AccountView) -> None:
        text = Text()
        if not view.activities:
            text.append("No notes on this account yet.", style="italic dim")
        for i, a in enumerate(view.activities):
            if i:
                text.append("\n\n")
            when = _local(a.created_at).strftime("%Y-%m-%d %H:%M")
            text.append(when, style="bold")
            text.append(f" {a.user_name or ''} · {a.kind}")
            if a.duration_seconds:
                text.append(f" {format_duration(a.duration_seconds)}")
            facts = [
                x
                for x in (
                    a.claim_number,
                    a.outcome.replace("_", " ") if a.outcome else None,
                    a.payer_contact,
                    f"ref {a.call_reference}" if a.call_reference else None,
                )
                if x
            ]
            if facts:
                text.append("\n" + " · ".join(facts), style="cyan")
            if a.text:
                text.append("\n" + a.text)
            if a.next_follow_up:
                text.append(f"\nfollow-up {a.next_follow_up.isoformat()}", style="dim")
        self.query_one("#notes-text", Static).update(text)
        side = self.query_one("#side-panel")
        side.border_title = f"Denials ({len(view.denials)}) and notes ({len(view.activities)})"

    def selected_claim(self) -> ClaimView | None:
        if self.view is None or self.selected_claim_id is None:
            return None
        return next((c for c in self.view.claims if c.claim_id == self.selected_claim_id), None)

    @on(DataTable.RowHighlighted, "#claims")
    def _claim_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key.value is None or self.view is None:
            return
        self.selected_claim_id = int(event.row_key.value)
        self._show_claim_detail()
        self._refresh_keys()  # this claim's usable keys (the footer is one line to repaint)

    def _show_claim_detail(self) -> None:
        claim = self.selected_claim()
        if claim is not None and claim.claim_id == self._shown_claim_id:
            return
        self._shown_claim_id = claim.claim_id if claim else None
        line_rows, ledger_rows = [], []
        for ln in claim.lines if claim else ():
            code = "-".join((ln.procedure_code, *ln.modifiers))
            if ln.units != "1":
                code = f"{code} ×{ln.units}"
            line_rows.append(
                [
                    str(ln.line_no),
                    ln.service_date.isoformat(),
                    Text(code, style="strike dim") if ln.removed else code,
                    Text("removed", style="dim") if ln.removed else money_cell(ln.charge_cents),
                    money_cell(ln.ins_balance_cents),
                    money_cell(ln.pat_balance_cents),
                ]
            )
        for e in claim.ledger if claim else ():
            code = f"{e.group_code}-{e.carc}" if e.group_code and e.carc else e.carc or ""
            ledger_rows.append(
                [
                    e.posted_at.strftime("%Y-%m-%d"),
                    str(e.line_no) if e.line_no is not None else "",
                    _KIND_LABELS.get(e.kind, e.kind),
                    _flow(e.responsibility, e.to_responsibility),
                    money_cell(e.amount_cents),
                    code,
                    e.memo or (f"reverses #{e.reverses_id}" if e.reverses_id else ""),
                ]
            )
        self.texts["lines"] = grid(_LINE_COLUMNS, line_rows)
        self.texts["ledger"] = grid(_LEDGER_COLUMNS, ledger_rows)
        self.query_one("#lines", Static).update(self.texts["lines"])
        self.query_one("#ledger-text", Static).update(self.texts["ledger"])
        self.query_one("#ledger", VerticalScroll).scroll_end(animate=False)
        detail = self.query_one("#detail-panel")
        if claim is None:
            detail.border_title = "Lines and ledger"
        else:
            phone = f" · {claim.payer_phone}" if claim.payer_phone else ""
            detail.border_title = Text(
                f"{claim.claim_number} · {_status_label(claim.status)} · {claim.payer_name}{phone}"
            )

    # --- which actions apply --------------------------------------------------------------

    _CLAIM_ACTIONS = (
        "call_note",
        "follow_up",
        "change_status",
        "transfer_payer",
        "transfer_patient",
        "rebill",
        "next_account",
    )

    def _refresh_keys(self) -> None:
        """Tell the footer only when the set of usable keys changed (most cursor moves
        change nothing)."""
        state = tuple(self.check_action(a, ()) for a in self._CLAIM_ACTIONS)
        if state != self._keys_state:
            self._keys_state = state
            self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "next_account":
            return self.queue_id is not None
        if action == "reload":
            return True
        if not action.startswith(
            ("call_note", "follow_up", "change_status", "transfer_", "rebill")
        ):
            return True
        if self.view is None:
            # Until the account arrives the keys show as usable (they say "still loading"
            # if pressed): greying them out and back would rebuild the footer twice.
            return True
        claim = self.selected_claim()
        if claim is None or self.busy:
            return None
        if action == "follow_up":
            return None if claim.status in _FINISHED else True
        if action == "change_status":
            return True if claim.allowed_next else None
        if action == "transfer_payer":
            return True if claim.responsibility and claim.next_payer_rank else None
        if action == "transfer_patient":
            return True if claim.responsibility else None
        if action == "rebill":
            return True if claim.rebill or claim.status not in (_FINISHED | _NOT_SENT) else None
        return True

    # --- actions --------------------------------------------------------------------------

    def _claim_or_say(self) -> ClaimView | None:
        claim = self.selected_claim()
        if claim is None:
            self.query_one("#acct-status", StatusLine).show_error(
                "The account is still loading." if self.view is None else "No claim is selected."
            )
        return claim

    def _payer_of(self, claim: ClaimView) -> tuple[str, str | None]:
        """The payer now billed for the claim, with its phone (for the call note)."""
        if self.view is not None and claim.responsibility:
            for c in self.view.coverages:
                if c.rank == claim.responsibility:
                    return c.payer_name, c.payer_phone
        return claim.payer_name, claim.payer_phone

    def action_call_note(self) -> None:
        claim = self._claim_or_say()
        if claim is None or self.view is None:
            return
        payer, phone = self._payer_of(claim)
        context = CallNoteContext(
            claim_id=claim.claim_id,
            claim_number=claim.claim_number,
            claim_version=claim.version,
            claim_status=claim.status,
            patient_name=self.view.name,
            payer_name=payer,
            payer_phone=phone,
            finished=claim.status in _FINISHED,
            queue_id=self.queue_id,
        )
        self.app.push_screen(CallNoteScreen(context), self._note_closed)

    def _note_closed(self, saved: CallNoteSaved | None) -> None:
        if saved is None:
            return
        if saved.take_next:
            self.query_one("#acct-status", StatusLine).show_info(saved.result.message)
            self.action_next_account(after_save=saved.result.message)
        else:
            self.action_reload(saved.result.message)

    def action_follow_up(self) -> None:
        claim = self._claim_or_say()
        if claim is not None:
            self.app.push_screen(
                FollowUpDialog(f"Follow-up · {claim.claim_number}", claim), self._action_done
            )

    def action_change_status(self) -> None:
        claim = self._claim_or_say()
        if claim is not None:
            self.app.push_screen(
                StatusDialog(f"Change status · {claim.claim_number}", claim), self._action_done
            )

    def _transfer(self, to: str) -> None:
        claim = self._claim_or_say()
        if claim is None or self.view is None:
            return
        if not claim.responsibility:
            return
        current, _ = self._payer_of(claim)
        if to == "next_payer":
            target = next(
                (c.payer_name for c in self.view.coverages if c.rank == claim.next_payer_rank),
                "the next payer",
            )
        else:
            target = "the patient"
        amount = Money(max(0, claim.open_with(claim.responsibility)))
        text = (
            f"Move {amount} open with {current} on claim {claim.claim_number} to {target}?\n"
            f"One transfer entry per line with a balance; the claim is then billed to "
            f"{target} and becomes transferred."
        )
        db = self.billing_app

        def call(actor: Actor, today: dt.date, _reason: str) -> ActionResult:
            from billing_tui.services.account_actions import transfer_balance

            return transfer_balance(
                db.database(),
                actor,
                claim.claim_id,
                to,
                expected_version=claim.version,
                today=today,
            )

        self.app.push_screen(
            ConfirmDialog(f"Transfer · {claim.claim_number}", claim, text, call),
            self._action_done,
        )

    def action_transfer_payer(self) -> None:
        self._transfer("next_payer")

    def action_transfer_patient(self) -> None:
        self._transfer("patient")

    def action_rebill(self) -> None:
        claim = self._claim_or_say()
        if claim is None:
            return
        mark = not claim.rebill
        if mark:
            text = (
                f"Mark claim {claim.claim_number} for rebill? It goes out again, as is, "
                "with the next claim batch."
            )
        else:
            text = f"Claim {claim.claim_number} is marked for rebill. Take the mark off?"
        db = self.billing_app

        def call(actor: Actor, today: dt.date, reason: str) -> ActionResult:
            from billing_tui.services.account_actions import mark_for_rebill

            return mark_for_rebill(
                db.database(),
                actor,
                claim.claim_id,
                rebill=mark,
                reason=reason,
                expected_version=claim.version,
                today=today,
            )

        self.app.push_screen(
            ConfirmDialog(f"Rebill · {claim.claim_number}", claim, text, call, ask_reason=True),
            self._action_done,
        )

    def _action_done(self, result: ActionResult | None) -> None:
        if result is not None:
            self.action_reload(result.message)

    # --- next account -----------------------------------------------------------------------

    def action_next_account(self, after_save: str | None = None) -> None:
        actor = self.billing_app.actor
        if self.queue_id is None or actor is None or self.busy:
            return
        self.busy = True
        self._refresh_keys()
        self.query_one("#acct-status", StatusLine).show_info(
            (after_save + " " if after_save else "") + "Taking the next account…"
        )
        after = self.focus_claim_id or self.selected_claim_id
        self.take_next(actor, self.queue_id, after, after_save or "")

    @work(thread=True, exclusive=True, exit_on_error=False, group="next")
    def take_next(self, actor: Actor, queue_id: int, after: int | None, saved: str) -> None:
        worker = get_current_worker()
        try:
            from billing_tui.services.queues import take_next
        except ImportError:
            self.post_message(self.NextTaken(None, None, "Work queues are not available yet."))
            return
        try:
            item = take_next(
                self.billing_app.database(),
                actor,
                queue_id,
                after_claim_id=after,
                today=self.billing_app.today,
            )
        except DomainError as exc:
            if not worker.is_cancelled:
                self.post_message(self.NextTaken(None, None, f"{saved} {exc}".strip()))
            return
        if worker.is_cancelled:
            return
        if item is None:
            self.post_message(
                self.NextTaken(None, None, f"{saved} No more accounts in this queue.".strip())
            )
        else:
            from billing_tui.services.accounts import load_account

            try:  # read it here too: the next screen is built full and painted once
                view = load_account(self.billing_app.database(), actor, item.patient_id)
            except DomainError:
                view = None  # the next screen reads it again and says what is wrong
            if not worker.is_cancelled:
                self.post_message(self.NextTaken(item.patient_id, item.claim_id, saved, view))

    @on(NextTaken)
    def _next_taken(self, message: NextTaken) -> None:
        self.busy = False
        self._refresh_keys()
        if message.patient_id is None:
            # Stay here (the saved note shows after the reload).
            self.action_reload(message.reason)
            return
        nxt = AccountScreen(
            message.patient_id,
            focus_claim_id=message.claim_id,
            queue_id=self.queue_id,
            view=message.view,
        )
        nxt._flash = message.reason or None
        self.app.switch_screen(nxt)
