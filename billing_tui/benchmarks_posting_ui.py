"""`posting_keystroke` for `billing-tui bench` (issue 4): a digit typed in a paid cell of
the EOB grid, until the line's difference label has repainted.

Like the account-screen figures in benchmarks.py it runs in a fresh process with the
real app at 120x36: the posting screen opens on an existing batch, a claim loads through
its own search, then each key goes in through the driver as a terminal key would. The
clock stops after the refresh that follows the label's update. Nothing is posted, so
the bench database keeps no trace.
"""

from __future__ import annotations

import json
import subprocess
import sys

from sqlalchemy import func, select

from billing_tui.db import models as m
from billing_tui.db.engine import Database
from billing_tui.db.uow import UnitOfWork

_POSTING_CHILD = """
import asyncio, datetime as dt, json, sys, time
from billing_tui.app import BillingApp  # first, as billing-tui does: it sets TEXTUAL_FPS
from textual import events
from billing_tui.screens.posting import PostingScreen
from billing_tui.services.auth import login

async def main():
    url, today = sys.argv[1], dt.date.fromisoformat(sys.argv[2])
    batch_id, claims, keys_per_claim = int(sys.argv[3]), json.loads(sys.argv[4]), int(sys.argv[5])
    app = BillingApp(url, today=today, idle_lock_seconds=None)
    samples = []
    async with app.run_test(size=(120, 36)) as pilot:
        while app.db is None:
            await asyncio.sleep(0.01)
        app.actor = login(app.db, "rep", "rep")
        screen = PostingScreen(batch_id)
        app.push_screen(screen)
        while screen.batch is None:
            await asyncio.sleep(0.005)
        for n, number in enumerate(claims):
            query = screen.query_one("#claim-query")
            query.value = number
            query.focus()
            await pilot.press("enter")
            while screen.claim is None or screen.claim.claim_number != number:
                await asyncio.sleep(0.005)
            while app.focused is None or app.focused.id == "claim-query":
                await asyncio.sleep(0.005)  # the grid is mounted: the cursor is in it
            await pilot.pause()
            row = screen.grid.rows[0]
            paid = row.cell("paid")
            paid.focus()
            await pilot.pause()
            for i in range(keys_per_claim):
                if i and i % 5 == 0:
                    paid.value = ""  # keep the amount short (not timed)
                    await pilot.pause()
                await asyncio.sleep(0.05)  # a rep's pace between keys
                before = row.typed
                key = events.Key(str(1 + i % 9), str(1 + i % 9))
                key.set_sender(app)
                t = time.perf_counter()
                app._driver.send_message(key)
                while row.typed is before:
                    await asyncio.sleep(0.0005)
                done = asyncio.Event()
                screen.call_after_refresh(done.set)
                await done.wait()
                if n or i:  # the very first key also warms caches: not counted
                    samples.append((time.perf_counter() - t) * 1000)
            screen.claim = None
    print(json.dumps({"keys": samples}))

asyncio.run(main())
"""


def _targets(db: Database, n_claims: int) -> tuple[int, list[str]]:
    """A batch to open the screen on, and claims with lines to type into."""
    with UnitOfWork(db, write=False) as uow:
        s = uow.session
        batch_id = s.scalar(select(func.max(m.PaymentBatch.id)))
        numbers = list(
            s.scalars(
                select(m.Claim.claim_number)
                .where(m.Claim.status.in_(("submitted", "accepted")), m.Claim.responsibility == 1)
                .order_by(m.Claim.id)
                .limit(n_claims)
            )
        )
    if batch_id is None or not numbers:
        raise RuntimeError("the bench database has no payment batch or no submitted claim")
    return batch_id, numbers


def posting_keystrokes(db: Database, url: str, today_iso: str, repeat: int) -> list[float]:
    """Milliseconds per keystroke, key -> the difference label repainted."""
    batch_id, numbers = _targets(db, max(2, repeat // 20))
    per_claim = max(5, repeat // len(numbers))
    args = [sys.executable, "-c", _POSTING_CHILD, url, today_iso, str(batch_id)]
    out = subprocess.run(
        [*args, json.dumps(numbers), str(per_claim)], capture_output=True, text=True, timeout=600
    )
    if out.returncode != 0:
        raise RuntimeError(f"posting screen probe failed: {out.stderr.strip().splitlines()[-1:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])["keys"]
