"""EOB posting operations for `billing-tui bench` (issue 4).

``post_claim_10_lines``: one 10-line EOB through ``services.eob_posting.post_claim``
(lock, version check, adjudication of every line, ledger entries, status, audit, commit).
The bench database is reused between runs, so fresh 10-line claims are made first, through
the charge interface for an existing patient of the practice, and marked as sent; only the
posting itself is timed.
"""

from __future__ import annotations

import csv
import datetime as dt
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import select, update

from billing_tui.db import models as m
from billing_tui.db.engine import Database
from billing_tui.db.uow import UnitOfWork
from billing_tui.domain.adjudication import Cas
from billing_tui.domain.users import Actor

LINES = 10
CODES = ("99213", "99214", "93000", "36415", "81002", "85025", "80053", "71046", "97110", "G0439")


def _fresh_claims(db: Database, actor: Actor, n: int, today: dt.date) -> list[int]:
    """Import ``n`` new 10-line claims for one insured patient; mark them submitted."""
    from billing_tui.services.charges import COLUMNS, import_charges

    with UnitOfWork(db, write=False) as uow:
        s = uow.session
        cov, patient, payer = s.execute(
            select(m.Coverage, m.Patient, m.Payer)
            .join(m.Patient, m.Patient.id == m.Coverage.patient_id)
            .join(m.Payer, m.Payer.id == m.Coverage.payer_id)
            .where(m.Coverage.rank == 1, m.Payer.payer_type != "self_pay")
            .order_by(m.Coverage.id)
            .limit(1)
        ).one()
        row = {
            "patient_account": patient.account_no,
            "patient_last": patient.last_name,
            "patient_first": patient.first_name,
            "patient_dob": patient.dob.isoformat(),
            "patient_sex": patient.sex,
            "payer_id": payer.edi_payer_id,
            "payer_name": payer.name,
            "member_id": cov.member_id,
            "service_date": (today - dt.timedelta(days=30)).isoformat(),
            "modifiers": "",
            "units": "1",
            "diagnoses": "I10",
            "rendering_npi": "",
            "place_of_service": "11",
        }
    tag = uuid.uuid4().hex[:10].upper()
    numbers = [f"B10{tag}{i:04d}" for i in range(n)]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench10.csv"
        with path.open("w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=COLUMNS)
            w.writeheader()
            for number in numbers:
                for i in range(LINES):
                    w.writerow(
                        {**row, "claim_number": number, "procedure": CODES[i],
                         "charge": f"{100 + 10 * i}.00"}
                    )  # fmt: skip
        import_charges(db, actor, path, today=today)
    with UnitOfWork(db) as uow:
        ids = list(uow.session.scalars(select(m.Claim.id).where(m.Claim.claim_number.in_(numbers))))
        uow.session.execute(
            update(m.Claim)
            .where(m.Claim.id.in_(ids))
            .values(status="submitted", submitted_at=today)
        )
        uow.commit()
    return ids


def post_claim_10_lines(db: Database, actor: Actor, today: dt.date, runs: int) -> list[float]:
    from billing_tui.services.eob_posting import EobLine, load_claim_for_posting_by_id, post_claim

    ids = _fresh_claims(db, actor, runs + 1, today)
    out = []
    for n, claim_id in enumerate(ids):
        claim = load_claim_for_posting_by_id(db, claim_id)  # what the screen has open
        lines = []
        for ln in claim.lines:
            allowed = ln.billed_cents * 60 // 100
            paid = allowed * 80 // 100
            lines.append(
                EobLine(
                    ln.line_no,
                    allowed,
                    paid,
                    coinsurance_cents=allowed - paid,
                    adjustments=(Cas("CO", "45", ln.billed_cents - allowed),),
                )
            )
        t = time.perf_counter()
        post_claim(
            db, actor, claim_id=claim_id, expected_version=claim.version, lines=lines,
            batch_id=None,
        )  # fmt: skip
        if n:  # the first one warms statement caches
            out.append((time.perf_counter() - t) * 1000)
    return out
