"""Account actions on both databases: call notes, follow-ups, status, transfers, rebill.

Every action is checked for its effect, its audit event, a ConflictError on a stale
version, and that a refused action writes nothing at all.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func, select
from svc_helpers import TODAY, add_coverage, make_claim

from billing_tui.db import models as m
from billing_tui.db.uow import UnitOfWork
from billing_tui.domain.call_outcomes import CallOutcome
from billing_tui.domain.errors import (
    ConflictError,
    DomainError,
    IllegalTransition,
    NotFoundError,
    ValidationError,
)
from billing_tui.services import account_actions as aa
from billing_tui.services.accounts import load_account
from billing_tui.services.check import run_check
from billing_tui.services.posting import Adjustment, LinePosting, PatientShare, post_line

EX1 = LinePosting(
    paid_cents=9600,
    adjustments=(Adjustment("CO", "45", 8000),),
    patient_shares=(PatientShare("2", 2400),),
)


# --- helpers --------------------------------------------------------------------------


def _claim(db, claim_id: int) -> m.Claim:
    with UnitOfWork(db, write=False) as uow:
        return uow.claims.get(claim_id)


def _version(db, claim_id: int) -> int:
    return _claim(db, claim_id).version


def _snapshot(db) -> tuple:
    """Everything an action could write: row counts and every claim's row."""
    with UnitOfWork(db, write=False) as uow:
        s = uow.session
        counts = tuple(
            s.scalar(select(func.count()).select_from(t))
            for t in (m.Activity, m.LedgerEntry, m.AuditEvent)
        )
        claims = tuple(
            (
                c.id,
                c.version,
                c.status,
                c.follow_up_date,
                c.responsibility,
                c.rebill,
                c.ins_balance_cents,
                c.pat_balance_cents,
                c.last_activity_at,
            )
            for c in s.scalars(select(m.Claim).order_by(m.Claim.id))
        )
        return counts, claims


def _audit(db, claim_id: int) -> list[tuple[str, dict]]:
    number = _claim(db, claim_id).claim_number
    with UnitOfWork(db, write=False) as uow:
        return [
            (e.action, json.loads(e.detail) if e.detail else {})
            for e in uow.audit_log.for_entity("claim", number)
            if e.action != "claim_imported"
        ]


def _walk(db, actor, claim_id: int, *statuses: str) -> None:
    for status in statuses:
        aa.change_status(
            db, actor, claim_id, status, expected_version=_version(db, claim_id), today=TODAY
        )


def _refused(db, exc: type[DomainError], fn, *args, match: str | None = None, **kw):
    """Call fn, expect exc, and prove nothing at all was written."""
    before = _snapshot(db)
    with pytest.raises(exc, match=match) as err:
        fn(*args, **kw)
    assert "\n" not in str(err.value)
    assert _snapshot(db) == before
    return err.value


def _note(claim_id: int, **over) -> aa.CallNote:
    fields = dict(
        claim_id=claim_id,
        outcome=CallOutcome.IN_PROCESS,
        payer_contact="Tina",
        contact_phone="800-555-0100",
        call_reference="REF12345",
        text="Claim in process; allow 14 days.",
        duration_seconds=185,
    )
    fields.update(over)
    return aa.CallNote(**fields)


# --- call notes -----------------------------------------------------------------------


def test_call_note_saves_activity_moves_follow_up_and_audits(db, users, tmp_path):
    rep = users["rep"]
    claim = make_claim(db, users["admin"], tmp_path)
    _walk(db, rep, claim, "ready", "submitted")
    version = _version(db, claim)
    result = aa.log_call_note(db, rep, _note(claim), expected_version=version, today=TODAY)

    follow_up = TODAY + dt.timedelta(days=14)  # in process: +14 by default
    assert result.follow_up_date == follow_up
    assert result.claim_version > version
    assert "next follow-up 2026-12-11" in result.message
    c = _claim(db, claim)
    assert (c.follow_up_date, c.last_activity_at, c.version) == (
        follow_up,
        TODAY,
        result.claim_version,
    )
    with UnitOfWork(db, write=False) as uow:
        (act,) = uow.activities.for_patient(c.patient_id)
    assert act.id == result.activity_id
    assert (
        act.claim_id,
        act.kind,
        act.outcome,
        act.payer_contact,
        act.contact_phone,
        act.call_reference,
        act.text,
        act.next_follow_up,
        act.duration_seconds,
        act.user_id,
    ) == (
        claim,
        "call",
        "in_process",
        "Tina",
        "800-555-0100",
        "REF12345",
        "Claim in process; allow 14 days.",
        follow_up,
        185,
        rep.user_id,
    )
    action, detail = _audit(db, claim)[-1]
    assert action == "call_logged"
    assert detail == {
        "activity": act.id,
        "outcome": "in_process",
        "follow_up": follow_up.isoformat(),
        "duration": 185,
    }


