"""The demo practice: deterministic per seed, believable, and passes `check`."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from svc_helpers import TODAY

from billing_tui.db import models as m
from billing_tui.domain.errors import ValidationError
from billing_tui.services.auth import login
from billing_tui.services.check import run_check
from billing_tui.services.demo import build_demo
from billing_tui.services.reports import aging_report


def _fingerprint(db):
    with db.engine.connect() as conn:
        return (
            conn.scalar(select(func.count()).select_from(m.LedgerEntry)),
            conn.scalar(select(func.sum(m.Claim.ins_balance_cents))),
            conn.scalar(select(m.Claim.ledger_head).order_by(m.Claim.id.desc()).limit(1)),
        )


def test_demo_builds_checks_and_logs_in(db):
    result = build_demo(db, claims=600, seed=3, today=TODAY)
    assert result.claims == 600 and result.patients == 60 and result.payers == 40
    assert result.lines >= 600 and result.denials > 0
    report = run_check(db)
    assert report.ok, report.problems
    assert report.claims_checked == 600
    assert report.ledger_entries_verified == result.ledger_entries
    assert login(db, "supervisor", "supervisor").role == "supervisor"
    aging = aging_report(db, TODAY)
    with db.engine.connect() as conn:
        ins = conn.scalar(select(func.sum(m.Claim.ins_balance_cents)))
        pat = conn.scalar(select(func.sum(m.Claim.pat_balance_cents)))
    assert aging.insurance_total_cents == ins and aging.patient_total_cents == pat
    with pytest.raises(ValidationError, match="--reset"):
        build_demo(db, claims=10, seed=3, today=TODAY)


def test_demo_is_deterministic_per_seed(tmp_path):
    fps = []
    for name, seed in (("a", 5), ("b", 5), ("c", 6)):
        from billing_tui.db.engine import Database

        database = Database.open(f"sqlite:///{tmp_path}/{name}.db")
        build_demo(database, claims=300, seed=seed, today=TODAY)
        fps.append(_fingerprint(database))
        database.dispose()
    assert fps[0] == fps[1] != fps[2]
