"""One denial: what the payer said, the account around it, the root cause and the actions.

Keys: ``c`` root cause (first: every action needs one), ``a`` appeal (argument, level,
deadline; the letter is written as text and PDF), ``x`` corrected claim (frequency 7,
through the scrubber), ``w`` write-off request (waits for approval above the rep's
limit), ``t`` transfer to the patient, ``b`` rebill another coverage. Each runs one
service in a dialog that stays open with what was typed when the service says no.
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
from textual.widgets import DataTable, Input, OptionList, Static, TextArea
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from billing_tui.domain.errors import DomainError, ValidationError
from billing_tui.domain.money import Money, parse_money
from billing_tui.widgets.cells import money_cell
from billing_tui.widgets.fast_table import FastTable
from billing_tui.widgets.keys_footer import KeysFooter
from billing_tui.widgets.service_dialog import ServiceDialog
from billing_tui.widgets.status import StatusLine
from billing_tui.widgets.title_bar import TitleBar
from billing_tui.widgets.worker_failures import ReportsWorkerFailures

if TYPE_CHECKING:
    from billing_tui.app import BillingApp
    from billing_tui.services.denials import DenialDetail

URGENCY_STYLE = {"overdue": "bold red", "due_soon": "bold yellow", "ok": ""}


# --- dialogs ------------------------------------------------------------------------------


class DenialDialog(ServiceDialog[str | None]):
    """A modal that runs one denial service in a worker; returns the result's message.
    On an error it stays open with what the rep typed."""

    BINDING_GROUP_TITLE = "Dialog"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="denial_dialog.cancel"),
    ]
    DEFAULT_CSS = """
    DenialDialog > Vertical { width: 84; max-height: 95%; }
    DenialDialog .dialog-text { margin: 1 0 0 0; height: auto; }
    DenialDialog .dialog-hint { color: $text-muted; height: auto; }
    DenialDialog OptionList { height: auto; max-height: 12; }
    DenialDialog TextArea { height: 8; }
    """

    def __init__(self, title: str, detail: DenialDetail) -> None:
        super().__init__(title)
        self.detail = detail

    def result_of(self, result: object) -> str:
        """The service's own sentence for the status line of the denial."""
        return getattr(result, "message", "") or "Saved."


