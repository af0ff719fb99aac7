"""Denial trends screen: chart and tables from the report, keys for dimension and range."""

from __future__ import annotations

import datetime as dt

from textual.pilot import Pilot
from textual.widgets import DataTable, Static

from billing_tui.app import BillingApp
from billing_tui.screens.denial_trends import DenialTrendsScreen
from billing_tui.services.denial_report import denial_trends

from .conftest import TODAY, log_in, settle

SIZE = (120, 36)


def _labels(table: DataTable) -> list[str]:
    return [str(table.get_row_at(i)[0]) for i in range(table.row_count)]


async def test_trends_follow_the_keys(app: BillingApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "supervisor", "supervisor")
        await pilot.press("ctrl+t")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, DenialTrendsScreen)
        db = app.db
        assert db is not None
        expected = denial_trends(db, dt.date(2025, 12, 1), TODAY)
        assert screen.report == expected
        summary = str(screen.query_one("#trend-summary", Static).render())
        assert "12/01/2025 - 11/27/2026" in summary
        assert f"Denied {expected.total.denied_claims:,} of" in summary
        table = screen.query_one("#trend-table", DataTable)
        assert _labels(table) == [r.label[:40] for r in expected.by_carc]
        assert _labels(table)[0].startswith(f"{expected.by_carc[0].key} ")  # code, then words
        assert table.row_count > 0

        await pilot.press("d")  # category
        assert _labels(table) == [r.label[:40] for r in expected.by_category]
        await pilot.press("d", "d")  # payer, then month
        assert _labels(table) == [r.key for r in expected.by_month]
        assert len(_labels(table)) == 12

        await pilot.press("g")  # last 6 months
        await settle(pilot)
        assert screen.report.date_from == dt.date(2026, 6, 1)
        assert _labels(table) == [f"2026-{m:02d}" for m in range(6, 12)]
        await pilot.press("c")
        assert screen.measure == "dollars"
        await pilot.press("escape")
        await settle(pilot)
        assert type(app.screen).__name__ == "HomeScreen"


def test_denial_trends_snapshot(snap_compare, db_url: str) -> None:
    async def run_before(pilot: Pilot) -> None:
        await log_in(pilot, "supervisor", "supervisor")
        await pilot.press("ctrl+t")
        await settle(pilot)

    assert snap_compare(BillingApp(db_url, today=TODAY), terminal_size=SIZE, run_before=run_before)
