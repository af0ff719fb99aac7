"""The Textual application: log-in first, then the rep's home page.

Start-up is kept light so the log-in screen paints fast: no SQLAlchemy, Alembic, argon2
or services at import time. The database opens in a thread worker after the first paint;
services are imported inside the workers that call them.
"""

from __future__ import annotations

import os
import time

IMPORT_STARTED = time.perf_counter()  # `billing-tui bench` measures first paint from here

# Textual paints at most 60 frames a second: a change waits up to 16.7 ms for its frame,
# and opening a screen takes two or three frames to settle (data, focus, sizes). 120
# halves that wait on every key; the screens only repaint what changed, so an idle
# screen costs nothing more. Read when Textual is first imported; TEXTUAL_FPS=60 in the
# environment restores Textual's default.
os.environ.setdefault("TEXTUAL_FPS", "120")

import datetime as dt  # noqa: E402
import gc  # noqa: E402
import threading  # noqa: E402
from collections.abc import Callable  # noqa: E402
from typing import TYPE_CHECKING, ClassVar, cast  # noqa: E402

from textual import events, on, work  # noqa: E402
from textual.app import App  # noqa: E402
from textual.binding import Binding, BindingType  # noqa: E402
from textual.command import DiscoveryHit, Hit, Hits, Provider  # noqa: E402
from textual.message import Message  # noqa: E402
from textual.screen import Screen  # noqa: E402
from textual.worker import Worker, WorkerState, get_current_worker  # noqa: E402

from billing_tui.domain.errors import DomainError  # noqa: E402
from billing_tui.screens.login import LoginScreen  # noqa: E402

if TYPE_CHECKING:
    from billing_tui.db.engine import Database
    from billing_tui.domain.users import Actor

Command = tuple[str, str, Callable[[], object]]


class BillingCommands(Provider):
    """Command palette entries that make sense where the rep is (see `palette_commands`)."""

    def _commands(self) -> list[Command]:
        return cast("BillingApp", self.app).palette_commands(self.screen)

    async def discover(self) -> Hits:
        for name, help_text, callback in self._commands():
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, callback in self._commands():
            if (score := matcher.match(name)) > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)


