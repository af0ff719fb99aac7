"""Log-in screen; also the idle-lock screen (same user, password only).

The check runs in a thread worker (argon2 and the database are slow on purpose); the
result comes back as a message. On failure the user name stays, the password is cleared
and focused, and the service's one-line message is shown as is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Center, Middle, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Input, Label, Static
from textual.worker import Worker, WorkerState, get_current_worker

from billing_tui.domain.errors import DomainError
from billing_tui.widgets.keys_footer import KeysFooter
from billing_tui.widgets.status import StatusLine

if TYPE_CHECKING:
    from billing_tui.app import BillingApp
    from billing_tui.domain.users import Actor


class LoginScreen(Screen[None]):
    """User name + password; ``locked_user`` set = the idle lock for that user."""

    BINDING_GROUP_TITLE = "Log in"
    IS_ROOT: ClassVar[bool] = True  # escape does not leave it
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "submit", "Log in", id="login.submit"),
    ]

    class Succeeded(Message):
        def __init__(self, actor: Actor) -> None:
            super().__init__()
            self.actor = actor

    class Failed(Message):
        def __init__(self, reason: str) -> None:
            super().__init__()
            self.reason = reason

    def __init__(self, locked_user: str | None = None) -> None:
        super().__init__(classes="locked" if locked_user else None)
        self.locked_user = locked_user
        self.busy = False

    @property
    def billing_app(self) -> BillingApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        with Middle(), Center(), Vertical(id="login-box"):
            yield Static("billing_tui", id="login-title")
            if self.locked_user:
                yield Static(
                    "Locked after a period without activity. Enter your password to continue.",
                    id="login-subtitle",
                )
            else:
                yield Static("Medical billing workstation: please log in", id="login-subtitle")
            yield Label("User name", classes="field-label")
            yield Input(
                value=self.locked_user or "",
                placeholder="user name",
                id="username",
                disabled=bool(self.locked_user),
            )
            yield Label("Password", classes="field-label")
            yield Input(placeholder="password", password=True, id="password")
            yield StatusLine(id="login-status")
        yield KeysFooter()

    def on_mount(self) -> None:
        app = self.billing_app
        if self.locked_user:
            self.sub_title = "Locked"
            self.query_one("#password", Input).focus()
        else:
            self.query_one("#username", Input).focus()
        if app.db_error:
            self.show_database_error(app.db_error)
        self.call_after_refresh(app.mark_first_paint)

    # --- feedback -------------------------------------------------------------

    @property
    def status(self) -> StatusLine:
        return self.query_one("#login-status", StatusLine)

    def show_database_error(self, reason: str) -> None:
        if not self.busy:
            self.status.show_error(reason)

    def _failed(self, reason: str) -> None:
        self.busy = False
        self.status.show_error(reason)
        password = self.query_one("#password", Input)
        password.value = ""
        password.focus()

    # --- submitting -------------------------------------------------------------

    @on(Input.Submitted, "#username")
    def _username_entered(self) -> None:
        self.query_one("#password", Input).focus()

    @on(Input.Submitted, "#password")
    def _password_entered(self) -> None:
        self.action_submit()

    def action_submit(self) -> None:
        if self.busy:
            return
        username = self.query_one("#username", Input).value.strip()
        password = self.query_one("#password", Input).value
        if not username:
            self.status.show_error("Enter your user name.")
            self.query_one("#username", Input).focus()
            return
        if not password:
            self.status.show_error("Enter your password.")
            self.query_one("#password", Input).focus()
            return
        self.busy = True
        self.status.show_info("Checking…")
        self.check_credentials(username, password)

    @work(thread=True, exclusive=True, exit_on_error=False, group="login")
    def check_credentials(self, username: str, password: str) -> None:
        from billing_tui.services import auth

        worker = get_current_worker()
        try:
            actor = auth.login(self.billing_app.database(), username, password)
        except DomainError as exc:
            if not worker.is_cancelled:
                self.post_message(self.Failed(str(exc)))
            return
        if not worker.is_cancelled:
            self.post_message(self.Succeeded(actor))

    @on(Succeeded)
    def _succeeded(self, message: Succeeded) -> None:
        self.busy = False
        self.query_one("#password", Input).value = ""
        self.status.clear()
        self.billing_app.logged_in(message.actor, self)

    @on(Failed)
    def _on_failed(self, message: Failed) -> None:
        self._failed(message.reason)

    @on(Worker.StateChanged)
    def _worker_crashed(self, event: Worker.StateChanged) -> None:
        # Anything that is not a DomainError is a bug or an outage: still one line, not a trace.
        if event.worker.group == "login" and event.state == WorkerState.ERROR:
            error = event.worker.error
            self._failed(f"Log-in failed unexpectedly: {type(error).__name__}: {error}")
