"""Schema upgrades through Alembic, and refusal of a database from a newer release.

The migration scripts live in the repository's `alembic/` folder (the project
is installed editable by `make`), found relative to this package.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, inspect, text

from billing_tui.domain.errors import DomainError

ALEMBIC_DIR = Path(__file__).resolve().parents[2] / "alembic"


class SchemaError(DomainError):
    """The database's schema is not one this release can work with."""


def _config(connection=None):
    from alembic.config import Config

    if not ALEMBIC_DIR.is_dir():
        raise SchemaError(
            f"migration scripts not found at {ALEMBIC_DIR}: install billing-tui from its "
            "source tree (pip install -e .)"
        )
    cfg = Config()
    cfg.set_main_option("script_location", str(ALEMBIC_DIR))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def known_revisions() -> tuple[set[str], str]:
    """(every revision this release ships, its head)."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(_config())
    revs = {r.revision for r in script.walk_revisions()}
    return revs, script.get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _refuse_newer(rev: str | None) -> None:
    if rev is None:
        return
    revs, head = known_revisions()
    if rev not in revs:
        raise SchemaError(
            f"this database uses schema revision {rev}, newer than this billing-tui "
            f"understands (it knows up to {head}); upgrade billing-tui before opening it"
        )


def upgrade(engine: Engine) -> str:
    """Bring the schema to head (no-op when current); returns the head revision."""
    rev = current_revision(engine)
    _refuse_newer(rev)
    _, head = known_revisions()
    if rev == head:
        return head
    from alembic import command

    with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        raw = conn.connection.driver_connection
        if sqlite:
            # SQLite ALTERs rebuild tables (copy, drop, rename): foreign keys must be off
            # for that, and the switch only works outside a transaction.
            raw.execute("PRAGMA foreign_keys=OFF")
        try:
            with conn.begin():
                command.upgrade(_config(conn), "head")
                if sqlite:
                    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise SchemaError(
                            f"the upgrade would break {len(broken)} foreign key(s), first in "
                            f"table {broken[0][0]}; nothing was changed"
                        )
        finally:
            if sqlite:
                raw.execute("PRAGMA foreign_keys=ON")
    return head


def ensure_current(engine: Engine) -> None:
    """Refuse a newer schema; say what to run when the schema is behind."""
    rev = current_revision(engine)
    _refuse_newer(rev)
    _, head = known_revisions()
    if rev != head:
        raise SchemaError(
            f"database schema is at {rev or 'nothing'}, this release needs {head}: "
            "run `billing-tui db upgrade`"
        )
