"""Many rows in one go, the fastest way each database offers.

PostgreSQL's COPY streams rows into a table without a statement per row or per batch:
10,000 audit events go in ~10x faster than through executemany. SQLite has no COPY and
its executemany is already an in-process loop. Rows must carry every column that has no
server default (COPY skips SQLAlchemy's Python-side defaults); a key missing from some
rows is written as NULL.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

COPY_FROM = 50  # below this many rows a plain INSERT is as quick


def bulk_insert(session: Session, table: Table, rows: Sequence[dict]) -> None:
    """Insert ``rows`` (dicts of column -> value) into ``table`` in the session's
    transaction."""
    if not rows:
        return
    # Every row gets every key: an executemany takes its columns from the first row and
    # would silently drop a key only later rows have.
    cols = list(dict.fromkeys(k for r in rows for k in r))
    conn = session.connection()
    if conn.dialect.name != "postgresql" or len(rows) < COPY_FROM:
        session.execute(insert(table), [{c: r.get(c) for c in cols} for r in rows])
        return
    raw = conn.connection.driver_connection
    with raw.cursor() as cur, cur.copy(f"COPY {table.name} ({', '.join(cols)}) FROM STDIN") as cp:
        for r in rows:
            cp.write_row([r.get(c) for c in cols])


def update_from_arrays(
    raw: Any,
    table: str,
    sets: Sequence[tuple[str, str]],
    rows: Sequence[Sequence[object]],
    *,
    match: Sequence[tuple[str, str]] = (("id", "bigint"),),
    also: str = "",
) -> int:
    """PostgreSQL: set the ``sets`` columns of many rows in ONE statement, an UPDATE joined
    to unnest()ed arrays (an executemany costs a statement per row). ``sets`` and
    ``match`` are (column, PostgreSQL type); each row holds the ``sets`` values then the
    ``match`` values the target row must have. ``also`` adds raw assignments (", version =
    t.version + 1"). ``raw`` is the psycopg connection. Returns how many rows changed."""
    if not rows:
        return 0
    # Array columns are named s_<column> (new values) and k_<column> (what must match), so
    # a column can be both matched on and set.
    assign = ", ".join(f"{c} = v.s_{c}" for c, _t in sets) + also
    arrays = ", ".join(f"%s::{t}[]" for _c, t in (*sets, *match))
    names = ", ".join([*(f"s_{c}" for c, _t in sets), *(f"k_{c}" for c, _t in match)])
    where = " AND ".join(f"t.{c} = v.k_{c}" for c, _t in match)
    columns = [list(x) for x in zip(*rows, strict=True)]
    with raw.cursor() as cur:
        cur.execute(
            f"UPDATE {table} AS t SET {assign} FROM unnest({arrays}) AS v({names}) WHERE {where}",
            columns,
        )
        return cur.rowcount
