"""The call-note form: what the payer said, typed while the call is on.

A timer runs from the moment the form opens and is saved as the call's duration.
Choosing an outcome proposes the next follow-up date (domain/call_outcomes.py) until the
rep types a date of their own. Save (ctrl+s) returns to the account; "Save and next"
(ctrl+n, when the account came from a queue) saves and opens the queue's next account.
The save runs in a thread worker; on any error the form keeps everything typed and shows
the service's one-line message. After a conflict (someone changed the claim since the
account was opened) the form fetches the claim's current version, so saving again
records the note on top of the other change.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, Static, TextArea
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState, get_current_worker

from billing_tui.domain.call_outcomes import CallOutcome, default_follow_up
from billing_tui.domain.dates import parse_optional_date
from billing_tui.domain.errors import ConflictError, DomainError, ValidationError
from billing_tui.widgets.keys_footer import KeysFooter
from billing_tui.widgets.status import StatusLine

if TYPE_CHECKING:
    from billing_tui.app import BillingApp
    from billing_tui.services.account_actions import ActionResult, CallNote

# Tests freeze the timer by replacing this clock.
monotonic = time.monotonic

_FIELD_WIDGETS = {
    "payer_contact": "#note-contact",
    "contact_phone": "#note-phone",
    "call_reference": "#note-reference",
    "outcome": "#note-outcome",
    "next_follow_up": "#note-follow-up",
    "date": "#note-follow-up",
    "text": "#note-text",
}


@dataclass(frozen=True, slots=True)
class CallNoteContext:
    """What the form shows about the call: plain data from the account screen."""

    claim_id: int
    claim_number: str
    claim_version: int
    claim_status: str
    patient_name: str
    payer_name: str
    payer_phone: str | None
    finished: bool = False  # closed or void: no follow-up date
    queue_id: int | None = None


@dataclass(frozen=True, slots=True)
class CallNoteSaved:
    """Dismiss value: the saved note's result, and whether the rep asked for the next account."""

    result: ActionResult
    take_next: bool