class RootCauseDialog(DenialDialog):
    BINDING_GROUP_TITLE = "Root cause"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", id="root_cause.save"),
    ]
    AUTO_FOCUS = "#root-causes"

    def body(self) -> ComposeResult:
        from billing_tui.services.denials import ROOT_CAUSE_LABELS, ROOT_CAUSES

        yield Static("Why was this claim denied?", classes="dialog-text")
        ol = OptionList(
            *(Option(ROOT_CAUSE_LABELS[c], id=c) for c in ROOT_CAUSES), id="root-causes"
        )
        yield ol
        yield Input(
            value=self.detail.root_cause_note or "",
            placeholder="note (needed for other)",
            id="root-note",
        )
        yield Static("enter picks the cause and saves; ctrl+s saves", classes="dialog-hint")

    def on_mount(self) -> None:
        from billing_tui.services.denials import ROOT_CAUSES

        current = self.detail.row.root_cause
        self.query_one(OptionList).highlighted = (
            ROOT_CAUSES.index(current) if current in ROOT_CAUSES else 0
        )

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_save()

    @on(Input.Submitted, "#root-note")
    def _note(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    def action_save(self) -> None:
        from billing_tui.services.denials import ROOT_CAUSES, set_root_cause

        ol = self.query_one(OptionList)
        cause = ROOT_CAUSES[ol.highlighted or 0]
        note = self.query_one("#root-note", Input).value
        db, denial_id = self.billing_app.database(), self.detail.row.denial_id
        self.start(lambda actor, _today: set_root_cause(db, actor, denial_id, cause, note=note))


class AppealDialog(ReportsWorkerFailures, DenialDialog):
    WORKER_FAILURES: ClassVar[dict[str, str]] = {"appeal-preview": "preview the letter"}
    FAILURE_STATUS = "#dialog-status"
    BINDING_GROUP_TITLE = "Appeal"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "File appeal", id="appeal.save"),
        Binding("f2", "level", "Next level", id="appeal.level"),
    ]
    AUTO_FOCUS = "#appeal-argument"

    def __init__(self, title: str, detail: DenialDetail, level: int = 1) -> None:
        super().__init__(title, detail)
        self.level = level

    def body(self) -> ComposeResult:
        d = self.detail
        yield Static(
            f"Claim {d.row.claim_number} · {d.row.group_code}-{d.row.carc} · "
            f"{Money(d.row.amount_cents).format(True)} denied {d.row.denied_on.isoformat()}",
            classes="dialog-text",
            markup=False,  # names a claim: never markup
        )
        yield Static("", id="appeal-deadline", classes="dialog-text")
        yield Static("Argument (why the payer should pay):", classes="dialog-hint")
        yield TextArea("", id="appeal-argument")
        yield Static(
            "ctrl+s files the appeal and writes the letter (text + PDF); f2 changes level",
            classes="dialog-hint",
        )

    def on_mount(self) -> None:
        self.preview()

    @work(thread=True, exclusive=True, exit_on_error=False, group="appeal-preview")
    def preview(self) -> None:
        from billing_tui.services.appeals import preview_appeal

        try:
            p = preview_appeal(
                self.billing_app.database(),
                self.detail.row.denial_id,
                self.level,
                today=self.billing_app.today,
            )
            text = Text.assemble(
                (f"{p.level_label.capitalize()}: ", "bold"),
                f"file by {p.deadline.isoformat()} ({p.window_days}-day window) · ",
                (
                    f"{p.days_left} days left" if p.days_left >= 0 else f"{-p.days_left} days late",
                    URGENCY_STYLE[p.urgency],
                ),
            )
        except DomainError as exc:
            text = Text(f"Level {self.level}: {exc}", style="bold red")
        self.app.call_from_thread(self.query_one("#appeal-deadline", Static).update, text)

    def action_level(self) -> None:
        self.level = self.level % 3 + 1
        self.preview()

    def action_save(self) -> None:
        from billing_tui.services.appeals import start_appeal

        argument = self.query_one("#appeal-argument", TextArea).text
        db, denial_id, level = self.billing_app.database(), self.detail.row.denial_id, self.level
        self.start(
            lambda actor, today: start_appeal(
                db, actor, denial_id, argument=argument, level=level, today=today
            )
        )


class CorrectedClaimDialog(DenialDialog):
    BINDING_GROUP_TITLE = "Corrected claim"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "save", "Create", id="corrected.save"),
    ]
    AUTO_FOCUS = "#payer-claim-number"

    def body(self) -> ComposeResult:
        d = self.detail
        yield Static(
            f"A replacement claim (frequency 7) for {d.row.claim_number}: same lines, the open "
            f"{Money(d.open_cents).format(True)} moves onto it, and it goes through the scrubber.",
            classes="dialog-text",
            markup=False,
        )
        yield Static("Payer's claim number (REF*F8):", classes="dialog-hint")
        yield Input(value=d.payer_claim_number or "", id="payer-claim-number")

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    def action_save(self) -> None:
        from billing_tui.services.denials import correct_claim

        icn = self.query_one("#payer-claim-number", Input).value
        db, d = self.billing_app.database(), self.detail
        self.start(
            lambda actor, today: correct_claim(
                db,
                actor,
                d.row.denial_id,
                payer_claim_number=icn,
                expected_version=d.claim_version,
                today=today,
            )
        )


class WriteOffDialog(DenialDialog):
    BINDING_GROUP_TITLE = "Write-off request"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Request", id="write_off.save"),
    ]
    AUTO_FOCUS = "#write-off-reason"

    def body(self) -> ComposeResult:
        d = self.detail
        actor = self.billing_app.actor
        limit = actor.approval_limit_cents if actor else None
        yield Static(
            f"Write off denied money on {d.row.claim_number} (still open: "
            f"{Money(d.open_cents).format(True)}). Your limit: "
            + ("unlimited" if limit is None else Money(limit).format(True))
            + "; above it the request waits for a supervisor.",
            markup=False,
            classes="dialog-text",
        )
        yield Static("Amount:", classes="dialog-hint")
        yield Input(value=Money(d.open_cents).format(), id="write-off-amount")
        yield Static("Reason:", classes="dialog-hint")
        yield Input(placeholder="why it cannot be collected", id="write-off-reason")
        yield Static("enter on the reason (or ctrl+s) sends the request", classes="dialog-hint")

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "write-off-amount":
            self.query_one("#write-off-reason", Input).focus()
        else:
            self.action_save()

    def action_save(self) -> None:
        from billing_tui.services.denials import request_write_off

        try:
            cents = parse_money(self.query_one("#write-off-amount", Input).value).cents
        except ValidationError as exc:
            self.status.show_error(str(exc))
            return
        reason = self.query_one("#write-off-reason", Input).value
        db, denial_id = self.billing_app.database(), self.detail.row.denial_id
        self.start(
            lambda actor, _today: request_write_off(
                db, actor, denial_id, reason=reason, amount_cents=cents
            )
        )


