"""A worker that dies of an unexpected error (a bug, a dropped connection) is named on
the screen's status line; the screen does not sit waiting in silence."""

from __future__ import annotations

import pytest

from billing_tui.app import BillingApp
from billing_tui.screens.appeals import AppealsScreen
from billing_tui.screens.denials import DenialsScreen
from billing_tui.widgets.status import StatusLine
from billing_tui.widgets.worker_failures import ReportsWorkerFailures

from .conftest import log_in, settle

SIZE = (120, 36)


def _boom(*_args, **_kwargs):
    raise RuntimeError("connection reset by peer")


async def test_denial_work_list_names_a_failed_load(app: BillingApp, monkeypatch):
    monkeypatch.setattr("billing_tui.services.denials.work_list", _boom)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "rep", "rep")
        await pilot.press("f10")  # the first-page read fails: the screen opens and retries
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, DenialsScreen) and screen.wl is None
        status = screen.query_one("#den-status", StatusLine)
        assert status.is_error
        assert "Could not load the work list: RuntimeError: connection reset by peer" in str(
            status.render()
        )
        assert not screen.busy  # keys work again: r retries


async def test_appeals_list_names_a_failed_load(app: BillingApp, monkeypatch):
    monkeypatch.setattr("billing_tui.services.appeals.appeals_work_list", _boom)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "rep", "rep")
        await pilot.press("f11")
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, AppealsScreen)
        status = screen.query_one("#appeals-status", StatusLine)
        assert status.is_error and "Could not load the appeals: RuntimeError" in str(
            status.render()
        )


@pytest.mark.parametrize(
    ("group", "what"),
    [("list", "load the list"), ("nb-lookup", "look it up"), ("nb", None), ("other", None)],
)
def test_failure_of_matches_groups_and_prefixes(group: str, what: str | None) -> None:
    class Screenish(ReportsWorkerFailures):
        WORKER_FAILURES = {"list": "load the list", "nb-": "look it up"}

    assert Screenish().failure_of(group) == what