def format_duration(seconds: int) -> str:
    minutes, secs = divmod(max(0, int(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


class CallNoteScreen(ModalScreen["CallNoteSaved | None"]):
    BINDING_GROUP_TITLE = "Call note"
    AUTO_FOCUS = "#note-contact"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", priority=True, id="call_note.save"),
        Binding("ctrl+n", "save_next", "Save and next", priority=True, id="call_note.save_next"),
        Binding("ctrl+t", "restart_timer", "Restart timer", id="call_note.restart_timer"),
        Binding("escape", "cancel", "Cancel", id="call_note.cancel"),
    ]

    DEFAULT_CSS = """
    CallNoteScreen {
        align: center middle;
    }
    #note-box {
        width: 100;
        max-width: 100%;
        height: auto;
        max-height: 100%;
        padding: 0 1;
        border: round $primary;
        border-title-style: bold;
        border-subtitle-color: $text-warning;
        background: $surface;
    }
    #note-about {
        color: $text-muted;
        height: 1;
    }
    #note-fields {
        height: auto;
        margin-top: 1;
    }
    #note-left {
        width: 1fr;
        height: auto;
    }
    #note-right {
        width: 34;
        height: auto;
        margin-left: 2;
    }
    .note-row {
        height: 1;
        margin-bottom: 1;
    }
    .note-row Label {
        width: 16;
        color: $text-muted;
    }
    .note-row Input {
        width: 1fr;
    }
    #note-hint {
        color: $text-muted;
        height: 1;
    }
    #note-outcome {
        height: 10;
        border: round $primary 50%;
    }
    #note-outcome:focus {
        border: round $primary;
    }
    #note-text {
        height: 6;
        margin-top: 1;
    }
    #note-buttons {
        height: 3;
        align-horizontal: right;
    }
    #note-buttons Button {
        margin-left: 2;
    }
    """

    class Saved(Message):
        def __init__(self, result: ActionResult, take_next: bool) -> None:
            super().__init__()
            self.result = result
            self.take_next = take_next

    class Failed(Message):
        def __init__(self, reason: str, field: str | None, version: int | None) -> None:
            super().__init__()
            self.reason = reason
            self.field = field
            self.version = version

    def __init__(self, context: CallNoteContext) -> None:
        super().__init__()
        self.context = context
        self.expected_version = context.claim_version
        self.started = monotonic()
        self.outcome: CallOutcome | None = None
        self.follow_up_touched = False
        self.busy = False
        self._proposed = ""  # the follow-up date the form filled in itself

    @property
    def billing_app(self) -> BillingApp:
        return self.app  # type: ignore[return-value]

    # --- layout -----------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        ctx = self.context
        with Vertical(id="note-box") as box:
            # Text, not str: a str title is read as markup, and names are database text.
            box.border_title = Text(f"Call note · {ctx.claim_number} · {ctx.patient_name}")
            phone = f" · {ctx.payer_phone}" if ctx.payer_phone else ""
            yield Static(
                Text(
                    f"Calling {ctx.payer_name}{phone} about claim {ctx.claim_number} "
                    f"({ctx.claim_status.replace('_', ' ')})"
                ),
                id="note-about",
            )
            with Horizontal(id="note-fields"):
                with Vertical(id="note-left"):
                    with Horizontal(classes="note-row"):
                        yield Label("Payer contact")
                        yield Input(
                            placeholder="name of the payer rep",
                            id="note-contact",
                            compact=True,
                            max_length=80,
                        )
                    with Horizontal(classes="note-row"):
                        yield Label("Phone")
                        yield Input(
                            value=ctx.payer_phone or "",
                            id="note-phone",
                            compact=True,
                            max_length=20,
                        )
                    with Horizontal(classes="note-row"):
                        yield Label("Reference no.")
                        yield Input(
                            placeholder="call reference number",
                            id="note-reference",
                            compact=True,
                            max_length=40,
                        )
                    with Horizontal(classes="note-row"):
                        yield Label("Next follow-up")
                        yield Input(
                            placeholder="no follow-up" if ctx.finished else "choose an outcome",
                            id="note-follow-up",
                            compact=True,
                        )
                    yield Static(
                        "closed claims need no follow-up"
                        if ctx.finished
                        else "12/1/26, 2026-12-01 or +14; empty = outcome's default",
                        id="note-hint",
                    )
                with Vertical(id="note-right"):
                    yield OptionList(
                        *[
                            Option(f"{o.label}  (+{o.follow_up_days}d)", id=o.value)
                            for o in CallOutcome
                        ],
                        id="note-outcome",
                    )
            yield TextArea(id="note-text", soft_wrap=True, tab_behavior="focus")
            yield StatusLine(id="note-status")
            with Horizontal(id="note-buttons"):
                yield Button("Cancel (esc)", id="note-cancel")
                if ctx.queue_id is not None:
                    yield Button("Save and next (^n)", id="note-save-next")
                yield Button("Save (^s)", id="note-save", variant="primary")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#note-outcome", OptionList).border_title = "Outcome"
        self.query_one("#note-text", TextArea).border_title = "Note"
        self._tick()
        self.set_interval(1.0, self._tick, name="call-timer")

    # --- timer --------------------------------------------------------------------------

    def elapsed_seconds(self) -> int:
        return int(monotonic() - self.started)

    def _tick(self) -> None:
        box = self.query_one("#note-box")
        box.border_subtitle = f"call timer {format_duration(self.elapsed_seconds())}"

    def action_restart_timer(self) -> None:
        self.started = monotonic()
        self._tick()

    # --- outcome and the proposed follow-up ----------------------------------------------

    @on(OptionList.OptionHighlighted, "#note-outcome")
    def _outcome_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        # The list highlights its first entry by itself; only what the rep moved to (or
        # looked at, by focusing the list) counts as chosen.
        if self.query_one("#note-outcome", OptionList).has_focus:
            self._choose(event.option.id)

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        if event.widget.id == "note-outcome":
            options = self.query_one("#note-outcome", OptionList)
            if options.highlighted is None:
                options.highlighted = 0
            self._choose(options.get_option_at_index(options.highlighted).id)

    @on(OptionList.OptionSelected, "#note-outcome")
    def _outcome_selected(self, event: OptionList.OptionSelected) -> None:
        self._choose(event.option.id)
        self.query_one("#note-text", TextArea).focus()

    def _choose(self, option_id: str | None) -> None:
        if option_id is None:
            return
        self.outcome = CallOutcome(option_id)
        if self.follow_up_touched or self.context.finished:
            return
        self._proposed = default_follow_up(self.outcome, self.billing_app.today).isoformat()
        self.query_one("#note-follow-up", Input).value = self._proposed

    @on(Input.Changed, "#note-follow-up")
    def _follow_up_typed(self, event: Input.Changed) -> None:
        # A date the rep typed (not the one proposed) stays when the outcome changes;
        # emptying the field hands it back to the outcome's default.
        value = event.value.strip()
        self.follow_up_touched = bool(value) and value != self._proposed

    @on(Input.Submitted)
    def _next_field(self, event: Input.Submitted) -> None:
        event.stop()
        order = ["#note-contact", "#note-phone", "#note-reference", "#note-follow-up"]
        current = f"#{event.input.id}"
        if current == "#note-follow-up":
            self.query_one("#note-outcome", OptionList).focus()
        elif current in order:
            self.query_one(order[order.index(current) + 1], Input).focus()

    # --- saving ---------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "save_next":
            return self.context.queue_id is not None
        return True

    @on(Button.Pressed, "#note-save")
    def _save_pressed(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#note-save-next")
    def _save_next_pressed(self) -> None:
        self.action_save_next()

    @on(Button.Pressed, "#note-cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_save(self) -> None:
        self._submit(take_next=False)

    def action_save_next(self) -> None:
        if self.context.queue_id is not None:
            self._submit(take_next=True)

    @property
    def status(self) -> StatusLine:
        return self.query_one("#note-status", StatusLine)

    def collect(self) -> CallNote:
        """The note as typed; raises ValidationError for what the form itself can tell."""
        from billing_tui.services.account_actions import CallNote

        if self.outcome is None:
            raise ValidationError("choose the call outcome", field="outcome")
        follow_text = self.query_one("#note-follow-up", Input).value
        try:
            follow_up = parse_optional_date(follow_text, self.billing_app.today)
        except ValidationError as exc:
            raise ValidationError(f"Next follow-up: {exc}", field="next_follow_up") from None
        return CallNote(
            claim_id=self.context.claim_id,
            outcome=self.outcome,
            payer_contact=self.query_one("#note-contact", Input).value,
            contact_phone=self.query_one("#note-phone", Input).value,
            call_reference=self.query_one("#note-reference", Input).value,
            text=self.query_one("#note-text", TextArea).text,
            next_follow_up=follow_up,
            duration_seconds=self.elapsed_seconds(),
        )

    def _submit(self, *, take_next: bool) -> None:
        if self.busy:
            return
        try:
            note = self.collect()
        except ValidationError as exc:
            self._show_error(str(exc), exc.field)
            return
        self.busy = True
        self.status.show_info("Saving…")
        actor = self.billing_app.actor
        if actor is None:
            self.busy = False
            self._show_error("You are logged out; log in again to save.", None)
            return
        self.save_note(actor, note, self.expected_version, self.billing_app.today, take_next)

    @work(thread=True, exclusive=True, exit_on_error=False, group="call-note")
    def save_note(self, actor, note: CallNote, version: int, today: dt.date, take_next: bool):
        from billing_tui.services import account_actions

        worker = get_current_worker()
        db = self.billing_app.database()
        try:
            result = account_actions.log_call_note(
                db, actor, note, expected_version=version, today=today
            )
        except ConflictError as exc:
            try:
                fresh = account_actions.claim_state(db, note.claim_id).version
            except DomainError:
                fresh = None
            if not worker.is_cancelled:
                self.post_message(self.Failed(str(exc), None, fresh))
            return
        except DomainError as exc:
            if not worker.is_cancelled:
                self.post_message(self.Failed(str(exc), getattr(exc, "field", None), None))
            return
        if not worker.is_cancelled:
            self.post_message(self.Saved(result, take_next))

    @on(Saved)
    def _saved(self, message: Saved) -> None:
        self.busy = False
        self.dismiss(CallNoteSaved(message.result, message.take_next))

    @on(Failed)
    def _failed(self, message: Failed) -> None:
        self.busy = False
        if message.version is not None:
            self.expected_version = message.version
        self._show_error(message.reason, message.field)

    @on(Worker.StateChanged)
    def _worker_crashed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "call-note" and event.state == WorkerState.ERROR:
            self.busy = False
            error = event.worker.error
            self._show_error(f"The note was not saved: {type(error).__name__}: {error}", None)

    def _show_error(self, message: str, field: str | None) -> None:
        self.status.show_error(message)
        selector = _FIELD_WIDGETS.get(field or "")
        if selector:
            self.query_one(selector).focus()
