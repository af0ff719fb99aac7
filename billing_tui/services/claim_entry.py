"""Claim entry and edit: a claim with its lines (codes, modifiers, units, charges,
diagnosis pointers), saved as a draft with its charges in the ledger.

Every saved line carries a charge entry (LedgerRepository.append, as the charge import
does). Changing a saved line's charge reverses its charge entry and posts the new one;
removing a saved line reverses its charge and marks the line removed (the row stays:
ledger entries point at it). Nothing financial is edited in place.

Which claims can be edited: draft, ready (it goes back to draft: it must be scrubbed
again), rejected (by a 999) and corrected. An adjudicated claim is changed by starting a
corrected claim: frequency 7 (replacement) or 8 (void), with the payer's claim number;
it then goes back through the scrubber and is sent with REF*F8.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select

from billing_tui.db import models as m
from billing_tui.db.engine import Database
from billing_tui.db.uow import UnitOfWork, utcnow
from billing_tui.domain import ledger as L
from billing_tui.domain.claim_status import ADJUDICATED, ClaimStatus, transition
from billing_tui.domain.codesets import display_icd10
from billing_tui.domain.dates import parse_date
from billing_tui.domain.errors import ConflictError, DomainError, NotFoundError, ValidationError
from billing_tui.domain.money import parse_money
from billing_tui.domain.scrubber import (
    MAX_DIAGNOSES,
    MAX_LINES,
    MODIFIER_RE,
    PROCEDURE_RE,
    parse_units,
)
from billing_tui.domain.users import Actor

EDITABLE = frozenset(
    {
        ClaimStatus.DRAFT.value,
        ClaimStatus.READY.value,
        ClaimStatus.REJECTED.value,
        ClaimStatus.CORRECTED.value,
    }
)
_ICD_RE = re.compile(r"^[A-Z][0-9][0-9A-Z](\.?[0-9A-Z]{1,4})?$")
_SPLIT = re.compile(r"[\s,;:]+")


@dataclass(frozen=True, slots=True)
class LineInput:
    """One line as the rep typed it (text); ``line_id`` for a line already saved."""

    service_date: str
    procedure: str
    modifiers: str = ""
    units: str = "1"
    charge: str = ""
    pointers: str = "1"
    line_id: int | None = None


@dataclass(frozen=True, slots=True)
class ClaimInput:
    coverage_id: int | None
    provider_id: int | None
    place_of_service: str
    diagnoses: str
    lines: tuple[LineInput, ...]
    payer_claim_number: str = ""


@dataclass(frozen=True, slots=True)
class Choice:
    id: int
    label: str


@dataclass(frozen=True, slots=True)
class LineForm:
    line_id: int
    line_no: int
    service_date: dt.date
    procedure: str
    modifiers: tuple[str, ...]
    units: Decimal
    charge_cents: int
    pointers: str


@dataclass(frozen=True, slots=True)
class ClaimForm:
    """What the entry screen shows: the claim (None for a new one) and the choices."""

    patient_id: int
    account_no: str
    patient_name: str
    patient_dob: dt.date
    coverages: tuple[Choice, ...]
    providers: tuple[Choice, ...]
    claim_id: int | None = None
    claim_number: str | None = None
    version: int | None = None
    status: str = ClaimStatus.DRAFT.value
    frequency_code: str = "1"
    payer_claim_number: str | None = None
    coverage_id: int | None = None
    provider_id: int | None = None
    place_of_service: str = "11"
    diagnoses: tuple[str, ...] = ()
    lines: tuple[LineForm, ...] = ()
    total_charge_cents: int = 0

    @property
    def editable(self) -> bool:
        return self.status in EDITABLE


# --- reading ---------------------------------------------------------------------------


def _choices(uow: UnitOfWork, patient: m.Patient) -> tuple[tuple[Choice, ...], tuple[Choice, ...]]:
    covs = []
    for c in uow.patients.coverages(patient.id):
        payer = uow.payers.get(c.payer_id)
        rank = {1: "primary", 2: "secondary", 3: "tertiary"}.get(c.rank, str(c.rank))
        ends = f", ended {c.term_date}" if c.term_date else ""
        covs.append(Choice(c.id, f"{payer.name} ({rank}{ends})"))
    providers = tuple(
        Choice(
            p.id, f"{p.last_name}, {p.first_name} {p.credential or ''}".strip() + f" NPI {p.npi}"
        )
        for p in uow.session.scalars(select(m.Provider).order_by(m.Provider.last_name))
    )
    return tuple(covs), providers


def _form(uow: UnitOfWork, patient: m.Patient, claim: m.Claim | None) -> ClaimForm:
    covs, providers = _choices(uow, patient)
    base = {
        "patient_id": patient.id,
        "account_no": patient.account_no,
        "patient_name": f"{patient.last_name}, {patient.first_name}",
        "patient_dob": patient.dob,
        "coverages": covs,
        "providers": providers,
    }
    if claim is None:
        return ClaimForm(
            **base,
            coverage_id=covs[0].id if covs else None,
            provider_id=providers[0].id if providers else None,
        )
    lines = tuple(
        LineForm(
            ln.id,
            ln.line_no,
            ln.service_date,
            ln.procedure_code,
            tuple(x for x in (ln.modifier1, ln.modifier2, ln.modifier3, ln.modifier4) if x),
            Decimal(str(ln.units)),
            ln.charge_cents,
            ln.dx_pointers,
        )
        for ln in uow.claims.lines(claim.id)
        if not ln.removed
    )
    return ClaimForm(
        **base,
        claim_id=claim.id,
        claim_number=claim.claim_number,
        version=claim.version,
        status=claim.status,
        frequency_code=claim.frequency_code,
        payer_claim_number=claim.payer_claim_number,
        coverage_id=claim.coverage_id,
        provider_id=claim.provider_id,
        place_of_service=claim.place_of_service,
        diagnoses=tuple(display_icd10(d) for d in claim.diagnoses.split(":") if d),
        lines=lines,
        total_charge_cents=claim.total_charge_cents,
    )


def new_claim_form(db: Database, actor: Actor, account_no: str) -> ClaimForm:
    account_no = account_no.strip().upper()
    if not account_no:
        raise ValidationError("type the patient's account number", field="account")
    with UnitOfWork(db, write=False) as uow:
        patient = uow.patients.by_account(account_no)
        if patient is None:
            raise NotFoundError(f"no patient with account number {account_no}")
        return _form(uow, patient, None)


def load_claim(db: Database, actor: Actor, claim_id: int) -> ClaimForm:
    with UnitOfWork(db, write=False) as uow:
        claim = uow.claims.get(claim_id)
        if claim is None:
            raise NotFoundError(f"claim id {claim_id} does not exist")
        return _form(uow, uow.patients.get(claim.patient_id), claim)


# --- parsing what the rep typed ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Line:
    line_id: int | None
    service_date: dt.date
    procedure: str
    modifiers: tuple[str, ...]
    units: Decimal
    charge_cents: int
    pointers: str


def parse_diagnoses(text: str) -> list[str]:
    codes = [c.upper() for c in _SPLIT.split(text.strip()) if c]
    if not codes:
        raise ValidationError("add at least one diagnosis (ICD-10-CM)", field="diagnoses")
    if len(codes) > MAX_DIAGNOSES:
        raise ValidationError(f"at most {MAX_DIAGNOSES} diagnoses on a claim", field="diagnoses")
    out: list[str] = []
    for c in codes:
        if not _ICD_RE.match(c):
            raise ValidationError(f"{c!r} is not an ICD-10-CM code", field="diagnoses")
        shown = display_icd10(c)
        if shown in out:
            raise ValidationError(f"{shown} is listed twice", field="diagnoses")
        out.append(shown)
    return out


def _parse_line(n: int, li: LineInput, n_dx: int, today: dt.date) -> _Line:
    where = f"line {n}"

    def fail(what: str, fld: str) -> ValidationError:
        return ValidationError(f"{where}: {what}", field=f"line{n}.{fld}")

    try:
        dos = parse_date(li.service_date, today)
    except ValidationError as exc:
        raise fail(str(exc), "dos") from None
    if dos > today:
        raise fail(f"date of service {dos.isoformat()} is in the future", "dos")
    proc = li.procedure.strip().upper()
    if not PROCEDURE_RE.match(proc):
        raise fail(f"{li.procedure.strip()!r} is not a CPT or HCPCS code", "code")
    mods = tuple(x.upper() for x in _SPLIT.split(li.modifiers.strip()) if x)
    if len(mods) > 4:
        raise fail("at most 4 modifiers", "modifiers")
    for mod in mods:
        if not MODIFIER_RE.match(mod):
            raise fail(f"modifier {mod!r} must be 2 letters or digits", "modifiers")
    if len(set(mods)) != len(mods):
        raise fail("a modifier is repeated", "modifiers")
    try:
        units = parse_units(li.units.strip() or "1")
    except ValidationError as exc:
        raise fail(str(exc), "units") from None
    try:
        cents = parse_money(li.charge).cents
    except DomainError as exc:
        raise fail(str(exc), "charge") from None
    if cents <= 0:
        raise fail("the charge must be more than 0.00", "charge")
    ptrs = [p for p in _SPLIT.split(li.pointers.strip()) if p]
    if not 1 <= len(ptrs) <= 4:
        raise fail("point at 1 to 4 diagnoses (e.g. 1 2)", "pointers")
    for p in ptrs:
        if not p.isdigit() or not 1 <= int(p) <= n_dx:
            raise fail(f"pointer {p} names no diagnosis (the claim has {n_dx})", "pointers")
    if len(set(ptrs)) != len(ptrs):
        raise fail("a diagnosis is pointed at twice", "pointers")
    return _Line(li.line_id, dos, proc, mods, units, cents, ":".join(ptrs))


# --- saving --------------------------------------------------------------------------------


def _next_claim_number(uow: UnitOfWork) -> str:
    while True:
        number = f"E{uow.counters.next('claim_entry'):08d}"
        if uow.claims.by_number(number) is None:
            return number


def _open_entries(
    uow: UnitOfWork, claim: m.Claim, *, charges_only: bool
) -> dict[int, list[m.LedgerEntry]]:
    """Per line: entries not reversed yet (newest first, the order to reverse them in).
    An unsent claim holds only charges and moves between payers, all of which a removed
    line or a changed charge undoes; a corrected claim keeps its payments."""
    entries = uow.ledger.for_claim(claim.id)
    reversed_ids = {e.reverses_id for e in entries if e.reverses_id}
    out: dict[int, list[m.LedgerEntry]] = {}
    for e in reversed(entries):
        if e.kind == L.EntryKind.REVERSAL.value or e.id in reversed_ids or not e.claim_line_id:
            continue
        if charges_only and e.kind != L.EntryKind.CHARGE.value:
            continue
        out.setdefault(e.claim_line_id, []).append(e)
    return out


def _reverse(uow, claim, line, entry: m.LedgerEntry, actor: Actor, now, memo: str) -> None:
    domain = L.Entry(
        kind=L.EntryKind(entry.kind),
        responsibility=entry.responsibility,
        amount_cents=entry.amount_cents,
        to_responsibility=entry.to_responsibility,
        group_code=entry.group_code,
        carc=entry.carc,
        rarc=entry.rarc,
        entry_id=entry.id,
    )
    uow.ledger.append(claim, line, L.reversal_of(domain), user_id=actor.user_id, now=now, memo=memo)


def save_claim(
    db: Database,
    actor: Actor,
    data: ClaimInput,
    *,
    patient_id: int | None = None,
    claim_id: int | None = None,
    expected_version: int | None = None,
    today: dt.date | None = None,
) -> ClaimForm:
    """Create (``patient_id``) or edit (``claim_id`` + ``expected_version``) a claim."""
    today = today or dt.date.today()
    if (patient_id is None) == (claim_id is None):
        raise ValueError("pass patient_id for a new claim or claim_id to edit one")
    dxs = parse_diagnoses(data.diagnoses)
    if not data.lines:
        raise ValidationError("add at least one service line", field="line1.code")
    if len(data.lines) > MAX_LINES:
        raise ValidationError(f"at most {MAX_LINES} lines on a claim", field="line1.code")
    lines = [_parse_line(i, li, len(dxs), today) for i, li in enumerate(data.lines, start=1)]
    pos = data.place_of_service.strip() or "11"
    if not (pos.isdigit() and len(pos) == 2):
        raise ValidationError(f"place of service {pos!r} must be 2 digits", field="pos")
    now = utcnow()
    with UnitOfWork(db) as uow:
        if claim_id is not None:
            claim = uow.claims.get(claim_id, lock=True)
            if claim is None:
                raise NotFoundError(f"claim id {claim_id} does not exist")
            if expected_version is not None and claim.version != expected_version:
                raise ConflictError(f"Claim {claim.claim_number}")
            if claim.status not in EDITABLE:
                raise ValidationError(
                    f"claim {claim.claim_number} is {ClaimStatus(claim.status).label}: start a "
                    "corrected claim to change it"
                )
            patient = uow.patients.get(claim.patient_id)
        else:
            patient = uow.patients.get(patient_id)
            if patient is None:
                raise NotFoundError(f"patient id {patient_id} does not exist")
            claim = None
        coverage = None
        if data.coverage_id is not None:
            coverage = next(
                (c for c in uow.patients.coverages(patient.id) if c.id == data.coverage_id), None
            )
            if coverage is None:
                raise ValidationError("that coverage is not the patient's", field="coverage")
        if data.provider_id is not None and uow.session.get(m.Provider, data.provider_id) is None:
            raise ValidationError("pick a rendering provider", field="provider")
        resp = coverage.rank if coverage else L.PATIENT
        fields = {
            "coverage_id": coverage.id if coverage else None,
            "payer_id": coverage.payer_id if coverage else None,
            "provider_id": data.provider_id,
            "place_of_service": pos,
            "diagnoses": ":".join(dxs),
            "service_date": min(ln.service_date for ln in lines),
            "service_date_to": max(ln.service_date for ln in lines),
            "total_charge_cents": sum(ln.charge_cents for ln in lines),
        }
        if claim is not None and claim.frequency_code in ("7", "8"):
            fields["payer_claim_number"] = data.payer_claim_number.strip() or None
        if claim is None:
            claim = uow.claims.add(
                m.Claim(
                    claim_number=_next_claim_number(uow),
                    patient_id=patient.id,
                    frequency_code="1",
                    status=ClaimStatus.DRAFT.value,
                    ins_balance_cents=0,
                    pat_balance_cents=0,
                    responsibility=resp,
                    ledger_seq=0,
                    ledger_head="0" * 64,
                    created_at=now,
                    **fields,
                ),
                [],
            )
            action = "claim_created"
        else:
            if claim.responsibility != resp and claim.status != ClaimStatus.CORRECTED.value:
                if claim.ins_balance_cents or claim.pat_balance_cents:
                    # Unsent claim billed to someone else now: move its open charges.
                    _move_unsent(uow, claim, resp, actor, now)
                claim.responsibility = resp
            for k, v in fields.items():
                setattr(claim, k, v)
            if claim.status == ClaimStatus.READY.value:
                claim.status = str(transition(claim.status, ClaimStatus.DRAFT))
            action = "claim_edited"
        uow.flush()
        existing = {ln.id: ln for ln in uow.claims.lines(claim.id)}
        kept: set[int] = set()
        next_no = max((ln.line_no for ln in existing.values()), default=0)
        # A corrected claim's new charges go where its old ones were; a draft's to its payer.
        corrected = claim.status == ClaimStatus.CORRECTED.value
        open_entries = _open_entries(uow, claim, charges_only=corrected) if existing else {}
        for pl in lines:
            mods = [*pl.modifiers, None, None, None, None]
            if pl.line_id is not None:
                row = existing.get(pl.line_id)
                if row is None or row.removed:
                    raise ConflictError(
                        f"Claim {claim.claim_number}", "a line was removed meanwhile"
                    )
                kept.add(row.id)
                if row.charge_cents != pl.charge_cents:
                    charge_resp = claim.responsibility
                    for e in open_entries.get(row.id, []):
                        if corrected:
                            charge_resp = e.responsibility
                        _reverse(uow, claim, row, e, actor, now, "charge changed on claim entry")
                    uow.ledger.append(
                        claim,
                        row,
                        L.charge(pl.charge_cents, charge_resp),
                        user_id=actor.user_id,
                        now=now,
                        memo="claim entry",
                    )
                row.charge_cents = pl.charge_cents
            else:
                next_no += 1
                row = m.ClaimLine(
                    claim_id=claim.id,
                    line_no=next_no,
                    line_control_number=f"{claim.claim_number}-{next_no}",
                    ins_balance_cents=0,
                    pat_balance_cents=0,
                    charge_cents=pl.charge_cents,
                    removed=False,
                    service_date=pl.service_date,
                    procedure_code=pl.procedure,
                    units=pl.units,
                    dx_pointers=pl.pointers,
                )
                uow.session.add(row)
                uow.flush()
                uow.ledger.append(
                    claim,
                    row,
                    L.charge(pl.charge_cents, 1 if corrected else claim.responsibility),
                    user_id=actor.user_id,
                    now=now,
                    memo="claim entry",
                )
            row.service_date = pl.service_date
            row.procedure_code = pl.procedure
            row.modifier1, row.modifier2, row.modifier3, row.modifier4 = mods[:4]
            row.units = pl.units
            row.dx_pointers = pl.pointers
        for row in existing.values():
            if row.id in kept or row.removed:
                continue
            for e in open_entries.get(row.id, []):
                _reverse(uow, claim, row, e, actor, now, "line removed on claim entry")
            row.removed = True
        claim.last_activity_at = today
        uow.flush()
        uow.audit(
            actor,
            action,
            "claim",
            claim.claim_number,
            patient_id=patient.id,
            lines=len(lines),
            charge=claim.total_charge_cents,
            status=claim.status,
        )
        uow.commit()
    return load_claim(db, actor, claim.id)


def _move_unsent(uow: UnitOfWork, claim: m.Claim, resp: int, actor: Actor, now) -> None:
    """A draft re-pointed at another coverage (or self-pay): its open charges follow."""
    who = claim.responsibility
    for line in uow.claims.lines(claim.id):
        cents = line.ins_balance_cents if L.is_insurance(who) else line.pat_balance_cents
        if cents > 0:
            uow.ledger.append(
                claim,
                line,
                L.transfer(cents, who, resp),
                user_id=actor.user_id,
                now=now,
                memo="claim entry: billed to another coverage",
            )


def void_claim(
    db: Database, actor: Actor, claim_id: int, *, expected_version: int | None = None
) -> None:
    """Void a claim never sent (draft or ready): its charges are reversed."""
    now = utcnow()
    with UnitOfWork(db) as uow:
        claim = uow.claims.get(claim_id, lock=True)
        if claim is None:
            raise NotFoundError(f"claim id {claim_id} does not exist")
        if expected_version is not None and claim.version != expected_version:
            raise ConflictError(f"Claim {claim.claim_number}")
        if claim.status not in (ClaimStatus.DRAFT.value, ClaimStatus.READY.value):
            raise ValidationError(
                f"claim {claim.claim_number} is {ClaimStatus(claim.status).label}: only a claim "
                "never sent can be voided here; send a void (frequency 8) instead"
            )
        lines = {ln.id: ln for ln in uow.claims.lines(claim.id)}
        for line_id, entries in _open_entries(uow, claim, charges_only=False).items():
            for e in entries:
                _reverse(uow, claim, lines[line_id], e, actor, now, "claim voided before sending")
        claim.status = str(transition(claim.status, ClaimStatus.VOID))
        uow.flush()
        uow.audit(actor, "claim_voided", "claim", claim.claim_number, patient_id=claim.patient_id)
        uow.commit()


def start_correction(
    db: Database,
    actor: Actor,
    claim_id: int,
    *,
    frequency_code: str = "7",
    payer_claim_number: str | None = None,
    expected_version: int | None = None,
) -> ClaimForm:
    """Turn an adjudicated claim into a corrected claim: 7 replaces it, 8 voids it at the
    payer. It goes back through the scrubber and is sent with REF*F8."""
    if frequency_code not in ("7", "8"):
        raise ValidationError("a corrected claim is frequency 7 (replace) or 8 (void)")
    with UnitOfWork(db) as uow:
        claim = uow.claims.get(claim_id, lock=True)
        if claim is None:
            raise NotFoundError(f"claim id {claim_id} does not exist")
        if expected_version is not None and claim.version != expected_version:
            raise ConflictError(f"Claim {claim.claim_number}")
        if claim.status not in {s.value for s in ADJUDICATED}:
            raise ValidationError(
                f"claim {claim.claim_number} is {ClaimStatus(claim.status).label}: only a paid "
                "or denied claim is corrected (edit an unsent one directly)"
            )
        number = (payer_claim_number or claim.payer_claim_number or "").strip()
        if not number:
            raise ValidationError(
                "enter the payer's claim number from the remittance (it goes in REF*F8)",
                field="payer_claim_number",
            )
        claim.payer_claim_number = number[:50]
        claim.frequency_code = frequency_code
        claim.status = str(transition(claim.status, ClaimStatus.CORRECTED))
        uow.flush()
        uow.audit(
            actor,
            "claim_correction_started",
            "claim",
            claim.claim_number,
            patient_id=claim.patient_id,
            frequency=frequency_code,
            payer_claim_number=claim.payer_claim_number,
        )
        uow.commit()
    return load_claim(db, actor, claim_id)
