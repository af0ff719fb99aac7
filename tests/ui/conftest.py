"""UI test fixtures: a demo practice built once per session (per xdist worker, ~2 s),
copied per test.

The demo (``services.demo.build_demo``) is deterministic for a seed and ``today``, so
screens built from it are stable enough to snapshot.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from billing_tui.app import BillingApp

TODAY = dt.date(2026, 11, 27)
DEMO_CLAIMS = 800  # enough open patient balances for the queue to fill more than one page
DEMO_SEED = 7


@pytest.fixture(scope="session")
def demo_db_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from billing_tui.services.demo import build_demo

    path = tmp_path_factory.mktemp("demo") / "demo.db"
    build_demo(f"sqlite:///{path}", claims=DEMO_CLAIMS, seed=DEMO_SEED, today=TODAY)
    return path


@pytest.fixture
def db_path(demo_db_file: Path, tmp_path: Path) -> Path:
    """A private copy of the demo database (log-ins write failure counts and audit rows)."""
    target = tmp_path / "t.db"
    for suffix in ("", "-wal", "-shm"):
        src = Path(f"{demo_db_file}{suffix}")
        if src.exists():
            shutil.copyfile(src, f"{target}{suffix}")
    return target


@pytest.fixture
def db_url(db_path: Path) -> str:
    return f"sqlite:///{db_path}"


@pytest.fixture(params=["sqlite", "postgresql"])
def demo_url_each_db(request: pytest.FixtureRequest) -> str:
    """The demo practice on each database: the SQLite copy, or built into the run's
    PostgreSQL database (the same seed and day), for flows that must work on both."""
    if request.param == "sqlite":
        return request.getfixturevalue("db_url")
    from billing_tui.services.demo import build_demo

    pg = request.getfixturevalue("pg_db")
    build_demo(pg, claims=DEMO_CLAIMS, seed=DEMO_SEED, today=TODAY)
    return pg.url


@pytest.fixture
def app(db_url: str) -> BillingApp:
    return BillingApp(db_url, today=TODAY)


@pytest.fixture(autouse=True)
def no_cursor_blink(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(Input, "cursor_blink", False)
    yield


def record_calls(monkeypatch: pytest.MonkeyPatch, cls: type, method: str) -> list:
    """Patch ``cls.method`` to note each instance it is called on (then call it as
    before); returns the list the calls go to."""
    calls: list = []
    real = getattr(cls, method)

    def recording(self, *args, **kwargs):
        calls.append(self)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(cls, method, recording)
    return calls


async def settle(pilot: Pilot) -> None:
    """Wait until no worker is running and the messages they posted are handled."""
    for _ in range(20):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        if not any(w.is_running for w in pilot.app.workers):
            await pilot.pause()
            if not any(w.is_running for w in pilot.app.workers):
                return
    raise AssertionError("workers did not settle")


async def log_in(pilot: Pilot, username: str, password: str, *, typing: bool = False) -> None:
    """Log in from the log-in screen.

    ``typing``: key by key like a rep (user name, enter moves to password, password,
    enter); otherwise fill the fields and press enter (faster, for tests about later
    screens).
    """
    await settle(pilot)
    if typing:
        await pilot.press(*username, "enter")
        await pilot.press(*password, "enter")
    else:
        screen = pilot.app.screen
        screen.query_one("#username", Input).value = username
        screen.query_one("#password", Input).value = password
        screen.query_one("#password", Input).focus()
        await pilot.press("enter")
    await settle(pilot)
