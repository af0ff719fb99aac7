"""Appeals on both databases: deadlines from payer windows, letters, outcomes, levels."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from denial_helpers import denied_claim

from billing_tui.db import models as m
from billing_tui.db.uow import UnitOfWork
from billing_tui.domain.errors import ValidationError
from billing_tui.services import appeals as AP
from billing_tui.services import denials as D


def _set_payer(db, claim_id: int, **fields) -> int:
    with UnitOfWork(db) as uow:
        payer = uow.payers.get(uow.claims.get(claim_id).payer_id)
        for k, v in fields.items():
            setattr(payer, k, v)
        uow.commit()
        return payer.id


def _ready(db, users, tmp_path, **over):
    claim_id, denial_id = denied_claim(db, users["admin"], tmp_path, **over)
    D.set_root_cause(db, users["rep"], denial_id, "authorization")
    return claim_id, denial_id


def _denied_on(db, denial_id) -> dt.date:
    with UnitOfWork(db, write=False) as uow:
        return uow.session.get(m.Denial, denial_id).denied_on


def test_medicare_redetermination_is_120_days(db, users, tmp_path):
    claim_id, denial_id = _ready(db, users, tmp_path)
    _set_payer(db, claim_id, payer_type="medicare", appeal_window_days=365)
    preview = AP.preview_appeal(db, denial_id)
    assert preview.deadline == _denied_on(db, denial_id) + dt.timedelta(days=120)
    assert preview.window_days == 120


def test_stored_payer_window_per_level_wins(db, users, tmp_path):
    claim_id, denial_id = _ready(db, users, tmp_path)
    payer_id = _set_payer(db, claim_id, appeal_window_days=90)
    assert AP.preview_appeal(db, denial_id).window_days == 90
    with UnitOfWork(db) as uow:
        uow.session.add(m.PayerAppealWindow(payer_id=payer_id, level=1, days=45))
        uow.commit()
    assert AP.preview_appeal(db, denial_id).deadline == _denied_on(db, denial_id) + dt.timedelta(
        days=45
    )


def test_argument_is_required_and_nothing_is_written(db, users, tmp_path):
    _c, denial_id = _ready(db, users, tmp_path)
    with pytest.raises(ValidationError, match="argument") as err:
        AP.start_appeal(db, users["rep"], denial_id, argument="  ", out_dir=tmp_path / "l")
    assert err.value.field == "argument"
    assert not (tmp_path / "l").exists()
    with UnitOfWork(db, write=False) as uow:
        assert uow.session.get(m.Denial, denial_id).status == "open"


def test_work_list_sorted_by_deadline_with_due_soon_and_overdue(db, users, tmp_path):
    rep = users["rep"]
    today = dt.date.today()
    c1, d1 = _ready(db, users, tmp_path)
    c2, d2 = _ready(db, users, tmp_path)
    c3, d3 = _ready(db, users, tmp_path)
    _set_payer(db, c1, appeal_window_days=5)  # every claim shares the payer: one window
    a1 = AP.start_appeal(db, rep, d1, argument="a", out_dir=tmp_path)
    _set_payer(db, c1, appeal_window_days=60)
    a2 = AP.start_appeal(db, rep, d2, argument="b", out_dir=tmp_path)
    with UnitOfWork(db) as uow:  # an appeal filed long ago
        uow.session.get(m.Denial, d3).denied_on = today - dt.timedelta(days=70)
        uow.commit()
    a3 = AP.start_appeal(db, rep, d3, argument="c", out_dir=tmp_path)
    assert "passed 10 days ago" in a3.message
    rows = AP.appeals_work_list(db, today=today)
    assert [r.appeal_id for r in rows] == [a3.appeal_id, a1.appeal_id, a2.appeal_id]
    assert [r.urgency for r in rows] == ["overdue", "due_soon", "ok"]
    assert [r.days_left for r in rows] == [-10, 5, 60]


def test_outcomes_resolve_or_reopen_and_second_level_counts_from_the_decision(db, users, tmp_path):
    rep = users["rep"]
    today = dt.date.today()
    _c1, d1 = _ready(db, users, tmp_path)
    a1 = AP.start_appeal(db, rep, d1, argument="records attached", out_dir=tmp_path)
    won = AP.record_outcome(db, rep, a1.appeal_id, "won")
    assert won.outcome == "won" and "post the payment" in won.message
    with UnitOfWork(db, write=False) as uow:
        assert uow.session.get(m.Denial, d1).status == "resolved"
    with pytest.raises(ValidationError, match="already decided"):
        AP.record_outcome(db, rep, a1.appeal_id, "lost")

    c2, d2 = _ready(db, users, tmp_path)
    _set_payer(db, c2, payer_type="medicare")
    a2 = AP.start_appeal(db, rep, d2, argument="first try", out_dir=tmp_path)
    with pytest.raises(ValidationError, match="already has an appeal waiting|only an open"):
        AP.start_appeal(db, rep, d2, argument="again", out_dir=tmp_path)
    with pytest.raises(ValidationError, match="record that decision first"):
        AP.start_appeal(db, rep, d2, argument="second", level="second", out_dir=tmp_path)
    AP.record_outcome(db, rep, a2.appeal_id, "lost", decided_on=today)
    with UnitOfWork(db, write=False) as uow:
        assert uow.session.get(m.Denial, d2).status == "open"  # back on the work list
    a2b = AP.start_appeal(db, rep, d2, argument="second try", level="second", out_dir=tmp_path)
    assert a2b.deadline == today + dt.timedelta(days=180)  # Medicare reconsideration
    assert "Qualified Independent Contractor" in Path(a2b.letter_txt_path).read_text()
    with pytest.raises(ValidationError, match="won, partly or lost"):
        AP.record_outcome(db, rep, a2b.appeal_id, "maybe")


def test_a_practice_template_in_the_user_folder_wins(db, users, tmp_path, monkeypatch):
    own = tmp_path / "own-templates"
    own.mkdir()
    (own / "appeal_first_level.txt.j2").write_text(
        "OUR LETTER for {{ claim.number }}: {{ argument }} (by {{ deadline }})\n"
    )
    monkeypatch.setattr(AP, "user_templates_dir", lambda: own)
    _c, denial_id = _ready(db, users, tmp_path)
    a = AP.start_appeal(db, users["rep"], denial_id, argument="see notes", out_dir=tmp_path)
    text = Path(a.letter_txt_path).read_text()
    assert text == f"OUR LETTER for {a.claim_number}: see notes (by {a.deadline.isoformat()})\n"
    with UnitOfWork(db, write=False) as uow:
        assert uow.session.get(m.Appeal, a.appeal_id).letter_text == text