def test_call_note_keeps_an_explicit_follow_up_and_check_pending_defaults_to_10(
    db, users, tmp_path
):
    claim = make_claim(db, users["admin"], tmp_path)
    chosen = TODAY + dt.timedelta(days=3)
    r1 = aa.log_call_note(
        db,
        users["rep"],
        _note(claim, next_follow_up=chosen),
        expected_version=_version(db, claim),
        today=TODAY,
    )
    assert r1.follow_up_date == chosen == _claim(db, claim).follow_up_date
    r2 = aa.log_call_note(
        db,
        users["rep"],
        _note(claim, outcome="check pending"),
        expected_version=r1.claim_version,
        today=TODAY,
    )
    assert r2.follow_up_date == TODAY + dt.timedelta(days=10)


def test_no_response_needs_no_contact_but_other_needs_text(db, users, tmp_path):
    claim = make_claim(db, users["admin"], tmp_path)
    result = aa.log_call_note(
        db,
        users["rep"],
        _note(claim, outcome="no_response", payer_contact="", text=""),
        expected_version=_version(db, claim),
        today=TODAY,
    )
    assert result.follow_up_date == TODAY + dt.timedelta(days=2)
    err = _refused(
        db,
        ValidationError,
        aa.log_call_note,
        db,
        users["rep"],
        _note(claim, outcome="other", text="  "),
        expected_version=result.claim_version,
        today=TODAY,
    )
    assert err.field == "text"


@pytest.mark.parametrize(
    ("over", "field", "match"),
    [
        ({"payer_contact": ""}, "payer_contact", "name of the payer representative"),
        ({"outcome": "paid"}, "outcome", "not a call outcome"),
        ({"next_follow_up": TODAY - dt.timedelta(days=1)}, "next_follow_up", "in the past"),
        ({"next_follow_up": TODAY + dt.timedelta(days=400)}, "next_follow_up", "a year"),
        ({"call_reference": "R" * 41}, "call_reference", "at most 40"),
        ({"payer_contact": "x" * 81}, "payer_contact", "at most 80"),
        ({"contact_phone": "1\n2"}, "contact_phone", "one line"),
        ({"duration_seconds": -1}, "duration", "duration"),
    ],
)
def test_bad_call_notes_write_nothing(db, users, tmp_path, over, field, match):
    claim = make_claim(db, users["admin"], tmp_path)
    err = _refused(
        db,
        ValidationError,
        aa.log_call_note,
        db,
        users["rep"],
        _note(claim, **over),
        expected_version=_version(db, claim),
        today=TODAY,
        match=match,
    )
    assert err.field == field


def test_call_note_on_a_stale_claim_is_a_conflict_and_writes_nothing(db, users, tmp_path):
    claim = make_claim(db, users["admin"], tmp_path)
    stale = _version(db, claim)
    aa.set_follow_up(
        db,
        users["senior"],
        claim,
        TODAY + dt.timedelta(days=5),
        expected_version=stale,
        today=TODAY,
    )
    err = _refused(
        db,
        ConflictError,
        aa.log_call_note,
        db,
        users["rep"],
        _note(claim),
        expected_version=stale,
        today=TODAY,
    )
    assert _claim(db, claim).claim_number in str(err)
    # With the current version it goes through (what the form does after the conflict).
    state = aa.claim_state(db, claim)
    assert state.version == _version(db, claim)
    aa.log_call_note(db, users["rep"], _note(claim), expected_version=state.version, today=TODAY)


