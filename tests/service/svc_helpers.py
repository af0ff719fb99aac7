"""Small builders for service tests: claims enter through the real charge import."""

from __future__ import annotations

import csv
import datetime as dt
import itertools
from pathlib import Path

from billing_tui.db.uow import UnitOfWork
from billing_tui.services.charges import COLUMNS, import_charges

_seq = itertools.count(1)


def charge_row(claim_number: str, **over) -> dict:
    row = {
        "claim_number": claim_number,
        "patient_account": "A0000001",
        "patient_last": "Rivera",
        "patient_first": "Ana",
        "patient_dob": "1962-03-14",
        "patient_sex": "F",
        "payer_id": "87726",
        "payer_name": "UnitedHealthcare",
        "member_id": "UHC123456789",
        "service_date": "2026-10-01",
        "procedure": "99214",
        "modifiers": "",
        "units": "1",
        "charge": "200.00",
        "diagnoses": "I10:E11.9",
        "rendering_npi": "",
        "place_of_service": "11",
    }
    row.update(over)
    return row


def write_csv(path: Path, rows: list[dict]) -> Path:
    with path.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=COLUMNS)
        w.writeheader()
        w.writerows(rows)
    return path


def make_claim(db, actor, tmp_path: Path, charges=("200.00",), **over) -> int:
    """Import one claim with one line per charge; returns its id."""
    number = over.pop("claim_number", f"T{next(_seq):06d}")
    rows = [charge_row(number, charge=c, **over) for c in charges]
    import_charges(db, actor, write_csv(tmp_path / f"{number}.csv", rows))
    with UnitOfWork(db, write=False) as uow:
        return uow.claims.by_number(number).id


def add_coverage(db, patient_account: str, payer_edi: str, payer_name: str, rank: int) -> None:
    from billing_tui.db import models as m

    with UnitOfWork(db) as uow:
        patient = uow.patients.by_account(patient_account)
        payer = uow.payers.by_edi_ids([payer_edi]).get(payer_edi)
        if payer is None:
            payer = uow.payers.add(
                m.Payer(
                    name=payer_name,
                    edi_payer_id=payer_edi,
                    payer_type="commercial",
                    claim_filing_indicator="CI",
                    timely_filing_days=180,
                    appeal_window_days=180,
                    requires_authorization=False,
                )
            )
            uow.flush()
        uow.patients.add_coverage(
            m.Coverage(
                patient_id=patient.id,
                payer_id=payer.id,
                rank=rank,
                member_id="SEC998877",
                relation="self",
                effective_date=patient.dob,
            )
        )
        uow.commit()


def balances(db, claim_id: int) -> tuple[int, int]:
    with UnitOfWork(db, write=False) as uow:
        c = uow.claims.get(claim_id)
        return c.ins_balance_cents, c.pat_balance_cents


TODAY = dt.date(2026, 11, 27)  # the fixed "today" of every demo-data test
