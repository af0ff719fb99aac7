"""Account load: the whole account in one read, masked ids, and an audit view event."""

from __future__ import annotations

from svc_helpers import add_coverage, make_claim

from billing_tui.db.uow import UnitOfWork
from billing_tui.services.accounts import load_account, mask_member_id
from billing_tui.services.posting import Adjustment, LinePosting, PatientShare, post_line


def test_mask_member_id():
    assert mask_member_id("UHC123456789") == "********6789"
    assert mask_member_id("12") == "12" and mask_member_id(None) == ""


def test_load_account_shows_claims_lines_ledger_and_audits_the_view(db, users, tmp_path):
    claim = make_claim(db, users["admin"], tmp_path, charges=("200.00", "50.00"))
    add_coverage(db, "A0000001", "62308", "Cigna", rank=2)
    post_line(
        db,
        users["rep"],
        claim,
        1,
        LinePosting(
            paid_cents=9600,
            adjustments=(Adjustment("CO", "45", 8000),),
            patient_shares=(PatientShare("2", 2400),),
        ),
    )
    with UnitOfWork(db, write=False) as uow:
        patient_id = uow.patients.by_account("A0000001").id
    view = load_account(db, users["rep"], patient_id)
    assert view.name == "Rivera, Ana" and view.account_no == "A0000001"
    assert [(c.rank, c.payer_name, c.member_id_masked) for c in view.coverages] == [
        (1, "UnitedHealthcare", "********6789"),
        (2, "Cigna", "*****8877"),
    ]
    (c,) = view.claims
    assert (c.ins_balance_cents, c.pat_balance_cents) == (2400 + 5000, 0)
    assert [ln.procedure_code for ln in c.lines] == ["99214", "99214"]
    assert [e.kind for e in c.ledger] == [
        "charge",
        "charge",
        "insurance_payment",
        "adjustment",
        "transfer",
    ]
    assert c.ledger[-1].line_no == 1 and c.ledger[-1].to_responsibility == 2
    with UnitOfWork(db, write=False) as uow:
        events = uow.audit_log.for_entity("patient", "A0000001")
    assert [(e.action, e.user_id) for e in events] == [("account_viewed", users["rep"].user_id)]
