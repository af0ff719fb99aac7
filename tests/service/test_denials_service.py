"""Denial work on both databases: work list, root cause, every action and its status."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from denial_helpers import denied_claim
from svc_helpers import add_coverage, balances

from billing_tui.db import models as m
from billing_tui.db.uow import UnitOfWork
from billing_tui.domain.errors import ValidationError
from billing_tui.services import denials as D
from billing_tui.services.appeals import start_appeal
from billing_tui.services.approvals import approve_request, pending_requests
from billing_tui.services.check import run_check


def _audit_actions(db, entity_id: str) -> list[str]:
    with UnitOfWork(db, write=False) as uow:
        return [e.action for e in uow.audit_log.for_entity("claim", entity_id)]


def _denial(db, denial_id: int) -> m.Denial:
    with UnitOfWork(db, write=False) as uow:
        return uow.session.get(m.Denial, denial_id)


def test_work_list_groups_by_category_and_carc_with_counts_and_dollars(db, users, tmp_path):
    admin = users["admin"]
    denied_claim(db, admin, tmp_path, carc="197", charge="300.00")
    denied_claim(db, admin, tmp_path, carc="197", charge="120.00")
    denied_claim(db, admin, tmp_path, carc="50", charge="80.00")
    wl = D.work_list(db)
    assert [(g.category, g.carc, g.count, g.amount_cents) for g in wl.groups] == [
        ("authorization", "197", 2, 42000),
        ("medical_necessity", "50", 1, 8000),
    ]
    assert (wl.total_count, wl.total_cents) == (3, 50000)
    # Exact int cents on both databases (PostgreSQL's SUM is numeric: Money refuses it).
    assert {type(g.amount_cents) for g in wl.groups} | {type(wl.total_cents)} == {int}
    assert wl.group == ("authorization", "197")
    assert sorted(r.amount_cents for r in wl.rows) == [12000, 30000]
    # one group's rows, and the filters
    wl50 = D.work_list(db, group=("medical_necessity", "50"))
    assert [r.carc for r in wl50.rows] == ["50"]
    assert D.work_list(db, age="31-60").groups == ()
    assert D.work_list(db, age="0-30").total_count == 3
    payer_id = next(pid for pid, name in D.payer_choices(db) if name == "UnitedHealthcare")
    assert D.work_list(db, payer_id=payer_id).total_count == 3
    assert D.work_list(db, payer_id=payer_id + 999).total_count == 0
    with pytest.raises(ValidationError, match="age filter"):
        D.work_list(db, age="7-9")


def test_unknown_carc_is_stored_and_flagged_not_rejected(db, users, tmp_path):
    _claim, denial_id = denied_claim(db, users["admin"], tmp_path, carc="Z99")
    wl = D.work_list(db)
    assert [(g.carc, g.category, g.known) for g in wl.groups] == [("Z99", "other", False)]
    detail = D.load_denial(db, users["rep"], denial_id)
    assert detail.known is False
    assert _denial(db, denial_id).reason_known is False  # flagged when stored
    assert "Unknown CARC Z99" in detail.description


def test_root_cause_first_then_an_action(db, users, tmp_path):
    rep = users["rep"]
    claim_id, denial_id = denied_claim(db, users["admin"], tmp_path)
    with pytest.raises(ValidationError, match="root cause") as err:
        D.transfer_to_patient(db, rep, denial_id)
    assert err.value.field == "root_cause"
    with pytest.raises(ValidationError, match="root cause 'weather'"):
        D.set_root_cause(db, rep, denial_id, "weather")
    with pytest.raises(ValidationError, match="other: say what"):
        D.set_root_cause(db, rep, denial_id, "other")
    res = D.set_root_cause(db, rep, denial_id, "front desk", note="auth not requested")
    assert "Front desk" in res.message
    d = _denial(db, denial_id)
    assert (d.root_cause, d.root_cause_note) == ("front_desk", "auth not requested")
    assert "denial_root_cause_set" in _audit_actions(db, res.claim_number)


def test_rep_flow_open_root_cause_appeal_and_write_off_approval(db, users, tmp_path):
    """The issue's flow: open a denial, set a root cause, appeal it (letter as text and
    PDF naming the claim, a deadline); request a $200 write-off that waits; the
    supervisor approves it; balances and audit events are right."""
    rep, supervisor = users["rep"], users["supervisor"]
    claim_id, denial_id = denied_claim(db, users["admin"], tmp_path)
    detail = D.load_denial(db, rep, denial_id)
    assert detail.row.amount_cents == 30000 and detail.open_cents == 30000
    assert detail.category_label == "Authorization"
    assert detail.account.patient_id == detail.row.patient_id
    number = detail.row.claim_number
    assert "account_viewed" in [e.action for e in _audit_for_patient(db, detail.row.patient_id)]
    D.set_root_cause(db, rep, denial_id, "authorization")
    letters = tmp_path / "letters"
    appeal = start_appeal(
        db, rep, denial_id, argument="Authorization A123 covered this visit.", out_dir=letters
    )
    denied_on = detail.row.denied_on
    assert appeal.deadline == denied_on + dt.timedelta(days=180)  # the payer's window
    txt, pdf = Path(appeal.letter_txt_path), Path(appeal.letter_pdf_path)
    assert txt.exists() and pdf.exists() and number in txt.name and number in pdf.name
    text = txt.read_text()
    assert number in text and "Authorization A123 covered this visit." in text
    assert pdf.read_bytes().startswith(b"%PDF") and number.encode() in pdf.read_bytes()
    assert _denial(db, denial_id).status == "appealed"
    with UnitOfWork(db, write=False) as uow:
        assert uow.claims.get(claim_id).status == "appealed"

    # a second denial: $200 of it written off, above the rep's $50 limit
    claim2, denial2 = denied_claim(db, users["admin"], tmp_path, carc="50")
    D.set_root_cause(db, rep, denial2, "documentation")
    res = D.request_write_off(db, rep, denial2, reason="records lost", amount_cents=20000)
    assert res.status == "approval_pending" and res.request_id
    assert balances(db, claim2) == (30000, 0)  # nothing posted while it waits
    assert [r.id for r in pending_requests(db)] == [res.request_id]
    assert D.work_list(db).total_count == 0  # neither is on the work list now
    approve_request(db, supervisor, res.request_id, "ok")
    assert balances(db, claim2) == (10000, 0)
    assert _denial(db, denial2).status == "written_off"  # settled by the approval itself
    number2 = D.load_denial(db, rep, denial2).row.claim_number
    actions = _audit_actions(db, number2)
    for action in (
        "denial_root_cause_set",
        "denial_write_off_requested",
        "denial_write_off_settled",
    ):
        assert action in actions
    assert "appeal_started" in _audit_actions(db, number)
    report = run_check(db)
    assert report.ok, report.problems


def _audit_for_patient(db, patient_id):
    from sqlalchemy import select

    with UnitOfWork(db, write=False) as uow:
        return uow.session.scalars(
            select(m.AuditEvent).where(m.AuditEvent.patient_id == patient_id)
        ).all()


def test_small_write_off_within_the_limit_posts_at_once(db, users, tmp_path):
    rep = users["rep"]
    claim_id, denial_id = denied_claim(db, users["admin"], tmp_path, charge="40.00")
    D.set_root_cause(db, rep, denial_id, "payer_error")
    res = D.request_write_off(db, rep, denial_id, reason="not worth appealing")
    assert res.status == "written_off"
    assert balances(db, claim_id) == (0, 0)
    with pytest.raises(ValidationError, match="only an open denial"):
        D.transfer_to_patient(db, rep, denial_id)


def test_write_off_more_than_open_is_refused(db, users, tmp_path):
    rep = users["rep"]
    _c, denial_id = denied_claim(db, users["admin"], tmp_path)
    D.set_root_cause(db, rep, denial_id, "coding")
    with pytest.raises(ValidationError, match="more than the 300.00 still open"):
        D.request_write_off(db, rep, denial_id, reason="x", amount_cents=30001)
    with pytest.raises(ValidationError, match="say why"):
        D.request_write_off(db, rep, denial_id, reason=" ")


def test_corrected_claim_replaces_the_original_and_carries_the_balance(db, users, tmp_path):
    rep = users["rep"]
    claim_id, denial_id = denied_claim(db, users["admin"], tmp_path, carc="4")
    D.set_root_cause(db, rep, denial_id, "coding")
    res = D.correct_claim(db, rep, denial_id)
    assert res.status == "corrected"
    with UnitOfWork(db, write=False) as uow:
        orig = uow.claims.get(claim_id)
        repl = uow.claims.get(res.replacement_claim_id)
        assert (repl.frequency_code, repl.original_claim_id) == ("7", claim_id)
        assert repl.payer_claim_number == orig.payer_claim_number == f"ICN{claim_id:08d}"
        assert repl.status in ("ready", "draft") and repl.status == res.replacement_status
        o_lines, r_lines = uow.claims.lines(claim_id), uow.claims.lines(repl.id)
        assert [(ln.procedure_code, ln.charge_cents) for ln in r_lines] == [
            (ln.procedure_code, ln.charge_cents) for ln in o_lines
        ]
        assert (orig.ins_balance_cents, repl.ins_balance_cents) == (0, 30000)
        assert orig.status == "closed"
        scrub = uow.session.get(m.ClaimScrub, repl.id)
        assert scrub is not None  # went through the scrubber
    assert _denial(db, denial_id).replacement_claim_id == res.replacement_claim_id
    assert "denial_corrected_claim" in _audit_actions(db, res.claim_number)
    assert run_check(db).ok


def test_transfer_to_patient_moves_the_denied_amount(db, users, tmp_path):
    rep = users["rep"]
    claim_id, denial_id = denied_claim(db, users["admin"], tmp_path, carc="96")
    D.set_root_cause(db, rep, denial_id, "front_desk")
    res = D.transfer_to_patient(db, rep, denial_id)
    assert res.moved_cents == 30000 and res.status == "transferred"
    assert balances(db, claim_id) == (0, 30000)
    with UnitOfWork(db, write=False) as uow:
        c = uow.claims.get(claim_id)
        assert (c.responsibility, c.status) == (0, "transferred")
    assert "denial_transferred_to_patient" in _audit_actions(db, res.claim_number)
    assert run_check(db).ok


def test_rebill_to_another_coverage(db, users, tmp_path):
    rep = users["rep"]
    claim_id, denial_id = denied_claim(db, users["admin"], tmp_path, carc="22")
    D.set_root_cause(db, rep, denial_id, "eligibility")
    with pytest.raises(ValidationError, match="not on file"):
        D.rebill_other_payer(db, rep, denial_id, 2)
    add_coverage(db, "A0000001", "62308", "Cigna", rank=2)
    detail = D.load_denial(db, rep, denial_id)
    assert [(t.rank, t.payer_name) for t in detail.rebill_targets] == [(2, "Cigna")]
    res = D.rebill_other_payer(db, rep, denial_id, 2)
    assert res.status == "rebilled" and res.moved_cents == 30000
    with UnitOfWork(db, write=False) as uow:
        c = uow.claims.get(claim_id)
        assert (c.responsibility, c.status, c.rebill) == (2, "transferred", True)
        assert c.ins_balance_cents == 30000
    assert "denial_rebilled" in _audit_actions(db, res.claim_number)
    assert run_check(db).ok


def test_work_list_row_and_detail_row_are_the_same_row(db, users, tmp_path):
    """One select serves both: the list's row of a denial is the detail's row."""
    _claim, denial_id = denied_claim(db, users["admin"], tmp_path, carc="50")
    [listed] = D.work_list(db).rows
    assert listed.denial_id == denial_id
    assert D.load_denial(db, users["rep"], denial_id).row == listed
    assert D.group_rows(db, "medical_necessity", "50") == ([listed], False)
