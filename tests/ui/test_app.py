"""Driving the real app with the keyboard: log-in, home figures, help, lock, palette."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from textual.widgets import DataTable, Input

from billing_tui.app import BillingApp
from billing_tui.domain.money import Money
from billing_tui.screens.help import HelpScreen
from billing_tui.screens.home import HomeScreen
from billing_tui.screens.login import LoginScreen
from billing_tui.services.auth import BAD_CREDENTIALS
from billing_tui.widgets.status import StatusLine

from .conftest import TODAY, log_in, settle

SIZE = (120, 36)


def _cell_text(table: DataTable, row: str, column: str) -> str:
    value = table.get_cell(row, column)
    return value.plain if hasattr(value, "plain") else str(value)


def _open_totals(db_path: Path) -> tuple[int, int, int, int]:
    """Open balances straight from the claims table, independent of the report code."""
    with sqlite3.connect(db_path) as conn:
        ins = conn.execute(
            "SELECT COALESCE(SUM(ins_balance_cents), 0), COUNT(*) FROM claims "
            "WHERE ins_balance_cents <> 0"
        ).fetchone()
        pat = conn.execute(
            "SELECT COALESCE(SUM(pat_balance_cents), 0), COUNT(*) FROM claims "
            "WHERE pat_balance_cents <> 0"
        ).fetchone()
    return ins[0], ins[1], pat[0], pat[1]


async def test_rep_logs_in_and_sees_aging_totals(app: BillingApp, db_path: Path) -> None:
    ins_cents, ins_n, pat_cents, pat_n = _open_totals(db_path)
    assert ins_n and pat_n, "the demo should leave open balances"
    async with app.run_test(size=SIZE) as pilot:
        assert isinstance(app.screen, LoginScreen)
        assert app.first_paint_at is not None
        await log_in(pilot, "rep", "rep", typing=True)
        assert isinstance(app.screen, HomeScreen)
        assert app.actor is not None and app.actor.username == "rep"
        table = app.screen.query_one("#aging", DataTable)
        assert [str(k.value) for k in table.rows] == [
            "0-30", "31-60", "61-90", "91-120", "120+", "total"
        ]  # fmt: skip
        assert _cell_text(table, "total", "ins") == Money(ins_cents).format()
        assert _cell_text(table, "total", "ins_n") == f"{ins_n:,}"
        assert _cell_text(table, "total", "pat") == Money(pat_cents).format()
        assert _cell_text(table, "total", "pat_n") == f"{pat_n:,}"
        # The bucket rows add up to the total row.
        buckets = [str(k.value) for k in table.rows][:-1]
        bucket_cents = sum(Money.parse(_cell_text(table, b, "ins")).cents for b in buckets)
        assert bucket_cents == ins_cents
        # Header names the rep, the role and the day.
        assert "Riley Rep (rep)" in app.screen.sub_title
        assert "27 November 2026" in app.screen.sub_title
        # Follow-ups: a count and the first rows, oldest first.
        summary = app.screen.summary
        assert summary is not None and summary.follow_ups_due > 0
        follow_ups = app.screen.query_one("#follow-ups", DataTable)
        assert follow_ups.row_count == len(summary.follow_ups)
        dates = [r.follow_up_date for r in summary.follow_ups]
        assert dates == sorted(dates) and all(d <= TODAY for d in dates)


async def test_refresh_key_reloads(app: BillingApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "rep", "rep")
        first = app.screen.summary
        await pilot.press("r")
        await settle(pilot)
        assert app.screen.summary is not None and app.screen.summary is not first
        assert app.screen.summary.aging == first.aging


async def test_wrong_password_keeps_user_name_and_locks_after_five(app: BillingApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "rep", "nope", typing=True)
        screen = app.screen
        assert isinstance(screen, LoginScreen)
        status = screen.query_one("#login-status", StatusLine)
        assert status.is_error
        assert status.message == BAD_CREDENTIALS
        for word in ("password is wrong", "no such user", "unknown user\n"):
            assert word not in status.message.lower()
        assert screen.query_one("#username", Input).value == "rep"
        password = screen.query_one("#password", Input)
        assert password.value == "" and password.has_focus
        # An unknown user gets the very same message: no hint which part was wrong.
        # (Later attempts fill the fields directly: typing is tested above.)
        username = screen.query_one("#username", Input)
        username.value = "nobody"
        password.value = "x"
        await pilot.press("enter")
        await settle(pilot)
        assert status.message == BAD_CREDENTIALS
        username.value = "rep"
        for _ in range(4):  # failures 2 to 5 for rep
            password.value = "bad"
            await pilot.press("enter")
            await settle(pilot)
            assert status.message == BAD_CREDENTIALS
            assert username.value == "rep" and password.value == ""
        # The sixth try, even with the right password, is refused: the account is locked.
        password.value = "rep"
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)
        assert status.is_error and "locked" in status.message.lower()
        assert username.value == "rep"


async def test_database_failure_shows_reason_on_login(tmp_path: Path) -> None:
    bad = BillingApp("nosuchdb://nowhere", today=TODAY)
    async with bad.run_test(size=SIZE) as pilot:
        await settle(pilot)
        status = bad.screen.query_one("#login-status", StatusLine)
        assert status.is_error and "\n" not in status.message
        assert bad.db_error and status.message == bad.db_error
        await pilot.press(*"rep", "enter", *"rep", "enter")
        await settle(pilot)
        assert isinstance(bad.screen, LoginScreen)
        assert status.is_error
        assert bad.screen.query_one("#username", Input).value == "rep"


async def test_f1_lists_the_screen_keys_and_escape_closes(app: BillingApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "rep", "rep")
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        descriptions = {(k.group, k.key, k.description) for k in app.screen.keys}
        assert ("Home", "r", "Refresh") in descriptions
        assert ("Everywhere", "f1", "Help") in descriptions
        assert ("Everywhere", "^q", "Quit") in descriptions
        assert ("Everywhere", "^l", "Log out") in descriptions
        assert not any(k.description == "Back" for k in app.screen.keys)  # home is a root
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)


async def test_f1_on_login_lists_login_keys(app: BillingApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        keys = {(k.group, k.description) for k in app.screen.keys}
        assert ("Log in", "Log in") in keys
        assert ("Everywhere", "Log out") not in keys  # nobody is logged in
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, LoginScreen)


async def test_idle_lock_asks_the_same_user_for_the_password(app: BillingApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "rep", "rep")
        home = app.screen
        assert not app.check_idle_lock(now=app.last_key_at + app.idle_lock_seconds - 1)
        assert app.check_idle_lock(now=app.last_key_at + app.idle_lock_seconds + 1)
        await pilot.pause()
        lock = app.screen
        assert isinstance(lock, LoginScreen) and lock.locked_user == "rep"
        username = lock.query_one("#username", Input)
        assert username.value == "rep" and username.disabled
        assert lock.query_one("#password", Input).has_focus
        assert not app.check_idle_lock(now=app.last_key_at + 10_000)  # already locked
        await pilot.press("escape")  # escape does not get past the lock
        await pilot.pause()
        assert app.screen is lock
        await pilot.press(*"bad", "enter")  # the password has the focus
        await settle(pilot)
        assert app.screen is lock
        assert lock.query_one("#login-status", StatusLine).message == BAD_CREDENTIALS
        await pilot.press(*"rep", "enter")
        await settle(pilot)
        assert app.screen is home  # back where the rep was
        assert app.actor is not None and app.actor.username == "rep"


async def test_a_key_resets_the_idle_clock(app: BillingApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "rep", "rep")
        before = app.last_key_at
        await pilot.press("down")
        assert app.last_key_at > before


async def test_palette_offers_commands_for_where_the_rep_is(app: BillingApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        names = [c[0] for c in app.palette_commands(app.screen)]
        assert names == ["Help", "Quit"]
        await log_in(pilot, "rep", "rep")
        names = [c[0] for c in app.palette_commands(app.screen)]
        assert names[0] == "Refresh" and names[-2:] == ["Help", "Quit"]
        assert {"Log out", "Find patient / payer / claim"} <= set(names)
        assert "Home" not in names  # already there


async def test_palette_log_out_returns_to_a_fresh_login(app: BillingApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "rep", "rep")
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"log")
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)
        assert app.actor is None
        assert app.screen.query_one("#username", Input).value == ""
        assert len(app.screen_stack) == 2


async def test_an_open_is_dropped_when_the_rep_moved_on(app: BillingApp) -> None:
    """A screen read before its push (an account here) is not pushed over a screen the
    rep went to while it was being read; a second open of the same kind replaces the
    first, so one screen opens, not two."""
    from billing_tui.screens.account import AccountScreen

    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "rep", "rep")
        home = app.screen
        app.open_account(5)
        app.push_screen(HelpScreen([], "Home"))  # before the read is back
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is home
        app.open_account(5)
        app.open_account(6)  # cancels the first read's worker (settle would raise on it)
        for _ in range(200):
            await pilot.pause(0.01)
            if isinstance(app.screen, AccountScreen) and app.screen.loads:
                break
        await pilot.pause(0.05)
        assert isinstance(app.screen, AccountScreen) and app.screen.patient_id == 6
        assert sum(isinstance(s, AccountScreen) for s in app.screen_stack) == 1