def test_call_note_on_a_closed_claim_has_no_follow_up(db, users, tmp_path):
    claim = make_claim(db, users["admin"], tmp_path, charges=("100.00",))
    _walk(db, users["rep"], claim, "ready", "submitted", "paid")
    post_line(
        db,
        users["rep"],
        claim,
        1,
        LinePosting(paid_cents=8000, adjustments=(Adjustment("CO", "45", 2000),)),
    )
    _walk(db, users["rep"], claim, "closed")
    version = _version(db, claim)
    _refused(
        db,
        ValidationError,
        aa.log_call_note,
        db,
        users["rep"],
        _note(claim, next_follow_up=TODAY + dt.timedelta(days=3)),
        expected_version=version,
        today=TODAY,
        match="leave the follow-up date empty",
    )
    result = aa.log_call_note(db, users["rep"], _note(claim), expected_version=version, today=TODAY)
    assert result.follow_up_date is None and _claim(db, claim).follow_up_date is None


def test_unknown_claim(db, users):
    _refused(
        db,
        NotFoundError,
        aa.log_call_note,
        db,
        users["rep"],
        _note(999_999),
        expected_version=1,
        today=TODAY,
        match="does not exist",
    )


# --- follow-up --------------------------------------------------------------------------


def test_set_and_clear_follow_up(db, users, tmp_path):
    claim = make_claim(db, users["admin"], tmp_path)
    day = TODAY + dt.timedelta(days=7)
    r1 = aa.set_follow_up(
        db, users["rep"], claim, day, expected_version=_version(db, claim), today=TODAY
    )
    assert r1.follow_up_date == day == _claim(db, claim).follow_up_date
    r2 = aa.set_follow_up(
        db, users["rep"], claim, None, expected_version=r1.claim_version, today=TODAY
    )
    assert r2.follow_up_date is None and "cleared" in r2.message
    assert _audit(db, claim) == [
        ("follow_up_set", {"before": None, "after": day.isoformat()}),
        ("follow_up_set", {"before": day.isoformat(), "after": None}),
    ]


def test_follow_up_refusals(db, users, tmp_path):
    claim = make_claim(db, users["admin"], tmp_path)
    version = _version(db, claim)
    _refused(
        db,
        ValidationError,
        aa.set_follow_up,
        db,
        users["rep"],
        claim,
        TODAY - dt.timedelta(days=1),
        expected_version=version,
        today=TODAY,
        match="in the past",
    )
    _refused(
        db,
        ConflictError,
        aa.set_follow_up,
        db,
        users["rep"],
        claim,
        TODAY,
        expected_version=version - 1,
        today=TODAY,
    )


# --- status -----------------------------------------------------------------------------


def test_status_walks_the_machine_and_audits(db, users, tmp_path):
    claim = make_claim(db, users["admin"], tmp_path)
    _walk(db, users["rep"], claim, "ready", "submitted", "denied", "appealed")
    assert _claim(db, claim).status == "appealed"
    assert [(a, d) for a, d in _audit(db, claim)] == [
        ("status_changed", {"before": "draft", "after": "ready"}),
        ("status_changed", {"before": "ready", "after": "submitted"}),
        ("status_changed", {"before": "submitted", "after": "denied"}),
        ("status_changed", {"before": "denied", "after": "appealed"}),
    ]


def test_illegal_transition_is_refused_and_writes_nothing(db, users, tmp_path):
    claim = make_claim(db, users["admin"], tmp_path)
    err = _refused(
        db,
        IllegalTransition,
        aa.change_status,
        db,
        users["rep"],
        claim,
        "paid",
        expected_version=_version(db, claim),
        today=TODAY,
    )
    assert "draft cannot become paid" in str(err) and "ready" in str(err)
    _refused(
        db,
        ValidationError,
        aa.change_status,
        db,
        users["rep"],
        claim,
        "nonsense",
        expected_version=_version(db, claim),
        today=TODAY,
        match="not a claim status",
    )


