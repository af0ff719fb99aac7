"""Account detail: everything a rep reads before calling the payer, in one load.

Opening an account is a view of PHI, so it writes an `account_viewed` audit
event in the same transaction as the read.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

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
    with UnitOfWork(db) as uow:
        p = uow.patients.get(patient_id)
        if p is None:
            raise NotFoundError(f"patient id {patient_id} does not exist")
        payer_names: dict[int, str] = {}

        def payer_name(pid: int | None) -> str:
            if pid is None:
                return "Self-pay"
            if pid not in payer_names:
                payer = uow.payers.get(pid)
                payer_names[pid] = payer.name if payer else "?"
            return payer_names[pid]

        coverages = tuple(
            CoverageView(
                c.rank,
                c.payer_id,
                payer_name(c.payer_id),
                mask_member_id(c.member_id),
                c.eligibility_result,
            )
            for c in uow.patients.coverages(p.id)
        )
        claim_rows = uow.claims.for_patient(p.id)
        ids = [c.id for c in claim_rows]
        lines_by_claim = uow.claims.lines_for_claims(ids)
        ledger_by_claim = uow.ledger.for_claims(ids)
        claims = []
        for c in claim_rows:
            lines = lines_by_claim.get(c.id, [])
            line_no = {ln.id: ln.line_no for ln in lines}
            claims.append(
                ClaimView(
                    claim_id=c.id,
                    claim_number=c.claim_number,
                    status=c.status,
                    service_date=c.service_date,
                    payer_name=payer_name(c.payer_id),
                    total_charge_cents=c.total_charge_cents,
                    ins_balance_cents=c.ins_balance_cents,
                    pat_balance_cents=c.pat_balance_cents,
                    follow_up_date=c.follow_up_date,
                    version=c.version,
                    lines=tuple(
                        LineView(
                            ln.id,
                            ln.line_no,
                            ln.service_date,
                            ln.procedure_code,
                            tuple(
                                x
                                for x in (ln.modifier1, ln.modifier2, ln.modifier3, ln.modifier4)
                                if x
                            ),
                            str(ln.units.normalize()),
                            ln.charge_cents,
                            ln.ins_balance_cents,
                            ln.pat_balance_cents,
                        )
                        for ln in lines
                    ),
                    ledger=tuple(
                        LedgerView(
                            e.id,
                            line_no.get(e.claim_line_id),
                            e.posted_at,
                            e.kind,
                            e.responsibility,
                            e.to_responsibility,
                            e.amount_cents,
                            e.group_code,
                            e.carc,
                            e.reverses_id,
                            e.memo,
                        )
                        for e in ledger_by_claim.get(c.id, [])
                    ),
                )
            )
        activities = tuple(
            ActivityView(
                a.created_at,
                a.kind,
                a.outcome,
                a.text,
                a.call_reference,
                a.next_follow_up,
                a.user_id,
            )
            for a in uow.activities.for_patient(p.id)
        )
        view = AccountView(
            patient_id=p.id,
            account_no=p.account_no,
            name=f"{p.last_name}, {p.first_name}",
            dob=p.dob,
            sex=p.sex,
            phone=p.phone,
            coverages=coverages,
            claims=tuple(claims),
            activities=activities,
        )
        uow.audit(actor, "account_viewed", "patient", p.account_no, patient_id=p.id)
        uow.commit()
        return view
