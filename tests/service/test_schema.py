"""The schema is only the migrations: models and migrations agree; newer schemas refused."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from billing_tui.db import migrate
from billing_tui.db.models import Base


def test_migrations_match_models(db):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_newer_schema_is_refused(db):
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'f00dfeed9999'"))
    with pytest.raises(migrate.SchemaError, match="newer than this billing-tui"):
        migrate.upgrade(db.engine)
    with db.engine.begin() as conn:
        # Back to the real head (not an older revision: later migrations would re-run).
        conn.execute(
            text("UPDATE alembic_version SET version_num = :head"),
            {"head": migrate.known_revisions()[1]},
        )


def test_upgrade_twice_is_a_no_op(db):
    head = migrate.upgrade(db.engine)
    assert migrate.upgrade(db.engine) == head == migrate.current_revision(db.engine)


def test_sqlite_pragmas(tmp_path):
    from billing_tui.db.engine import Database

    database = Database.open(f"sqlite:///{tmp_path}/p.db")
    with database.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
    database.dispose()


def test_bad_url_and_unreachable_server_are_one_line(tmp_path):
    from billing_tui.db.engine import Database, DatabaseUnavailable

    with pytest.raises(DatabaseUnavailable, match="bad database URL|unsupported"):
        Database.connect("mysql+nothing://x")
    with pytest.raises(DatabaseUnavailable, match="cannot reach database") as err:
        Database.connect("postgresql://nobody:secret@127.0.0.1:1/none")
    assert "secret" not in str(err.value)
