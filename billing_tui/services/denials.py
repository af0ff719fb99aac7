"""Denial work: the work list (open denials grouped by category and CARC), one denial
with its account, the root cause, and the actions that work it off the list.

Every action is one unit of work with an audit event, and moves the denial's status:

    open -> appealed           (services/appeals.py; a lost appeal puts it back to open)
    open -> corrected          a replacement claim (frequency 7) carries the open balance
    open -> approval_pending   a write-off request waits for approval (services/approvals.py)
         -> written_off        ... approved (or at once within the rep's limit)
         -> open               ... denied (action write_off_denied)
    open -> transferred        the denied amount moved to the patient
    open -> rebilled           the claim moved to another coverage of the patient

A root cause is recorded before any action, so every worked denial has one. The money
stays insurance AR until an action moves or writes it off (DESIGN example 3).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import func, select

from billing_tui.db import models as m
from billing_tui.db.engine import Database
from billing_tui.db.uow import UnitOfWork, utcnow
from billing_tui.domain import appeals as A
from billing_tui.domain import ledger as L
from billing_tui.domain import reason_codes as RC
from billing_tui.domain.claim_status import ClaimStatus, can_transition
from billing_tui.domain.codesets import shipped_icd10cm
from billing_tui.domain.errors import ConflictError, NotFoundError, ValidationError
from billing_tui.domain.money import Money
from billing_tui.domain.users import Actor
from billing_tui.services.accounts import AccountView, load_account
from billing_tui.services.scrubber import scrub_in

ROOT_CAUSES: tuple[str, ...] = (
    "front_desk",
    "eligibility",
    "coding",
    "authorization",
    "documentation",
    "payer_error",
    "timely_filing",
    "other",
)
ROOT_CAUSE_LABELS = {
    "front_desk": "Front desk",
    "eligibility": "Eligibility",
    "coding": "Coding",
    "authorization": "Authorization",
    "documentation": "Documentation",
    "payer_error": "Payer error",
    "timely_filing": "Timely filing",
    "other": "Other",
}
STATUSES: tuple[str, ...] = (
    "open",
    "appealed",
    "corrected",
    "approval_pending",
    "written_off",
    "transferred",
    "rebilled",
    "resolved",
)
AGE_FILTERS: dict[str, tuple[int | None, int | None]] = {
    "all": (None, None),
    "0-30": (0, 30),
    "31-60": (31, 60),
    "61-90": (61, 90),
    "91+": (91, None),
}
PAGE = 50


@dataclass(frozen=True, slots=True)
class DenialGroup:
    category: str
    category_label: str
    carc: str
    description: str
    known: bool
    count: int
    amount_cents: int


@dataclass(frozen=True, slots=True)
class DenialRow:
    denial_id: int
    claim_id: int
    claim_number: str
    patient_id: int
    patient_name: str
    payer_name: str
    group_code: str
    carc: str
    rarc: str | None
    category: str
    amount_cents: int
    denied_on: dt.date
    age_days: int
    status: str
    root_cause: str | None
    due_date: dt.date | None


@dataclass(frozen=True, slots=True)
class DenialWorkList:
    groups: tuple[DenialGroup, ...]
    total_count: int
    total_cents: int
    group: tuple[str, str] | None  # (category, carc) whose rows are listed
    rows: tuple[DenialRow, ...]
    has_more: bool
    payer_id: int | None
    age: str


@dataclass(frozen=True, slots=True)
class RebillTarget:
    rank: int
    payer_name: str


@dataclass(frozen=True, slots=True)
class AppealLine:
    appeal_id: int
    level_label: str
    deadline: dt.date
    status: str
    outcome: str | None
    letter_txt_path: str | None


@dataclass(frozen=True, slots=True)
class DenialDetail:
    row: DenialRow
    description: str
    category_label: str
    next_action: str
    known: bool
    rarc_description: str | None
    root_cause_note: str | None
    action: str | None
    line_no: int | None
    procedure_code: str | None
    open_cents: int  # still open with the payer now billed, on the denied line (or claim)
    claim_status: str
    claim_version: int
    responsibility: int
    payer_claim_number: str | None
    replacement_claim_number: str | None
    request_status: str | None
    appeal_deadline: dt.date | None  # first-level deadline from the payer's window
    appeal_urgency: str
    appeals: tuple[AppealLine, ...]
    rebill_targets: tuple[RebillTarget, ...]
    account: AccountView


@dataclass(frozen=True, slots=True)
class DenialActionResult:
    denial_id: int
    status: str
    claim_id: int
    claim_number: str
    message: str
    replacement_claim_id: int | None = None
    replacement_claim_number: str | None = None
    replacement_status: str | None = None
    request_id: int | None = None
    moved_cents: int = 0
    entry_ids: tuple[int, ...] = ()


# --- the work list ---------------------------------------------------------------------


def _filters(q, *, payer_id: int | None, age: str, today: dt.date):
    try:
        lo, hi = AGE_FILTERS[age]
    except KeyError:
        raise ValidationError(
            f"age filter {age!r}? choose one of {', '.join(AGE_FILTERS)}", field="age"
        ) from None
    if lo:
        q = q.where(m.Denial.denied_on <= today - dt.timedelta(days=lo))
    if hi is not None:
        q = q.where(m.Denial.denied_on >= today - dt.timedelta(days=hi))
    if payer_id is not None:
        q = q.where(m.Denial.claim_id.in_(select(m.Claim.id).where(m.Claim.payer_id == payer_id)))
    return q


def _groups(uow: UnitOfWork, *, payer_id, age, today) -> list[DenialGroup]:
    total = func.sum(m.Denial.amount_cents)
    q = select(m.Denial.category, m.Denial.carc, func.count(), total).where(
        m.Denial.status == "open"
    )
    q = _filters(q, payer_id=payer_id, age=age, today=today)
    q = q.group_by(m.Denial.category, m.Denial.carc)
    out = []
    for cat, carc, n, cents in uow.session.execute(q):
        rc = RC.lookup(carc)
        out.append(
            DenialGroup(
                cat, RC.category_label(cat), carc, rc.description, rc.known, n, int(cents or 0)
            )
        )
    out.sort(key=lambda g: (-g.amount_cents, g.category, g.carc))
    return out


def _row_select():
    """The one select of denial rows (the work list's pages and the detail's row): a
    column added here shows in both. Callers add their own where/order."""
    return (
        select(
            m.Denial.id.label("denial_id"),
            m.Denial.claim_id,
            m.Claim.claim_number,
            m.Claim.patient_id,
            m.Patient.last_name,
            m.Patient.first_name,
            m.Payer.name.label("payer_name"),
            m.Denial.group_code,
            m.Denial.carc,
            m.Denial.rarc,
            m.Denial.category,
            m.Denial.amount_cents,
            m.Denial.denied_on,
            m.Denial.status,
            m.Denial.root_cause,
            m.Denial.due_date,
        )
        .join(m.Claim, m.Claim.id == m.Denial.claim_id)
        .join(m.Patient, m.Patient.id == m.Claim.patient_id)
        .outerjoin(m.Payer, m.Payer.id == m.Claim.payer_id)
    )


def _row(r, today: dt.date) -> DenialRow:
    """A DenialRow from one row of _row_select()."""
    return DenialRow(
        denial_id=r.denial_id,
        claim_id=r.claim_id,
        claim_number=r.claim_number,
        patient_id=r.patient_id,
        patient_name=f"{r.last_name}, {r.first_name}",
        payer_name=r.payer_name or "Self-pay",
        group_code=r.group_code,
        carc=r.carc,
        rarc=r.rarc,
        category=r.category,
        amount_cents=r.amount_cents,
        denied_on=r.denied_on,
        age_days=(today - r.denied_on).days,
        status=r.status,
        root_cause=r.root_cause,
        due_date=r.due_date,
    )


def _rows(
    uow: UnitOfWork,
    *,
    category: str,
    carc: str,
    payer_id,
    age,
    today,
    offset: int,
    limit: int,
) -> tuple[list[DenialRow], bool]:
    q = _row_select().where(
        m.Denial.status == "open", m.Denial.category == category, m.Denial.carc == carc
    )
    q = _filters(q, payer_id=payer_id, age=age, today=today)
    q = q.order_by(m.Denial.denied_on, m.Denial.id).offset(offset).limit(limit + 1)
    rows = [_row(r, today) for r in uow.session.execute(q)]
    return rows[:limit], len(rows) > limit


def work_list(
    db: Database,
    *,
    payer_id: int | None = None,
    age: str = "all",
    group: tuple[str, str] | None = None,
    today: dt.date | None = None,
    limit: int = PAGE,
) -> DenialWorkList:
    """Open denials grouped by category and CARC (biggest dollars first), with the first
    page of one group's denials (``group``, default the biggest), oldest first."""
    today = today or dt.date.today()
    with UnitOfWork(db, write=False) as uow:
        groups = _groups(uow, payer_id=payer_id, age=age, today=today)
        keys = {(g.category, g.carc) for g in groups}
        chosen = (
            group if group in keys else ((groups[0].category, groups[0].carc) if groups else None)
        )
        rows: list[DenialRow] = []
        more = False
        if chosen is not None:
            rows, more = _rows(
                uow,
                category=chosen[0],
                carc=chosen[1],
                payer_id=payer_id,
                age=age,
                today=today,
                offset=0,
                limit=limit,
            )
        return DenialWorkList(
            groups=tuple(groups),
            total_count=sum(g.count for g in groups),
            total_cents=sum(g.amount_cents for g in groups),
            group=chosen,
            rows=tuple(rows),
            has_more=more,
            payer_id=payer_id,
            age=age,
        )


