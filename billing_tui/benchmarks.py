"""`billing-tui bench`: build (or reuse) a large practice and time what reps feel.

Each operation runs `repeat` times and reports median and p95 in ms, with the
budget from the issues beside it. Start-up is timed in a fresh process, from
launch to the log-in screen's first paint. Later issues add operations to
OPERATIONS.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import func, select

from billing_tui.db import models as m
from billing_tui.db.engine import Database, default_db_path, normalise_url
from billing_tui.db.uow import UnitOfWork

# name -> budget in ms (SQLite, PostgreSQL); None where the issue sets none.
BUDGETS: dict[str, tuple[float | None, float | None]] = {
    "startup_first_paint": (500, 500),
    "aging_report": (100, 50),
    "account_load": (5, 5),
    "post_line": (3, 8),
    "check_per_10k_claims": (None, None),
}
BENCH_TODAY = dt.date(2026, 11, 27)


def _stats(samples: list[float]) -> dict:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return {
        "median_ms": round(statistics.median(ordered), 3),
        "p95_ms": round(p95, 3),
        "runs": len(ordered),
    }


def _timed(fn: Callable[[], object], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def bench_db_url(url: str | None, claims: int, seed: int) -> str:
    if url:
        return normalise_url(url)
    path = default_db_path().parent / f"bench-{claims}-seed{seed}.db"
    return f"sqlite:///{path}"


def ensure_bench_database(url: str, claims: int, seed: int, progress) -> tuple[Database, dict]:
    """Reuse the database when it already holds exactly this demo, else rebuild it."""
    from billing_tui.services.demo import build_demo

    db = Database.open(url)
    with db.engine.connect() as conn:
        have = conn.scalar(select(func.count()).select_from(m.Claim)) or 0
    facts: dict = {"claims": claims}
    if have != claims:
        progress(f"building a {claims:,}-claim practice in {db.dialect} (once; reused after)")
        result = build_demo(db, claims=claims, seed=seed, today=BENCH_TODAY, reset=True,
                            progress=progress)
        facts["demo_build_seconds"] = result.seconds
        facts["ledger_entries"] = result.ledger_entries
        facts["lines"] = result.lines
    return db, facts


_STARTUP_CHILD = """
import asyncio, json, sys, time
from billing_tui.app import BillingApp

def mem(field):
    for line in open("/proc/self/status"):
        if line.startswith(field):
            return int(line.split()[1]) / 1024

async def settle(pilot):
    for _ in range(200):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        if not any(w.is_running for w in pilot.app.workers):
            return

async def main():
    app = BillingApp(db_url=sys.argv[1])
    async with app.run_test(size=(120, 36)) as pilot:
        while getattr(app, "first_paint_at", None) is None:
            await asyncio.sleep(0.002)
        paint = time.time() - (time.perf_counter() - app.first_paint_at)
        await settle(pilot)
        await pilot.press(*"rep", "enter", *"rep", "enter")
        t = time.perf_counter()
        while type(app.screen).__name__ != "HomeScreen":
            await asyncio.sleep(0.005)
        await settle(pilot)
        home_ms = (time.perf_counter() - t) * 1000
        print(json.dumps({"paint": paint, "home_ms": home_ms,
                          "rss_mb": mem("VmRSS:"), "peak_mb": mem("VmHWM:")}))

asyncio.run(main())
"""


def _startup_once(url: str) -> dict:
    """Launch a fresh interpreter; time launch -> log-in painted, then log in as rep and
    read the process's memory once home is loaded (VmHWM: /proc's own peak, since
    ru_maxrss carries the parent's peak across fork)."""
    started = time.time()
    out = subprocess.run([sys.executable, "-c", _STARTUP_CHILD, url], capture_output=True,
                         text=True, timeout=120)
    if out.returncode != 0:
        raise RuntimeError(f"start-up probe failed: {out.stderr.strip().splitlines()[-1:]}")
    data = json.loads(out.stdout.strip().splitlines()[-1])
    data["paint_ms"] = (data["paint"] - started) * 1000
    return data


