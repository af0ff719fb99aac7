"""Property: any sequence of postings and reversals through the services keeps the books.

Each example imports a fresh claim, applies random EOB postings (whose amounts always
account for the line's open balance) and reversals, then requires that the cached
balances equal the domain's ledger math and that `check` passes.
"""

from __future__ import annotations

import contextlib
import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from svc_helpers import charge_row, write_csv

from billing_tui.db.uow import UnitOfWork
from billing_tui.domain import ledger as L
from billing_tui.domain.errors import ValidationError
from billing_tui.services.charges import import_charges
from billing_tui.services.check import run_check
from billing_tui.services.posting import (
    Adjustment,
    LinePosting,
    PatientShare,
    post_line,
    reverse_entry,
)

_numbers = itertools.count(1)

step = st.one_of(
    st.tuples(st.just("post"), st.integers(1, 2), st.integers(0, 100), st.integers(0, 100)),
    st.tuples(st.just("reverse"), st.integers(0, 50), st.just(0), st.just(0)),
)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    charges=st.lists(st.integers(1, 500_000), min_size=2, max_size=2),
    steps=st.lists(step, min_size=1, max_size=8),
)
def test_random_postings_and_reversals_keep_every_invariant(db, users, tmp_path, charges, steps):
    number = f"P{next(_numbers):06d}"
    rows = [charge_row(number, charge=f"{c / 100:.2f}") for c in charges]
    import_charges(db, users["admin"], write_csv(tmp_path / f"{number}.csv", rows))
    with UnitOfWork(db, write=False) as uow:
        claim_id = uow.claims.by_number(number).id
    posted: list[int] = []
    for kind, a, b, c in steps:
        if kind == "post":
            with UnitOfWork(db, write=False) as uow:
                line = [ln for ln in uow.claims.lines(claim_id) if ln.line_no == a][0]
                open_cents = line.ins_balance_cents
            if open_cents <= 0:
                continue
            paid = open_cents * b // 100
            pr = (open_cents - paid) * c // 100
            co = open_cents - paid - pr
            posting = LinePosting(
                paid_cents=paid,
                adjustments=(Adjustment("CO", "45", co),) if co else (),
                patient_shares=(PatientShare("2", pr),) if pr else (),
            )
            if not posting.accounted_cents:
                continue
            posted.extend(post_line(db, users["rep"], claim_id, a, posting).entry_ids)
        elif posted:
            entry_id = posted[a % len(posted)]
            with contextlib.suppress(ValidationError):  # already reversed: refused
                reverse_entry(db, users["rep"], entry_id, "property test")
    with UnitOfWork(db, write=False) as uow:
        claim = uow.claims.get(claim_id)
        entries = [
            L.Entry(
                kind=L.EntryKind(e.kind),
                responsibility=e.responsibility,
                amount_cents=e.amount_cents,
                to_responsibility=e.to_responsibility,
            )
            for e in uow.ledger.for_claim(claim_id)
        ]
        expected = L.balance(entries)
        assert (claim.ins_balance_cents, claim.pat_balance_cents) == (
            expected.insurance_cents,
            expected.patient_cents,
        )
        assert L.check_line_identity(entries)
    report = run_check(db)
    assert report.ok, report.problems