def group_rows(
    db: Database,
    category: str,
    carc: str,
    *,
    payer_id: int | None = None,
    age: str = "all",
    offset: int = 0,
    limit: int = PAGE,
    today: dt.date | None = None,
) -> tuple[list[DenialRow], bool]:
    """One page of a group's open denials (oldest first) and whether more follow."""
    today = today or dt.date.today()
    with UnitOfWork(db, write=False) as uow:
        return _rows(
            uow,
            category=category,
            carc=carc,
            payer_id=payer_id,
            age=age,
            today=today,
            offset=offset,
            limit=limit,
        )


def payer_choices(db: Database) -> list[tuple[int, str]]:
    """Payers to filter the work list by (id, name), by name."""
    with UnitOfWork(db, write=False) as uow:
        return [
            (r.id, r.name)
            for r in uow.session.execute(select(m.Payer.id, m.Payer.name).order_by(m.Payer.name))
        ]


# --- one denial ----------------------------------------------------------------------------


def _open_by_line(uow: UnitOfWork, claim_id: int) -> dict[int | None, L.Balance]:
    by_line: dict[int | None, list[L.Entry]] = {}
    for e in uow.ledger.for_claim(claim_id):
        by_line.setdefault(e.claim_line_id, []).append(
            L.Entry(
                kind=L.EntryKind(e.kind),
                responsibility=e.responsibility,
                amount_cents=e.amount_cents,
                to_responsibility=e.to_responsibility,
            )
        )
    return {k: L.balance(v) for k, v in by_line.items()}