def test_transferred_only_by_moving_the_balance(db, users, tmp_path):
    claim = make_claim(db, users["admin"], tmp_path)
    _walk(db, users["rep"], claim, "ready", "submitted", "paid")
    assert "transferred" not in aa.status_choices("paid")
    assert "closed" in aa.status_choices("paid")
    _refused(
        db,
        ValidationError,
        aa.change_status,
        db,
        users["rep"],
        claim,
        "transferred",
        expected_version=_version(db, claim),
        today=TODAY,
        match="transferred",
    )


def test_closing_needs_a_zero_balance_and_clears_the_follow_up(db, users, tmp_path):
    claim = make_claim(db, users["admin"], tmp_path, charges=("100.00",))
    _walk(db, users["rep"], claim, "ready", "submitted", "paid")
    aa.set_follow_up(
        db, users["rep"], claim, TODAY, expected_version=_version(db, claim), today=TODAY
    )
    _refused(
        db,
        ValidationError,
        aa.change_status,
        db,
        users["rep"],
        claim,
        "closed",
        expected_version=_version(db, claim),
        today=TODAY,
        match=r"still has a balance of 100\.00 \(insurance 100\.00, patient 0\.00\)",
    )
    post_line(
        db,
        users["rep"],
        claim,
        1,
        LinePosting(paid_cents=8000, adjustments=(Adjustment("CO", "45", 2000),)),
    )
    result = aa.change_status(
        db, users["rep"], claim, "closed", expected_version=_version(db, claim), today=TODAY
    )
    assert result.status == "closed" and result.follow_up_date is None
    c = _claim(db, claim)
    assert (c.status, c.follow_up_date) == ("closed", None)
    _refused(
        db,
        ValidationError,
        aa.set_follow_up,
        db,
        users["rep"],
        claim,
        TODAY,
        expected_version=c.version,
        today=TODAY,
        match="needs no follow-up",
    )


def test_status_change_on_a_stale_version_is_a_conflict(db, users, tmp_path):
    claim = make_claim(db, users["admin"], tmp_path)
    stale = _version(db, claim)
    aa.change_status(db, users["senior"], claim, "ready", expected_version=stale, today=TODAY)
    err = _refused(
        db,
        ConflictError,
        aa.change_status,
        db,
        users["rep"],
        claim,
        "void",
        expected_version=stale,
        today=TODAY,
    )
    assert "changed by someone else" in str(err)


# --- transfers ------------------------------------------------------------------------


def test_transfer_to_secondary_then_patient(db, users, tmp_path):
    """DESIGN example 4 carried on: primary paid line 1 (PR 24.00 went to the secondary);
    line 2 is still open with the primary. Moving on to the secondary moves line 2; moving
    on to the patient then moves both lines' secondary balances."""
    rep = users["rep"]
    claim = make_claim(db, users["admin"], tmp_path, charges=("200.00", "50.00"))
    add_coverage(db, "A0000001", "62308", "Cigna", rank=2)
    _walk(db, rep, claim, "ready", "submitted", "partially_paid")
    post_line(db, rep, claim, 1, EX1)
    c = _claim(db, claim)
    assert (c.responsibility, c.ins_balance_cents, c.pat_balance_cents) == (1, 7400, 0)

    r1 = aa.transfer_balance(db, rep, claim, "next_payer", expected_version=c.version, today=TODAY)
    assert r1.moved_cents == 5000 and len(r1.entry_ids) == 1
    assert r1.responsibility == 2 and r1.status == "transferred"
    assert "from UnitedHealthcare to Cigna" in r1.message
    with UnitOfWork(db, write=False) as uow:
        e = uow.ledger.get(r1.entry_ids[0])
        line2 = uow.claims.lines(claim)[1]
    assert (e.kind, e.responsibility, e.to_responsibility, e.amount_cents, e.claim_line_id) == (
        "transfer",
        1,
        2,
        5000,
        line2.id,
    )
    assert (line2.ins_balance_cents, line2.pat_balance_cents) == (5000, 0)

    r2 = aa.transfer_balance(
        db, rep, claim, aa.TransferTarget.PATIENT, expected_version=r1.claim_version, today=TODAY
    )
    assert r2.moved_cents == 7400 and len(r2.entry_ids) == 2 and r2.responsibility == 0
    c = _claim(db, claim)
    assert (c.ins_balance_cents, c.pat_balance_cents, c.status) == (0, 7400, "transferred")
    assert [
        (a, d["from_resp"], d["to_resp"], d["amount"])
        for a, d in _audit(db, claim)
        if a == "balance_transferred"
    ] == [("balance_transferred", 1, 2, 5000), ("balance_transferred", 2, 0, 7400)]
    report = run_check(db)
    assert report.ok, report.problems

    # The account view agrees: billed to the patient, open amounts by party from the ledger.
    view = load_account(db, rep, c.patient_id)
    (cv,) = view.claims
    assert (cv.responsibility, cv.billed_to, cv.next_payer_rank) == (0, "Patient", None)
    assert cv.open_by_responsibility == (7400, 0, 0, 0)
    # Nothing left with a payer: both transfers are refused now.
    _refused(
        db,
        ValidationError,
        aa.transfer_balance,
        db,
        rep,
        claim,
        "patient",
        expected_version=r2.claim_version,
        today=TODAY,
        match="already billed to the patient",
    )


