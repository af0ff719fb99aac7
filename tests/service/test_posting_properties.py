"""Property: any sequence of EOB postings, reversals, patient payments, refunds, approved
write-offs and transfers on random claims keeps every ledger invariant, and `check` passes.

Amounts are drawn so each EOB line accounts for its open balance (paid + CO-45 + PR +
the rest, denied when nothing is paid); steps the rules refuse (a transfer with no one
to move to, posting to a claim billed to the patient) must refuse cleanly.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from posting_helpers import sent_claim
from svc_helpers import add_coverage

from billing_tui.db.uow import UnitOfWork
from billing_tui.domain import ledger as L
from billing_tui.domain.adjudication import Cas
from billing_tui.domain.errors import DomainError
from billing_tui.services.account_actions import transfer_balance
from billing_tui.services.approvals import request_write_off
from billing_tui.services.batches import close_batch, open_batch
from billing_tui.services.check import run_check
from billing_tui.services.eob_posting import (
    EobLine,
    load_claim_for_posting_by_id,
    post_claim,
    post_patient_payment,
    reverse_posting,
)
from billing_tui.services.refunds import request_refund

_n = itertools.count(1)
_traces = itertools.count(1)
STEPS = st.lists(
    st.tuples(
        st.sampled_from(["post", "post", "post", "reverse", "pp", "refund", "wo", "transfer"]),
        st.integers(0, 1),  # which claim
        st.integers(0, 20),  # which posting / a choice
    ),
    min_size=1,
    max_size=8,
)


def _claim(db, claim_id):
    with UnitOfWork(db, write=False) as uow:
        c = uow.claims.get(claim_id)
        return c.version, c.responsibility, c.ins_balance_cents, c.pat_balance_cents, c.patient_id


def _eob_lines(data, claim) -> list[EobLine]:
    out = []
    for ln in claim.lines:
        open_ = ln.open_cents
        if open_ <= 0 or not data.draw(st.booleans(), label="include line"):
            continue
        paid = data.draw(st.integers(0, open_), label="paid")
        co45 = data.draw(st.integers(0, open_ - paid), label="co45")
        share = data.draw(st.integers(0, open_ - paid - co45), label="pr")
        rest = open_ - paid - co45 - share
        cas = [Cas("CO", "45", co45)]
        if rest:
            cas.append(Cas("CO", "197", rest) if paid == 0 else Cas("OA", "23", rest))
        out.append(EobLine(ln.line_no, None, paid, coinsurance_cents=share, adjustments=tuple(cas)))
    return out


@pytest.mark.slow  # ~1 minute per database on the shared 2-core machine
@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # shrinking a DB run takes minutes
)
@given(
    charges=st.lists(st.integers(1, 300_000), min_size=2, max_size=3),
    secondary=st.booleans(),
    steps=STEPS,
    data=st.data(),
)
def test_random_posting_sequences_keep_the_books(
    db, users, tmp_path, charges, secondary, steps, data
):
    n = next(_n)
    account = f"PP{n:06d}"
    admin = users["admin"]
    money = [f"{c / 100:.2f}" for c in charges]
    claims = [
        sent_claim(
            db,
            admin,
            tmp_path,
            charges=money,
            claim_number=f"PR{n:05d}{i}",
            patient_account=account,
        )
        for i in range(2)
    ]
    if secondary:
        add_coverage(db, account, "62308", "Cigna", rank=2)
    postings: list[str] = []
    for action, which, choice in steps:
        claim_id = claims[which]
        version, resp, ins, pat, patient_id = _claim(db, claim_id)
        if action == "post":
            if resp == L.PATIENT:
                continue
            lines = _eob_lines(data, load_claim_for_posting_by_id(db, claim_id))
            if not lines:
                continue
            paid = sum(e.paid_cents for e in lines)
            batch = None
            if paid and choice % 2:
                batch = open_batch(
                    db,
                    admin,
                    payer_id=_payer(db, claim_id, resp),
                    patient_id=None,
                    method="eft",
                    trace_number=f"E{n}-{next(_traces)}",
                    amount_cents=paid,
                    deposit_date=dt.date(2026, 11, 20),
                )
            res = post_claim(
                db,
                admin,
                claim_id=claim_id,
                expected_version=version,
                lines=lines,
                batch_id=batch.id if batch else None,
            )
            if batch is not None:
                assert res.batch.remaining_cents == 0
                close_batch(db, admin, batch.id, expected_version=res.batch.version)
            postings.append(res.posting_id)
        elif action == "reverse" and postings:
            pid = postings.pop(choice % len(postings))
            reverse_posting(db, admin, pid, "property test")
        elif action == "pp" and pat > 0:
            amount = max(1, pat * (choice + 1) // 21)
            batch = open_batch(
                db,
                admin,
                payer_id=None,
                patient_id=patient_id,
                method="cash",
                trace_number=f"R{n}-{next(_traces)}",
                amount_cents=amount,
                deposit_date=dt.date(2026, 11, 21),
            )
            post_patient_payment(
                db,
                admin,
                batch_id=batch.id,
                claim_id=claim_id,
                amount_cents=amount,
                expected_version=version,
            )
        elif action == "refund" and (ins < 0 or pat < 0):
            to, credit = ("payer", -ins) if ins < 0 else ("patient", -pat)
            out = request_refund(
                db, admin, claim_id=claim_id, amount_cents=credit, to=to, reason="credit"
            )
            assert out.status == "posted"
        elif action == "wo" and ins + pat > 0:
            owed = ins if ins > 0 else pat
            if owed > 0:
                amount = max(1, owed * (choice + 1) // 21)
                with contextlib.suppress(DomainError):  # the share may sit elsewhere
                    request_write_off(
                        db,
                        admin,
                        claim_id=claim_id,
                        amount_cents=amount,
                        carc="45",
                        reason="property test",
                    )
        elif action == "transfer":
            with contextlib.suppress(DomainError):
                transfer_balance(
                    db,
                    admin,
                    claim_id,
                    "patient" if choice % 2 else "next",
                    expected_version=version,
                    today=dt.date(2026, 11, 27),
                )
    _assert_books(db, claims)


def _payer(db, claim_id, resp):
    from billing_tui.services.eob_posting import _payer_for_rank

    with UnitOfWork(db, write=False) as uow:
        return _payer_for_rank(uow.session, uow.claims.get(claim_id), resp).id


def _assert_books(db, claims):
    with UnitOfWork(db, write=False) as uow:
        for claim_id in claims:
            claim = uow.claims.get(claim_id)
            rows = uow.ledger.for_claim(claim_id)
            entries = [
                L.Entry(
                    kind=L.EntryKind(e.kind),
                    responsibility=e.responsibility,
                    amount_cents=e.amount_cents,
                    to_responsibility=e.to_responsibility,
                )
                for e in rows
            ]
            expected = L.balance(entries)
            assert (claim.ins_balance_cents, claim.pat_balance_cents) == (
                expected.insurance_cents,
                expected.patient_cents,
            )
            assert L.check_line_identity(entries)
            by_id = {e.id: e for e in rows}
            for e in rows:
                if e.reverses_id is not None:
                    assert by_id[e.reverses_id].amount_cents == -e.amount_cents
            if claim.ins_balance_cents + claim.pat_balance_cents == 0:
                assert claim.status == "closed"
    report = run_check(db)
    assert report.ok, report.problems