class ConfirmDialog(DenialDialog):
    """Transfer to the patient: one look at the amount, enter to do it."""

    BINDING_GROUP_TITLE = "Transfer to patient"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "save", "Transfer", id="transfer.save"),
    ]

    def body(self) -> ComposeResult:
        d = self.detail
        yield Static(
            f"Move {Money(d.open_cents).format(True)} of this denial on {d.row.claim_number} "
            "from the payer to the patient?",
            classes="dialog-text",
            markup=False,
        )
        yield Static("enter transfers; escape cancels", classes="dialog-hint")

    def action_save(self) -> None:
        from billing_tui.services.denials import transfer_to_patient

        db, d = self.billing_app.database(), self.detail
        self.start(
            lambda actor, today: transfer_to_patient(
                db, actor, d.row.denial_id, expected_version=d.claim_version, today=today
            )
        )


class RebillDialog(DenialDialog):
    BINDING_GROUP_TITLE = "Rebill another payer"
    AUTO_FOCUS = "#rebill-targets"

    def body(self) -> ComposeResult:
        d = self.detail
        yield Static(
            f"Bill {d.row.claim_number} to another coverage of the patient "
            "(its open insurance balance moves there; marked for rebill):",
            classes="dialog-text",
            markup=False,
        )
        yield OptionList(
            *(
                Option(Text(f"Rank {t.rank}: {t.payer_name}"), id=str(t.rank))
                for t in d.rebill_targets
            ),
            id="rebill-targets",
        )
        yield Static("enter rebills to the highlighted payer", classes="dialog-hint")

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        from billing_tui.services.denials import rebill_other_payer

        rank = int(event.option.id or 0)
        db, d = self.billing_app.database(), self.detail
        self.start(
            lambda actor, today: rebill_other_payer(
                db, actor, d.row.denial_id, rank, expected_version=d.claim_version, today=today
            )
        )


# --- the screen -----------------------------------------------------------------------------


def open_denial(app: BillingApp, denial_id: int) -> None:
    """Show a denial: read it (a worker), then push the screen built with it."""
    actor = app.actor

    def read() -> DenialDetail:
        from billing_tui.services.denials import load_denial

        return load_denial(app.database(), actor, denial_id, today=app.today)

    app.push_after_read(
        read, lambda detail: DenialDetailScreen(denial_id, detail), group="open-denial"
    )


