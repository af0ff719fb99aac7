"""Recall of the fuzzy look-up at scale (issue 3): at 100k patients, "first last" with one
typo finds the right patient in the top 20 for at least 95% of queries, on both databases.

The patients are bulk-loaded here (the demo generator would need a million claims for
100k patients) with the demo's name lists, so names repeat as they do in a real practice
(about two patients per first+last pair), and indexed through the demo's bulk path.
"""

from __future__ import annotations

import datetime as dt
import random
import time

import pytest

from billing_tui.benchmarks import fuzzy_patient_samples
from billing_tui.services import demo_data as D
from billing_tui.services.demo import _Bulk
from billing_tui.services.lookup import bulk_index

N_PATIENTS = 100_000
QUERIES = 400
TODAY = dt.date(2026, 11, 27)


def build_patients(db, n: int, seed: int = 11) -> None:
    """``n`` patients (ids 1..n; a third with a middle name), loaded and indexed in bulk."""
    rng = random.Random(seed)
    created = "2025-01-02 08:00:00.000000"
    rows = []
    for pid in range(1, n + 1):
        middle = rng.choice(D.FIRST_NAMES) if rng.random() < 0.3 else None
        dob = TODAY - dt.timedelta(days=rng.randint(365, 92 * 365))
        rows.append(
            (
                pid,
                f"R{pid:07d}",
                rng.choice(D.LAST_NAMES),
                rng.choice(D.FIRST_NAMES),
                middle,
                dob.isoformat(),
                rng.choice("MF"),
                created,
            )
        )
    cols = ("id", "account_no", "last_name", "first_name", "middle_name", "dob", "sex")
    with db.engine.begin() as conn:
        bulk = _Bulk(conn)
        bulk.insert("patients", (*cols, "created_at"), rows)
        bulk_index(bulk.insert, ((r[0], r[3], r[4], r[2]) for r in rows))
        if db.is_sqlite:
            conn.exec_driver_sql("ANALYZE")
    if not db.is_sqlite:  # what autovacuum does a minute after a bulk load
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE patients, lookup_name_pairs, lookup_name_keys")


@pytest.mark.slow
def test_one_typo_recall_at_100k_patients(db, admin):
    started = time.perf_counter()
    build_patients(db, N_PATIENTS)
    built = time.perf_counter() - started
    samples, recall = fuzzy_patient_samples(db, admin, QUERIES, seed=3, today=TODAY)
    samples.sort()
    median = samples[len(samples) // 2]
    print(
        f"{db.dialect}: built {N_PATIENTS:,} patients in {built:.1f}s; "
        f"recall {recall:.3f}; median {median:.2f} ms, p95 {samples[int(0.95 * len(samples))]:.2f} ms"
    )
    assert recall >= 0.95