def _denied_open(uow: UnitOfWork, denial: m.Denial, claim: m.Claim) -> dict[int | None, int]:
    """Per line: how much of the denied amount is still open with the payer now billed
    (the denied line only, or the claim's lines in order up to the denied amount)."""
    resp = claim.responsibility
    if not L.is_insurance(resp):
        return {}
    opened = _open_by_line(uow, claim.id)
    if denial.claim_line_id is not None:
        cents = min(
            denial.amount_cents, opened.get(denial.claim_line_id, L.Balance()).for_resp(resp)
        )
        return {denial.claim_line_id: cents} if cents > 0 else {}
    left = denial.amount_cents
    out: dict[int | None, int] = {}
    for line_id, bal in sorted(opened.items(), key=lambda kv: (kv[0] is None, kv[0] or 0)):
        take = min(left, bal.for_resp(resp))
        if take > 0:
            out[line_id] = take
            left -= take
        if left <= 0:
            break
    return out


def load_denial(
    db: Database, actor: Actor, denial_id: int, *, today: dt.date | None = None
) -> DenialDetail:
    """The denial with its reason, appeals and the whole account (an audited view)."""
    today = today or dt.date.today()
    with UnitOfWork(db, write=False) as uow:
        s = uow.session
        r = s.execute(_row_select().where(m.Denial.id == denial_id)).first()
        if r is None:
            raise NotFoundError(f"denial {denial_id} does not exist")
        row = _row(r, today)
        denial = s.get(m.Denial, denial_id)
        claim = uow.claims.get(denial.claim_id)
        line = uow.claims.line(denial.claim_line_id) if denial.claim_line_id else None
        reason = RC.lookup(denial.carc)
        rarc = RC.describe(denial.rarc.split(":")[0]) if denial.rarc else None
        open_cents = sum(_denied_open(uow, denial, claim).values())
        replacement = (
            uow.claims.get(denial.replacement_claim_id) if denial.replacement_claim_id else None
        )
        request_status = (
            s.scalar(
                select(m.AdjustmentRequest.status).where(
                    m.AdjustmentRequest.id == denial.request_id
                )
            )
            if denial.request_id
            else None
        )
        appeals = tuple(
            AppealLine(
                a.id,
                A.AppealLevel(a.level).label,
                a.deadline,
                a.status,
                a.outcome,
                a.letter_txt_path,
            )
            for a in s.scalars(
                select(m.Appeal).where(m.Appeal.denial_id == denial_id).order_by(m.Appeal.id)
            )
        )
        payer = uow.payers.get(claim.payer_id) if claim.payer_id else None
        first_deadline = None
        if payer is not None:
            windows = {
                w.level: w.days
                for w in s.scalars(
                    select(m.PayerAppealWindow).where(m.PayerAppealWindow.payer_id == payer.id)
                )
            }
            first_deadline = A.appeal_deadline(
                A.AppealLevel.FIRST,
                denial_date=denial.denied_on,
                payer_type=payer.payer_type,
                payer_window_days=payer.appeal_window_days,
                level_windows=windows,
            )
        coverages = uow.patients.coverages(claim.patient_id)
        targets = []
        for cov in coverages:
            if cov.rank != claim.responsibility:
                p = uow.payers.get(cov.payer_id)
                targets.append(RebillTarget(cov.rank, p.name if p else f"rank {cov.rank}"))
        detail_parts = {
            "row": row,
            "description": reason.description,
            "category_label": RC.category_label(denial.category),
            "next_action": reason.next_action,
            "known": reason.known and denial.reason_known,
            "rarc_description": rarc.description if rarc else None,
            "root_cause_note": denial.root_cause_note,
            "action": denial.action,
            "line_no": line.line_no if line else None,
            "procedure_code": line.procedure_code if line else None,
            "open_cents": open_cents,
            "claim_status": claim.status,
            "claim_version": claim.version,
            "responsibility": claim.responsibility,
            "payer_claim_number": claim.payer_claim_number,
            "replacement_claim_number": replacement.claim_number if replacement else None,
            "request_status": request_status,
            "appeal_deadline": first_deadline,
            "appeal_urgency": A.urgency(first_deadline, today) if first_deadline else "ok",
            "appeals": appeals,
            "rebill_targets": tuple(targets),
        }
    account = load_account(db, actor, row.patient_id)
    return DenialDetail(**detail_parts, account=account)


