"""The EHR charge import: all or nothing, with row/column messages."""

from __future__ import annotations

import pytest
from svc_helpers import charge_row, write_csv

from billing_tui.db.uow import UnitOfWork
from billing_tui.services.charges import ChargeFileError, import_charges
from billing_tui.services.check import run_check


def _counts(db):
    from sqlalchemy import func, select

    from billing_tui.db import models as m

    with db.engine.connect() as conn:
        return tuple(
            conn.scalar(select(func.count()).select_from(t))
            for t in (m.Claim, m.ClaimLine, m.Patient, m.Payer, m.LedgerEntry)
        )


def test_import_creates_claims_patients_payers(db, admin, tmp_path):
    rows = [
        charge_row("E1001", procedure="99214", charge="$145.00", modifiers="25"),
        charge_row("E1001", procedure="36415", charge="25", diagnoses="I10"),
        charge_row(
            "E1002",
            patient_account="A0000002",
            patient_last="Okafor",
            patient_first="Ben",
            payer_id="60054",
            payer_name="Aetna",
            charge="1,234.56",
            modifiers="LT:59",
        ),
    ]
    result = import_charges(db, admin, write_csv(tmp_path / "c.csv", rows))
    assert result.as_json() == {
        "rows": 3,
        "claims_created": 2,
        "lines_created": 3,
        "patients_created": 2,
        "payers_created": 2,
        "duplicates_skipped": 0,
        "charge_cents": 14500 + 2500 + 123456,
    }
    with UnitOfWork(db, write=False) as uow:
        claim = uow.claims.by_number("E1001")
        lines = uow.claims.lines(claim.id)
        assert [ln.procedure_code for ln in lines] == ["99214", "36415"]
        assert lines[0].modifier1 == "25" and claim.diagnoses == "I10:E11.9"
        assert claim.ins_balance_cents == 17000 and claim.status == "draft"
    assert run_check(db).ok
    again = import_charges(db, admin, write_csv(tmp_path / "c2.csv", rows))
    assert again.duplicates_skipped == 2 and again.claims_created == 0


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"charge": "12.345"}, 'row 3, column charge: "12.345": more than 2 decimal places'),
        ({"charge": "abc"}, "row 3, column charge"),
        ({"patient_dob": "03/14/1962"}, "row 3, column patient_dob"),
        ({"procedure": "9921"}, "row 3, column procedure"),
        ({"diagnoses": "I10:XYZ"}, "row 3, column diagnoses: 'XYZ'"),
        ({"patient_sex": "X"}, "row 3, column patient_sex"),
        ({"units": "0"}, "row 3, column units"),
        ({"service_date": "2999-01-01"}, "row 3, column service_date"),
        ({"modifiers": "25:59:LT:RT:XS"}, "row 3, column modifiers"),
        ({"member_id": "OTHER"}, "row 3, column member_id: differs from row 2"),
    ],
)
def test_bad_row_rejects_whole_file(db, admin, tmp_path, override, message):
    before = _counts(db)
    rows = [charge_row("E2001"), charge_row("E2001", **override), charge_row("E2002")]
    with pytest.raises(ChargeFileError) as err:
        import_charges(db, admin, write_csv(tmp_path / "bad.csv", rows))
    assert message in str(err.value)
    assert _counts(db) == before


def test_missing_header_column_is_named(db, admin, tmp_path):
    p = tmp_path / "h.csv"
    p.write_text("claim_number,patient_account\nX1,A1\n")
    with pytest.raises(ChargeFileError, match="missing column"):
        import_charges(db, admin, p)
