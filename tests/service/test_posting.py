"""Posting through the service on both databases, with DESIGN's worked examples."""

from __future__ import annotations

import pytest
from svc_helpers import add_coverage, balances, make_claim

from billing_tui.db.uow import UnitOfWork
from billing_tui.domain.errors import ConflictError, ValidationError
from billing_tui.services.check import run_check
from billing_tui.services.posting import (
    Adjustment,
    LinePosting,
    PatientShare,
    post_line,
    reverse_entry,
)

EX1 = LinePosting(
    paid_cents=9600,
    adjustments=(Adjustment("CO", "45", 8000),),
    patient_shares=(PatientShare("2", 2400),),
)


def test_paid_with_coinsurance_example_1(db, users, tmp_path):
    claim = make_claim(db, users["admin"], tmp_path)
    result = post_line(db, users["rep"], claim, 1, EX1)
    assert (result.claim_ins_balance_cents, result.claim_pat_balance_cents) == (0, 2400)
    assert balances(db, claim) == (0, 2400)
    report = run_check(db)
    assert report.ok, report.problems
    assert report.ledger_entries_verified == 4  # charge, payment, CO-45, PR transfer


def test_zero_paid_deductible_is_not_a_denial_example_2(db, users, tmp_path):
    claim = make_claim(db, users["admin"], tmp_path, charges=("150.00",))
    post_line(
        db,
        users["rep"],
        claim,
        1,
        LinePosting(
            paid_cents=0,
            adjustments=(Adjustment("CO", "45", 5000),),
            patient_shares=(PatientShare("1", 10000),),
        ),
    )
    assert balances(db, claim) == (0, 10000)


def test_secondary_coverage_example_4(db, users, tmp_path):
    claim = make_claim(db, users["admin"], tmp_path)
    add_coverage(db, "A0000001", "62308", "Cigna", rank=2)
    post_line(db, users["rep"], claim, 1, EX1)
    assert balances(db, claim) == (2400, 0)  # moved to the secondary's bucket
    with UnitOfWork(db) as uow:
        c = uow.claims.get(claim)
        c.responsibility = 2  # billed to the secondary now
        uow.commit()
    post_line(
        db,
        users["rep"],
        claim,
        1,
        LinePosting(paid_cents=2000, patient_shares=(PatientShare("2", 400),)),
    )
    assert balances(db, claim) == (0, 400)
    assert run_check(db).ok


def test_reversal_restores_every_balance_example_5(db, users, tmp_path):
    claim = make_claim(db, users["admin"], tmp_path)
    first = post_line(
        db,
        users["rep"],
        claim,
        1,
        LinePosting(paid_cents=16000, adjustments=(Adjustment("CO", "45", 4000),)),
    )
    assert balances(db, claim) == (0, 0)
    for entry_id in first.entry_ids:
        reverse_entry(db, users["rep"], entry_id, "payer re-adjudicated (CLP02=22)")
    assert balances(db, claim) == (20000, 0)
    post_line(
        db,
        users["rep"],
        claim,
        1,
        LinePosting(paid_cents=12000, adjustments=(Adjustment("CO", "45", 8000),)),
    )
    assert balances(db, claim) == (0, 0)
    with UnitOfWork(db, write=False) as uow:
        entries = uow.ledger.for_claim(claim)
    payment_ids = {e.id for e in entries if e.kind == "insurance_payment"}
    later = [e for e in entries if e.id > max(first.entry_ids)]
    remit_cash = -sum(
        e.amount_cents
        for e in later
        if e.kind == "insurance_payment" or e.reverses_id in payment_ids
    )
    assert remit_cash == -4000  # net effect of the re-adjudicating remittance: -40.00
    report = run_check(db)
    assert report.ok, report.problems


def test_reversing_twice_is_refused(db, users, tmp_path):
    claim = make_claim(db, users["admin"], tmp_path)
    res = post_line(db, users["rep"], claim, 1, EX1)
    reverse_entry(db, users["rep"], res.entry_ids[0], "wrong check")
    with pytest.raises(ValidationError, match="already reversed"):
        reverse_entry(db, users["rep"], res.entry_ids[0], "again")


def test_unbalanced_line_names_the_difference_and_writes_nothing(db, users, tmp_path):
    claim = make_claim(db, users["admin"], tmp_path)
    with UnitOfWork(db, write=False) as uow:
        before = len(uow.ledger.for_claim(claim))
    bad = LinePosting(paid_cents=9600, adjustments=(Adjustment("CO", "45", 8000),))
    with pytest.raises(ValidationError, match=r"difference 24\.00"):
        post_line(db, users["rep"], claim, 1, bad)
    with UnitOfWork(db, write=False) as uow:
        assert len(uow.ledger.for_claim(claim)) == before
    assert balances(db, claim) == (20000, 0)


def test_stale_version_is_a_conflict_naming_the_claim(db, users, tmp_path):
    claim = make_claim(db, users["admin"], tmp_path)
    with UnitOfWork(db, write=False) as uow:
        seen = uow.claims.get(claim).version
    post_line(db, users["senior"], claim, 1, EX1)  # another rep got there first
    with pytest.raises(ConflictError, match="Claim T"):
        post_line(db, users["rep"], claim, 1, EX1, expected_version=seen)
    assert balances(db, claim) == (0, 2400)


def test_concurrent_writer_on_same_claim_gets_conflict_and_nothing_half_written(
    db, users, tmp_path
):
    """Two units of work load the same claim; the second flush finds a newer version."""
    from billing_tui.db.engine import Database

    claim = make_claim(db, users["admin"], tmp_path)
    other = Database.connect(db.url)
    try:
        with UnitOfWork(other, write=False) as stale_uow:
            stale = stale_uow.claims.get(claim)
            stale_uow.session.expunge(stale)
        post_line(db, users["rep"], claim, 1, EX1)
        with UnitOfWork(db) as uow, pytest.raises(ConflictError):
            merged = uow.session.merge(stale, load=False)
            merged.follow_up_date = None
            merged.rebill = True
            uow.commit()
    finally:
        other.dispose()
    assert balances(db, claim) == (0, 2400)
    with UnitOfWork(db, write=False) as uow:
        assert uow.claims.get(claim).rebill is False


def test_posting_writes_audit_event_in_same_transaction(db, users, tmp_path):
    claim = make_claim(db, users["admin"], tmp_path)
    post_line(db, users["rep"], claim, 1, EX1)
    with UnitOfWork(db, write=False) as uow:
        number = uow.claims.get(claim).claim_number
        events = [e.action for e in uow.audit_log.for_entity("claim", number)]
    assert events == ["claim_imported", "line_posted"]
