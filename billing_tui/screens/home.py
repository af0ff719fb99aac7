"""The rep's home page: open AR by aging bucket, follow-ups due, recent accounts.

The data comes from ``services.reports.home_summary`` in a thread worker; the panels show
a loading indicator until it arrives. The screen is a few self-contained panels so the
work queues (next issue) can be added beside them.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Static
from textual.worker import get_current_worker

from billing_tui.domain.errors import DomainError
from billing_tui.screens.queue import QueuePanel
from billing_tui.widgets.keys_footer import KeysFooter
from billing_tui.widgets.status import StatusLine
from billing_tui.widgets.summary_tables import AgingTable, FollowUpTable, RecentAccountsTable
from billing_tui.widgets.title_bar import TitleBar
from billing_tui.widgets.worker_failures import ReportsWorkerFailures

if TYPE_CHECKING:
    from billing_tui.app import BillingApp
    from billing_tui.domain.users import Actor
    from billing_tui.services.dto import HomeSummary


def format_day(day: dt.date) -> str:
    """'Friday 27 November 2026' (English names, independent of the locale)."""
    days = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
    months = (
        "January", "February", "March", "April", "May", "June",
        "July", "August", "September", "October", "November", "December",
    )  # fmt: skip
    return f"{days[day.weekday()]} {day.day} {months[day.month - 1]} {day.year}"


class HomeScreen(ReportsWorkerFailures, Screen[None]):
    WORKER_FAILURES: ClassVar[dict[str, str]] = {"home": "load the home page"}
    FAILURE_STATUS = "#home-status"
    BINDING_GROUP_TITLE = "Home"
    AUTO_FOCUS = "#follow-ups"
    IS_ROOT: ClassVar[bool] = True  # escape does not leave it
    BINDINGS: ClassVar[list[BindingType]] = [
        # The footer shows the function keys in order; r and ctrl+t are listed by F1.
        Binding("r", "refresh", "Refresh", show=False, id="home.refresh"),
        Binding("f5", "app.claim_entry", "Claim", id="home.claim_entry"),
        Binding("f6", "app.scrubber", "Scrubber", id="home.scrubber"),
        Binding("f7", "app.submit", "Submit", id="home.submit"),
        Binding("f8", "app.batches", "Payments", id="home.batches"),
        Binding("f9", "app.era", "ERA", id="home.era"),
        Binding("f10", "app.denials", "Denials", id="home.denials"),
        Binding("f11", "app.appeals", "Appeals", id="home.appeals"),
        Binding("f12", "app.approvals", "Approvals", id="home.approvals"),
        Binding(
            "ctrl+t", "app.denial_trends", "Denial trends", show=False, id="home.denial_trends"
        ),
    ]

    class SummaryLoaded(Message):
        def __init__(self, summary: HomeSummary) -> None:
            super().__init__()
            self.summary = summary

    class SummaryFailed(Message):
        def __init__(self, reason: str) -> None:
            super().__init__()
            self.reason = reason

    def __init__(self) -> None:
        super().__init__()
        self.summary: HomeSummary | None = None

    @property
    def billing_app(self) -> BillingApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield TitleBar()
        with Vertical(id="home-body"):
            with Horizontal(id="home-top"):
                with Vertical(id="aging-panel", classes="panel") as aging:
                    aging.border_title = "Open AR by aging bucket"
                    yield AgingTable(id="aging")
                with Vertical(id="recent-panel", classes="panel") as recent:
                    recent.border_title = "Recent accounts"
                    yield RecentAccountsTable(id="recent")
                    yield Static("No accounts opened yet.", id="recent-empty", classes="empty")
            with Horizontal(id="home-bottom"):
                with Vertical(id="follow-ups-panel", classes="panel") as follow_ups:
                    follow_ups.border_title = "Follow-ups due today"
                    yield Static("", id="follow-ups-count")
                    yield FollowUpTable(id="follow-ups")
                yield QueuePanel(id="queues-panel")  # its own worker (services/queues.py)
            yield StatusLine(id="home-status")
        yield KeysFooter()

    def on_mount(self) -> None:
        app = self.billing_app
        actor = app.actor
        if actor is not None:
            self.sub_title = f"{actor.display_name} ({actor.role}) · {format_day(app.today)}"
        self.query_one("#recent-empty").display = False
        self.action_refresh()

    # --- loading ------------------------------------------------------------------

    def _panels(self) -> list[Vertical]:
        return list(self.query(".panel").results(Vertical))

    def action_refresh(self) -> None:
        actor = self.billing_app.actor
        if actor is None:
            return
        for panel in self._panels():
            panel.loading = True
        self.load_summary(actor, self.billing_app.today)
        self.query_one(QueuePanel).reload()

    def on_screen_resume(self) -> None:
        # Back from a queue or an account: its counts and dollars may have moved.
        if getattr(self, "_shown_once", False):
            self.query_one(QueuePanel).reload()
        self._shown_once = True

    @work(thread=True, exclusive=True, exit_on_error=False, group="home")
    def load_summary(self, actor: Actor, today: dt.date) -> None:
        from billing_tui.services import reports

        worker = get_current_worker()
        try:
            summary = reports.home_summary(self.billing_app.database(), actor, today)
        except DomainError as exc:
            if not worker.is_cancelled:
                self.post_message(self.SummaryFailed(str(exc)))
            return
        if not worker.is_cancelled:
            self.post_message(self.SummaryLoaded(summary))

    @on(SummaryLoaded)
    def _loaded(self, message: SummaryLoaded) -> None:
        summary = message.summary
        self.summary = summary
        today = self.billing_app.today
        self.query_one(AgingTable).show(summary.aging)
        self.query_one(FollowUpTable).show(summary.follow_ups, today)
        due, shown = summary.follow_ups_due, len(summary.follow_ups)
        if due == 0:
            count = "Nothing due today."
        elif shown < due:
            count = f"{due:,} due today or overdue (the first {shown} shown)"
        else:
            count = f"{due:,} due today or overdue"
        self.query_one("#follow-ups-count", Static).update(count)
        self.query_one(FollowUpTable).display = shown > 0
        self.query_one(RecentAccountsTable).show(summary.recent_accounts)
        self.query_one(RecentAccountsTable).display = bool(summary.recent_accounts)
        self.query_one("#recent-empty").display = not summary.recent_accounts
        self.query_one("#home-status", StatusLine).clear()
        self._stop_loading()

    @on(SummaryFailed)
    def _failed(self, message: SummaryFailed) -> None:
        self.query_one("#home-status", StatusLine).show_error(message.reason)
        self._stop_loading()

    def worker_failed(self, group: str) -> None:
        self._stop_loading()

    def _stop_loading(self) -> None:
        for panel in self._panels():
            panel.loading = False

    # --- enter on a follow-up or a recent account opens it (screens/account.py) -----------

    @on(FollowUpTable.RowSelected, "#follow-ups")
    def _open_follow_up(self, event: FollowUpTable.RowSelected) -> None:
        rows = self.summary.follow_ups if self.summary else []
        row = next((r for r in rows if str(r.claim_id) == event.row_key.value), None)
        if row is not None:
            self.billing_app.open_account(row.patient_id, focus_claim_id=row.claim_id)

    @on(RecentAccountsTable.RowSelected, "#recent")
    def _open_recent(self, event: RecentAccountsTable.RowSelected) -> None:
        if event.row_key.value is not None:
            self.billing_app.open_account(int(event.row_key.value))