def test_transfer_moves_responsibility_even_when_the_payer_left_nothing_open(db, users, tmp_path):
    """After the primary paid in full minus PR (moved to the secondary's bucket), the
    claim still points at the primary: moving on writes no entry but bills the secondary."""
    claim = make_claim(db, users["admin"], tmp_path)
    add_coverage(db, "A0000001", "62308", "Cigna", rank=2)
    _walk(db, users["rep"], claim, "ready", "submitted", "paid")
    post_line(db, users["rep"], claim, 1, EX1)
    r = aa.transfer_balance(
        db, users["rep"], claim, "next_payer", expected_version=_version(db, claim), today=TODAY
    )
    assert (r.moved_cents, r.entry_ids, r.responsibility) == (0, (), 2)
    assert "Moved 0.00" in r.message


def test_transfer_refusals_write_nothing(db, users, tmp_path):
    rep = users["rep"]
    claim = make_claim(db, users["admin"], tmp_path)
    version = _version(db, claim)
    # Not adjudicated yet: the status machine says no.
    _refused(
        db,
        IllegalTransition,
        aa.transfer_balance,
        db,
        rep,
        claim,
        "patient",
        expected_version=version,
        today=TODAY,
        match="draft cannot become transferred",
    )
    _walk(db, rep, claim, "ready", "submitted", "denied")
    version = _version(db, claim)
    # No secondary on file.
    _refused(
        db,
        ValidationError,
        aa.transfer_balance,
        db,
        rep,
        claim,
        "next_payer",
        expected_version=version,
        today=TODAY,
        match="no payer after UnitedHealthcare on file",
    )
    _refused(
        db,
        ValidationError,
        aa.transfer_balance,
        db,
        rep,
        claim,
        "somewhere",
        expected_version=version,
        today=TODAY,
        match="next payer or the patient",
    )
    _refused(
        db,
        ConflictError,
        aa.transfer_balance,
        db,
        rep,
        claim,
        "patient",
        expected_version=version - 1,
        today=TODAY,
    )
    # Paid in full by the primary: nothing open anywhere.
    post_line(
        db,
        rep,
        claim,
        1,
        LinePosting(paid_cents=15000, adjustments=(Adjustment("CO", "45", 5000),)),
    )
    _refused(
        db,
        ValidationError,
        aa.transfer_balance,
        db,
        rep,
        claim,
        "patient",
        expected_version=_version(db, claim),
        today=TODAY,
        match="nothing is open",
    )


def test_denied_claim_to_patient(db, users, tmp_path):
    claim = make_claim(db, users["admin"], tmp_path, charges=("300.00",))
    _walk(db, users["rep"], claim, "ready", "submitted", "denied")
    r = aa.transfer_balance(
        db, users["rep"], claim, "patient", expected_version=_version(db, claim), today=TODAY
    )
    assert r.moved_cents == 30000 and _claim(db, claim).pat_balance_cents == 30000
    assert run_check(db).ok


