"""Account detail: everything a rep reads before calling the payer, in one load.

Opening an account is a view of PHI, so it writes an `account_viewed` audit
event in the same transaction as the read.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from billing_tui.db import views
from billing_tui.db.engine import Database
from billing_tui.db.uow import UnitOfWork
from billing_tui.domain.errors import NotFoundError
from billing_tui.domain.users import Actor


def mask_member_id(member_id: str | None) -> str:
    """Lists show only the last 4 characters of a member id."""
    if not member_id:
        return ""
    return "*" * max(0, len(member_id) - 4) + member_id[-4:]


@dataclass(frozen=True, slots=True)
class CoverageView:
    rank: int
    payer_id: int
    payer_name: str
    member_id_masked: str
    eligibility: str | None


@dataclass(frozen=True, slots=True)
class LedgerView:
    entry_id: int
    line_no: int | None
    posted_at: dt.datetime
    kind: str
    responsibility: int
    to_responsibility: int | None
    amount_cents: int
    group_code: str | None
    carc: str | None
    reverses_id: int | None
    memo: str | None


@dataclass(frozen=True, slots=True)
class LineView:
    line_id: int
    line_no: int
    service_date: dt.date
    procedure_code: str
    modifiers: tuple[str, ...]
    units: str
    charge_cents: int
    ins_balance_cents: int
    pat_balance_cents: int


@dataclass(frozen=True, slots=True)
class ClaimView:
    claim_id: int
    claim_number: str
    status: str
    service_date: dt.date
    payer_name: str
    total_charge_cents: int
    ins_balance_cents: int
    pat_balance_cents: int
    follow_up_date: dt.date | None
    version: int
    lines: tuple[LineView, ...]
    ledger: tuple[LedgerView, ...]


@dataclass(frozen=True, slots=True)
class ActivityView:
    created_at: dt.datetime
    kind: str
    outcome: str | None
    text: str
    call_reference: str | None
    next_follow_up: dt.date | None
    user_id: int


@dataclass(frozen=True, slots=True)
class AccountView:
    patient_id: int
    account_no: str
    name: str
    dob: dt.date
    sex: str
    phone: str | None
    coverages: tuple[CoverageView, ...]
    claims: tuple[ClaimView, ...]
    activities: tuple[ActivityView, ...]

    @property
    def ins_balance_cents(self) -> int:
        return sum(c.ins_balance_cents for c in self.claims)

    @property
    def pat_balance_cents(self) -> int:
        return sum(c.pat_balance_cents for c in self.claims)


def load_account(db: Database, actor: Actor, patient_id: int) -> AccountView:
    """Everything on the account screen, read as plain rows, plus the audit view event."""
    with UnitOfWork(db) as uow:
        s = uow.session
        p = uow.patients.get(patient_id)
        if p is None:
            raise NotFoundError(f"patient id {patient_id} does not exist")
        coverages = tuple(
            CoverageView(
                r.rank, r.payer_id, r.name, mask_member_id(r.member_id), r.eligibility_result
            )
            for r in views.account_coverages(s, p.id)
        )
        claim_rows = views.account_claims(s, p.id)
        ids = [r.id for r in claim_rows]
        lines: dict[int, list[LineView]] = {}
        line_no: dict[int, int] = {}
        for r in views.account_lines(s, ids):
            line_no[r.id] = r.line_no
            lines.setdefault(r.claim_id, []).append(
                LineView(
                    r.id,
                    r.line_no,
                    r.service_date,
                    r.procedure_code,
                    tuple(x for x in (r.modifier1, r.modifier2, r.modifier3, r.modifier4) if x),
                    str(r.units.normalize()),
                    r.charge_cents,
                    r.ins_balance_cents,
                    r.pat_balance_cents,
                )
            )
        ledger: dict[int, list[LedgerView]] = {}
        for r in views.account_ledger(s, ids):
            ledger.setdefault(r.claim_id, []).append(
                LedgerView(
                    r.id,
                    line_no.get(r.claim_line_id),
                    r.posted_at,
                    r.kind,
                    r.responsibility,
                    r.to_responsibility,
                    r.amount_cents,
                    r.group_code,
                    r.carc,
                    r.reverses_id,
                    r.memo,
                )
            )
        claims = tuple(
            ClaimView(
                claim_id=r.id,
                claim_number=r.claim_number,
                status=r.status,
                service_date=r.service_date,
                payer_name=r.name or "Self-pay",
                total_charge_cents=r.total_charge_cents,
                ins_balance_cents=r.ins_balance_cents,
                pat_balance_cents=r.pat_balance_cents,
                follow_up_date=r.follow_up_date,
                version=r.version,
                lines=tuple(lines.get(r.id, ())),
                ledger=tuple(ledger.get(r.id, ())),
            )
            for r in claim_rows
        )
        activities = tuple(
            ActivityView(
                r.created_at,
                r.kind,
                r.outcome,
                r.text,
                r.call_reference,
                r.next_follow_up,
                r.user_id,
            )
            for r in views.account_activities(s, p.id)
        )
        view = AccountView(
            patient_id=p.id,
            account_no=p.account_no,
            name=f"{p.last_name}, {p.first_name}",
            dob=p.dob,
            sex=p.sex,
            phone=p.phone,
            coverages=coverages,
            claims=claims,
            activities=activities,
        )
        uow.audit(actor, "account_viewed", "patient", p.account_no, patient_id=p.id)
        uow.commit()
        return view