# --- actions -------------------------------------------------------------------------------


def _workable(
    uow: UnitOfWork, denial_id: int, expected_version: int | None
) -> tuple[m.Denial, m.Claim]:
    denial = uow.session.get(m.Denial, denial_id)
    if denial is None:
        raise NotFoundError(f"denial {denial_id} does not exist")
    claim = uow.claims.get(denial.claim_id, lock=True)
    if expected_version is not None and claim.version != expected_version:
        raise ConflictError(f"Claim {claim.claim_number}")
    if denial.status != "open":
        raise ValidationError(
            f"the denial on claim {claim.claim_number} is {denial.status.replace('_', ' ')}; "
            "only an open denial is worked"
        )
    if not denial.root_cause:
        raise ValidationError(
            "record the denial's root cause before acting on it", field="root_cause"
        )
    return denial, claim


def _mark(denial: m.Denial, actor: Actor, status: str, action: str, now: dt.datetime) -> None:
    denial.status = status
    denial.action = action
    denial.worked_by = actor.user_id
    denial.worked_at = now


def set_root_cause(
    db: Database, actor: Actor, denial_id: int, root_cause: str, *, note: str = ""
) -> DenialActionResult:
    """Record why the claim was denied (fixed list, plus a short note)."""
    cause = (root_cause or "").strip().lower().replace(" ", "_").replace("-", "_")
    if cause not in ROOT_CAUSES:
        raise ValidationError(
            f"root cause {root_cause!r}? choose one of: "
            + ", ".join(ROOT_CAUSE_LABELS[c].lower() for c in ROOT_CAUSES),
            field="root_cause",
        )
    note = (note or "").strip()
    if len(note) > 400:
        raise ValidationError(
            f"the note is {len(note)} characters long; at most 400 fit", field="note"
        )
    if cause == "other" and not note:
        raise ValidationError("root cause other: say what it was in the note", field="note")
    now = utcnow()
    with UnitOfWork(db) as uow:
        denial = uow.session.get(m.Denial, denial_id)
        if denial is None:
            raise NotFoundError(f"denial {denial_id} does not exist")
        claim = uow.claims.get(denial.claim_id)
        before = denial.root_cause
        denial.root_cause = cause
        denial.root_cause_note = note or None
        denial.worked_by = actor.user_id
        denial.worked_at = now
        uow.flush()
        uow.audit(
            actor,
            "denial_root_cause_set",
            "claim",
            claim.claim_number,
            patient_id=claim.patient_id,
            denial=denial.id,
            before=before,
            after=cause,
        )
        uow.commit()
        return DenialActionResult(
            denial.id,
            denial.status,
            claim.id,
            claim.claim_number,
            f"Root cause on {claim.claim_number}: {ROOT_CAUSE_LABELS[cause]}.",
        )


