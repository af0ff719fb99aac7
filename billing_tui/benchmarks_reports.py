"""Report operations for `billing-tui bench` (issue 7).

`denial_trends_report` times the whole denial trend report (every dimension) over the
default range a supervisor opens first: the last twelve months up to the bench's today.
It only reads, so runs leave no trace in the reused bench database.
"""

from __future__ import annotations

import datetime as dt
import time

from billing_tui.db.engine import Database


def denial_trends_report(db: Database, today: dt.date, runs: int) -> list[float]:
    from billing_tui.services.denial_report import default_range, denial_trends

    date_from, date_to = default_range(today)
    denial_trends(db, date_from, date_to)  # warm the page cache and statements once
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        denial_trends(db, date_from, date_to)
        out.append((time.perf_counter() - t) * 1000)
    return out
