"""Claims-out operations for `billing-tui bench` (issue 5).

The bench database is reused between runs, so these never leave a trace: each run
opens a unit of work, turns 10,000 claims into unsent ones (scrub) or ready ones
(export) with one UPDATE, times the real service code on them, and rolls back. The
timed part is the service's work in that transaction (load, edits or the 837P text,
status changes, findings or batch rows, audit events); the UPDATE is not timed.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, or_, select, update

from billing_tui.db import models as m
from billing_tui.db.engine import Database
from billing_tui.db.uow import UnitOfWork
from billing_tui.domain.users import Actor

N_CLAIMS = 10_000


def _claim_ids(db: Database, run: int) -> list[int]:
    """10,000 claim ids, a different window each run."""
    with UnitOfWork(db, write=False) as uow:
        top = uow.session.scalar(select(func.max(m.Claim.id))) or 0
    start = 1 + (run * 7919 * 13) % max(1, top - N_CLAIMS)
    return list(range(start, min(top, start + N_CLAIMS - 1) + 1))


def _flush_with_audit(db: Database, uow: UnitOfWork) -> None:
    """What commit does before COMMIT itself: flush, then chain and insert the audit
    events (uow.commit would make the run permanent; the bench rolls back instead)."""
    uow.session.flush()
    uow.audit_log.append_pending(uow._pending_audit, db.is_sqlite)
    uow._pending_audit = []


def scrub_10k(db: Database, actor: Actor, today: dt.date, runs: int) -> list[float]:
    from billing_tui.domain.codesets import shipped_icd10cm
    from billing_tui.services.scrubber import scrub_in

    codeset = shipped_icd10cm()  # loaded once per process, as in the app
    out = []
    for run in range(runs):
        ids = _claim_ids(db, run)
        with UnitOfWork(db) as uow:
            uow.session.execute(update(m.Claim).where(m.Claim.id.in_(ids)).values(status="draft"))
            t = time.perf_counter()
            scrub_in(uow, actor, ids, today=today, codeset=codeset)
            _flush_with_audit(db, uow)
            out.append((time.perf_counter() - t) * 1000)
            # no commit: rolled back
    return out


def export_10k(db: Database, actor: Actor, today: dt.date, runs: int) -> list[float]:
    from billing_tui.services.submission import EdiSettings, export_in

    settings = EdiSettings(None, "CLEARINGHOUSE", "CLEARINGHOUSE", "T")
    now = dt.datetime.combine(today, dt.time(10, 0))
    out = []
    tmp = tempfile.NamedTemporaryFile(suffix=".837", delete=False)  # noqa: SIM115
    tmp.close()
    for run in range(runs):
        ids = _claim_ids(db, run)
        with UnitOfWork(db) as uow:
            # Exactly these claims go out: park the demo's other ready claims (rolled back).
            uow.session.execute(
                update(m.Claim)
                .where(m.Claim.status == "ready", m.Claim.id.not_in(ids))
                .values(status="draft")
            )
            uow.session.execute(
                update(m.Claim)
                .where(
                    m.Claim.id.in_(ids),
                    m.Claim.responsibility.in_((1, 2, 3)),
                    # what the scrubber would stop: a corrected claim without its number
                    or_(m.Claim.frequency_code == "1", m.Claim.payer_claim_number.is_not(None)),
                )
                .values(status="ready")
            )
            t = time.perf_counter()
            _result, text = export_in(
                uow, actor, "bench.837", now=now, settings=settings, claim_ids=None
            )
            Path(tmp.name).write_text(text, encoding="ascii")
            _flush_with_audit(db, uow)
            out.append((time.perf_counter() - t) * 1000)
            assert text.startswith("ISA")
    Path(tmp.name).unlink(missing_ok=True)
    return out


QUERIES = (
    "type 2 diabetes with hyperglycemia",
    "essential hypertension",
    "low back pain",
    "sprain right ankle initial",
    "E11.65",
    "m54.50",
    "diabetis",
    "acute upper respiratory infection",
)


def icd10_keystrokes(runs: int) -> list[float]:
    """Every prefix of every query, as typed, against the full code set (index built
    once beforehand, as the diagnosis picker does in a worker)."""
    from billing_tui.domain.codesets import shipped_icd10cm_descriptions
    from billing_tui.domain.icd10_search import Icd10Index

    index = Icd10Index(shipped_icd10cm_descriptions())
    out = []
    for _ in range(max(1, runs // 10)):
        for q in QUERIES:
            for i in range(1, len(q) + 1):
                t = time.perf_counter()
                index.search(q[:i])
                out.append((time.perf_counter() - t) * 1000)
    return out
