"""The `/` look-up driven by keys: type with a typo, results follow, enter opens the account."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import DataTable, Input

from billing_tui.app import BillingApp
from billing_tui.screens.account import AccountScreen
from billing_tui.screens.home import HomeScreen
from billing_tui.screens.login import LoginScreen
from billing_tui.screens.lookup import DEBOUNCE_SECONDS, LookupScreen
from billing_tui.widgets.status import StatusLine

from .conftest import TODAY, log_in, settle

SIZE = (120, 36)
KEYS = {" ": "space", "/": "slash", ",": "comma", "-": "minus"}


async def type_text(pilot: Pilot, text: str) -> None:
    await pilot.press(*(KEYS.get(c, c) for c in text))


async def searched(pilot: Pilot) -> None:
    """Let the debounce timer fire and the search worker finish."""
    await pilot.pause(DEBOUNCE_SECONDS + 0.1)
    await settle(pilot)


def _patient(db_path: Path, patient_id: int) -> tuple[str, str, str]:
    with sqlite3.connect(db_path) as conn:
        return conn.execute(
            "SELECT first_name, last_name, account_no FROM patients WHERE id = ?", (patient_id,)
        ).fetchone()


def _table_names(screen: LookupScreen) -> list[str]:
    table = screen.query_one("#lookup-results", DataTable)
    return [str(table.get_row_at(i)[1]) for i in range(table.row_count)]


async def test_slash_typo_and_enter_open_the_account(app: BillingApp, db_path: Path) -> None:
    first, last, account = _patient(db_path, 3)  # Scott Stevens in the seed-7 demo
    typo = last[:-2] + last[-1] + last[-2]  # the last two letters swapped
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "rep", "rep")
        assert isinstance(app.screen, HomeScreen)
        await pilot.press("slash")
        screen = app.screen
        assert isinstance(screen, LookupScreen)
        assert screen.query_one(Input).has_focus

        await type_text(pilot, first[:3])  # "Sco": a prefix already finds the Scotts
        await searched(pilot)
        assert f"{last}, {first}" in _table_names(screen)
        first_results = list(screen.matches)

        await type_text(pilot, first[3:] + " " + typo)
        await searched(pilot)
        assert screen.matches != first_results  # the list followed the typing
        top = screen.matches[0]
        assert (top.kind, top.id, top.account_no) == ("patient", 3, account)
        assert _table_names(screen)[0] == f"{last}, {first}"

        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, AccountScreen)
        assert app.screen.patient_id == 3 and app.screen.focus_claim_id is None
    with sqlite3.connect(db_path) as conn:
        views = conn.execute(
            "SELECT COUNT(*) FROM audit_events WHERE action = 'account_viewed' AND patient_id = 3"
        ).fetchone()[0]
        lookups = conn.execute("SELECT COUNT(*) FROM audit_events WHERE action = 'lookup'")
        assert views == 1 and lookups.fetchone()[0] == 0  # no event per keystroke


async def test_up_down_choose_and_a_claim_opens_its_account(app: BillingApp, db_path: Path) -> None:
    with sqlite3.connect(db_path) as conn:
        claim_id, number, patient_id = conn.execute(
            "SELECT id, claim_number, patient_id FROM claims ORDER BY id LIMIT 1 OFFSET 10"
        ).fetchone()
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "rep", "rep")
        await pilot.press("slash")
        await type_text(pilot, number[:-1])  # ten claims share this beginning
        await searched(pilot)
        screen = app.screen
        assert isinstance(screen, LookupScreen)
        assert len(screen.matches) == 10 and screen.matches[0].kind == "claim"
        numbers = [mt.label.split(" ")[0] for mt in screen.matches]
        await pilot.press("down", "down", "up")
        assert screen.selected is screen.matches[1]
        while screen.selected.label.split(" ")[0] != number:
            await pilot.press("down")
        assert number in numbers
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, AccountScreen)
        assert (app.screen.patient_id, app.screen.focus_claim_id) == (patient_id, claim_id)


async def test_enter_right_after_typing_searches_then_opens(app: BillingApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "rep", "rep")
        await pilot.press("slash")
        await type_text(pilot, "A0000005")
        await pilot.press("enter")  # before the debounce timer fired
        await searched(pilot)
        assert isinstance(app.screen, AccountScreen) and app.screen.patient_id == 5


async def test_payer_card_and_escape(app: BillingApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "rep", "rep")
        await pilot.press("slash")
        await type_text(pilot, "aetan")
        await searched(pilot)
        screen = app.screen
        assert isinstance(screen, LookupScreen)
        assert screen.matches[0].kind == "payer" and screen.matches[0].label == "Aetna"
        await pilot.press("enter")
        await settle(pilot)
        card = screen.query_one("#payer-card")
        assert card.display and screen.card is not None and screen.card.edi_payer_id == "60054"
        assert "Timely filing" in str(card.render())
        await pilot.press("escape")  # closes the card first
        assert not card.display and isinstance(app.screen, LookupScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, HomeScreen)


async def test_a_stale_result_never_replaces_a_newer_one(app: BillingApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "rep", "rep")
        await pilot.press("slash")
        await type_text(pilot, "aetna")
        await searched(pilot)
        screen = app.screen
        assert isinstance(screen, LookupScreen)
        shown = list(screen.matches)
        screen.post_message(LookupScreen.Results("aet", []))  # an older query's late answer
        await settle(pilot)
        assert screen.matches == shown and screen.shown_query == "aetna"


async def test_nothing_found_and_clearing(app: BillingApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "rep", "rep")
        await pilot.press("slash")
        await type_text(pilot, "zzqqxx")
        await searched(pilot)
        screen = app.screen
        assert isinstance(screen, LookupScreen)
        assert screen.matches == []
        assert "Nothing matches" in screen.query_one("#lookup-status", StatusLine).message
        await pilot.press("enter")  # nothing to open: stays
        await settle(pilot)
        assert isinstance(app.screen, LookupScreen)


async def test_palette_command_opens_it_and_slash_does_nothing_logged_out(app: BillingApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)
        assert app.check_action("lookup", ()) is False
        await log_in(pilot, "rep", "rep")
        await pilot.press("ctrl+p")
        await type_text(pilot, "find patient")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, LookupScreen)


async def test_f1_lists_the_lookup_keys(app: BillingApp) -> None:
    from billing_tui.screens.help import HelpScreen

    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "rep", "rep")
        await pilot.press("slash")
        await pilot.press("f1")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        described = {(k.group, k.description) for k in app.screen.keys}
        assert {("Find", "Open"), ("Find", "Next result"), ("Find", "Close")} <= described


def test_lookup_snapshot(snap_compare, db_url: str) -> None:
    async def run_before(pilot: Pilot) -> None:
        await log_in(pilot, "rep", "rep")
        await pilot.press("slash")
        await type_text(pilot, "Herera")  # three Herreras in the demo, one letter short
        await searched(pilot)

    assert snap_compare(BillingApp(db_url, today=TODAY), terminal_size=SIZE, run_before=run_before)
