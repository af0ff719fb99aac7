"""Denial operations for `billing-tui bench` (issue 7).

`denial_worklist_first_page` is what a rep waits for after f10: the work-list service
call (open denials grouped by category and CARC, plus the biggest group's first 50
denials) and the screen painting it. It runs in a fresh process with the real app: run
f10's action, time until the denial screen is on top with its list and painted (the
first open also imports the screen's modules and is not counted). Read-only: the reused
bench database keeps no trace. The service call alone is reported as a fact beside it.
"""

from __future__ import annotations

import datetime as dt
import json
import statistics
import subprocess
import sys
import time

from sqlalchemy import func, select

from billing_tui.db import models as m
from billing_tui.db.engine import Database
from billing_tui.db.uow import UnitOfWork

_CHILD = """
import asyncio, datetime as dt, json, sys, time
from billing_tui.app import BillingApp
from billing_tui.screens.denials import DenialsScreen
from billing_tui.services.auth import login

async def main():
    url, today, runs = sys.argv[1], dt.date.fromisoformat(sys.argv[2]), int(sys.argv[3])
    app = BillingApp(url, today=today, idle_lock_seconds=None)
    out = []
    async with app.run_test(size=(120, 36)) as pilot:
        while app.db is None:
            await asyncio.sleep(0.01)
        app.actor = login(app.db, "rep", "rep")
        for n in range(runs + 1):
            t = time.perf_counter()
            app.action_denials()  # what f10 runs
            while not (isinstance(app.screen, DenialsScreen) and app.screen.wl is not None):
                await asyncio.sleep(0.0005)
            screen = app.screen
            done = asyncio.Event()
            screen.call_after_refresh(done.set)
            await done.wait()
            if n:
                out.append((time.perf_counter() - t) * 1000)
            app.pop_screen()
            await pilot.pause()
    print(json.dumps(out))

asyncio.run(main())
"""


def denial_worklist_first_page(
    db: Database, url: str, today: dt.date, runs: int, facts: dict
) -> list[float]:
    from billing_tui.services.denials import work_list

    with UnitOfWork(db, write=False) as uow:
        facts["open_denials"] = uow.session.scalar(
            select(func.count()).select_from(m.Denial).where(m.Denial.status == "open")
        )
    work_list(db, today=today)  # warm the page cache once
    service = []
    for _ in range(runs):
        t = time.perf_counter()
        work_list(db, today=today)
        service.append((time.perf_counter() - t) * 1000)
    facts["denial_worklist_service_ms_median"] = round(statistics.median(service), 2)
    args = [sys.executable, "-c", _CHILD, url, today.isoformat(), str(runs)]
    out = subprocess.run(args, capture_output=True, text=True, timeout=600)
    if out.returncode != 0:
        raise RuntimeError(f"denial screen probe failed: {out.stderr.strip().splitlines()[-1:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])
