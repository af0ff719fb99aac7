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

from billing_tui import benchmarks_claims_out as CO
from billing_tui import benchmarks_denials as DEN
from billing_tui import benchmarks_era as ERA
from billing_tui import benchmarks_posting as POST
from billing_tui import benchmarks_posting_ui as PUI
from billing_tui import benchmarks_reports as RP
from billing_tui.db import models as m
from billing_tui.db.engine import Database, default_db_path, normalise_url
from billing_tui.db.uow import UnitOfWork

# name -> budget in ms (SQLite, PostgreSQL); None where the issue sets none.
BUDGETS: dict[str, tuple[float | None, float | None]] = {
    "startup_first_paint": (500, 500),
    "aging_report": (100, 50),
    "account_load": (5, 5),
    "post_line": (3, 8),
    "post_claim_10_lines": (15, None),  # issue 4: one 10-line EOB through post_claim
    "check_per_10k_claims": (None, None),
    "fuzzy_patient": (2, 2),  # issue 3: <= 2 ms median at 100k patients
    "queue_first_page": (5, 5),  # issue 3: one queue page (100 rows) at 1M claims
    "queue_list_counts": (None, None),  # home: every queue's items and dollars
    "account_screen_paint": (150, 150),  # issue 3: push -> loaded account painted
    "account_keystroke": (50, 50),  # issue 3: claim cursor key -> detail repainted
    "scrub_10k_claims": (5000, 5000),  # issue 5: scrub 10,000 claims (one unit of work)
    "export_837_10k_claims": (5000, 5000),  # issue 5: 837P for 10,000 claims
    "icd10_search": (20, 20),  # issue 5: one keystroke of ICD-10-CM fuzzy search
    "posting_keystroke": (50, 50),  # issue 4: digit in a paid cell -> difference repainted
    "parse_835_10k": (1000, 1000),  # issue 6: read a 10,000-claim 835 (reader only)
    "import_835_10k": (5000, 10000),  # issue 6: import it end to end (<= 200 MB peak)
    "denial_trends_report": (500, None),  # issue 7: the denial trend report, last 12 months
    "denial_worklist_first_page": (100, 100),  # issue 7: f10 -> work list painted
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


def typo(word: str, rng: random.Random) -> str:
    """The word with one typing mistake: a wrong, missing, extra or swapped letter."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    while True:
        i = rng.randrange(len(word))
        op = rng.choice(("wrong", "missing", "extra", "swapped"))
        if op == "wrong":
            out = word[:i] + rng.choice(letters) + word[i + 1 :]
        elif op == "missing" and len(word) > 2:
            out = word[:i] + word[i + 1 :]
        elif op == "extra":
            out = word[:i] + rng.choice(letters) + word[i:]
        elif op == "swapped" and i < len(word) - 1:
            out = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
        else:
            continue
        if out.lower() != word.lower():
            return out


def fuzzy_patient_samples(
    db: Database, actor, n: int, seed: int, today: dt.date
) -> tuple[list[float], float]:
    """Time the look-up on ``n`` "first last" queries with one typo in one of the names,
    drawn from real patients; returns the times (ms) and the recall (the share of queries
    whose patient is in the top 20)."""
    from billing_tui.services.lookup import find

    rng = random.Random(seed)
    with UnitOfWork(db, write=False) as uow:
        top = uow.session.scalar(select(func.max(m.Patient.id))) or 0
        ids = [rng.randint(1, top) for _ in range(n)]
        names = {
            pid: (first, last)
            for pid, first, last in uow.session.execute(
                select(m.Patient.id, m.Patient.first_name, m.Patient.last_name).where(
                    m.Patient.id.in_(ids)
                )
            )
        }
    queries = []
    for pid in ids:
        if pid not in names:
            continue
        first, last = names[pid]
        if rng.random() < 0.5:
            first = typo(first, rng)
        else:
            last = typo(last, rng)
        queries.append((pid, f"{first} {last}"))
    find(db, actor, queries[0][1], today=today)  # warm the statement cache
    samples, hits = [], 0
    for pid, query in queries:
        t = time.perf_counter()
        found = find(db, actor, query, today=today)
        samples.append((time.perf_counter() - t) * 1000)
        hits += any(mt.kind == "patient" and mt.id == pid for mt in found)
    return samples, hits / len(queries)


def bench_db_url(url: str | None, claims: int, seed: int) -> str:
    if url:
        return normalise_url(url)
    path = default_db_path().parent / f"bench-{claims}-seed{seed}.db"
    return f"sqlite:///{path}"


def ensure_bench_database(url: str, claims: int, seed: int, progress) -> tuple[Database, dict]:
    """Reuse the database when it holds this demo, else rebuild it.

    Write benchmarks add a few claims of their own on every run (post_claim_10_lines
    imports fresh 10-line claims), so up to 2% more claims than asked still counts as
    this demo; anything else is rebuilt."""
    from billing_tui.services.demo import build_demo

    db = Database.open(url)
    with db.engine.connect() as conn:
        have = conn.scalar(select(func.count()).select_from(m.Claim)) or 0
    facts: dict = {"claims": claims}
    if not claims <= have <= claims + max(1_000, claims // 50):
        progress(f"building a {claims:,}-claim practice in {db.dialect} (once; reused after)")
        result = build_demo(
            db, claims=claims, seed=seed, today=BENCH_TODAY, reset=True, progress=progress
        )
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


_ACCOUNT_CHILD = """
import asyncio, datetime as dt, json, sys, time
from billing_tui.app import BillingApp  # first, as billing-tui does: it sets TEXTUAL_FPS
from textual import events
from billing_tui.screens.account import AccountScreen
from billing_tui.services.auth import login

async def painted(screen, loads):
    while screen.loads < loads:
        await asyncio.sleep(0.0005)
    done = asyncio.Event()
    screen.call_after_refresh(done.set)
    await done.wait()
    return time.perf_counter()

async def main():
    url, today, ids = sys.argv[1], dt.date.fromisoformat(sys.argv[2]), json.loads(sys.argv[3])
    app = BillingApp(url, today=today, idle_lock_seconds=None)
    paints, keys = [], []
    async with app.run_test(size=(120, 36)) as pilot:
        while app.db is None:
            await asyncio.sleep(0.01)
        app.actor = login(app.db, "rep", "rep")
        for n, pid in enumerate(ids):
            t = time.perf_counter()
            app.open_account(pid)  # what enter on a queue row or a look-up match runs
            while not isinstance(app.screen, AccountScreen):
                await asyncio.sleep(0.0005)
            screen = app.screen
            end = await painted(screen, 1)
            if n:  # the first open also imports the screen's modules: not counted
                paints.append((end - t) * 1000)
            table = screen.query_one("#claims")
            for _ in range(min(3, table.row_count - 1)):
                await asyncio.sleep(0.2)  # let the footer catch up, as between a rep's keys
                await pilot.pause()
                before = screen.selected_claim_id
                key = events.Key("down" if table.cursor_row < table.row_count - 1 else "up", None)
                key.set_sender(app)
                t = time.perf_counter()
                app._driver.send_message(key)  # as the terminal driver delivers a key
                while screen.selected_claim_id == before:
                    await asyncio.sleep(0.0005)
                done = asyncio.Event()
                screen.call_after_refresh(done.set)
                await done.wait()
                if n:
                    keys.append((time.perf_counter() - t) * 1000)
            app.pop_screen()
            await pilot.pause()
    print(json.dumps({"paint": paints, "keys": keys}))

asyncio.run(main())
"""


def _account_screen_runs(url: str, patient_ids: list[int]) -> dict:
    """In a fresh process: open each account (time from the open, as enter on a queue
    row or a look-up match runs it, to the loaded account painted), then move the claim
    cursor (time from the key to the detail repainted)."""
    args = [sys.executable, "-c", _ACCOUNT_CHILD, url, BENCH_TODAY.isoformat()]
    out = subprocess.run(
        [*args, json.dumps(patient_ids)], capture_output=True, text=True, timeout=600
    )
    if out.returncode != 0:
        raise RuntimeError(f"account screen probe failed: {out.stderr.strip().splitlines()[-1:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _startup_once(url: str) -> dict:
    """Launch a fresh interpreter; time launch -> log-in painted, then log in as rep and
    read the process's memory once home is loaded (VmHWM: /proc's own peak, since
    ru_maxrss carries the parent's peak across fork)."""
    started = time.time()
    out = subprocess.run(
        [sys.executable, "-c", _STARTUP_CHILD, url], capture_output=True, text=True, timeout=120
    )
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
            .where(
                m.Claim.status.in_(("submitted", "accepted")),
                m.Claim.responsibility == 1,
                m.ClaimLine.ins_balance_cents == m.ClaimLine.charge_cents,
            )
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
            post_line(
                db,
                actor,
                claim_id,
                line_no,
                LinePosting(
                    paid_cents=paid,
                    adjustments=(Adjustment("CO", "45", charge - allowed),),
                    patient_shares=(PatientShare("2", allowed - paid),),
                ),
            )

        return _timed(one, min(repeat, len(open_lines)))

    def fuzzy() -> list[float]:
        samples, recall = fuzzy_patient_samples(db, actor, max(repeat, 200), seed, BENCH_TODAY)
        facts["fuzzy_patient_recall_top20"] = round(recall, 3)
        return samples

    def check10k() -> list[float]:
        return _timed(lambda: run_check(db, claim_limit=10_000), max(3, repeat // 10))

    def queue_first() -> list[float]:
        # Issue 3: the first page (100 rows) of each seeded queue in turn, in its own order.
        from billing_tui.services.queues import list_queues, queue_page

        ids = [q.queue_id for q in list_queues(db, actor, BENCH_TODAY, counts=False)]
        for qid in ids:
            queue_page(db, actor, qid, today=BENCH_TODAY)  # warm statements and cache
        it = iter(ids * (repeat // len(ids) + 1))
        return _timed(lambda: queue_page(db, actor, next(it), today=BENCH_TODAY), repeat)

    def queue_counts() -> list[float]:
        # The home page's queue list: item counts and dollars of every queue the rep sees.
        from billing_tui.services.queues import list_queues

        list_queues(db, actor, BENCH_TODAY)
        return _timed(lambda: list_queues(db, actor, BENCH_TODAY), max(5, repeat // 5))

    account_runs: dict = {}

    def account_screen_runs() -> dict:
        # One child process serves both account-screen figures (it costs a few seconds).
        if not account_runs:
            ids = [rng.randint(1, n_patients) for _ in range(max(10, repeat // 2) + 1)]
            account_runs.update(_account_screen_runs(url, ids))
        return account_runs

    def account_paint() -> list[float]:
        return account_screen_runs()["paint"]

    def account_keys() -> list[float]:
        return account_screen_runs()["keys"]

    ops = {
        "startup_first_paint": startup,
        "aging_report": aging,
        "account_load": account,
        "post_line": posting,
        "post_claim_10_lines": lambda: POST.post_claim_10_lines(
            db, actor, BENCH_TODAY, max(5, repeat // 2)
        ),
        "check_per_10k_claims": check10k,
        "fuzzy_patient": fuzzy,
        "queue_first_page": queue_first,
        "queue_list_counts": queue_counts,
        "account_screen_paint": account_paint,
        "account_keystroke": account_keys,
        "scrub_10k_claims": lambda: CO.scrub_10k(db, actor, BENCH_TODAY, max(3, repeat // 10)),
        "export_837_10k_claims": lambda: CO.export_10k(
            db, actor, BENCH_TODAY, max(3, repeat // 10)
        ),
        "icd10_search": lambda: CO.icd10_keystrokes(repeat),
        "posting_keystroke": lambda: PUI.posting_keystrokes(
            db, url, BENCH_TODAY.isoformat(), repeat
        ),
        "parse_835_10k": lambda: ERA.parse_10k(db, max(3, repeat // 10), facts),
        "import_835_10k": lambda: ERA.import_10k(db, url, 3, facts),
        "denial_trends_report": lambda: RP.denial_trends_report(
            db, BENCH_TODAY, max(5, repeat // 5)
        ),
        "denial_worklist_first_page": lambda: DEN.denial_worklist_first_page(
            db, url, BENCH_TODAY, max(5, repeat // 5), facts
        ),
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
