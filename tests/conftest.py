"""Shared fixtures: every service/repository test runs on SQLite and on PostgreSQL.

PostgreSQL comes from $BILLING_TUI_TEST_PG_URL (default: the local server's
`test` database). Locally an unreachable server skips those cases; in CI
($CI or $BILLING_TUI_REQUIRE_PG set) it fails the run instead.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import uuid

import pytest

from billing_tui.db.engine import Database
from billing_tui.domain.users import Role

PG_URL = os.environ.get("BILLING_TUI_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
REQUIRE_PG = bool(os.environ.get("BILLING_TUI_REQUIRE_PG") or os.environ.get("CI"))
TODAY = dt.date(2026, 11, 27)

_pg_state: dict[str, object] = {}


def _pg_database() -> Database:
    """A database of its own for this test session (created beside $BILLING_TUI_TEST_PG_URL's,
    dropped at the end), so parallel test runs never trample each other's tables."""
    if "db" not in _pg_state:
        try:
            admin = Database.connect(PG_URL)
        except Exception as exc:  # noqa: BLE001 - any failure to reach it decides the same way
            _pg_state["error"] = str(exc)
            _pg_state["db"] = None
        else:
            from sqlalchemy.engine import make_url

            name = f"billing_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
            with admin.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.exec_driver_sql(f'CREATE DATABASE "{name}"')
            _pg_state["admin"] = admin
            _pg_state["name"] = name
            url = make_url(admin.url).set(database=name).render_as_string(hide_password=False)
            _pg_state["db"] = Database.open(url)
    db = _pg_state["db"]
    if db is None:
        msg = f"PostgreSQL not reachable at {PG_URL}: {_pg_state['error']}"
        if REQUIRE_PG:
            pytest.fail(msg + " (required in CI)")
        pytest.skip(msg)
    return db  # type: ignore[return-value]


@pytest.fixture(scope="session", autouse=True)
def _drop_session_pg_database():
    yield
    if _pg_state.get("db") is not None:
        _pg_state["db"].dispose()
        admin = _pg_state["admin"]
        with admin.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{_pg_state["name"]}" WITH (FORCE)')
        admin.dispose()


def _truncate_pg(db: Database) -> None:
    from sqlalchemy import text

    from billing_tui.db import models as m

    names = ", ".join(t.name for t in m.Base.metadata.sorted_tables)
    with db.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        conn.execute(
            text("INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, :h)"), {"h": "0" * 64}
        )


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> str:
    """A migrated empty SQLite file, copied per test (migrating each time is slow)."""
    path = tmp_path_factory.mktemp("tpl") / "template.db"
    db = Database.open(f"sqlite:///{path}")
    with db.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.dispose()
    return str(path)


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request, tmp_path, sqlite_template) -> Database:
    """An empty, migrated database of each kind."""
    if request.param == "sqlite":
        target = tmp_path / "billing.db"
        shutil.copy(sqlite_template, target)
        database = Database.open(f"sqlite:///{target}")
        yield database
        database.dispose()
    else:
        database = _pg_database()
        _truncate_pg(database)
        yield database


@pytest.fixture
def admin(db):
    from billing_tui.services.auth import create_user

    return create_user(db, None, "admin", "admin", Role.ADMIN, "Alex Admin")


@pytest.fixture
def users(db, admin):
    """admin plus rep/senior/supervisor with the seed approval limits."""
    from billing_tui.services.auth import create_user

    out = {"admin": admin}
    for name, role in (("rep", Role.REP), ("senior", Role.SENIOR), ("supervisor", Role.SUPERVISOR)):
        out[name] = create_user(db, admin, name, name, role)
    return out
