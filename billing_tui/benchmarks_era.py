"""835 ERA operations for `billing-tui bench` (issue 6).

The bench database is reused between runs, so nothing here leaves a trace: the 835 is
generated from the bench claims' open insurance lines (each paid as DESIGN example 1:
allowed 60%, CO-45 the rest, 20% coinsurance to the patient, REF*6R on every line), and
the import runs as a dry run: the whole import (read, match, adjudicate, chain, insert,
balances, statuses, audit) inside its transaction, then a rollback instead of COMMIT.
So the figure leaves out only the COMMIT itself (on SQLite: the dirty pages written to
the WAL and the checkpoint after it); real imports of such a file on a copy of the
1M-claim bench database spent another 0.3-0.5 s in COMMIT. The import is timed in a fresh
process so its peak memory (VmHWM) is its own.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import select

from billing_tui.db import models as m
from billing_tui.db.engine import Database
from billing_tui.db.uow import UnitOfWork

N_CLAIMS = 10_000


def _amount(cents: int) -> str:
    whole, frac = divmod(cents, 100)
    return f"{whole}.{frac:02d}" if frac else str(whole)


def generate_835(
    db: Database, n_claims: int = N_CLAIMS, trace: str = "BENCH"
) -> tuple[bytes, int, int]:
    """An 835 paying up to ``n_claims`` claims billed to their primary payer with an open
    insurance balance on every line: (file bytes, claims, lines)."""
    c, ln = m.Claim, m.ClaimLine
    with UnitOfWork(db, write=False) as uow:
        s = uow.session
        ids = list(
            s.scalars(
                select(c.id)
                .where(
                    c.responsibility == 1,
                    c.ins_balance_cents > 0,
                    c.status.not_in(("draft", "ready", "void")),  # sent claims only
                )
                .order_by(c.id)
                .limit(n_claims)
            )
        )
        claims: dict[int, tuple[str, list]] = {}
        for i in range(0, len(ids), 500):
            for cid, number in s.execute(
                select(c.id, c.claim_number).where(c.id.in_(ids[i : i + 500]))
            ):
                claims[cid] = (number, [])
        for i in range(0, len(ids), 500):
            for row in s.execute(
                select(
                    ln.claim_id, ln.procedure_code, ln.modifier1, ln.modifier2, ln.service_date,
                    ln.line_control_number, ln.ins_balance_cents,
                )
                .where(ln.claim_id.in_(ids[i : i + 500]), ln.removed.is_(False))
                .order_by(ln.claim_id, ln.line_no)
            ):  # fmt: skip
                claims[row[0]][1].append(row[1:])
    segs: list[str] = []
    total = n_lines = n_done = 0
    for number, lines in claims.values():
        if not lines or any(x[5] <= 0 for x in lines):
            continue
        billed = sum(x[5] for x in lines)
        body = []
        paid_claim = pr_claim = 0
        for code, m1, m2, dos, lcn, open_cents in lines:
            allowed = open_cents * 60 // 100
            patient = allowed * 20 // 100
            paid = allowed - patient
            paid_claim += paid
            pr_claim += patient
            svc = ":".join(["HC", code, *(x for x in (m1, m2) if x)])
            body += [
                f"SVC*{svc}*{_amount(open_cents)}*{_amount(paid)}**1",
                f"DTM*472*{dos:%Y%m%d}",
                f"CAS*CO*45*{_amount(open_cents - allowed)}",
            ]
            if patient:
                body.append(f"CAS*PR*2*{_amount(patient)}")
            body += [f"REF*6R*{lcn}", f"AMT*B6*{_amount(allowed)}"]
            n_lines += 1
        segs.append(
            f"CLP*{number}*1*{_amount(billed)}*{_amount(paid_claim)}*{_amount(pr_claim)}*12*"
            f"ICN{number}*11*1"
        )
        segs.append("NM1*QC*1*PATIENT*BENCH****MI*M000000")
        segs += body
        total += paid_claim
        n_done += 1
    head = [
        f"BPR*I*{_amount(total)}*C*ACH*CCP*01*999999992*DA*123456*1512345678**01*999988880*DA*"
        "98765*20261120",
        f"TRN*1*{trace}*1512345678",
        "DTM*405*20261119",
        "N1*PR*BENCH PAYER*XV*BENCH1",
        "N1*PE*BENCH PRACTICE*XX*1234567893",
        "LX*1",
    ]
    body = head + segs
    text = (
        "~\n".join(
            [
                "ISA*00*          *00*          *ZZ*BENCH          *ZZ*PRACTICE       *261120*1200*^*"
                "00501*000000001*0*T*:",
                "GS*HP*BENCH*PRACTICE*20261120*1200*1*X*005010X221A1",
                "ST*835*0001*005010X221A1",
                *body,
                f"SE*{len(body) + 2}*0001",
                "GE*1*1",
                "IEA*1*000000001",
            ]
        )
        + "~\n"
    )
    return text.encode(), n_done, n_lines


def parse_10k(db: Database, runs: int, facts: dict) -> list[float]:
    """Reader only, on the generated 10,000-claim file."""
    from billing_tui.x12.remit835 import read_835

    data, claims, lines = generate_835(db)
    facts["era_835_claims"] = claims
    facts["era_835_lines"] = lines
    facts["era_835_mb"] = round(len(data) / 2**20, 1)
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        read_835(data)
        out.append((time.perf_counter() - t) * 1000)
    return out


_IMPORT_CHILD = """
import json, sys, time
from pathlib import Path
from billing_tui.db.engine import Database
from billing_tui.db.uow import UnitOfWork
from billing_tui.services.auth import actor_of
from billing_tui.services.era_import import ImportReport, import_one

def mem(field):
    for line in open("/proc/self/status"):
        if line.startswith(field):
            return int(line.split()[1]) / 1024

db = Database.open(sys.argv[1])
with UnitOfWork(db, write=False) as uow:
    actor = actor_of(uow.users.by_username("rep"))
data = Path(sys.argv[2]).read_bytes()
report = ImportReport()
t = time.perf_counter()
import_one(db, actor, "bench.835", data, report, dry_run=True)
ms = (time.perf_counter() - t) * 1000
print(json.dumps({"ms": ms, "peak_mb": mem("VmHWM:"), "posted": report.claims_posted,
                  "exceptions": report.claims_exceptions}))
"""


def import_10k(db: Database, url: str, runs: int, facts: dict) -> list[float]:
    """End to end (read, match, post, audit) in a fresh process per run; rolled back."""
    data, claims, lines = generate_835(db)
    facts["era_835_claims"] = claims
    facts["era_835_lines"] = lines
    with tempfile.NamedTemporaryFile(suffix=".835", delete=False) as fh:
        fh.write(data)
    out, peaks = [], []
    try:
        for _ in range(runs):
            res = subprocess.run(
                [sys.executable, "-c", _IMPORT_CHILD, url, fh.name],
                capture_output=True, text=True, timeout=600,
            )  # fmt: skip
            if res.returncode != 0:
                raise RuntimeError(f"835 import probe failed: {res.stderr.strip()[-400:]}")
            r = json.loads(res.stdout.strip().splitlines()[-1])
            out.append(r["ms"])
            peaks.append(r["peak_mb"])
            facts["era_import_posted"] = r["posted"]
            facts["era_import_exceptions"] = r["exceptions"]
    finally:
        Path(fh.name).unlink(missing_ok=True)
    facts["era_import_peak_rss_mb"] = round(max(peaks), 1)
    return out
