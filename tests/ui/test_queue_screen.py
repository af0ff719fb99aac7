"""The work queue by keys: home list -> queue -> page, sort, filter, open, next; snapshots."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import DataTable

from billing_tui.app import BillingApp
from billing_tui.screens.home import HomeScreen
from billing_tui.screens.queue import QueueScreen

from .conftest import TODAY, log_in, record_calls, settle

SIZE = (120, 36)


def _patient_balance_claims(db_path: Path) -> int:
    with sqlite3.connect(db_path) as conn:
        return conn.execute("SELECT COUNT(*) FROM claims WHERE pat_balance_cents >= 1").fetchone()[
            0
        ]


async def _open_queue(pilot: Pilot, name: str) -> QueueScreen:
    app = pilot.app
    panel_table = app.screen.query_one("#queue-list", DataTable)
    names = [str(panel_table.get_row_at(i)[0]) for i in range(panel_table.row_count)]
    await pilot.press("tab")  # follow-ups -> recent -> ... until the queue list has focus
    while app.focused is not panel_table:
        await pilot.press("tab")
    for _ in range(names.index(name)):
        await pilot.press("down")
    await pilot.press("enter")
    await settle(pilot)
    assert isinstance(app.screen, QueueScreen)
    return app.screen


async def test_rep_opens_a_queue_pages_sorts_filters_and_opens_an_account(
    app: BillingApp, db_path: Path
) -> None:
    total = _patient_balance_claims(db_path)
    assert total > 100, "the demo should fill more than one page"
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "rep", "rep")
        assert isinstance(app.screen, HomeScreen)
        panel = app.screen.query_one("#queue-list", DataTable)
        assert panel.row_count == 11
        screen = await _open_queue(pilot, "Patient balance")
        table = screen.query_one("#queue-table", DataTable)
        assert table.row_count == 100 and screen.next_cursor is not None
        # Page down to the end of what is loaded: the next page comes in behind it.
        for _ in range(12):
            await pilot.press("pagedown")
        await settle(pilot)
        assert table.row_count == total and screen.next_cursor is None
        assert len(set(screen.row_ids)) == total
        # Sort: s moves to the next column (patient), o reverses.
        await pilot.press("s")
        await settle(pilot)
        assert screen.sort is not None and screen.sort.column == "patient"
        first_names = [str(table.get_row_at(i)[0]) for i in range(5)]
        assert first_names == sorted(first_names, key=str.lower)
        await pilot.press("o")
        await settle(pilot)
        assert screen.sort.descending
        # Filter by typing part of a claim number shown on screen.
        claim_number = str(table.get_row_at(3)[1])
        await pilot.press("f", *claim_number, "enter")
        await pilot.pause(0.4)
        await settle(pilot)
        assert table.row_count == 1 and str(table.get_row_at(0)[1]) == claim_number
        assert app.focused is table
        # enter leases the claim and opens its account.
        await pilot.press("enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "AccountScreen"
        with sqlite3.connect(db_path) as conn:
            leased = conn.execute(
                "SELECT claim_number FROM claims WHERE lease_user_id IS NOT NULL"
            ).fetchall()
        assert leased == [(claim_number,)]
        # Back on the list, the lease is given up for the team.
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen
        with sqlite3.connect(db_path) as conn:
            assert (
                conn.execute(
                    "SELECT COUNT(*) FROM claims WHERE lease_user_id IS NOT NULL"
                ).fetchone()[0]
                == 0
            )


async def test_n_takes_the_top_free_account(app: BillingApp, db_path: Path) -> None:
    with sqlite3.connect(db_path) as conn:
        (top,) = conn.execute(
            "SELECT id FROM claims WHERE ins_balance_cents >= 1 AND service_date <= ? "
            "ORDER BY priority DESC, id DESC LIMIT 1",
            ((TODAY - dt.timedelta(days=121)).isoformat(),),
        ).fetchone()
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "rep", "rep")
        await _open_queue(pilot, "Insurance 120+")
        await pilot.press("n")
        await settle(pilot)
        assert type(app.screen).__name__ == "AccountScreen"
        assert app.screen.focus_claim_id == top


async def test_accounts_are_read_before_they_are_shown(app: BillingApp, monkeypatch) -> None:
    """n on the queue and n on the account (next account) read the account in the worker
    that took it, then show the screen built with it: the account screen never starts a
    read of its own (one paint, full), and r still reloads."""
    from billing_tui.screens.account import AccountScreen

    reads = record_calls(monkeypatch, AccountScreen, "load")
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "rep", "rep")
        await _open_queue(pilot, "Insurance 120+")
        await pilot.press("n")
        await settle(pilot)
        first = app.screen
        assert isinstance(first, AccountScreen) and first.view is not None
        assert first.loads == 1 and reads == []
        await pilot.press("n")  # the next account of the queue
        await settle(pilot)
        second = app.screen
        assert isinstance(second, AccountScreen) and second is not first
        assert second.view is not None and second.view.patient_id == second.patient_id
        assert reads == []
        await pilot.press("r")
        await settle(pilot)
        assert reads == [second] and second.loads == 2


def test_queue_screen_snapshot(snap_compare, db_url: str) -> None:
    async def run_before(pilot: Pilot) -> None:
        await log_in(pilot, "rep", "rep")
        await _open_queue(pilot, "Insurance 120+")

    assert snap_compare(BillingApp(db_url, today=TODAY), terminal_size=SIZE, run_before=run_before)


def test_queue_editor_snapshot(snap_compare, db_url: str) -> None:
    async def run_before(pilot: Pilot) -> None:
        await log_in(pilot, "supervisor", "supervisor")
        screen = await _open_queue(pilot, "Medicare")
        await pilot.press("e")
        await settle(pilot)
        assert type(pilot.app.screen).__name__ == "QueueEditorScreen"
        assert screen is not pilot.app.screen

    assert snap_compare(BillingApp(db_url, today=TODAY), terminal_size=SIZE, run_before=run_before)
