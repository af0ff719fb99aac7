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
from billing_tui.domain import ledger as L
from billing_tui.domain.errors import NotFoundError
from billing_tui.domain.users import Actor
from billing_tui.services.account_actions import status_choices


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
    eligibility_verified_at: dt.datetime | None = None
    effective_date: dt.date | None = None
    term_date: dt.date | None = None
    payer_phone: str | None = None


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
    removed: bool = False  # taken off the claim on claim entry; its charge was reversed


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
    responsibility: int = 1  # who is billed now: 0 patient, 1-3 coverage rank
    billed_to: str = ""  # that payer's name, or "Patient"
    rebill: bool = False
    payer_phone: str | None = None
    submitted_at: dt.date | None = None
    last_activity_at: dt.date | None = None
    allowed_next: tuple[str, ...] = ()  # statuses a rep may pick (services.account_actions)
    open_by_responsibility: tuple[int, int, int, int] = (0, 0, 0, 0)  # from the ledger
    next_payer_rank: int | None = None  # coverage rank after `responsibility`, if any

    def open_with(self, resp: int) -> int:
        """Open balance owed by ``resp`` (0 patient, 1-3 payer rank), from the ledger."""
        return self.open_by_responsibility[resp]


@dataclass(frozen=True, slots=True)
class DenialView:
    denial_id: int
    claim_id: int
    claim_number: str
    line_no: int | None
    group_code: str
    carc: str
    rarc: str | None
    amount_cents: int
    category: str
    status: str
    denied_on: dt.date
    due_date: dt.date | None


@dataclass(frozen=True, slots=True)
class ActivityView:
    created_at: dt.datetime
    kind: str
    outcome: str | None
    text: str
    call_reference: str | None
    next_follow_up: dt.date | None
    user_id: int
    activity_id: int = 0
    claim_id: int | None = None
    claim_number: str | None = None
    payer_contact: str | None = None
    contact_phone: str | None = None
    duration_seconds: int | None = None
    user_name: str | None = None


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
    denials: tuple[DenialView, ...] = ()

    @property
    def ins_balance_cents(self) -> int:
        return sum(c.ins_balance_cents for c in self.claims)

    @property
    def pat_balance_cents(self) -> int:
        return sum(c.pat_balance_cents for c in self.claims)


_CHOICES: dict[str, tuple[str, ...]] = {}


def _choices(status: str) -> tuple[str, ...]:
    # A handful of statuses, asked for once per claim row: memoise.
    if status not in _CHOICES:
        _CHOICES[status] = tuple(status_choices(status))
    return _CHOICES[status]


def _open(acc: list[int] | None) -> tuple[int, int, int, int]:
    return (acc[0], acc[1], acc[2], acc[3]) if acc else (0, 0, 0, 0)


def load_account(db: Database, actor: Actor, patient_id: int) -> AccountView:
    """Everything on the account screen, read as plain rows, plus the audit view event."""
    with UnitOfWork(db) as uow:
        s = uow.session
        p = uow.patients.get(patient_id)
        if p is None:
            raise NotFoundError(f"patient id {patient_id} does not exist")
        coverages = tuple(
            CoverageView(
                r.rank,
                r.payer_id,
                r.name,
                mask_member_id(r.member_id),
                r.eligibility_result,
                r.eligibility_verified_at,
                r.effective_date,
                r.term_date,
                r.phone,
            )
            for r in views.account_coverages(s, p.id)
        )
        payer_of_rank = {c.rank: c.payer_name for c in coverages}
        ranks = sorted(payer_of_rank)
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
                    bool(r.removed),
                )
            )
        ledger: dict[int, list[LedgerView]] = {}
        open_by: dict[int, list[int]] = {}
        for r in views.account_ledger(s, ids):
            acc = open_by.setdefault(r.claim_id, [0, 0, 0, 0])
            if r.to_responsibility is None:
                acc[r.responsibility] += r.amount_cents
            else:
                acc[r.responsibility] -= r.amount_cents
                acc[r.to_responsibility] += r.amount_cents
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
                responsibility=r.responsibility,
                billed_to=(
                    "Patient"
                    if r.responsibility == L.PATIENT
                    else payer_of_rank.get(r.responsibility, r.name or "Self-pay")
                ),
                rebill=r.rebill,
                payer_phone=r.phone,
                submitted_at=r.submitted_at,
                last_activity_at=r.last_activity_at,
                allowed_next=_choices(r.status),
                open_by_responsibility=_open(open_by.get(r.id)),
                next_payer_rank=next((k for k in ranks if k > r.responsibility > 0), None),
            )
            for r in claim_rows
        )
        number_of = {c.claim_id: c.claim_number for c in claims}
        denials = tuple(
            DenialView(
                r.id,
                r.claim_id,
                number_of.get(r.claim_id, ""),
                line_no.get(r.claim_line_id) if r.claim_line_id else None,
                r.group_code,
                r.carc,
                r.rarc,
                r.amount_cents,
                r.category,
                r.status,
                r.denied_on,
                r.due_date,
            )
            for r in views.account_denials(s, ids)
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
                r.id,
                r.claim_id,
                number_of.get(r.claim_id) if r.claim_id else None,
                r.payer_contact,
                r.contact_phone,
                r.duration_seconds,
                r.display_name,
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
            denials=denials,
        )
        uow.audit(actor, "account_viewed", "patient", p.account_no, patient_id=p.id)
        uow.commit()
        return view
