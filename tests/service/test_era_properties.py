"""hypothesis: random valid 835s (paid, denied, predetermination, unknown claims,
unbalanced claims, PLB, other delimiters) keep the totals: posted + exception paid =
paid, check = paid - PLB, the batch ledger agrees, `run_check` passes, and the same file
twice posts nothing."""

from __future__ import annotations

import itertools

from era_helpers import (
    ClaimPlan,
    LinePlan,
    RemitPlan,
    claim_facts,
    deny,
    mark_sent,
    pay,
    write_835,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from svc_helpers import charge_row, write_csv

from billing_tui.db import models as m
from billing_tui.db.uow import UnitOfWork
from billing_tui.services.charges import import_charges
from billing_tui.services.check import run_check
from billing_tui.services.era_import import import_files

_run = itertools.count(1)

claim_kind = st.sampled_from(["pay", "pay", "pay", "deny", "predetermination", "ghost", "off"])
claim_spec = st.tuples(
    st.lists(st.integers(min_value=1, max_value=99_999), min_size=1, max_size=3),
    claim_kind,
    st.integers(min_value=0, max_value=100),  # allowed %
    st.integers(min_value=0, max_value=50),  # coinsurance %
)
plb_spec = st.lists(
    st.tuples(st.sampled_from(["L6", "FB", "CV", "72"]), st.integers(-50_000, 50_000)),
    max_size=3,
)
delims = st.sampled_from([("*", ":", "~"), ("|", ">", "~"), ("*", ">", "\n")])


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(claims=st.lists(claim_spec, min_size=1, max_size=5), plb=plb_spec, d=delims,
       bom=st.booleans())  # fmt: skip
def test_random_remittances_keep_the_totals(db, admin, tmp_path_factory, claims, plb, d, bom):
    run = next(_run)
    tmp = tmp_path_factory.mktemp(f"era{run}")
    rows = []
    for i, (charges, _kind, _a, _c) in enumerate(claims):
        for cents in charges:
            rows.append(
                charge_row(f"P{run}-{i}", patient_account=f"P{run}-{i}",
                           charge=f"{cents // 100}.{cents % 100:02d}")
            )  # fmt: skip
    import_charges(db, admin, write_csv(tmp / "c.csv", rows))
    mark_sent(db)
    facts = claim_facts(db, [f"P{run}-{i}" for i in range(len(claims))])
    plans = []
    for f, (_charges, kind, allowed, coins) in zip(facts, claims, strict=True):
        if kind == "deny":
            plans.append(deny(f, pcn=f"X{run}"))
        elif kind == "predetermination":
            plans.append(ClaimPlan(f.claim_number, "25",
                                   [LinePlan(ln, 0, [("CO", "45", ln.open_cents)]) for ln in f.lines]))  # fmt: skip
        elif kind == "ghost":
            p = pay(f, allowed_pct=allowed, coins_pct=coins)
            p.claim_number = f"GHOST{run}"
            plans.append(p)
        elif kind == "off":
            p = pay(f, allowed_pct=allowed, coins_pct=coins)
            p.lines[0].paid_cents += 1  # does not balance: an exception, nothing invented
            plans.append(p)
        else:
            plans.append(pay(f, allowed_pct=allowed, coins_pct=coins))
    remit = RemitPlan(plans, trace=f"H{run}", plb=[(c, "", a) for c, a in plb])
    path = write_835(tmp / "r.835", remit, element=d[0], component=d[1], terminator=d[2],
                     bom=bom)  # fmt: skip
    r = import_files(db, admin, [path])
    assert r.transactions == 1 and r.transactions_rejected == 0
    assert r.claims == len(plans) == r.claims_posted + r.claims_exceptions
    assert r.posted_paid_cents + r.exception_paid_cents == r.paid_cents
    assert r.check_amount_cents == r.paid_cents - r.plb_cents == remit.check_amount_cents
    kinds = [c[1] for c in claims]
    assert r.claims_exceptions == kinds.count("ghost") + kinds.count("off")
    with UnitOfWork(db, write=False) as uow:
        s = uow.session
        batch_id = s.scalar(
            select(m.Remittance.batch_id).where(m.Remittance.trace_number == f"H{run}")
        )
        posted = -(s.scalar(
            select(func.coalesce(func.sum(m.LedgerEntry.amount_cents), 0)).where(
                m.LedgerEntry.batch_id == batch_id, m.LedgerEntry.kind == "insurance_payment")
        ) or 0)  # fmt: skip
        assert posted == r.posted_paid_cents
        status = s.get(m.PaymentBatch, batch_id).status
        assert status == ("balanced" if r.claims_exceptions == 0 else "open")
        entries = s.scalar(select(func.count()).select_from(m.LedgerEntry))
    assert run_check(db).problems == []
    again = import_files(db, admin, [path])
    assert again.duplicates_skipped == 1 and again.claims_posted == 0
    with UnitOfWork(db, write=False) as uow:
        assert uow.session.scalar(select(func.count()).select_from(m.LedgerEntry)) == entries
