"""Snapshots of what a rep sees (fixed today, deterministic demo data, no cursor blink).

Regenerate with `pytest tests/ui --snapshot-update` and look at the SVGs before committing.
"""

from __future__ import annotations

from textual.pilot import Pilot

from billing_tui.app import BillingApp

from .conftest import TODAY, log_in, settle

SIZE = (120, 36)


def test_login_screen(snap_compare, db_url: str) -> None:
    async def run_before(pilot: Pilot) -> None:
        await settle(pilot)

    assert snap_compare(BillingApp(db_url, today=TODAY), terminal_size=SIZE, run_before=run_before)


def test_login_screen_after_wrong_password(snap_compare, db_url: str) -> None:
    async def run_before(pilot: Pilot) -> None:
        await log_in(pilot, "rep", "wrong")

    assert snap_compare(BillingApp(db_url, today=TODAY), terminal_size=SIZE, run_before=run_before)


def test_home_screen(snap_compare, db_url: str) -> None:
    async def run_before(pilot: Pilot) -> None:
        await log_in(pilot, "rep", "rep")

    assert snap_compare(BillingApp(db_url, today=TODAY), terminal_size=SIZE, run_before=run_before)


def test_help_on_home(snap_compare, db_url: str) -> None:
    async def run_before(pilot: Pilot) -> None:
        await log_in(pilot, "rep", "rep")
        await pilot.press("f1")
        await settle(pilot)

    assert snap_compare(BillingApp(db_url, today=TODAY), terminal_size=SIZE, run_before=run_before)