def _replacement_number(uow: UnitOfWork, original: str) -> str:
    for n in range(1, 100):
        number = f"{original}-C{n}"[:38]
        if uow.claims.by_number(number) is None:
            return number
    raise ValidationError(f"claim {original} has been corrected too many times")


def correct_claim(
    db: Database,
    actor: Actor,
    denial_id: int,
    *,
    payer_claim_number: str | None = None,
    expected_version: int | None = None,
    today: dt.date | None = None,
) -> DenialActionResult:
    """A replacement claim (frequency 7) for the denied one: same patient, coverage and
    lines, the payer's claim number for REF*F8, and the open insurance balance moved onto
    it from the original (an OA adjustment there, a charge here, both memo'd). It goes
    through the scrubber at once: ready when clean, else draft on the scrubber work list.
    Every open denial of the original is corrected by it."""
    today = today or dt.date.today()
    now = utcnow()
    with UnitOfWork(db) as uow:
        denial, orig = _workable(uow, denial_id, expected_version)
        resp = orig.responsibility
        if not L.is_insurance(resp):
            raise ValidationError(
                f"claim {orig.claim_number} is billed to the patient; a corrected claim goes to a payer"
            )
        if orig.frequency_code == "8" or orig.status == ClaimStatus.VOID.value:
            raise ValidationError(f"claim {orig.claim_number} is void; it cannot be replaced")
        icn = (payer_claim_number or orig.payer_claim_number or "").strip()
        if not icn:
            raise ValidationError(
                "enter the payer's claim number from the remittance (it goes in REF*F8)",
                field="payer_claim_number",
            )
        number = _replacement_number(uow, orig.claim_number)
        lines = [ln for ln in uow.claims.lines(orig.id) if not ln.removed]
        opened = _open_by_line(uow, orig.id)
        repl = uow.claims.add(
            m.Claim(
                claim_number=number,
                patient_id=orig.patient_id,
                coverage_id=orig.coverage_id,
                payer_id=orig.payer_id,
                provider_id=orig.provider_id,
                frequency_code="7",
                original_claim_id=orig.id,
                payer_claim_number=icn[:50],
                status=ClaimStatus.DRAFT.value,
                place_of_service=orig.place_of_service,
                diagnoses=orig.diagnoses,
                service_date=orig.service_date,
                service_date_to=orig.service_date_to,
                total_charge_cents=sum(ln.charge_cents for ln in lines),
                ins_balance_cents=0,
                pat_balance_cents=0,
                responsibility=resp,
                ledger_seq=0,
                ledger_head="0" * 64,
                created_at=now,
                last_activity_at=today,
            ),
            [],
        )
        moved = 0
        posting = uuid.uuid4().hex
        for ln in lines:
            copy = m.ClaimLine(
                claim_id=repl.id,
                line_no=ln.line_no,
                service_date=ln.service_date,
                procedure_code=ln.procedure_code,
                modifier1=ln.modifier1,
                modifier2=ln.modifier2,
                modifier3=ln.modifier3,
                modifier4=ln.modifier4,
                units=ln.units,
                charge_cents=ln.charge_cents,
                dx_pointers=ln.dx_pointers,
                line_control_number=f"{number}-{ln.line_no}"[:30],
                removed=False,
                ins_balance_cents=0,
                pat_balance_cents=0,
            )
            uow.session.add(copy)
            uow.flush()
            cents = opened.get(ln.id, L.Balance()).for_resp(resp)
            if cents <= 0:
                continue
            uow.ledger.append(
                orig,
                ln,
                L.Entry(L.EntryKind.ADJUSTMENT, resp, -cents, group_code="OA"),
                user_id=actor.user_id,
                now=now,
                posting_id=posting,
                memo=f"moved to corrected claim {number}",
            )
            uow.ledger.append(
                repl,
                copy,
                L.charge(cents, resp),
                user_id=actor.user_id,
                now=now,
                memo=f"carried from claim {orig.claim_number} (corrected claim)",
            )
            moved += cents
        if moved == 0:
            raise ValidationError(
                f"nothing is open with the payer on claim {orig.claim_number}; "
                "there is nothing to correct and resend"
            )
        if (
            orig.ins_balance_cents == 0
            and orig.pat_balance_cents == 0
            and can_transition(orig.status, ClaimStatus.CLOSED)
        ):
            orig.status = ClaimStatus.CLOSED.value
            orig.follow_up_date = None
        orig.last_activity_at = today
        others = uow.session.scalars(
            select(m.Denial).where(m.Denial.claim_id == orig.id, m.Denial.status == "open")
        ).all()
        for d in others:
            _mark(d, actor, "corrected", "corrected_claim", now)
            d.replacement_claim_id = repl.id
        uow.flush()
        summary = scrub_in(uow, actor, [repl.id], today=today, codeset=shipped_icd10cm())
        result = summary.results[0]
        uow.audit(
            actor,
            "denial_corrected_claim",
            "claim",
            orig.claim_number,
            patient_id=orig.patient_id,
            denial=denial.id,
            denials=[d.id for d in others],
            replacement=number,
            payer_claim_number=icn,
            moved=moved,
            scrub=result.result,
        )
        uow.commit()
        how = (
            "ready to send"
            if repl.status == ClaimStatus.READY.value
            else f"on the scrubber work list ({len(result.findings)} problem(s))"
        )
        return DenialActionResult(
            denial.id,
            denial.status,
            orig.id,
            orig.claim_number,
            f"Corrected claim {number} (replaces {orig.claim_number}, payer claim {icn}) "
            f"carries {Money(moved)}; {how}.",
            replacement_claim_id=repl.id,
            replacement_claim_number=number,
            replacement_status=repl.status,
            moved_cents=moved,
        )