# --- rebill ---------------------------------------------------------------------------


def test_mark_and_clear_rebill(db, users, tmp_path):
    rep = users["rep"]
    claim = make_claim(db, users["admin"], tmp_path)
    _refused(
        db,
        ValidationError,
        aa.mark_for_rebill,
        db,
        rep,
        claim,
        expected_version=_version(db, claim),
        today=TODAY,
        match="not been sent yet",
    )
    _walk(db, rep, claim, "ready", "submitted")
    r1 = aa.mark_for_rebill(
        db,
        rep,
        claim,
        expected_version=_version(db, claim),
        reason="payer has no record of the claim",
        today=TODAY,
    )
    assert r1.rebill and _claim(db, claim).rebill
    _refused(
        db,
        ValidationError,
        aa.mark_for_rebill,
        db,
        rep,
        claim,
        expected_version=r1.claim_version,
        today=TODAY,
        match="already marked",
    )
    _refused(
        db,
        ConflictError,
        aa.mark_for_rebill,
        db,
        rep,
        claim,
        rebill=False,
        expected_version=r1.claim_version - 1,
        today=TODAY,
    )
    r2 = aa.mark_for_rebill(
        db, rep, claim, rebill=False, expected_version=r1.claim_version, today=TODAY
    )
    assert not r2.rebill and not _claim(db, claim).rebill
    _refused(
        db,
        ValidationError,
        aa.mark_for_rebill,
        db,
        rep,
        claim,
        rebill=False,
        expected_version=r2.claim_version,
        today=TODAY,
        match="not marked",
    )
    assert [a for a, _ in _audit(db, claim) if "rebill" in a] == ["rebill_marked", "rebill_cleared"]
    assert ("rebill_marked", {"reason": "payer has no record of the claim"}) in _audit(db, claim)


# --- the account view ---------------------------------------------------------------------


def test_account_view_carries_what_the_screen_needs(db, users, tmp_path):
    rep = users["rep"]
    claim = make_claim(db, users["admin"], tmp_path, charges=("300.00",))
    add_coverage(db, "A0000001", "62308", "Cigna", rank=2)
    _walk(db, rep, claim, "ready", "submitted", "denied")
    with UnitOfWork(db) as uow:
        c = uow.claims.get(claim)
        uow.session.get(m.Payer, c.payer_id).phone = "800-555-0199"
        cov = uow.patients.coverages(c.patient_id)[0]
        cov.eligibility_result = "active"
        uow.session.add(
            m.Denial(
                claim_id=claim,
                group_code="CO",
                carc="197",
                amount_cents=30000,
                category="authorization",
                status="open",
                denied_on=TODAY,
                due_date=TODAY + dt.timedelta(days=90),
                created_at=dt.datetime(2026, 11, 27, 9),
            )
        )
        uow.commit()
        patient_id = c.patient_id
    aa.log_call_note(
        db, rep, _note(claim, outcome="denied"), expected_version=_version(db, claim), today=TODAY
    )
    view = load_account(db, rep, patient_id)
    cov1, cov2 = view.coverages
    assert (cov1.payer_phone, cov1.eligibility, cov2.rank) == ("800-555-0199", "active", 2)
    (cv,) = view.claims
    assert (cv.billed_to, cv.payer_phone, cv.next_payer_rank, cv.rebill) == (
        "UnitedHealthcare",
        "800-555-0199",
        2,
        False,
    )
    assert set(cv.allowed_next) == {
        "paid",
        "partially_paid",
        "denied",
        "appealed",
        "corrected",
        "closed",
    }
    assert cv.open_with(1) == 30000
    (d,) = view.denials
    assert (d.claim_number, d.carc, d.category, d.amount_cents, d.status) == (
        cv.claim_number,
        "197",
        "authorization",
        30000,
        "open",
    )
    (note,) = view.activities
    assert (
        note.claim_number,
        note.outcome,
        note.payer_contact,
        note.duration_seconds,
        note.user_name,
    ) == (cv.claim_number, "denied", "Tina", 185, "Rep")
