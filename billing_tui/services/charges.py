"""The charge interface an EHR feeds: a CSV of claim lines becomes claims.

The whole file is validated before anything is written; any bad row rejects
the file with `row N, column C: what is wrong`. Rows sharing a claim_number
form one claim (lines in row order). Patients match by account number, payers
by payer id; unknown ones are created. Claim numbers already in the database
are skipped and counted. One transaction, one audit event per claim.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path

from billing_tui.db import models as m
from billing_tui.db.engine import Database
from billing_tui.db.uow import UnitOfWork, utcnow
from billing_tui.domain import ledger as L
from billing_tui.domain.claim_status import ClaimStatus
from billing_tui.domain.errors import DomainError, ValidationError
from billing_tui.domain.money import parse_money
from billing_tui.domain.scrubber import MODIFIER_RE, PROCEDURE_RE, parse_units
from billing_tui.domain.users import Actor
from billing_tui.services.lookup import index_patients

COLUMNS = (
    "claim_number",
    "patient_account",
    "patient_last",
    "patient_first",
    "patient_dob",
    "patient_sex",
    "payer_id",
    "payer_name",
    "member_id",
    "service_date",
    "procedure",
    "modifiers",
    "units",
    "charge",
    "diagnoses",
    "rendering_npi",
    "place_of_service",
)
REQUIRED = COLUMNS[:15]
ICD10_RE = re.compile(r"^[A-TV-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?$")
CLAIM_NO_RE = re.compile(r"^[A-Za-z0-9\-]{1,38}$")


class ChargeFileError(ValidationError):
    """A row of the charge file is wrong; nothing was imported."""


@dataclass
class ImportResult:
    rows: int = 0
    claims_created: int = 0
    lines_created: int = 0
    patients_created: int = 0
    payers_created: int = 0
    duplicates_skipped: int = 0
    charge_cents: int = 0
    duplicate_claim_numbers: list[str] = field(default_factory=list)

    def as_json(self) -> dict:
        data = asdict(self)
        data.pop("duplicate_claim_numbers")
        return data


@dataclass
class _Row:
    n: int
    claim_number: str
    account: str
    last: str
    first: str
    dob: dt.date
    sex: str
    payer_id: str
    payer_name: str
    member_id: str
    service_date: dt.date
    procedure: str
    modifiers: list[str]
    units: Decimal
    charge_cents: int
    diagnoses: list[str]
    rendering_npi: str
    pos: str


def _err(n: int, col: str, what: str) -> ChargeFileError:
    return ChargeFileError(f"row {n}, column {col}: {what}")


def _date(n: int, col: str, value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise _err(n, col, f"{value!r} is not a date in YYYY-MM-DD form") from None


def _parse_row(n: int, raw: dict[str, str], today: dt.date) -> _Row:
    v = {k: (raw.get(k) or "").strip() for k in COLUMNS}
    for col in REQUIRED:
        if col != "modifiers" and not v[col]:
            raise _err(n, col, "is empty")
    if not CLAIM_NO_RE.match(v["claim_number"]):
        raise _err(n, "claim_number", "use 1-38 letters, digits or dashes")
    dob = _date(n, "patient_dob", v["patient_dob"])
    if dob > today or dob.year < 1900:
        raise _err(n, "patient_dob", f"{v['patient_dob']} is not a plausible birth date")
    sex = v["patient_sex"].upper()
    if sex not in ("M", "F", "U"):
        raise _err(n, "patient_sex", f"{v['patient_sex']!r} must be M, F or U")
    dos = _date(n, "service_date", v["service_date"])
    if dos > today:
        raise _err(n, "service_date", f"{v['service_date']} is in the future")
    if dos < dob:
        raise _err(n, "service_date", "is before the patient's date of birth")
    proc = v["procedure"].upper()
    if not PROCEDURE_RE.match(proc):
        raise _err(n, "procedure", f"{v['procedure']!r} is not a CPT or HCPCS code")
    mods = [x.strip().upper() for x in v["modifiers"].split(":") if x.strip()]
    if len(mods) > 4:
        raise _err(n, "modifiers", "at most 4 modifiers")
    for mod in mods:
        if not MODIFIER_RE.match(mod):
            raise _err(n, "modifiers", f"{mod!r} is not a 2-character modifier")
    try:
        units = parse_units(v["units"])
    except ValidationError as exc:
        raise _err(n, "units", str(exc)) from None
    try:
        charge = parse_money(v["charge"]).cents
    except DomainError as exc:
        raise _err(n, "charge", str(exc)) from None
    if charge <= 0:
        raise _err(n, "charge", "must be greater than zero")
    dxs = [x.strip().upper() for x in v["diagnoses"].split(":") if x.strip()]
    if not dxs:
        raise _err(n, "diagnoses", "is empty")
    if len(dxs) > 12:
        raise _err(n, "diagnoses", "at most 12 diagnoses on a claim")
    for dx in dxs:
        if not ICD10_RE.match(dx):
            raise _err(n, "diagnoses", f"{dx!r} is not an ICD-10-CM code")
    npi = v["rendering_npi"]
    if npi and not (npi.isdigit() and len(npi) == 10):
        raise _err(n, "rendering_npi", f"{npi!r} is not a 10-digit NPI")
    pos = v["place_of_service"] or "11"
    if not (pos.isdigit() and len(pos) == 2):
        raise _err(n, "place_of_service", f"{pos!r} is not a 2-digit place of service code")
    return _Row(
        n,
        v["claim_number"],
        v["patient_account"],
        v["patient_last"],
        v["patient_first"],
        dob,
        sex,
        v["payer_id"],
        v["payer_name"],
        v["member_id"],
        dos,
        proc,
        mods,
        units,
        charge,
        dxs,
        npi,
        pos,
    )


def read_charge_file(path: str | Path, today: dt.date) -> list[_Row]:
    """Parse and validate every row; raise on the first problem (nothing written)."""
    p = Path(path)
    if not p.is_file():
        raise ChargeFileError(f"{p}: no such file")
    try:
        text = p.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ChargeFileError(f"{p}: not UTF-8 text") from None
    reader = csv.DictReader(text.splitlines())
    missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
    if missing:
        raise ChargeFileError(f"row 1: header is missing column(s) {', '.join(missing)}")
    rows = []
    for n, raw in enumerate(reader, start=2):
        if None in raw:
            raise _err(n, "-", "more fields than the header has")
        rows.append(_parse_row(n, raw, today))
    if not rows:
        raise ChargeFileError(f"{p}: no charge rows after the header")
    # Rows of one claim must agree on the claim-level facts.
    first: dict[str, _Row] = {}
    for r in rows:
        f = first.setdefault(r.claim_number, r)
        for attr, col in (
            ("account", "patient_account"),
            ("payer_id", "payer_id"),
            ("member_id", "member_id"),
            ("pos", "place_of_service"),
        ):
            if getattr(r, attr) != getattr(f, attr):
                raise _err(r.n, col, f"differs from row {f.n} of claim {r.claim_number}")
        if len({*f.diagnoses, *r.diagnoses}) > 12:
            raise _err(r.n, "diagnoses", f"claim {r.claim_number} would have more than 12")
    return rows


def import_charges(
    db: Database, actor: Actor, path: str | Path, today: dt.date | None = None
) -> ImportResult:
    today = today or dt.date.today()
    rows = read_charge_file(path, today)
    result = ImportResult(rows=len(rows))
    now = utcnow()
    by_claim: dict[str, list[_Row]] = {}
    for r in rows:
        by_claim.setdefault(r.claim_number, []).append(r)
    with UnitOfWork(db) as uow:
        existing = uow.claims.existing_numbers(by_claim)
        result.duplicates_skipped = len(existing)
        result.duplicate_claim_numbers = sorted(existing)
        new = {k: v for k, v in by_claim.items() if k not in existing}
        patients = uow.patients.by_accounts(r[0].account for r in new.values())
        payers = uow.payers.by_edi_ids(r[0].payer_id for r in new.values())
        provider_default = uow.payers.default_provider()
        new_patients: list[m.Patient] = []
        for number, claim_rows in new.items():
            head = claim_rows[0]
            patient = patients.get(head.account)
            if patient is None:
                patient = uow.patients.add(
                    m.Patient(
                        account_no=head.account,
                        last_name=head.last,
                        first_name=head.first,
                        dob=head.dob,
                        sex=head.sex,
                        created_at=now,
                    )
                )
                patients[head.account] = patient
                new_patients.append(patient)
                result.patients_created += 1
            elif (patient.dob, patient.last_name.upper()) != (head.dob, head.last.upper()):
                raise _err(
                    head.n,
                    "patient_account",
                    f"account {head.account} belongs to {patient.last_name}, "
                    f"{patient.first_name} born {patient.dob}: check the row",
                )
            payer = payers.get(head.payer_id)
            if payer is None:
                payer = uow.payers.add(
                    m.Payer(
                        name=head.payer_name,
                        edi_payer_id=head.payer_id,
                        payer_type="commercial",
                        claim_filing_indicator="CI",
                        timely_filing_days=365,
                        appeal_window_days=180,
                        requires_authorization=False,
                    )
                )
                payers[head.payer_id] = payer
                result.payers_created += 1
            uow.flush()
            coverage = next(
                (c for c in uow.patients.coverages(patient.id) if c.payer_id == payer.id), None
            )
            if coverage is None:
                rank = 1 + len(uow.patients.coverages(patient.id))
                if rank > 3:
                    raise _err(head.n, "payer_id", f"patient {head.account} already has 3 payers")
                coverage = uow.patients.add_coverage(
                    m.Coverage(
                        patient_id=patient.id,
                        payer_id=payer.id,
                        rank=rank,
                        member_id=head.member_id,
                        relation="self",
                        effective_date=head.service_date,
                    )
                )
                uow.flush()
            provider = (
                uow.payers.provider_by_npi(head.rendering_npi) if head.rendering_npi else None
            ) or provider_default
            dxs: list[str] = []
            for r in claim_rows:
                dxs.extend(d for d in r.diagnoses if d not in dxs)
            lines = []
            for i, r in enumerate(claim_rows, start=1):
                pointers = ":".join(str(dxs.index(d) + 1) for d in r.diagnoses[:4])
                mods = [*r.modifiers, None, None, None, None]
                lines.append(
                    m.ClaimLine(
                        line_no=i,
                        service_date=r.service_date,
                        procedure_code=r.procedure,
                        modifier1=mods[0],
                        modifier2=mods[1],
                        modifier3=mods[2],
                        modifier4=mods[3],
                        units=r.units,
                        charge_cents=r.charge_cents,
                        dx_pointers=pointers,
                        line_control_number=f"{number}-{i}",
                        ins_balance_cents=0,
                        pat_balance_cents=0,
                    )
                )
            total = sum(r.charge_cents for r in claim_rows)
            claim = uow.claims.add(
                m.Claim(
                    claim_number=number,
                    patient_id=patient.id,
                    coverage_id=coverage.id,
                    payer_id=payer.id,
                    provider_id=provider.id if provider else None,
                    frequency_code="1",
                    status=str(ClaimStatus.DRAFT),
                    place_of_service=head.pos,
                    diagnoses=":".join(dxs),
                    service_date=min(r.service_date for r in claim_rows),
                    service_date_to=max(r.service_date for r in claim_rows),
                    total_charge_cents=total,
                    ins_balance_cents=0,
                    pat_balance_cents=0,
                    responsibility=coverage.rank,
                    ledger_seq=0,
                    ledger_head="0" * 64,
                    created_at=now,
                ),
                lines,
            )
            uow.flush()
            for line in lines:
                uow.ledger.append(
                    claim,
                    line,
                    L.charge(line.charge_cents, coverage.rank),
                    user_id=actor.user_id,
                    now=now,
                    memo="charge import",
                )
            uow.audit(
                actor,
                "claim_imported",
                "claim",
                number,
                patient_id=patient.id,
                lines=len(lines),
                charge=total,
                file=Path(path).name,
            )
            result.claims_created += 1
            result.lines_created += len(lines)
            result.charge_cents += total
        index_patients(uow, new_patients)  # the fuzzy look-up's name index
        uow.commit()
    return result