def appeal(
    db: Database, actor: Actor, denial_id: int, *, argument: str, level: int | str = 1, **kw
):
    """Start an appeal (services/appeals.py does the work)."""
    from billing_tui.services.appeals import start_appeal

    return start_appeal(db, actor, denial_id, argument=argument, level=level, **kw)


def request_write_off(
    db: Database,
    actor: Actor,
    denial_id: int,
    *,
    reason: str,
    amount_cents: int | None = None,
) -> DenialActionResult:
    """Ask to write off the denied amount (default: what is still open of it). Within the
    rep's approval limit it posts at once (written_off); above it the request waits for a
    supervisor (approval_pending) and services/approvals.py settles the denial when it
    decides. Request and denial change in one transaction, so neither is left without the
    other."""
    from billing_tui.services import approvals

    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("say why the denied amount should be written off", field="reason")
    now = utcnow()
    with UnitOfWork(db) as uow:
        denial, claim = _workable(uow, denial_id, None)
        open_cents = sum(_denied_open(uow, denial, claim).values())
        number = claim.claim_number
        cents = open_cents if amount_cents is None else amount_cents
        if type(cents) is not int or cents <= 0:
            raise ValidationError(
                f"nothing of the denied amount is open on {number}; nothing to write off"
                if amount_cents is None
                else "the write-off must be more than 0.00",
                field="amount",
            )
        if cents > open_cents:
            raise ValidationError(
                f"{Money(cents)} is more than the {Money(open_cents)} still open of this denial",
                field="amount",
            )
        outcome = approvals.place_request(
            uow,
            actor,
            kind="write_off",
            claim_id=claim.id,
            amount_cents=cents,
            carc=denial.carc if RC.is_known(denial.carc) else None,
            reason=f"denial {denial.carc}: {reason}"[:200],
            claim_line_id=denial.claim_line_id,
            resp=claim.responsibility,
            now=now,
        )
        posted = outcome.status == "posted"
        _mark(denial, actor, "written_off" if posted else "approval_pending", "write_off", now)
        denial.request_id = outcome.request_id
        uow.flush()
        uow.audit(
            actor,
            "denial_write_off_requested",
            "claim",
            number,
            patient_id=claim.patient_id,
            denial=denial.id,
            request=outcome.request_id,
            amount=cents,
            request_status=outcome.status,
        )
        uow.commit()
        what = (
            f"{Money(cents)} written off on {number}."
            if posted
            else f"Write-off of {Money(cents)} on {number} waits for approval "
            f"(request #{outcome.request_id})."
        )
        return DenialActionResult(
            denial.id, denial.status, claim.id, number, what, request_id=outcome.request_id
        )


