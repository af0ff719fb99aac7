"""A rep on a long call keeps the account: the account screen renews its queue lease, and
says so plainly when another rep took the account after the lease ran out."""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from billing_tui.app import BillingApp
from billing_tui.screens.account import AccountScreen
from billing_tui.widgets.status import StatusLine

from .conftest import log_in, settle
from .test_queue_screen import SIZE, _open_queue


def _lease(db_path: Path, claim_id: int) -> tuple[int | None, dt.datetime | None]:
    with sqlite3.connect(db_path) as conn:
        user, expires = conn.execute(
            "SELECT lease_user_id, lease_expires_at FROM claims WHERE id = ?", (claim_id,)
        ).fetchone()
    return user, expires and dt.datetime.fromisoformat(expires)


async def _take_next(app: BillingApp, pilot) -> AccountScreen:
    await log_in(pilot, "rep", "rep")
    await _open_queue(pilot, "Insurance 120+")
    await pilot.press("n")
    await settle(pilot)
    assert isinstance(app.screen, AccountScreen)
    return app.screen


@pytest.fixture
def quick_renewal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(AccountScreen, "lease_renew_seconds", staticmethod(lambda: 0.2))


async def test_the_lease_is_renewed_while_the_account_is_open(
    app: BillingApp, db_path: Path, quick_renewal
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        screen = await _take_next(app, pilot)
        claim_id = screen.focus_claim_id
        rep_id, _ = _lease(db_path, claim_id)
        soon = dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(seconds=30)
        with sqlite3.connect(db_path) as conn:  # the lease is about to run out
            conn.execute(
                "UPDATE claims SET lease_expires_at = ? WHERE id = ?",
                (soon.isoformat(sep=" "), claim_id),
            )
        await asyncio.sleep(0.5)
        await settle(pilot)
        user, expires = _lease(db_path, claim_id)
        assert user == rep_id
        assert expires > soon + dt.timedelta(minutes=4)


async def test_a_lost_lease_is_reported(app: BillingApp, db_path: Path, quick_renewal) -> None:
    async with app.run_test(size=SIZE) as pilot:
        screen = await _take_next(app, pilot)
        claim_id = screen.focus_claim_id
        later = dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(minutes=9)
        with sqlite3.connect(db_path) as conn:  # another rep holds it now
            (other,) = conn.execute("SELECT id FROM users WHERE username = 'senior'").fetchone()
            conn.execute(
                "UPDATE claims SET lease_user_id = ?, lease_expires_at = ? WHERE id = ?",
                (other, later.isoformat(sep=" "), claim_id),
            )
        await asyncio.sleep(0.5)
        await settle(pilot)
        status = screen.query_one("#acct-status", StatusLine).message
        assert "another rep took this account" in status
        assert _lease(db_path, claim_id)[0] == other