class DenialDetailScreen(ReportsWorkerFailures, Screen[None]):
    WORKER_FAILURES: ClassVar[dict[str, str]] = {"denial-detail": "load the denial"}
    FAILURE_STATUS = "#dd-status"
    BINDING_GROUP_TITLE = "Denial"
    AUTO_FOCUS = "#dd-claims"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c", "root_cause", "Root cause", id="denial.root_cause"),
        Binding("a", "appeal", "Appeal", id="denial.appeal"),
        Binding("x", "correct", "Corrected claim", id="denial.correct"),
        Binding("w", "write_off", "Write-off", id="denial.write_off"),
        Binding("t", "transfer", "To patient", id="denial.transfer"),
        Binding("b", "rebill", "Rebill payer", id="denial.rebill"),
        Binding("r", "refresh", "Refresh", show=False, id="denial.refresh"),
    ]
    DEFAULT_CSS = """
    #dd-body { padding: 0 1; height: 1fr; }
    #dd-top { height: auto; }
    #dd-denial, #dd-account {
        height: auto; min-height: 9; padding: 0 1;
        border: round $primary 60%; border-title-style: bold;
    }
    #dd-denial { width: 3fr; }
    #dd-account { width: 2fr; }
    #dd-claims { height: 1fr; }
    #dd-notes { height: 6; border: round $primary 40%; padding: 0 1; }
    """

    class Loaded(Message):
        def __init__(self, detail: DenialDetail, note: str) -> None:
            super().__init__()
            self.detail = detail
            self.note = note

    class Failed(Message):
        def __init__(self, reason: str) -> None:
            super().__init__()
            self.reason = reason

    def __init__(self, denial_id: int, detail: DenialDetail | None = None) -> None:
        super().__init__()
        self.denial_id = denial_id
        self.detail: DenialDetail | None = None
        self._first = detail  # read before the push (open_denial); None: read here

    @property
    def billing_app(self) -> BillingApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield TitleBar()
        with Vertical(id="dd-body"):
            with Horizontal(id="dd-top"):
                yield Static("Loading…", id="dd-denial")
                yield Static("", id="dd-account")
            claims = FastTable(id="dd-claims", cursor_type="row", zebra_stripes=True)
            # Fixed widths: sized from the cells, a table repainted while its rows were
            # being replaced could show the header widths for a frame (seen in snapshots).
            claims.add_column("Claim", key="claim", width=12)
            claims.add_column("DOS", key="dos", width=10)
            claims.add_column("Billed to", key="billed", width=26)
            claims.add_column("Status", key="status", width=14)
            claims.add_column(Text("Charge", justify="right"), key="charge", width=10)
            claims.add_column(Text("Insurance", justify="right"), key="ins", width=10)
            claims.add_column(Text("Patient", justify="right"), key="pat", width=10)
            yield claims
            yield Static("", id="dd-notes")
            yield StatusLine(id="dd-status")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.sub_title = "Denial"
        if self._first is not None:  # shown before the first paint: one paint, full
            self._loaded(self.Loaded(self._first, ""))
            self._first = None
        else:
            self.reload()

    def reload(self, note: str = "") -> None:
        self.load(note)

    @work(thread=True, exclusive=True, exit_on_error=False, group="denial-detail")
    def load(self, note: str) -> None:
        from billing_tui.services.denials import load_denial

        app = self.billing_app
        try:
            detail = load_denial(app.database(), app.actor, self.denial_id, today=app.today)
        except DomainError as exc:
            self.post_message(self.Failed(str(exc)))
            return
        if not get_current_worker().is_cancelled:
            self.post_message(self.Loaded(detail, note))

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        from billing_tui.services.denials import ROOT_CAUSE_LABELS

        d = message.detail
        self.detail = d
        r = d.row
        self.sub_title = f"Denial on {r.claim_number}"
        box = self.query_one("#dd-denial", Static)
        box.border_title = Text(f"{r.group_code}-{r.carc} · {d.category_label}")
        lines = [
            Text.assemble(("Payer said: ", "bold"), d.description),
        ]
        if not d.known:
            lines.append(Text("Code not in our table: read the remit text", style="bold yellow"))
        if d.rarc_description:
            lines.append(Text.assemble(("Remark ", "bold"), f"{r.rarc}: {d.rarc_description}"))
        lines += [
            Text.assemble(
                ("Claim ", "bold"),
                f"{r.claim_number}",
                f" line {d.line_no} {d.procedure_code}" if d.line_no else "",
                f" · {r.payer_name} · claim {d.claim_status.replace('_', ' ')}",
            ),
            Text.assemble(
                ("Denied ", "bold"),
                f"{Money(r.amount_cents).format(True)} on {r.denied_on.isoformat()} "
                f"({r.age_days} days ago) · still open {Money(d.open_cents).format(True)}",
            ),
            Text.assemble(
                ("Appeal by ", "bold"),
                (
                    d.appeal_deadline.isoformat() if d.appeal_deadline else "-",
                    URGENCY_STYLE[d.appeal_urgency],
                ),
                f" · usual next step: {d.next_action}",
            ),
            Text.assemble(
                ("Status ", "bold"),
                r.status.replace("_", " "),
                " · root cause ",
                (
                    ROOT_CAUSE_LABELS.get(r.root_cause or "", "not set (c)"),
                    "" if r.root_cause else "bold yellow",
                ),
                f" ({d.root_cause_note})" if d.root_cause_note else "",
            ),
        ]
        if d.replacement_claim_number:
            lines.append(Text(f"Corrected claim: {d.replacement_claim_number}"))
        if d.request_status:
            lines.append(Text(f"Write-off request: {d.request_status}"))
        for ap in d.appeals:
            lines.append(
                Text(
                    f"Appeal {ap.level_label}: due {ap.deadline.isoformat()}, {ap.status}"
                    + (f" ({ap.outcome})" if ap.outcome else "")
                )
            )
        box.update(Text("\n").join(lines))
        acc = d.account
        abox = self.query_one("#dd-account", Static)
        abox.border_title = Text(f"{acc.name} · {acc.account_no}")  # a name: never markup
        alines = [
            Text(f"DOB {acc.dob.isoformat()} · {acc.phone or 'no phone'}"),
            Text.assemble(
                ("Open ", "bold"),
                f"insurance {Money(acc.ins_balance_cents).format(True)} · "
                f"patient {Money(acc.pat_balance_cents).format(True)}",
            ),
        ]
        for cov in acc.coverages:
            alines.append(
                Text(
                    f"{cov.rank}. {cov.payer_name[:30]} {cov.member_id_masked}"
                    + (f" · {cov.eligibility}" if cov.eligibility else "")
                )
            )
        abox.update(Text("\n").join(alines))
        table = self.query_one("#dd-claims", DataTable)
        table.clear()
        for c in acc.claims:
            table.add_row(
                Text(c.claim_number, style="bold" if c.claim_id == r.claim_id else ""),
                c.service_date.isoformat(),
                Text(c.billed_to[:26]),  # a str cell would be read as markup
                c.status.replace("_", " "),
                money_cell(c.total_charge_cents),
                money_cell(c.ins_balance_cents),
                money_cell(c.pat_balance_cents),
                key=str(c.claim_id),
            )
        ids = [c.claim_id for c in acc.claims]
        if r.claim_id in ids:
            table.move_cursor(row=ids.index(r.claim_id))
        notes = self.query_one("#dd-notes", Static)
        notes.update(
            Text("\n").join(
                Text(f"{a.created_at:%Y-%m-%d} {a.kind}: {a.text[:100]}")
                for a in acc.activities[:4]
            )
            or "No notes on this account."
        )
        status = self.query_one("#dd-status", StatusLine)
        if message.note:
            status.show_info(message.note)
        elif r.status == "open" and not r.root_cause:
            status.show_info("Set the root cause (c), then act: a x w t b.")
        else:
            status.clear()
        self.refresh_bindings()

    @on(Failed)
    def _failed(self, message: Failed) -> None:
        self.query_one("#dd-status", StatusLine).show_error(message.reason)

    # --- actions ------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        d = self.detail
        if action in ("root_cause", "appeal", "correct", "write_off", "transfer", "rebill"):
            if d is None:
                return None
            if action == "root_cause":
                return True
            if action == "appeal":
                return True if d.row.status in ("open",) or d.appeals else None
            if d.row.status != "open":
                return None
            if action == "rebill" and not d.rebill_targets:
                return None
        return True

    def _dialog(self, dialog: DenialDialog) -> None:
        def done(message: str | None) -> None:
            if message:
                self.reload(message)

        self.app.push_screen(dialog, done)

    def action_root_cause(self) -> None:
        if self.detail:
            self._dialog(RootCauseDialog("Root cause", self.detail))

    def action_appeal(self) -> None:
        d = self.detail
        if d is None:
            return
        level = 1
        decided = [a for a in d.appeals if a.status == "decided" and a.outcome != "won"]
        if d.row.status == "open" and decided:
            level = min(3, len(decided) + 1)
        self._dialog(AppealDialog("Appeal", d, level))

    def action_correct(self) -> None:
        if self.detail:
            self._dialog(CorrectedClaimDialog("Corrected claim", self.detail))

    def action_write_off(self) -> None:
        if self.detail:
            self._dialog(WriteOffDialog("Write-off request", self.detail))

    def action_transfer(self) -> None:
        if self.detail:
            self._dialog(ConfirmDialog("Transfer to patient", self.detail))

    def action_rebill(self) -> None:
        if self.detail:
            self._dialog(RebillDialog("Rebill another payer", self.detail))

    def action_refresh(self) -> None:
        self.reload()
