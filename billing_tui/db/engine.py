"""Engine and session factory: built on demand by `Database.open`, never at import.

SQLite gets WAL, foreign keys, synchronous NORMAL, a busy timeout and a 64 MB
page cache on every connection; write transactions start with BEGIN IMMEDIATE
so two writers queue on the busy timeout instead of failing half-way.
PostgreSQL goes through psycopg 3.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError
from sqlalchemy.orm import Session, sessionmaker

from billing_tui.domain.errors import DomainError

ENV_VAR = "BILLING_TUI_DB"


class DatabaseUnavailable(DomainError):
    """The URL is malformed or the server cannot be reached (CLI exit code 2)."""


def default_db_path() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("billing-tui", appauthor=False)) / "billing.db"


def resolve_url(url: str | None) -> str:
    """--db wins, then $BILLING_TUI_DB, then the SQLite file in the user's data dir."""
    if url:
        return url
    if os.environ.get(ENV_VAR):
        return os.environ[ENV_VAR]
    path = default_db_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"


def normalise_url(url: str) -> str:
    """Accept plain postgresql:// and a bare file path; use psycopg 3 for PostgreSQL."""
    if "://" not in url:
        return f"sqlite:///{Path(url).expanduser()}"
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def redact(url: str) -> str:
    """The URL with any password hidden, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable URL>"


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    dbapi_conn.isolation_level = None  # we emit BEGIN ourselves (see _sqlite_begin)
    cur = dbapi_conn.cursor()
    for pragma in (
        "PRAGMA journal_mode=WAL",
        "PRAGMA foreign_keys=ON",
        "PRAGMA synchronous=NORMAL",
        "PRAGMA busy_timeout=10000",
        "PRAGMA cache_size=-65536",
        "PRAGMA temp_store=MEMORY",
        "PRAGMA mmap_size=268435456",
    ):
        cur.execute(pragma)
    cur.close()


# A bulk write (an 835 import) reads and dirties far more pages than any cache holds:
# with no memory map and a small page cache its memory stays flat, and it is no slower
# (the pages come from the OS cache either way).
BULK_CACHE_KIB = 16_384


@contextmanager
def bulk_sqlite_pragmas(conn: Connection) -> Iterator[None]:
    """For the span of a bulk write on ``conn`` (SQLite): mmap off and a 16 MB page cache,
    both put back after. Nothing on PostgreSQL."""
    if conn.dialect.name != "sqlite":
        yield
        return
    raw = conn.connection.driver_connection
    before = [
        (name, row[0])
        for name in ("mmap_size", "cache_size")
        if (row := raw.execute(f"PRAGMA {name}").fetchone()) is not None
    ]
    raw.execute("PRAGMA mmap_size=0")
    raw.execute(f"PRAGMA cache_size=-{BULK_CACHE_KIB}")
    try:
        yield
    finally:
        try:
            for name, value in before:
                raw.execute(f"PRAGMA {name}={int(value)}")
        except sqlite3.Error:
            pass  # the connection is gone (a failed import): nothing to put back


def _sqlite_begin(conn) -> None:
    mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
    conn.exec_driver_sql(f"BEGIN {mode}")


def make_engine(url: str) -> Engine:
    url = normalise_url(url)
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatabaseUnavailable(f"bad database URL {url!r}: {exc}") from None
    try:
        if parsed.get_backend_name() == "sqlite":
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(parsed, connect_args={"check_same_thread": False})
            event.listen(engine, "connect", _sqlite_pragmas)
            event.listen(engine, "begin", _sqlite_begin)
        elif parsed.get_backend_name() == "postgresql":
            engine = create_engine(
                parsed,
                pool_pre_ping=True,
                pool_size=5,
                max_overflow=5,
                connect_args={"connect_timeout": 5, "application_name": "billing-tui"},
            )
        else:
            raise DatabaseUnavailable(
                f"unsupported database {parsed.get_backend_name()!r}: use sqlite or postgresql"
            )
    except (ArgumentError, NoSuchModuleError) as exc:
        raise DatabaseUnavailable(f"bad database URL {redact(url)}: {exc}") from None
    return engine


@dataclass
class Database:
    """One engine + session factory; the only thing services need to reach the data."""

    url: str
    engine: Engine
    session_factory: sessionmaker[Session]

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @classmethod
    def connect(cls, url: str | None = None) -> Database:
        """Build the engine and prove the server answers; no schema work."""
        full = normalise_url(resolve_url(url))
        engine = make_engine(full)
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except DBAPIError as exc:
            engine.dispose()
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            raise DatabaseUnavailable(f"cannot reach database {redact(full)}: {reason}") from None
        factory = sessionmaker(engine, expire_on_commit=False, autoflush=False)
        return cls(url=full, engine=engine, session_factory=factory)

    @classmethod
    def open(cls, url: str | None = None, *, upgrade: bool = True) -> Database:
        """Connect, then bring the schema up to date (or refuse a newer one)."""
        from billing_tui.db import migrate

        db = cls.connect(url)
        if upgrade:
            migrate.upgrade(db.engine)
        else:
            migrate.ensure_current(db.engine)
        return db

    def write_connection_options(self) -> dict:
        return {"sqlite_begin": "IMMEDIATE"} if self.is_sqlite else {}

    def dispose(self) -> None:
        self.engine.dispose()