def run_bench(
    url: str | None,
    *,
    claims: int,
    seed: int = 7,
    repeat: int = 50,
    only: set[str] | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict:
    say = progress or (lambda _m: None)
    url = bench_db_url(url, claims, seed)
    db, facts = ensure_bench_database(url, claims, seed, say)
    from billing_tui.services.accounts import load_account
    from billing_tui.services.auth import actor_of
    from billing_tui.services.check import run_check
    from billing_tui.services.posting import Adjustment, LinePosting, PatientShare, post_line
    from billing_tui.services.reports import aging_report

    with UnitOfWork(db, write=False) as uow:
        actor = actor_of(uow.users.by_username("rep"))
        n_patients = uow.session.scalar(select(func.max(m.Patient.id)))
        # Lines nobody has posted to yet (charge only), for post_line.
        open_lines = uow.session.execute(
            select(m.ClaimLine.claim_id, m.ClaimLine.line_no, m.ClaimLine.charge_cents)
            .join(m.Claim, m.Claim.id == m.ClaimLine.claim_id)
            .where(m.Claim.status.in_(("submitted", "accepted")), m.Claim.responsibility == 1,
                   m.ClaimLine.ins_balance_cents == m.ClaimLine.charge_cents)
            .limit(repeat * 4)
        ).all()
    rng = random.Random(seed)
    ops: dict[str, Callable[[], list[float]]] = {}
    dialect_idx = 0 if db.is_sqlite else 1

    def startup() -> list[float]:
        runs = [_startup_once(url) for _ in range(max(5, repeat // 10))]
        facts["app_rss_mb_home_loaded"] = round(max(r["rss_mb"] for r in runs), 1)
        facts["app_peak_rss_mb"] = round(max(r["peak_mb"] for r in runs), 1)
        facts["login_to_home_ms_median"] = round(statistics.median(r["home_ms"] for r in runs), 1)
        return [r["paint_ms"] for r in runs]

    def aging() -> list[float]:
        aging_report(db, BENCH_TODAY)  # warm the page cache once
        return _timed(lambda: aging_report(db, BENCH_TODAY), repeat)

    def account() -> list[float]:
        ids = [rng.randint(1, n_patients) for _ in range(repeat)]
        it = iter(ids)
        load_account(db, actor, ids[0])
        return _timed(lambda: load_account(db, actor, next(it)), repeat - 1)

    def posting() -> list[float]:
        todo = iter(open_lines)

        def one() -> None:
            claim_id, line_no, charge = next(todo)
            allowed = charge * 60 // 100
            paid = allowed * 80 // 100
            post_line(db, actor, claim_id, line_no, LinePosting(
                paid_cents=paid, adjustments=(Adjustment("CO", "45", charge - allowed),),
                patient_shares=(PatientShare("2", allowed - paid),)))

        return _timed(one, min(repeat, len(open_lines)))

    def check10k() -> list[float]:
        return _timed(lambda: run_check(db, claim_limit=10_000), max(3, repeat // 10))

    ops = {
        "startup_first_paint": startup,
        "aging_report": aging,
        "account_load": account,
        "post_line": posting,
        "check_per_10k_claims": check10k,
    }
    results: dict[str, dict] = {}
    for name, fn in ops.items():
        if only and name not in only:
            continue
        say(f"timing {name}")
        stats = _stats(fn())
        stats["budget_ms"] = BUDGETS[name][dialect_idx]
        results[name] = stats
    facts["database"] = db.dialect
    if db.is_sqlite:
        path = Path(db.engine.url.database or "")
        if path.is_file():
            facts["database_mb"] = round(path.stat().st_size / 2**20)
    db.dispose()
    return {"operations": results, "facts": facts}