def transfer_to_patient(
    db: Database,
    actor: Actor,
    denial_id: int,
    *,
    expected_version: int | None = None,
    today: dt.date | None = None,
) -> DenialActionResult:
    """Move what is still open of the denied amount from the payer to the patient (e.g.
    non-covered services the patient agreed to pay). When nothing is left with the payer,
    the claim is billed to the patient (status transferred)."""
    today = today or dt.date.today()
    now = utcnow()
    with UnitOfWork(db) as uow:
        denial, claim = _workable(uow, denial_id, expected_version)
        resp = claim.responsibility
        moves = _denied_open(uow, denial, claim)
        if not moves:
            raise ValidationError(
                f"nothing of this denial is open with the payer on claim {claim.claim_number}"
            )
        lines = {ln.id: ln for ln in uow.claims.lines(claim.id)}
        posting = uuid.uuid4().hex
        rows = [
            uow.ledger.append(
                claim,
                lines.get(line_id) if line_id is not None else None,
                L.transfer(cents, resp, L.PATIENT, carc=denial.carc),
                user_id=actor.user_id,
                now=now,
                posting_id=posting,
                memo=f"denial {denial.carc}: transferred to patient",
            )
            for line_id, cents in moves.items()
        ]
        moved = sum(moves.values())
        if claim.ins_balance_cents == 0:
            claim.responsibility = L.PATIENT
            if can_transition(claim.status, ClaimStatus.TRANSFERRED):
                claim.status = ClaimStatus.TRANSFERRED.value
        claim.last_activity_at = today
        _mark(denial, actor, "transferred", "transfer_to_patient", now)
        uow.flush()
        uow.audit(
            actor,
            "denial_transferred_to_patient",
            "claim",
            claim.claim_number,
            patient_id=claim.patient_id,
            denial=denial.id,
            amount=moved,
            entries=[r.id for r in rows],
        )
        uow.commit()
        return DenialActionResult(
            denial.id,
            denial.status,
            claim.id,
            claim.claim_number,
            f"Moved {Money(moved)} on {claim.claim_number} to the patient.",
            moved_cents=moved,
            entry_ids=tuple(r.id for r in rows),
        )


