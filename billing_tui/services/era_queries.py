"""Read side of the ERA screen: remittances as received, their claims and lines, the
exceptions work list and a file's validation warnings.

Every function opens a read-only unit of work and returns plain dataclasses, so the
screen can call them from a worker thread. The import itself lives in era_import.py.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from billing_tui.db import models as m
from billing_tui.db.engine import Database
from billing_tui.db.uow import UnitOfWork

# CLP02 claim status codes (005010X221A1) and what a rep calls them.
CLP_STATUS_LABELS = {
    "1": "processed as primary",
    "2": "processed as secondary",
    "3": "processed as tertiary",
    "4": "denied",
    "19": "primary, forwarded",
    "20": "secondary, forwarded",
    "21": "tertiary, forwarded",
    "22": "reversal of previous payment",
    "23": "not our claim, forwarded",
    "25": "predetermination, no payment",
}


def clp_status_label(code: str) -> str:
    """Words for a CLP02 code ("22" -> "reversal of previous payment")."""
    return CLP_STATUS_LABELS.get(code, f"status {code}")


@dataclass(frozen=True, slots=True)
class RemittanceRow:
    id: int
    remittance_file_id: int
    file_name: str
    imported_at: dt.datetime
    payer_name: str
    trace_number: str
    check_amount_cents: int
    paid_cents: int
    plb_cents: int
    claims: int
    claims_posted: int
    claims_exceptions: int
    status: str  # posted / exceptions / rejected
    error: str | None
    warnings_count: int
    batch_id: int | None


@dataclass(frozen=True, slots=True)
class RemitClaimRow:
    id: int
    claim_number: str  # CLP01
    status_code: str  # CLP02
    status_label: str
    billed_cents: int
    paid_cents: int
    patient_resp_cents: int
    payer_claim_number: str | None
    patient_name: str | None
    cas_text: str
    posted: bool
    exception_reason: str | None
    claim_id: int | None


@dataclass(frozen=True, slots=True)
class RemitLineRow:
    id: int
    code: str  # "99214" or "99214-25:59"
    service_date: dt.date | None
    billed_cents: int
    allowed_cents: int | None
    paid_cents: int
    cas_text: str  # "CO-45 80.00; PR-2 24.00"
    remarks: str
    matched_line_no: int | None
    match_method: str | None  # "6R", "code+dos", "svc06" or None (not matched)


@dataclass(frozen=True, slots=True)
class EraExceptionRow:
    id: int
    remittance_id: int
    claim_id: int | None
    claim_number: str | None
    patient_name: str | None
    payer_name: str
    trace_number: str
    reason: str
    paid_cents: int
    status: str
    created_at: dt.datetime


def list_remittances(db: Database, *, limit: int = 200) -> list[RemittanceRow]:
    """Newest remittances first (rejected sets too, with their error), for the list."""
    with UnitOfWork(db, write=False) as uow:
        s = uow.session
        r, f = m.Remittance, m.RemittanceFile
        rows = s.execute(
            select(r, f.file_name)
            .join(f, f.id == r.remittance_file_id)
            .order_by(r.id.desc())
            .limit(limit)
        ).all()
        file_ids = {x.remittance_file_id for x, _ in rows}
        warnings: dict[int, int] = {}
        if file_ids:
            for fid in s.scalars(
                select(m.EraWarning.remittance_file_id).where(
                    m.EraWarning.remittance_file_id.in_(file_ids)
                )
            ):
                warnings[fid] = warnings.get(fid, 0) + 1
        return [
            RemittanceRow(
                id=x.id,
                remittance_file_id=x.remittance_file_id,
                file_name=name,
                imported_at=x.imported_at,
                payer_name=x.payer_name or x.payer_identifier or "",
                trace_number=x.trace_number or "",
                check_amount_cents=x.check_amount_cents,
                paid_cents=x.paid_cents,
                plb_cents=x.plb_cents,
                claims=x.claim_count,
                claims_posted=x.claims_posted,
                claims_exceptions=x.claims_exceptions,
                status=x.status,
                error=x.error,
                warnings_count=warnings.get(x.remittance_file_id, 0),
                batch_id=x.batch_id,
            )
            for x, name in rows
        ]


def remittance_claims(db: Database, remittance_id: int) -> list[RemitClaimRow]:
    """The claims of one remittance in file order, each posted or with its exception."""
    with UnitOfWork(db, write=False) as uow:
        rc = m.RemitClaim
        return [
            RemitClaimRow(
                id=x.id,
                claim_number=x.claim_number,
                status_code=x.status_code,
                status_label=clp_status_label(x.status_code),
                billed_cents=x.billed_cents,
                paid_cents=x.paid_cents,
                patient_resp_cents=x.patient_resp_cents,
                payer_claim_number=x.payer_claim_number,
                patient_name=x.patient_name,
                cas_text=x.cas_text,
                posted=x.posted,
                exception_reason=x.exception_reason,
                claim_id=x.claim_id,
            )
            for x in uow.session.scalars(
                select(rc).where(rc.remittance_id == remittance_id).order_by(rc.position)
            )
        ]


def remit_claim_lines(db: Database, remit_claim_id: int) -> list[RemitLineRow]:
    """The service lines of one remittance claim, with the claim line each matched."""
    with UnitOfWork(db, write=False) as uow:
        rl = m.RemitLine
        out = []
        for x in uow.session.scalars(
            select(rl).where(rl.remit_claim_id == remit_claim_id).order_by(rl.position)
        ):
            code = x.procedure_code + (f"-{x.modifiers}" if x.modifiers else "")
            out.append(
                RemitLineRow(
                    id=x.id,
                    code=code,
                    service_date=x.service_date,
                    billed_cents=x.billed_cents,
                    allowed_cents=x.allowed_cents,
                    paid_cents=x.paid_cents,
                    cas_text=x.cas_text,
                    remarks=x.remarks,
                    matched_line_no=x.matched_line_no,
                    match_method=x.match_method,
                )
            )
        return out


def open_exceptions(db: Database, *, limit: int = 500) -> list[EraExceptionRow]:
    """The exceptions work list: open ones, oldest first (worked in arrival order)."""
    with UnitOfWork(db, write=False) as uow:
        e, r, rc = m.EraException, m.Remittance, m.RemitClaim
        rows = uow.session.execute(
            select(e, r.payer_name, r.payer_identifier, r.trace_number, rc.patient_name)
            .join(r, r.id == e.remittance_id)
            .outerjoin(rc, rc.id == e.remit_claim_id)
            .where(e.status == "open")
            .order_by(e.created_at, e.id)
            .limit(limit)
        ).all()
        return [
            EraExceptionRow(
                id=x.id,
                remittance_id=x.remittance_id,
                claim_id=x.claim_id,
                claim_number=x.claim_number,
                patient_name=patient,
                payer_name=payer or ident or "",
                trace_number=trace or "",
                reason=x.reason,
                paid_cents=x.paid_cents,
                status=x.status,
                created_at=x.created_at,
            )
            for x, payer, ident, trace, patient in rows
        ]


def validation_warnings(db: Database, remittance_file_id: int) -> list[str]:
    """The implementation-guide findings pyx12 reported for a file (empty when it was
    not validated or had none)."""
    with UnitOfWork(db, write=False) as uow:
        w = m.EraWarning
        return list(
            uow.session.scalars(
                select(w.message).where(w.remittance_file_id == remittance_file_id).order_by(w.id)
            )
        )
