"""bulk_insert: COPY on PostgreSQL, executemany on SQLite; same rows either way, inside
the caller's transaction (a rollback leaves nothing)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from billing_tui.db import models as m
from billing_tui.db.bulk import COPY_FROM, bulk_insert
from billing_tui.db.uow import UnitOfWork


def _rows(n: int) -> list[dict]:
    at = dt.datetime(2026, 11, 27, 9, 30, 0, 123456)
    rows = []
    for i in range(n):
        row = {
            "seq": 1000 + i,
            "occurred_at": at + dt.timedelta(seconds=i),
            "user_id": None,
            "action": "bulk_test",
            "entity_type": "claim",
            "entity_id": f"C{i}",
            "detail": '{"note": "tab\\there, quote \\" and comma ,"}',
            "prev_hash": "0" * 64,
            "hash": f"{i:064d}",
        }
        if i % 2:
            row["patient_id"] = i  # the other rows leave it out: written as NULL
        rows.append(row)
    return rows


@pytest.mark.parametrize("n", [3, COPY_FROM + 25])
def test_rows_arrive_exactly(db, n):
    rows = _rows(n)
    with UnitOfWork(db) as uow:
        bulk_insert(uow.session, m.AuditEvent.__table__, rows)
        uow.session.commit()
    with db.engine.connect() as conn:
        got = conn.execute(
            select(
                m.AuditEvent.seq,
                m.AuditEvent.occurred_at,
                m.AuditEvent.patient_id,
                m.AuditEvent.detail,
                m.AuditEvent.hash,
            )
            .where(m.AuditEvent.action == "bulk_test")
            .order_by(m.AuditEvent.seq)
        ).all()
    assert [tuple(r) for r in got] == [
        (r["seq"], r["occurred_at"], r.get("patient_id"), r["detail"], r["hash"]) for r in rows
    ]


def test_rolled_back_with_its_transaction(db):
    with UnitOfWork(db) as uow:
        bulk_insert(uow.session, m.AuditEvent.__table__, _rows(COPY_FROM + 5))
        uow.session.rollback()
    with db.engine.connect() as conn:
        assert conn.scalar(select(func.count()).where(m.AuditEvent.action == "bulk_test")) == 0


def test_update_from_arrays_sets_only_matching_rows(pg_db):
    """One UPDATE over unnest()ed arrays: rows whose match columns differ stay as they were
    (the version guard of a batch status change), and the count says how many changed."""
    from sqlalchemy import text

    from billing_tui.db.bulk import update_from_arrays

    with pg_db.engine.begin() as conn:
        conn.execute(
            text("INSERT INTO control_numbers (name, value) VALUES ('a', 1), ('b', 2), ('c', 3)")
        )
    with UnitOfWork(pg_db) as uow:
        raw = uow.session.connection().connection.driver_connection
        changed = update_from_arrays(
            raw,
            "control_numbers",
            [("value", "bigint")],
            [(10, "a", 1), (20, "b", 99), (30, "c", 3)],  # b's guard does not match
            match=(("name", "text"), ("value", "bigint")),
            also="",
        )
        uow.session.commit()
    assert changed == 2
    with pg_db.engine.connect() as conn:
        got = dict(conn.execute(text("SELECT name, value FROM control_numbers")).all())
    assert got == {"a": 10, "b": 2, "c": 30}
