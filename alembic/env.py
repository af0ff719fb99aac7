"""Alembic environment: runs on the connection billing_tui hands it, or on $BILLING_TUI_DB."""

from alembic import context
from billing_tui.db.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from billing_tui.db.engine import make_engine, normalise_url, resolve_url

    engine = make_engine(normalise_url(resolve_url(None)))
    with engine.connect() as conn:
        _run(conn)
        conn.commit()


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run `billing-tui db upgrade`")
run_migrations_online()
