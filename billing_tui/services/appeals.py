"""Appeals: start one on a denial (level, deadline, letter), list them by deadline, record
the payer's decision.

Letters come from Jinja2 templates (billing_tui/templates/appeal_*.txt.j2). A practice
edits them by copying one into ``<user data dir>/templates/`` (same file name): that copy
wins. Each letter is exported as text and PDF (fpdf2) to ``<user data dir>/letters`` or a
folder the caller names. The decision (won / partly / lost) resolves the denial (lost puts
it back on the denial work list for the next level or another action); the money itself
comes with the payer's remittance and is posted there.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateError
from platformdirs import user_data_dir
from sqlalchemy import select

from billing_tui.db import models as m
from billing_tui.db.engine import Database
from billing_tui.db.uow import UnitOfWork, utcnow
from billing_tui.domain import appeals as A
from billing_tui.domain import reason_codes as RC
from billing_tui.domain.claim_status import ClaimStatus, can_transition
from billing_tui.domain.errors import NotFoundError, ValidationError
from billing_tui.domain.money import Money
from billing_tui.domain.users import Actor

PACKAGE_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
TEMPLATE_OF_LEVEL = {
    A.AppealLevel.FIRST: "appeal_first_level.txt.j2",
    A.AppealLevel.SECOND: "appeal_second_level.txt.j2",
    A.AppealLevel.EXTERNAL: "appeal_external_review.txt.j2",
}
MAX_ARGUMENT = 8000
# Denial statuses an appeal may start from (a lost appeal puts the denial back to open).
APPEALABLE = ("open",)


def user_templates_dir() -> Path:
    return Path(user_data_dir("billing-tui")) / "templates"


def default_letters_dir() -> Path:
    return Path(user_data_dir("billing-tui")) / "letters"


def _env() -> Environment:
    return Environment(
        loader=FileSystemLoader([str(user_templates_dir()), str(PACKAGE_TEMPLATES)]),
        autoescape=False,  # plain-text letters, never HTML
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


@dataclass(frozen=True, slots=True)
class AppealView:
    appeal_id: int
    denial_id: int
    claim_id: int
    claim_number: str
    patient_id: int
    patient_name: str
    payer_name: str
    level: int
    level_label: str
    deadline: dt.date
    days_left: int
    urgency: str  # overdue / due_soon / ok
    status: str  # filed / decided
    outcome: str | None
    carc: str
    amount_cents: int
    filed_on: dt.date | None
    decided_on: dt.date | None
    letter_txt_path: str | None
    letter_pdf_path: str | None
    message: str = ""


@dataclass(frozen=True, slots=True)
class AppealPreview:
    """What the appeal form shows before the rep starts it."""

    denial_id: int
    level: int
    level_label: str
    deadline: dt.date
    days_left: int
    urgency: str
    window_days: int


# --- helpers ----------------------------------------------------------------------------


def _windows(uow: UnitOfWork, payer_id: int | None) -> dict[int, int]:
    if payer_id is None:
        return {}
    return {
        r.level: r.days
        for r in uow.session.execute(
            select(m.PayerAppealWindow.level, m.PayerAppealWindow.days).where(
                m.PayerAppealWindow.payer_id == payer_id
            )
        )
    }


def _prior(uow: UnitOfWork, denial_id: int, level: A.AppealLevel) -> m.Appeal | None:
    """The decided appeal one level below ``level`` (None for the first level)."""
    if level is A.AppealLevel.FIRST:
        return None
    return uow.session.scalar(
        select(m.Appeal)
        .where(m.Appeal.denial_id == denial_id, m.Appeal.level == int(level) - 1)
        .order_by(m.Appeal.id.desc())
        .limit(1)
    )


def _deadline(
    uow: UnitOfWork, denial: m.Denial, claim: m.Claim, level: A.AppealLevel
) -> tuple[dt.date, int, m.Appeal | None]:
    payer = uow.payers.get(claim.payer_id) if claim.payer_id else None
    prior = _prior(uow, denial.id, level)
    if level is not A.AppealLevel.FIRST:
        if prior is None or prior.status != "decided":
            raise ValidationError(
                f"a {level.label} appeal follows a decided {A.AppealLevel(int(level) - 1).label} "
                "appeal; record that decision first",
                field="level",
            )
        if prior.outcome == "won":
            raise ValidationError(
                f"the {A.AppealLevel(int(level) - 1).label} appeal was won; nothing to appeal",
                field="level",
            )
    windows = _windows(uow, claim.payer_id)
    ptype = payer.payer_type if payer else "other"
    pdays = payer.appeal_window_days if payer else None
    days = A.window_days(level, payer_type=ptype, payer_window_days=pdays, level_windows=windows)
    deadline = A.appeal_deadline(
        level,
        denial_date=denial.denied_on,
        payer_type=ptype,
        payer_window_days=pdays,
        prior_decision_date=prior.decided_on if prior else None,
        level_windows=windows,
    )
    return deadline, days, prior


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_") or "letter"


def _latin1(text: str) -> str:
    """The PDF core fonts are Latin-1: replace what they cannot draw."""
    text = text.replace("\u2014", "-").replace("\u2013", "-").replace("\u2019", "'")
    return text.encode("latin-1", "replace").decode("latin-1")


def write_pdf(text: str, path: Path, title: str) -> None:
    from fpdf import FPDF

    pdf = FPDF(format="Letter")
    pdf.set_title(_latin1(title))
    pdf.set_margins(20, 20, 20)
    pdf.set_auto_page_break(True, margin=20)
    pdf.add_page()
    pdf.set_font("Helvetica", size=10.5)
    for para in _latin1(text).split("\n"):
        if para.strip():
            pdf.multi_cell(0, 5, para, new_x="LMARGIN", new_y="NEXT")
        else:
            pdf.ln(5)
    pdf.output(str(path))


def _letter_context(
    uow: UnitOfWork,
    actor: Actor,
    denial: m.Denial,
    claim: m.Claim,
    level: A.AppealLevel,
    deadline: dt.date,
    argument: str,
    prior: m.Appeal | None,
    today: dt.date,
) -> dict:
    patient = uow.patients.get(claim.patient_id)
    payer = uow.payers.get(claim.payer_id) if claim.payer_id else None
    practice = uow.payers.practice()
    cov = next(
        (c for c in uow.patients.coverages(claim.patient_id) if c.rank == claim.responsibility),
        None,
    )
    lines = [ln for ln in uow.claims.lines(claim.id) if not ln.removed]
    reason = RC.lookup(denial.carc)
    dos = claim.service_date.isoformat()
    if claim.service_date_to and claim.service_date_to != claim.service_date:
        dos += f" to {claim.service_date_to.isoformat()}"
    return {
        "today": today.isoformat(),
        "level_label": level.label,
        "deadline": deadline.isoformat(),
        "argument": argument,
        "practice": {
            "name": practice.name if practice else "",
            "address": (
                f"{practice.address1}, {practice.city}, {practice.state} {practice.zip}"
                if practice
                else ""
            ),
            "npi": practice.billing_npi if practice else "",
            "ein": practice.ein if practice else "",
            "phone": practice.phone if practice else "",
        },
        "payer": {
            "name": payer.name if payer else "the payer",
            "type": payer.payer_type if payer else "other",
        },
        "patient": {
            "name": f"{patient.first_name} {patient.last_name}",
            "dob": patient.dob.isoformat(),
            "account": patient.account_no,
            "member_id": cov.member_id if cov else "",
        },
        "claim": {
            "number": claim.claim_number,
            "payer_claim_number": claim.payer_claim_number or "",
            "service_dates": dos,
            "total_charge": Money(claim.total_charge_cents).format(True),
            "diagnoses": claim.diagnoses.replace(":", ", "),
            "lines": [
                {
                    "service_date": ln.service_date.isoformat(),
                    "procedure": ln.procedure_code,
                    "modifiers": "-".join(
                        x for x in (ln.modifier1, ln.modifier2, ln.modifier3, ln.modifier4) if x
                    ),
                    "units": str(ln.units.normalize()),
                    "charge": Money(ln.charge_cents).format(True),
                }
                for ln in lines
            ],
        },
        "denial": {
            "group_code": denial.group_code,
            "carc": denial.carc,
            "rarc": denial.rarc or "",
            "description": reason.description,
            "amount": Money(denial.amount_cents).format(True),
            "denied_on": denial.denied_on.isoformat(),
        },
        "prior": (
            {
                "decided_on": prior.decided_on.isoformat() if prior.decided_on else "",
                "outcome": prior.outcome or "",
            }
            if prior
            else None
        ),
        "rep": {"name": actor.display_name},
    }


def render_letter(template_name: str, context: dict) -> str:
    try:
        return _env().get_template(template_name).render(**context)
    except TemplateError as exc:
        raise ValidationError(f"appeal letter template {template_name}: {exc}") from None


def _view(uow: UnitOfWork, ap: m.Appeal, today: dt.date, message: str = "") -> AppealView:
    denial = uow.session.get(m.Denial, ap.denial_id)
    claim = uow.claims.get(ap.claim_id)
    patient = uow.patients.get(claim.patient_id)
    payer = uow.payers.get(claim.payer_id) if claim.payer_id else None
    level = A.AppealLevel(ap.level)
    return AppealView(
        appeal_id=ap.id,
        denial_id=ap.denial_id,
        claim_id=ap.claim_id,
        claim_number=claim.claim_number,
        patient_id=claim.patient_id,
        patient_name=f"{patient.last_name}, {patient.first_name}",
        payer_name=payer.name if payer else "Self-pay",
        level=ap.level,
        level_label=level.label,
        deadline=ap.deadline,
        days_left=A.days_left(ap.deadline, today),
        urgency=A.urgency(ap.deadline, today) if ap.status != "decided" else "ok",
        status=ap.status,
        outcome=ap.outcome,
        carc=denial.carc,
        amount_cents=denial.amount_cents,
        filed_on=ap.filed_on,
        decided_on=ap.decided_on,
        letter_txt_path=ap.letter_txt_path,
        letter_pdf_path=ap.letter_pdf_path,
        message=message,
    )


# --- services ----------------------------------------------------------------------------


def preview_appeal(
    db: Database, denial_id: int, level: int | str = 1, *, today: dt.date | None = None
) -> AppealPreview:
    """The deadline an appeal at ``level`` would have (for the form, before starting it)."""
    today = today or dt.date.today()
    lv = A.parse_level(level)
    with UnitOfWork(db, write=False) as uow:
        denial = uow.session.get(m.Denial, denial_id)
        if denial is None:
            raise NotFoundError(f"denial {denial_id} does not exist")
        claim = uow.claims.get(denial.claim_id)
        deadline, days, _prior_appeal = _deadline(uow, denial, claim, lv)
        return AppealPreview(
            denial_id,
            int(lv),
            lv.label,
            deadline,
            A.days_left(deadline, today),
            A.urgency(deadline, today),
            days,
        )


def start_appeal(
    db: Database,
    actor: Actor,
    denial_id: int,
    *,
    argument: str,
    level: int | str = 1,
    out_dir: Path | str | None = None,
    template: str | None = None,
    today: dt.date | None = None,
) -> AppealView:
    """File an appeal of a denial: deadline from the payer's window, letter rendered from
    the level's template with the rep's argument and exported (text + PDF); the denial
    becomes "appealed" and the claim too (when the status machine allows it)."""
    today = today or dt.date.today()
    lv = A.parse_level(level)
    argument = (argument or "").strip()
    if not argument:
        raise ValidationError(
            "write the argument: why the payer should pay (records, codes, policy)",
            field="argument",
        )
    if len(argument) > MAX_ARGUMENT:
        raise ValidationError(
            f"the argument is {len(argument):,} characters long; at most {MAX_ARGUMENT:,} fit",
            field="argument",
        )
    template_name = template or TEMPLATE_OF_LEVEL[lv]
    folder = Path(out_dir) if out_dir else default_letters_dir()
    now = utcnow()
    written: list[Path] = []
    with UnitOfWork(db) as uow:
        denial = uow.session.get(m.Denial, denial_id)
        if denial is None:
            raise NotFoundError(f"denial {denial_id} does not exist")
        claim = uow.claims.get(denial.claim_id, lock=True)
        if lv is A.AppealLevel.FIRST and denial.status not in APPEALABLE:
            raise ValidationError(
                f"the denial on claim {claim.claim_number} is {denial.status.replace('_', ' ')}; "
                "only an open denial is appealed"
            )
        if lv is A.AppealLevel.FIRST and _prior_open(uow, denial.id):
            raise ValidationError(f"claim {claim.claim_number} already has an appeal waiting")
        if not denial.root_cause:
            raise ValidationError(
                "record the denial's root cause before acting on it", field="root_cause"
            )
        deadline, _days, prior = _deadline(uow, denial, claim, lv)
        text = render_letter(
            template_name,
            _letter_context(uow, actor, denial, claim, lv, deadline, argument, prior, today),
        )
        appeal = m.Appeal(
            denial_id=denial.id,
            claim_id=claim.id,
            level=int(lv),
            deadline=deadline,
            status="filed",
            letter_text=text,
            filed_on=today,
            created_by=actor.user_id,
            created_at=now,
            argument=argument,
            template=template_name[:60],
        )
        uow.session.add(appeal)
        denial.status = "appealed"
        denial.action = "appeal"
        denial.worked_by = actor.user_id
        denial.worked_at = now
        denial.due_date = deadline
        if claim.status != ClaimStatus.APPEALED.value and can_transition(
            claim.status, ClaimStatus.APPEALED
        ):
            claim.status = ClaimStatus.APPEALED.value
        claim.last_activity_at = today
        uow.flush()
        try:
            folder.mkdir(parents=True, exist_ok=True)
            stem = _safe_name(f"appeal_{claim.claim_number}_L{int(lv)}_{appeal.id}")
            txt, pdf = folder / f"{stem}.txt", folder / f"{stem}.pdf"
            txt.write_text(text, encoding="utf-8")
            written.append(txt)
            write_pdf(text, pdf, f"Appeal of claim {claim.claim_number}")
            written.append(pdf)
        except OSError as exc:
            for p in written:
                p.unlink(missing_ok=True)
            raise ValidationError(
                f"cannot write the letter to {folder}: {exc.strerror or exc}", field="out_dir"
            ) from None
        appeal.letter_txt_path = str(txt)
        appeal.letter_pdf_path = str(pdf)
        uow.audit(
            actor,
            "appeal_started",
            "claim",
            claim.claim_number,
            patient_id=claim.patient_id,
            denial=denial.id,
            appeal=appeal.id,
            level=int(lv),
            deadline=deadline,
            letter=str(txt),
        )
        try:
            uow.commit()
        except Exception:
            for p in written:
                p.unlink(missing_ok=True)
            raise
        left = A.days_left(deadline, today)
        when = f"due {deadline.isoformat()}" + (
            f" (passed {-left} days ago)" if left < 0 else f" ({left} days left)"
        )
        return _view(
            uow,
            appeal,
            today,
            f"Appeal ({lv.label}) on {claim.claim_number} filed, {when}; letter {txt.name}.",
        )


def _prior_open(uow: UnitOfWork, denial_id: int) -> bool:
    return (
        uow.session.scalar(
            select(m.Appeal.id)
            .where(m.Appeal.denial_id == denial_id, m.Appeal.status != "decided")
            .limit(1)
        )
        is not None
    )


def appeals_work_list(
    db: Database,
    *,
    today: dt.date | None = None,
    include_decided: bool = False,
    limit: int = 200,
) -> list[AppealView]:
    """Appeals waiting for a decision (and decided ones on request), soonest deadline first."""
    today = today or dt.date.today()
    with UnitOfWork(db, write=False) as uow:
        s = uow.session
        q = (
            select(
                m.Appeal,
                m.Denial.carc,
                m.Denial.amount_cents,
                m.Claim.claim_number,
                m.Claim.patient_id,
                m.Patient.last_name,
                m.Patient.first_name,
                m.Payer.name,
            )
            .join(m.Denial, m.Denial.id == m.Appeal.denial_id)
            .join(m.Claim, m.Claim.id == m.Appeal.claim_id)
            .join(m.Patient, m.Patient.id == m.Claim.patient_id)
            .outerjoin(m.Payer, m.Payer.id == m.Claim.payer_id)
            .order_by(m.Appeal.deadline, m.Appeal.id)
            .limit(limit)
        )
        if not include_decided:
            q = q.where(m.Appeal.status != "decided")
        out = []
        for ap, carc, amount, number, pid, last, first, payer in s.execute(q):
            decided = ap.status == "decided"
            out.append(
                AppealView(
                    appeal_id=ap.id,
                    denial_id=ap.denial_id,
                    claim_id=ap.claim_id,
                    claim_number=number,
                    patient_id=pid,
                    patient_name=f"{last}, {first}",
                    payer_name=payer or "Self-pay",
                    level=ap.level,
                    level_label=A.AppealLevel(ap.level).label,
                    deadline=ap.deadline,
                    days_left=A.days_left(ap.deadline, today),
                    urgency="ok" if decided else A.urgency(ap.deadline, today),
                    status=ap.status,
                    outcome=ap.outcome,
                    carc=carc,
                    amount_cents=amount,
                    filed_on=ap.filed_on,
                    decided_on=ap.decided_on,
                    letter_txt_path=ap.letter_txt_path,
                    letter_pdf_path=ap.letter_pdf_path,
                )
            )
        return out


def get_appeal(db: Database, appeal_id: int, *, today: dt.date | None = None) -> AppealView:
    today = today or dt.date.today()
    with UnitOfWork(db, write=False) as uow:
        ap = uow.session.get(m.Appeal, appeal_id)
        if ap is None:
            raise NotFoundError(f"appeal {appeal_id} does not exist")
        return _view(uow, ap, today)


def record_outcome(
    db: Database,
    actor: Actor,
    appeal_id: int,
    outcome: str,
    *,
    note: str = "",
    decided_on: dt.date | None = None,
    today: dt.date | None = None,
) -> AppealView:
    """The payer's decision: won / partly resolve the denial (the money comes with the
    remittance and is posted there); lost puts the denial back on the work list for a
    next-level appeal or another action."""
    today = today or dt.date.today()
    decided_on = decided_on or today
    result = A.parse_outcome(outcome)
    note = (note or "").strip()
    if len(note) > 400:
        raise ValidationError("the note is longer than 400 characters", field="note")
    if decided_on > today:
        raise ValidationError("the decision date cannot be in the future", field="decided_on")
    now = utcnow()
    with UnitOfWork(db) as uow:
        ap = uow.session.get(m.Appeal, appeal_id)
        if ap is None:
            raise NotFoundError(f"appeal {appeal_id} does not exist")
        claim = uow.claims.get(ap.claim_id, lock=True)
        if ap.status == "decided":
            raise ValidationError(
                f"the appeal on claim {claim.claim_number} was already decided ({ap.outcome})"
            )
        if ap.filed_on and decided_on < ap.filed_on:
            raise ValidationError(
                "the decision date is before the appeal was filed", field="decided_on"
            )
        denial = uow.session.get(m.Denial, ap.denial_id)
        ap.status = "decided"
        ap.outcome = result
        ap.decided_on = decided_on
        ap.outcome_note = note or None
        denial.status = "open" if result == "lost" else "resolved"
        denial.action = f"appeal_{result}"
        denial.worked_by = actor.user_id
        denial.worked_at = now
        claim.last_activity_at = today
        uow.flush()
        uow.audit(
            actor,
            "appeal_decided",
            "claim",
            claim.claim_number,
            patient_id=claim.patient_id,
            appeal=ap.id,
            denial=denial.id,
            outcome=result,
            decided_on=decided_on,
        )
        uow.commit()
        what = {
            "won": "won: post the payment when the remittance comes",
            "partly": "partly won: post what the remittance pays",
            "lost": "lost: the denial is back on the work list",
        }[result]
        return _view(uow, ap, today, f"Appeal on {claim.claim_number} {what}.")