def rebill_other_payer(
    db: Database,
    actor: Actor,
    denial_id: int,
    rank: int,
    *,
    expected_version: int | None = None,
    today: dt.date | None = None,
) -> DenialActionResult:
    """Bill another coverage of the patient (e.g. CARC 22 / 109: another payer is
    responsible): everything open with the current payer moves to that coverage's rank,
    the claim is marked for rebill and goes out to that payer; the claim's open denials
    are worked by it."""
    today = today or dt.date.today()
    now = utcnow()
    with UnitOfWork(db) as uow:
        denial, claim = _workable(uow, denial_id, expected_version)
        current = claim.responsibility
        if not L.is_insurance(current):
            raise ValidationError(f"claim {claim.claim_number} is billed to the patient")
        coverage = next(
            (c for c in uow.patients.coverages(claim.patient_id) if c.rank == rank), None
        )
        if coverage is None or rank == current:
            raise ValidationError(
                f"choose another coverage of the patient (rank {rank} is "
                + ("the payer billed now)" if rank == current else "not on file)"),
                field="rank",
            )
        if not can_transition(claim.status, ClaimStatus.TRANSFERRED):
            raise ValidationError(
                f"claim {claim.claim_number} is {ClaimStatus(claim.status).label}; "
                "it cannot be moved to another payer now"
            )
        payer = uow.payers.get(coverage.payer_id)
        lines = {ln.id: ln for ln in uow.claims.lines(claim.id)}
        moves = [
            (line_id, bal.for_resp(current))
            for line_id, bal in sorted(
                _open_by_line(uow, claim.id).items(), key=lambda kv: (kv[0] is None, kv[0] or 0)
            )
            if bal.for_resp(current) > 0
        ]
        if not moves:
            raise ValidationError(
                f"nothing is open with the payer on claim {claim.claim_number}; nothing to rebill"
            )
        posting = uuid.uuid4().hex
        rows = [
            uow.ledger.append(
                claim,
                lines.get(line_id) if line_id is not None else None,
                L.transfer(cents, current, rank),
                user_id=actor.user_id,
                now=now,
                posting_id=posting,
                memo=f"rebill to {payer.name}"[:200],
            )
            for line_id, cents in moves
        ]
        moved = sum(c for _, c in moves)
        claim.responsibility = rank
        claim.status = ClaimStatus.TRANSFERRED.value
        claim.rebill = True
        claim.last_activity_at = today
        others = uow.session.scalars(
            select(m.Denial).where(m.Denial.claim_id == claim.id, m.Denial.status == "open")
        ).all()
        for d in others:
            _mark(d, actor, "rebilled", "rebill_other_payer", now)
        uow.flush()
        uow.audit(
            actor,
            "denial_rebilled",
            "claim",
            claim.claim_number,
            patient_id=claim.patient_id,
            denial=denial.id,
            denials=[d.id for d in others],
            from_resp=current,
            to_resp=rank,
            amount=moved,
            entries=[r.id for r in rows],
        )
        uow.commit()
        return DenialActionResult(
            denial.id,
            denial.status,
            claim.id,
            claim.claim_number,
            f"Claim {claim.claim_number}: {Money(moved)} moved to {payer.name}; marked for rebill.",
            moved_cents=moved,
            entry_ids=tuple(r.id for r in rows),
        )