class BillingApp(App[None]):
    TITLE = "billing_tui"
    CSS_PATH = "app.tcss"
    BINDING_GROUP_TITLE = "Everywhere"
    COMMANDS: ClassVar[set] = {BillingCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "quit", "Quit", priority=True, id="app.quit"),
        Binding("f1", "help", "Help", id="app.help"),
        Binding("slash", "lookup", "Find", id="app.lookup"),
        Binding("escape", "back", "Back", id="app.back"),
        # show=False: the footer already shows the palette key at its right end.
        Binding(
            "ctrl+p",
            "command_palette",
            "Commands",
            show=False,
            priority=True,
            id="app.command_palette",
        ),
        Binding("ctrl+l", "logout", "Log out", show=False, id="app.logout"),
    ]

    class DatabaseFailed(Message):
        def __init__(self, reason: str) -> None:
            super().__init__()
            self.reason = reason

    def __init__(
        self,
        db_url: str | None = None,
        today: dt.date | None = None,
        *,
        idle_lock_seconds: float | None = 900,
    ) -> None:
        super().__init__()
        self.db_url = db_url
        self._fixed_today = today
        self.idle_lock_seconds = idle_lock_seconds
        self.db: Database | None = None
        self.db_error: str | None = None
        self.actor: Actor | None = None
        self.first_paint_at: float | None = None
        self.last_key_at = time.monotonic()
        self._db_lock = threading.Lock()
        self._db_attempted = threading.Event()
        self._collect_pending = False

    @property
    def today(self) -> dt.date:
        return self._fixed_today or dt.date.today()

    # --- start-up and the database ------------------------------------------------

    def on_mount(self) -> None:
        self.push_screen(LoginScreen())
        self.call_after_refresh(self.open_database)
        if self.idle_lock_seconds:
            period = min(5.0, max(0.05, self.idle_lock_seconds / 10))
            self.set_interval(period, self.check_idle_lock, name="idle-lock")

    def mark_first_paint(self) -> None:
        if self.first_paint_at is None:
            self.first_paint_at = time.perf_counter()

    @work(thread=True, exclusive=True, exit_on_error=False, group="db")
    def open_database(self) -> None:
        try:
            self._connect()
        except DomainError as exc:
            self.post_message(self.DatabaseFailed(str(exc)))
        finally:
            self._db_attempted.set()

    def _connect(self) -> Database:
        """Worker threads only: open the database once (again, if the last try failed)."""
        with self._db_lock:
            if self.db is None:
                from billing_tui.db.engine import Database

                self.db = Database.open(self.db_url)
                # Everything alive now (Textual, SQLAlchemy, the models) lives as long as
                # the app: take it out of the garbage collector's full passes, which
                # otherwise walk it all every few screens (30-50 ms on a screen push).
                gc.freeze()
                # A closed screen leaves its widgets as cyclic garbage that only a full
                # pass frees, and Python starts one whenever enough has piled up: often
                # in the middle of opening the next screen (60 ms on the denial work
                # list). Full passes run when a screen closes instead (pop_screen), and
                # the automatic ones become rare.
                gen0, gen1, _ = gc.get_threshold()
                gc.set_threshold(gen0, gen1, 100)
            return self.db

    def pop_screen(self):  # type: ignore[override]
        done = super().pop_screen()
        if not self._collect_pending:
            self._collect_pending = True
            self.call_after_refresh(self._collect_closed_screens)
        return done

    def _collect_closed_screens(self) -> None:
        """After the screen below has painted: free the closed screens' widgets now, while
        the rep reads, rather than in a full pass that lands on the next screen push."""
        self._collect_pending = False
        gc.collect()

    def database(self, timeout: float = 60.0) -> Database:
        """Worker threads only: the open database.

        Waits for the start-up attempt; if that failed, tries once more (the rep may
        have fixed the network), raising its DomainError when it still fails.
        """
        self._db_attempted.wait(timeout)
        return self._connect()

    @on(DatabaseFailed)
    def _database_failed(self, message: DatabaseFailed) -> None:
        self.db_error = message.reason
        for screen in self.screen_stack:
            if isinstance(screen, LoginScreen):
                screen.show_database_error(message.reason)

    @on(Worker.StateChanged)
    def _database_crashed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "db" and event.state == WorkerState.ERROR:
            error = event.worker.error
            self.post_message(
                self.DatabaseFailed(f"Cannot open the database: {type(error).__name__}: {error}")
            )

    def on_unmount(self) -> None:
        if self.db is not None:
            self.db.dispose()

    # --- log-in, log-out, idle lock ------------------------------------------------

    def logged_in(self, actor: Actor, login_screen: LoginScreen) -> None:
        self.last_key_at = time.monotonic()
        self.actor = actor
        if login_screen.locked_user:
            login_screen.dismiss()
            return
        from billing_tui.screens.home import HomeScreen

        self.switch_screen(HomeScreen())

    @property
    def locked(self) -> bool:
        return isinstance(self.screen, LoginScreen) and self.screen.locked_user is not None

    def check_idle_lock(self, now: float | None = None) -> bool:
        """Lock when no key came for ``idle_lock_seconds``; True if it locked now."""
        if not self.idle_lock_seconds or self.actor is None:
            return False
        if any(isinstance(screen, LoginScreen) for screen in self.screen_stack):
            return False
        now = time.monotonic() if now is None else now
        if now - self.last_key_at < self.idle_lock_seconds:
            return False
        self.push_screen(LoginScreen(locked_user=self.actor.username))
        return True

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key):
            self.last_key_at = time.monotonic()
        await super().on_event(event)

    async def action_logout(self) -> None:
        self.actor = None
        while len(self.screen_stack) > 2:
            await self.pop_screen()
        await self.switch_screen(LoginScreen())

    # --- navigation ---------------------------------------------------------------

    def _work_screen(self) -> Screen:
        """The top screen the rep works on (not the palette or the help over it)."""
        from textual.command import CommandPalette

        from billing_tui.screens.help import HelpScreen

        for screen in reversed(self.screen_stack):
            if not isinstance(screen, (CommandPalette, HelpScreen)):
                return screen
        return self.screen

    # --- claims out (issue 5): claim entry, the scrubber work list, submitting ---------

    def claims_out_commands(self) -> list[Command]:
        return [
            ("New claim", "Enter a claim: lines, modifiers, units, charges, diagnoses (f5)",
             self.action_claim_entry),
            ("Scrubber work list", "Claims that cannot go out yet, with what is wrong (f6)",
             self.action_scrubber),
            ("Submit claims (837P)", "See the batch of ready claims, then write the file (f7)",
             self.action_submit),
        ]  # fmt: skip

    def action_claim_entry(self) -> None:
        from billing_tui.screens.claim_entry import ClaimEntryScreen

        if self.actor is not None and not self.locked:
            self.push_screen(ClaimEntryScreen())

    def action_scrubber(self) -> None:
        from billing_tui.screens.scrubber import ScrubberScreen

        if self.actor is not None and not self.locked:
            self.push_screen(ScrubberScreen())

    def action_submit(self) -> None:
        from billing_tui.screens.submit import SubmitScreen

        if self.actor is not None and not self.locked:
            self.push_screen(SubmitScreen())

    # --- payments (issue 4): batches and EOB posting, payment worklists, approvals --------

    def posting_commands(self) -> list[Command]:
        return [
            ("Payments", "Payment batches: open one, post EOBs to it, close it to the cent (f8)",
             self.action_batches),
            ("Credit balances and underpaid", "Refund credit balances; claims paid below contract",
             self.action_payment_worklists),
            ("Approvals", "Write-offs, adjustments and refunds waiting for approval (f12)",
             self.action_approvals),
        ]  # fmt: skip

    def action_batches(self) -> None:
        from billing_tui.screens.batches import BatchesScreen

        if self.actor is not None and not self.locked:
            self.push_screen(BatchesScreen())

    def action_payment_worklists(self) -> None:
        from billing_tui.screens.payment_worklists import PaymentWorklistsScreen

        if self.actor is not None and not self.locked:
            self.push_screen(PaymentWorklistsScreen())

    def action_approvals(self) -> None:
        from billing_tui.screens.approvals import ApprovalsScreen

        if self.actor is not None and not self.locked:
            self.push_screen(ApprovalsScreen())

    # --- denial trends (issue 7) and the 835 ERA screen (issue 6) ------------------------

    def reports_commands(self) -> list[Command]:
        return [
            ("ERA / 835", "Import 835 files; remittances, their claims and lines; exceptions (f9)",
             self.action_era),
            ("Denial trends", "Denial rate by month, CARC, category and payer (ctrl+t)",
             self.action_denial_trends),
        ]  # fmt: skip

    def action_era(self) -> None:
        from billing_tui.screens.era import EraScreen

        if self.actor is not None and not self.locked:
            self.push_screen(EraScreen())

    def action_denial_trends(self) -> None:
        from billing_tui.screens.denial_trends import DenialTrendsScreen

        if self.actor is not None and not self.locked:
            self.push_screen(DenialTrendsScreen())

    # --- denials and appeals (issue 7) ------------------------------------------------

    def denials_commands(self) -> list[Command]:
        return [
            ("Denials", "Open denials by category and CARC: root cause, then act (f10)",
             self.action_denials),
            ("Appeals", "Appeals waiting for a decision, soonest deadline first (f11)",
             self.action_appeals),
        ]  # fmt: skip

    def action_denials(self) -> None:
        from billing_tui.screens.denials import DenialsScreen, first_page

        self.push_after_read(lambda: first_page(self), DenialsScreen, group="open-denials")

    def open_account(
        self,
        patient_id: int,
        *,
        focus_claim_id: int | None = None,
        queue_id: int | None = None,
    ) -> None:
        """Open a patient's account (from a queue, the look-up, home, a work list): read
        it, then push the screen built with it."""
        from billing_tui.screens.account import AccountScreen

        actor = self.actor
        if actor is None:
            return

        def read():
            from billing_tui.services.accounts import load_account

            return load_account(self.database(), actor, patient_id)

        def make(view) -> AccountScreen:
            return AccountScreen(
                patient_id, focus_claim_id=focus_claim_id, queue_id=queue_id, view=view
            )

        self.push_after_read(read, make, group="open-account")

    def push_after_read(
        self, read: Callable[[], object], make: Callable[[object], Screen], *, group: str
    ) -> None:
        """Run ``read`` (a service call) in a worker, then push ``make(its answer)``.

        The screen is built with its data and painted once, while the screen below stays
        on view: pushed first, it would paint empty and its styling would compete with
        the query for the interpreter (the account took 60 ms to read that way, 5 ms
        alone). If the read fails the screen gets None: it reads again itself and names
        the problem on its status line. A second open of the same kind replaces the
        first, and nothing is pushed if the rep has moved to another screen meanwhile.
        """
        if self.actor is None or self.locked:
            return
        origin = self.screen

        def run() -> None:
            try:
                answer = read()
            except Exception:  # noqa: BLE001 - the screen reads again, and reports what failed
                answer = None
            if get_current_worker().is_cancelled:
                return  # a newer open of this kind took over

            def push() -> None:
                if self.actor is not None and not self.locked and self.screen is origin:
                    self.push_screen(make(answer))

            self.call_from_thread(push)

        self.run_worker(run, thread=True, exclusive=True, exit_on_error=False, group=group)

    def action_appeals(self) -> None:
        from billing_tui.screens.appeals import AppealsScreen

        if self.actor is not None and not self.locked:
            self.push_screen(AppealsScreen())

    def action_lookup(self) -> None:
        """`/` or the palette: the look-up of patients, payers and claims."""
        from billing_tui.screens.lookup import LookupScreen

        if self.check_action("lookup", ()):
            self.push_screen(LookupScreen())

    def action_help(self) -> None:
        from billing_tui.screens.help import HelpScreen, collect_keys, screen_title

        if isinstance(self.screen, HelpScreen):
            return
        target = self._work_screen()
        self.push_screen(HelpScreen(collect_keys(target), screen_title(self, target)))

    async def action_home(self) -> None:
        from billing_tui.screens.home import HomeScreen

        if self.actor is None or self.locked:
            return
        while len(self.screen_stack) > 2 and not isinstance(self.screen, HomeScreen):
            await self.pop_screen()

    async def action_back(self) -> None:
        if self._can_go_back():
            await self.pop_screen()

    def _can_go_back(self) -> bool:
        # Home and log-in are roots: escape there does nothing (and the footer hides it).
        # A class flag, not isinstance, so the footer need not import the home screen.
        return len(self.screen_stack) > 2 and not getattr(self.screen, "IS_ROOT", False)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "back":
            return self._can_go_back()
        if action == "logout":
            return self.actor is not None
        if action == "lookup":
            # Logged in, on a work screen (not the log-in/lock screen or over a dialog).
            from textual.screen import ModalScreen

            return self.actor is not None and not isinstance(
                self.screen, (LoginScreen, ModalScreen)
            )
        return True

    def palette_commands(self, screen: Screen) -> list[Command]:
        """Commands for the palette opened over ``screen``; logged out: Help and Quit only."""
        from billing_tui.screens.home import HomeScreen

        commands: list[Command] = []
        logged_in = self.actor is not None and not isinstance(screen, LoginScreen)
        if logged_in:
            if isinstance(screen, HomeScreen):
                commands.append(("Refresh", "Reload the home page figures", screen.action_refresh))
            else:
                commands.append(("Home", "Go to the home page", self.action_home))
        if self.actor is not None:
            commands.append(
                ("Log out", "End this session and show the log-in screen", self.action_logout)
            )
        from textual.screen import ModalScreen

        if logged_in and not isinstance(screen, ModalScreen):
            commands.append(
                (
                    "Find patient / payer / claim",
                    "Name with typos, DOB, account no., member id, claim no. or payer (/)",
                    self.action_lookup,
                )
            )
        if logged_in and not isinstance(screen, ModalScreen):
            commands.extend(self.claims_out_commands())  # issue 5
            commands.extend(self.posting_commands())  # issue 4
            commands.extend(self.reports_commands())  # issues 6 and 7
            commands.extend(self.denials_commands())  # issue 7
        commands.append(("Help", "List the keys of this screen (F1)", self.action_help))
        commands.append(("Quit", "Quit billing_tui (ctrl+q)", self.action_quit))
        return commands
