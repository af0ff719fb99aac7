"""Shared fixtures: every service/repository test runs on SQLite and on PostgreSQL.

PostgreSQL comes from $BILLING_TUI_TEST_PG_URL (default: the local server's
`test` database). Locally an unreachable server skips those cases; in CI
($CI or $BILLING_TUI_REQUIRE_PG set) it fails the run instead.

Safe under pytest-xdist (`make test` runs `-n auto`): each worker process has its own
PostgreSQL database, SQLite template and tmp paths, and nothing here writes to a shared
file or port.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import uuid

import pytest
from hypothesis import settings as hypothesis_settings

from billing_tui.db.engine import Database
from billing_tui.domain.users import Role

PG_URL = os.environ.get("BILLING_TUI_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
REQUIRE_PG = bool(os.environ.get("BILLING_TUI_REQUIRE_PG") or os.environ.get("CI"))
TODAY = dt.date(2026, 11, 27)

# CI: as many examples as locally, but no per-example deadline (workers share the cores,
# so a slow example is noise, not a bug) and the blob to replay any failure.
hypothesis_settings.register_profile("ci", deadline=None, print_blob=True)
if REQUIRE_PG:
    hypothesis_settings.load_profile("ci")

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
def _private_data_dir(tmp_path_factory):
    """Point the app's data directory (outbox, letters, letter templates) at a temporary one:
    tests never write to the user's real one, and parallel workers never share one."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_DATA_HOME", str(tmp_path_factory.mktemp("xdg-data")))
        yield


@pytest.fixture(scope="session", autouse=True)
def production_password_hasher():
    """Hash passwords at argon2's cheapest cost for the whole run; returns the app's own
    hasher factory so one test can still pin the production cost.

    At the production cost (64 MiB, 3 passes) one hash takes ~0.3 s, and the `users`
    fixture, the demo builds and every log-in hash or verify thousands of times: that was
    a third of the suite's time. Only the cost changes; the code path is the app's.
    """
    from argon2 import PasswordHasher

    from billing_tui.services import auth

    cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    production = auth._hasher
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(auth, "_hasher", lambda: cheap)
        yield production


@pytest.fixture(scope="session", autouse=True)
def _drop_session_pg_database():
    yield
    if _pg_state.get("db") is not None:
        _pg_state["db"].dispose()
        admin = _pg_state["admin"]
        with admin.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{_pg_state["name"]}" WITH (FORCE)')
        admin.dispose()


_BULK_ROWS = 1000  # above this a table is truncated, below it deleted


def _empty_pg(db: Database) -> None:
    """Empty every table a test wrote to and restart every sequence, as a fresh database.

    DELETE of the few small tables a test wrote (children first) takes ~10 ms where
    TRUNCATE of all 42 tables took 100-450 ms per test; a table a bulk test filled
    (100k patients) is truncated instead, which DELETE would take seconds over.
    """
    from sqlalchemy import text

    from billing_tui.db import models as m

    tables = [t.name for t in m.Base.metadata.sorted_tables]
    probe = " UNION ALL ".join(
        f"SELECT '{t}', (SELECT count(*) FROM (SELECT 1 FROM {t} LIMIT {_BULK_ROWS + 1}) s)"
        for t in tables
    )
    with db.engine.begin() as conn:
        rows = {name: n for name, n in conn.execute(text(probe)) if n}
        bulk = [name for name, n in rows.items() if n > _BULK_ROWS]
        if bulk:
            conn.execute(text(f"TRUNCATE {', '.join(bulk)} CASCADE"))
        for name in reversed(tables):
            if name in rows and name not in bulk:
                conn.execute(text(f"DELETE FROM {name}"))
        conn.execute(
            text(
                "SELECT setval(format('%I.%I', schemaname, sequencename)::regclass,"
                " start_value, false) FROM pg_sequences WHERE schemaname = current_schema()"
            )
        )
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
        # The template is migrated to head this session: skip Alembic's revision check.
        database = Database.connect(f"sqlite:///{target}")
        yield database
        database.dispose()
    else:
        database = _pg_database()
        _empty_pg(database)
        yield database


@pytest.fixture
def pg_db() -> Database:
    """The run's PostgreSQL database, emptied (for tests that build their own data on
    it, such as a demo practice for the screens)."""
    database = _pg_database()
    _empty_pg(database)
    return database


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
