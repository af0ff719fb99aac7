"""Scrubber, 837P export and 999 import services on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from claims_out_helpers import claim_row, give_addresses, set_claim, setup_practice
from sqlalchemy import func, select
from svc_helpers import TODAY, add_coverage, make_claim
from x12_helpers import ack_999, pyx12_999, pyx12_findings

from billing_tui.db import models as m
from billing_tui.db.uow import UnitOfWork
from billing_tui.domain.errors import ConflictError, NotFoundError, ValidationError
from billing_tui.services import claim_entry as CE
from billing_tui.services.accounts import load_account
from billing_tui.services.acks import import_999
from billing_tui.services.check import run_check
from billing_tui.services.posting import Adjustment, LinePosting, PatientShare, post_line
from billing_tui.services.scrubber import claim_findings, scrub_claim, scrub_claims, work_list
from billing_tui.services.submission import export_837, preview_submission

NOW = dt.datetime(2026, 11, 27, 10, 0)


@pytest.fixture
def practice(db):
    return setup_practice(db)


def _claims(db, admin, tmp_path, *specs) -> list[int]:
    ids = [make_claim(db, admin, tmp_path, **spec) for spec in specs]
    give_addresses(db)
    return ids


def _status(db, claim_id) -> str:
    return claim_row(db, claim_id).status


def _audit(db, action) -> int:
    with UnitOfWork(db, write=False) as uow:
        return uow.session.scalar(
            select(func.count()).select_from(m.AuditEvent).where(m.AuditEvent.action == action)
        )


def test_scrub_readies_clean_claims_and_lists_the_rest(db, admin, practice, tmp_path):
    good, bad = _claims(
        db,
        admin,
        tmp_path,
        {"diagnoses": "I10:E11.9"},
        {"diagnoses": "E11:I10", "service_date": "2026-10-05"},
    )
    summary = scrub_claims(db, admin, today=TODAY)
    assert (summary.scrubbed, summary.clean, summary.failed) == (2, 1, 1)
    assert summary.by_edit == {"diagnoses": 1}
    assert _status(db, good) == "ready" and _status(db, bad) == "draft"
    page = work_list(db)
    assert [i.claim_id for i in page.items] == [bad] and page.counts == {
        "needs_work": 1,
        "ready": 1,
    }
    assert "E11 is a header" in page.items[0].first_message
    assert [f.edit for f in claim_findings(db, bad)] == ["diagnoses"]
    # The rep fixes the code and scrubs again: ready, off the work list.
    form = CE.load_claim(db, admin, bad)
    data = CE.ClaimInput(
        coverage_id=form.coverage_id,
        provider_id=form.provider_id,
        place_of_service="11",
        diagnoses="E11.9 I10",
        lines=tuple(
            CE.LineInput(ln.service_date.isoformat(), ln.procedure_code if hasattr(ln, "procedure_code") else ln.procedure,
                         " ".join(ln.modifiers), str(ln.units), f"{ln.charge_cents / 100:.2f}", "1", ln.line_id)
            for ln in form.lines
        ),
    )  # fmt: skip
    form = CE.save_claim(db, admin, data, claim_id=bad, expected_version=form.version, today=TODAY)
    result = scrub_claim(db, admin, bad, expected_version=form.version, today=TODAY)
    assert result.result == "clean" and result.status == "ready" and result.findings == ()
    assert work_list(db).items == [] and work_list(db, view="ready").total == 2
    assert _audit(db, "claim_scrubbed") == 3


def test_scrub_conflicts_and_refusals(db, admin, practice, tmp_path):
    (cid,) = _claims(db, admin, tmp_path, {})
    version = claim_row(db, cid).version
    set_claim(db, cid, place_of_service="22")  # another rep saved meanwhile
    with pytest.raises(ConflictError, match="reload"):
        scrub_claim(db, admin, cid, expected_version=version, today=TODAY)
    with pytest.raises(NotFoundError):
        scrub_claims(db, admin, [999999], today=TODAY)
    set_claim(db, cid, status="submitted")
    with pytest.raises(ValidationError, match="only claims not yet sent"):
        scrub_claim(db, admin, cid, today=TODAY)
    assert _audit(db, "claim_scrubbed") == 0


def test_a_ready_claim_that_fails_goes_back_to_draft(db, admin, practice, tmp_path):
    (cid,) = _claims(db, admin, tmp_path, {"service_date": "2026-08-01", "payer_id": "87726"})
    assert scrub_claim(db, admin, cid, today=TODAY).status == "ready"
    with UnitOfWork(db) as uow:  # the payer's filing window is 90 days from 2026-08-01
        uow.payers.by_edi_ids(["87726"])["87726"].timely_filing_days = 90
        uow.commit()
    r = scrub_claim(db, admin, cid, today=TODAY)
    assert r.status == "draft" and [f.edit for f in r.findings] == ["timely_filing"]


def test_export_marks_submitted_numbers_increase_and_never_resend(db, admin, practice, tmp_path):
    a, b, c = _claims(
        db, admin, tmp_path,
        {"charges": ("200.00", "25.00")},
        {"patient_account": "A0000002", "patient_last": "Stone", "payer_id": "60054", "payer_name": "Aetna",
         "member_id": "AET1"},
        {"patient_account": "A0000003", "patient_last": "Moss"},
    )  # fmt: skip
    scrub_claims(db, admin, today=TODAY)
    preview = preview_submission(db)
    assert (preview.claims, preview.lines, preview.charge_cents) == (3, 4, 62500)
    assert sorted(p.edi_payer_id for p in preview.payers) == ["60054", "87726"]
    out = tmp_path / "batch1.837"
    r1 = export_837(db, admin, out, claim_ids=preview.claim_ids, now=NOW)
    assert r1.as_json() == {
        "claims": 3, "lines": 4, "charge_cents": 62500, "file": str(out),
        "interchange_control_number": 1,
    }  # fmt: skip
    assert {_status(db, x) for x in (a, b, c)} == {"submitted"}
    assert claim_row(db, a).submitted_at == NOW.date()
    text = out.read_text()
    assert pyx12_findings(text) == (True, [])
    assert text.count("ST*837*") == 2
    # Every line goes out with its own line control number (REF*6R), the key an 835's
    # service payment matches back on.
    sent = [
        seg.split("*")[2] for seg in text.replace("\n", "").split("~") if seg.startswith("REF*6R*")
    ]
    with UnitOfWork(db, write=False) as uow:
        stored = [ln.line_control_number for cid in (a, b, c) for ln in uow.claims.lines(cid)]
    assert sorted(sent) == sorted(stored) and len(set(sent)) == 4
    # Nothing is ready now: a second export writes nothing and says why.
    with pytest.raises(ValidationError, match="no claims are ready"):
        export_837(db, admin, tmp_path / "again.837", now=NOW)
    assert not (tmp_path / "again.837").exists()
    (d,) = _claims(db, admin, tmp_path, {"patient_account": "A0000004", "patient_last": "Lake"})
    scrub_claims(db, admin, today=TODAY)
    r2 = export_837(db, admin, tmp_path / "batch2.837", now=NOW)
    assert (r2.claims, r2.interchange_control_number) == (1, 2)
    assert r2.group_control_number > r1.group_control_number
    with UnitOfWork(db, write=False) as uow:
        sets = [
            s.control_number
            for s in uow.session.scalars(select(m.SubmissionSet).order_by(m.SubmissionSet.id))
        ]
        sent = uow.session.scalars(
            select(m.SubmittedClaim.claim_id).order_by(m.SubmittedClaim.id)
        ).all()
    assert sets == sorted(sets) and len(set(sets)) == 3
    assert sorted(sent) == sorted([a, b, c, d])  # each claim sent once
    assert _audit(db, "claim_submitted") == 4 and _audit(db, "batch_exported") == 2
    with pytest.raises(ValidationError, match="already exists"):
        export_837(db, admin, out, now=NOW)
    assert run_check(db).ok


def test_export_one_payer_and_a_stale_preview(db, admin, practice, tmp_path):
    uhc, aetna = _claims(
        db, admin, tmp_path, {},
        {"patient_account": "A0000002", "payer_id": "60054", "payer_name": "Aetna", "member_id": "AET1"},
    )  # fmt: skip
    scrub_claims(db, admin, today=TODAY)
    preview = preview_submission(db, payer_edi="60054")
    assert preview.claim_ids == (aetna,)
    set_claim(db, aetna, status="draft")  # someone pulled it back after the preview
    with pytest.raises(ConflictError, match="no longer ready"):
        export_837(db, admin, tmp_path / "x.837", claim_ids=preview.claim_ids, now=NOW)
    assert not (tmp_path / "x.837").exists()
    r = export_837(db, admin, tmp_path / "uhc.837", payer_edi="87726", now=NOW)
    assert r.claims == 1 and _status(db, uhc) == "submitted"
    with pytest.raises(NotFoundError, match="no payer"):
        preview_submission(db, payer_edi="NOPE")


def test_secondary_claim_goes_out_with_the_primary_adjudication(db, admin, practice, tmp_path):
    (cid,) = _claims(db, admin, tmp_path, {"charges": ("200.00",)})
    add_coverage(db, "A0000001", "60054", "Aetna", 2)
    scrub_claims(db, admin, today=TODAY)
    export_837(db, admin, tmp_path / "primary.837", now=NOW)
    primary = (tmp_path / "primary.837").read_text()
    assert "SBR*S*18" in primary and "NM1*PR*2*Aetna" in primary  # the other payer (2320)
    # The primary pays (DESIGN example 4): 96.00 paid, CO-45 80.00, PR-2 24.00 -> secondary.
    post_line(
        db,
        admin,
        cid,
        1,
        LinePosting(96_00, (Adjustment("CO", "45", 80_00),), (PatientShare("2", 24_00),)),
    )
    set_claim(db, cid, status="transferred", responsibility=2)
    r = scrub_claim(db, admin, cid, today=TODAY)
    assert r.result == "clean" and r.status == "transferred"
    assert work_list(db, view="ready").total == 1
    out = export_837(db, admin, tmp_path / "secondary.837", now=NOW)
    assert out.claims == 1 and _status(db, cid) == "submitted"
    text = (tmp_path / "secondary.837").read_text()
    assert "SBR*S*18" in text and "SBR*P*18" in text and "AMT*D*96~" in text
    assert "SVD*87726*96*HC:99214**1~" in text
    assert "CAS*CO*45*80~" in text and "CAS*PR*2*24~" in text
    assert pyx12_findings(text) == (True, [])
    with UnitOfWork(db, write=False) as uow:
        ranks = uow.session.scalars(
            select(m.SubmittedClaim.rank).order_by(m.SubmittedClaim.id)
        ).all()
    assert ranks == [1, 2]


def test_secondary_claim_without_the_primary_eob_fails_cob(db, admin, practice, tmp_path):
    (cid,) = _claims(db, admin, tmp_path, {})
    add_coverage(db, "A0000001", "60054", "Aetna", 2)
    with UnitOfWork(db) as uow:  # the balance moved on, but no EOB was posted
        claim = uow.claims.get(cid)
        from billing_tui.domain import ledger as L

        uow.ledger.append(
            claim,
            uow.claims.lines(cid)[0],
            L.transfer(200_00, 1, 2),
            user_id=admin.user_id,
            now=NOW,
        )
        claim.status, claim.responsibility = "transferred", 2
        uow.commit()
    r = scrub_claim(db, admin, cid, today=TODAY)
    assert [f.edit for f in r.findings] == ["cob"]
    assert "post the primary's EOB first" in r.findings[0].message


def test_corrected_claim_goes_out_with_frequency_7_and_ref_f8(db, admin, practice, tmp_path):
    (cid,) = _claims(db, admin, tmp_path, {})
    scrub_claims(db, admin, today=TODAY)
    export_837(db, admin, tmp_path / "first.837", now=NOW)
    set_claim(db, cid, status="denied")  # the 835 denied it (no payer claim number kept)
    with pytest.raises(ValidationError, match="payer's claim number"):
        CE.start_correction(db, admin, cid)
    form = CE.start_correction(db, admin, cid, frequency_code="7", payer_claim_number="ICN-778899")
    assert (form.status, form.frequency_code, form.payer_claim_number) == (
        "corrected",
        "7",
        "ICN-778899",
    )
    assert work_list(db).items[0].claim_id == cid
    assert scrub_claim(db, admin, cid, today=TODAY).status == "ready"
    export_837(db, admin, tmp_path / "corrected.837", now=NOW)
    text = (tmp_path / "corrected.837").read_text()
    assert ":B:7*" in text and "REF*F8*ICN-778899~" in text
    assert pyx12_findings(text) == (True, [])
    with pytest.raises(ValidationError, match="only a paid or denied claim"):
        CE.start_correction(db, admin, cid, payer_claim_number="X")


def test_999_accepts_one_set_and_rejects_the_other(db, admin, practice, tmp_path):
    a, b1, b2 = _claims(
        db, admin, tmp_path, {},
        {"patient_account": "A0000002", "payer_id": "60054", "payer_name": "Aetna", "member_id": "AET1"},
        {"patient_account": "A0000003", "payer_id": "60054", "payer_name": "Aetna", "member_id": "AET2"},
    )  # fmt: skip
    scrub_claims(db, admin, today=TODAY)
    r = export_837(db, admin, tmp_path / "b.837", now=NOW)
    with UnitOfWork(db, write=False) as uow:
        sets = {s.payer_id: s for s in uow.session.scalars(select(m.SubmissionSet))}
        payers = uow.payers.by_edi_ids(["87726", "60054"])
        subs = {x.claim_id: x for x in uow.session.scalars(select(m.SubmittedClaim))}
    uhc_set, aetna_set = sets[payers["87726"].id], sets[payers["60054"].id]
    clm_pos = subs[b2].first_segment + 8  # inside b2's segments
    ack = ack_999(
        r.group_control_number,
        [
            (uhc_set.control_number, "A", ""),
            (aetna_set.control_number, "R", f"IK3*CLM*{clm_pos}*2300*8~IK4*5:1*1331*7*99"),
        ],
    )
    path = tmp_path / "ack.999"
    path.write_text(ack)
    res = import_999(db, admin, path)
    assert (res.sets_accepted, res.sets_rejected, res.claims_accepted, res.claims_rejected) == (
        1,
        1,
        1,
        2,
    )
    assert _status(db, a) == "accepted" and {_status(db, b1), _status(db, b2)} == {"rejected"}
    own = claim_findings(db, b2)
    assert (
        len(own) == 1
        and "CLM segment" in own[0].message
        and "invalid code value ('99')" in own[0].message
    )
    other = claim_findings(db, b1)
    assert "errors in other claims" in other[0].message
    page = work_list(db)
    assert {i.claim_id for i in page.items} == {b1, b2}
    assert all(i.result == "failed" for i in page.items)
    # The same file again changes nothing.
    again = import_999(db, admin, path)
    assert again.duplicate and _status(db, a) == "accepted"
    # Fixed and re-scrubbed: the rejected claims are sent again (frequency 1).
    assert scrub_claim(db, admin, b2, today=TODAY).status == "ready"
    r2 = export_837(db, admin, tmp_path / "resend.837", now=NOW)
    assert r2.claims == 1 and r2.interchange_control_number == r.interchange_control_number + 1


def test_999_built_by_pyx12_for_a_broken_file(db, admin, practice, tmp_path):
    (cid,) = _claims(db, admin, tmp_path, {})
    scrub_claims(db, admin, today=TODAY)
    export_837(db, admin, tmp_path / "b.837", now=NOW)
    broken = (tmp_path / "b.837").read_text().replace("*11:B:1*", "*11>B>1*")
    ack = pyx12_999(broken)
    assert "IK3*CLM" in ack
    (tmp_path / "b.999").write_text(ack)
    res = import_999(db, admin, tmp_path / "b.999")
    assert res.claims_rejected == 1 and _status(db, cid) == "rejected"
    assert any("CLM segment" in f.message for f in claim_findings(db, cid))


def test_999_that_matches_nothing_is_refused(db, admin, practice, tmp_path):
    path = tmp_path / "x.999"
    path.write_text(ack_999(4242, [("000000001", "A", "")]))
    with pytest.raises(NotFoundError, match="matches no 837P batch"):
        import_999(db, admin, path)
    with pytest.raises(ValidationError, match="no such file"):
        import_999(db, admin, tmp_path / "none.999")


def test_claim_entry_keeps_the_ledger_exact(db, admin, practice, tmp_path):
    (seed_claim,) = _claims(db, admin, tmp_path, {})
    patient_id = claim_row(db, seed_claim).patient_id
    form = CE.new_claim_form(db, admin, "a0000001")
    assert form.coverages and form.providers and form.claim_id is None
    data = CE.ClaimInput(
        coverage_id=form.coverages[0].id,
        provider_id=form.providers[0].id,
        place_of_service="11",
        diagnoses="i10, e11.9",
        lines=(
            CE.LineInput("10/02/2026", "99213", "25", "1", "145.00", "1 2"),
            CE.LineInput("2026-10-02", "36415", "", "1", "25", "2"),
        ),
    )
    saved = CE.save_claim(db, admin, data, patient_id=patient_id, today=TODAY)
    assert saved.claim_number.startswith("E") and saved.status == "draft"
    assert saved.diagnoses == ("I10", "E11.9") and saved.total_charge_cents == 17000
    assert [ln.modifiers for ln in saved.lines] == [("25",), ()]
    cid = saved.claim_id
    # Change the first line's charge, drop the second, add a third.
    first = saved.lines[0]
    edit = CE.ClaimInput(
        coverage_id=saved.coverage_id,
        provider_id=saved.provider_id,
        place_of_service="11",
        diagnoses="I10 E11.9",
        lines=(
            CE.LineInput("2026-10-02", "99214", "25", "1", "210", "1", first.line_id),
            CE.LineInput("2026-10-02", "85025", "", "1", "38", "2"),
        ),
    )
    edited = CE.save_claim(
        db, admin, edit, claim_id=cid, expected_version=saved.version, today=TODAY
    )
    assert [ln.procedure for ln in edited.lines] == ["99214", "85025"]
    assert edited.total_charge_cents == 24800
    c = claim_row(db, cid)
    assert c.ins_balance_cents == 24800 and c.pat_balance_cents == 0
    with UnitOfWork(db, write=False) as uow:
        kinds = [e.kind for e in uow.ledger.for_claim(cid)]
        removed = [ln.removed for ln in uow.claims.lines(cid)]
    assert kinds == ["charge", "charge", "reversal", "charge", "charge", "reversal"]
    assert removed == [False, True, False]
    # The account shows the dropped line as removed (its charge reversed), not as billed.
    view = load_account(db, admin, patient_id)
    shown = next(c for c in view.claims if c.claim_id == cid).lines
    assert [(ln.procedure_code, ln.removed, ln.ins_balance_cents) for ln in shown] == [
        ("99214", False, 21000),
        ("36415", True, 0),
        ("85025", False, 3800),
    ]
    assert run_check(db).ok
    with pytest.raises(ConflictError, match="changed by someone else"):
        CE.save_claim(db, admin, edit, claim_id=cid, expected_version=saved.version, today=TODAY)
    bad = CE.ClaimInput(
        None, None, "11", "I10", (CE.LineInput("2026-10-02", "99214", "", "1", "abc", "1"),)
    )
    with pytest.raises(ValidationError) as err:
        CE.save_claim(db, admin, bad, claim_id=cid, expected_version=edited.version, today=TODAY)
    assert err.value.field == "line1.charge" and "line 1" in str(err.value)
    with pytest.raises(ValidationError, match="names no diagnosis"):
        CE.save_claim(db, admin, CE.ClaimInput(None, None, "11", "I10", (CE.LineInput("2026-10-02", "99214", "", "1", "10", "2"),)),
                      claim_id=cid, today=TODAY)  # fmt: skip
    # Self-pay: the open charges move to the patient.
    self_pay = CE.ClaimInput(None, edited.provider_id, "11", "I10 E11.9",
                             tuple(CE.LineInput(ln.service_date.isoformat(), ln.procedure, "", "1",
                                                f"{ln.charge_cents / 100:.2f}", "1", ln.line_id) for ln in edited.lines))  # fmt: skip
    moved = CE.save_claim(
        db, admin, self_pay, claim_id=cid, expected_version=edited.version, today=TODAY
    )
    c = claim_row(db, cid)
    assert (c.ins_balance_cents, c.pat_balance_cents, c.responsibility) == (0, 24800, 0)
    CE.void_claim(db, admin, cid, expected_version=moved.version)
    c = claim_row(db, cid)
    assert c.status == "void" and (c.ins_balance_cents, c.pat_balance_cents) == (0, 0)
    assert run_check(db).ok
    with pytest.raises(ValidationError, match="start a corrected claim"):
        CE.save_claim(db, admin, self_pay, claim_id=cid, today=TODAY)


def test_demo_ready_claims_export_and_pass_pyx12(db, tmp_path):
    from billing_tui.services.auth import actor_of
    from billing_tui.services.demo import build_demo

    build_demo(db, claims=600, seed=3, today=TODAY)
    page = work_list(db)
    assert page.counts["ready"] > 10 and page.counts["needs_work"] > 5
    with UnitOfWork(db, write=False) as uow:
        edits = set(uow.session.scalars(select(m.ScrubFinding.edit).distinct()))
        admin = actor_of(uow.users.by_username("admin"))
        freq = set(
            uow.session.scalars(select(m.Claim.frequency_code).where(m.Claim.status == "ready"))
        )
    # (a duplicate needs a patient with two visits the same day: not every small demo has one)
    assert {"diagnoses", "pointers", "procedures", "units_charges", "total",
            "rendering_npi", "coverage", "demographics", "timely_filing"} <= edits  # fmt: skip
    assert "7" in freq
    r = export_837(db, admin, tmp_path / "demo.837", now=NOW)
    assert r.claims == page.counts["ready"]
    text = (tmp_path / "demo.837").read_text()
    assert "SVD*" in text and "REF*F8*" in text
    assert pyx12_findings(text) == (True, [])
    assert run_check(db).ok
