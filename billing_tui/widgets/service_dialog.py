"""A small modal that runs one service call in a worker and closes with its result.

The account actions and the denial actions share it: the body is the subclass's, the
call runs off the UI thread, a DomainError leaves the dialog open with what the rep typed
and the message on its status line, and a crash is shown, never swallowed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.worker import Worker, WorkerState, get_current_worker

from billing_tui.domain.errors import DomainError
from billing_tui.widgets.keys_footer import KeysFooter
from billing_tui.widgets.status import StatusLine

if TYPE_CHECKING:
    from billing_tui.app import BillingApp
    from billing_tui.domain.users import Actor

R = TypeVar("R")

_GROUP = "service-dialog"


class ServiceDialog(ModalScreen[R]):
    """Subclasses yield their widgets from ``body`` and call ``start(call)`` to save;
    ``result_of`` turns the service's answer into what the dialog returns. The box is
    centred, bordered and as tall as its body; a subclass sets its width
    (``MyDialog > Vertical { width: 84; }``) and whatever else it needs."""

    DEFAULT_CSS = """
    ServiceDialog { align: center middle; }
    ServiceDialog > Vertical {
        width: 80; max-width: 100%; height: auto; padding: 0 1;
        border: round $primary; border-title-style: bold; background: $surface;
    }
    """

    class Done(Message):
        def __init__(self, result: Any) -> None:
            super().__init__()
            self.result = result

    class Failed(Message):
        def __init__(self, reason: str, field: str | None = None) -> None:
            super().__init__()
            self.reason = reason
            self.field = field

    def __init__(self, title: str) -> None:
        super().__init__()
        self.dialog_title = title
        self.busy = False

    @property
    def billing_app(self) -> BillingApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = Text(self.dialog_title)  # may name a claim: never markup
            yield from self.body()
            yield StatusLine(id="dialog-status")
        yield KeysFooter()

    def body(self) -> ComposeResult:  # pragma: no cover - every dialog overrides it
        yield from ()

    @property
    def status(self) -> StatusLine:
        return self.query_one("#dialog-status", StatusLine)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def result_of(self, result: Any) -> Any:
        """What the dialog returns for the service's answer (the answer itself)."""
        return result

    def start(self, call: Callable[[Actor, dt.date], Any], doing: str = "Saving…") -> None:
        """Run ``call(actor, today)`` (one service call) in the worker; ``doing`` shows
        meanwhile."""
        actor = self.billing_app.actor
        if self.busy or actor is None:
            return
        self.busy = True
        self.status.show_info(doing)
        self.perform(call, actor, self.billing_app.today)

    @work(thread=True, exclusive=True, exit_on_error=False, group=_GROUP)
    def perform(self, call: Callable, actor: Actor, today: dt.date) -> None:
        worker = get_current_worker()
        try:
            result = call(actor, today)
        except DomainError as exc:
            if not worker.is_cancelled:
                self.post_message(self.Failed(str(exc), getattr(exc, "field", None)))
            return
        if not worker.is_cancelled:
            self.post_message(self.Done(result))

    @on(Done)
    def _done(self, message: Done) -> None:
        self.busy = False
        self.dismiss(self.result_of(message.result))

    @on(Failed)
    def _failed(self, message: Failed) -> None:
        self.busy = False
        self.status.show_error(message.reason)

    @on(Worker.StateChanged)
    def _crashed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == _GROUP and event.state == WorkerState.ERROR:
            self.busy = False
            error = event.worker.error
            self.status.show_error(f"Not saved: {type(error).__name__}: {error}")
