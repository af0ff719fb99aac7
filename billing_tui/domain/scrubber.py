"""The claim scrubber: edits that catch what a payer would reject, before it does.

Each edit is a small function ``(claim, ctx) -> list[Finding]``; a finding's message is
one line a rep can act on (what is wrong, where, and what to do). ``scrub`` runs them
all. The facts are plain dataclasses the scrubber service fills from the database;
code sets come through ``ScrubContext`` so tests can hand in fakes.

Edits (``EDITS`` order is the order messages are shown in):
  billing_npi, ein, rendering_npi   NPI check digit (Luhn over 80840 + NPI), EIN format
  billing_address                   the 837P needs the billing provider's street and ZIP+4
  coverage                          a payer to bill, coverage active on every date of service,
                                    member id present, subscriber is the patient
  demographics                      patient name, date of birth, sex and address
  diagnoses                         1-12 codes, no repeats, each valid and billable (ICD-10-CM)
  pointers                          1-4 pointers per line, each naming a diagnosis
  procedures                        CPT/HCPCS and modifier format, at most 4 modifiers
  units_charges                     units and charges above zero, dates of service sane
  total                             claim total = sum of lines
  authorization                     where the payer requires it, one on file for each line
  timely_filing                     the payer's filing window has not passed
  duplicate                         the same patient, date and code billed on another claim
  frequency                         corrected/void claims carry the payer's claim number
  cob                               a secondary claim carries the primary's full adjudication
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from stdnum import luhn
from stdnum.us import ein as stdnum_ein

from billing_tui.domain.codesets import Icd10CodeSet, display_icd10
from billing_tui.domain.deadlines import timely_filing_deadline
from billing_tui.domain.errors import ValidationError
from billing_tui.domain.money import Money

PROCEDURE_RE = re.compile(r"^(\d{4}[0-9A-Z]|[A-V]\d{4})$")  # CPT (incl. Cat II/III) or HCPCS
MODIFIER_RE = re.compile(r"^[0-9A-Z]{2}$")
POS_RE = re.compile(r"^\d{2}$")
ZIP9_RE = re.compile(r"^\d{9}$")
MAX_UNITS = Decimal(9999)


def parse_units(text: str) -> Decimal:
    """Service units as typed or imported: more than 0, at most 9,999, at most 3 decimals
    (the one rule for the charge import and claim entry)."""
    try:
        units = Decimal(text.strip())
    except InvalidOperation:
        raise ValidationError(f"units {text.strip()!r} is not a number", field="units") from None
    if (
        not units.is_finite()
        or units <= 0
        or units > MAX_UNITS
        or units != units.quantize(Decimal("0.001"))
    ):
        raise ValidationError(
            "units must be more than 0 and at most 9,999, with at most 3 decimals", field="units"
        )
    return units


ZIP_RE = re.compile(r"^\d{5}(\d{4})?$")
MAX_DIAGNOSES = 12
MAX_POINTERS = 4
MAX_MODIFIERS = 4
MAX_LINES = 50  # 837P loop 2400 repeats at most 50 times


@dataclass(frozen=True, slots=True)
class Finding:
    edit: str
    message: str
    line_no: int | None = None


@dataclass(frozen=True, slots=True)
class LineFacts:
    line_no: int
    service_date: dt.date
    procedure_code: str
    modifiers: tuple[str, ...]
    units: Decimal
    charge_cents: int
    dx_pointers: str  # as stored: "1:2"
    # What the payers before this one did with the line (secondary billing only):
    # paid and (group, carc, amount) adjustments, from the ledger.
    prior_paid_cents: int = 0
    prior_adjustments: tuple[tuple[str, str, int], ...] = ()


@dataclass(frozen=True, slots=True)
class CoverageFacts:
    rank: int
    payer_name: str
    payer_type: str
    member_id: str
    relation: str
    effective_date: dt.date
    term_date: dt.date | None
    requires_authorization: bool
    timely_filing_days: int


@dataclass(frozen=True, slots=True)
class AuthorizationFacts:
    auth_number: str
    start_date: dt.date
    end_date: dt.date
    procedure_codes: frozenset[str] | None  # None: any service
    visits_allowed: int | None = None
    visits_used: int = 0

    def covers(self, service_date: dt.date, code: str) -> bool:
        return (
            self.start_date <= service_date <= self.end_date
            and (self.procedure_codes is None or code in self.procedure_codes)
            and (self.visits_allowed is None or self.visits_used < self.visits_allowed)
        )


@dataclass(frozen=True, slots=True)
class ClaimFacts:
    claim_number: str
    frequency_code: str
    payer_claim_number: str | None
    place_of_service: str
    diagnoses: tuple[str, ...]
    total_charge_cents: int
    lines: tuple[LineFacts, ...]
    # billing provider (the practice) and rendering provider
    billing_npi: str | None
    billing_ein: str | None
    billing_address: tuple[str, str, str, str] | None  # street, city, state, zip
    rendering_npi: str | None
    # patient
    patient_last: str
    patient_first: str
    patient_dob: dt.date | None
    patient_sex: str
    patient_address: tuple[str | None, str | None, str | None, str | None]
    # the coverage this claim is billed to (None: self-pay / no payer)
    coverage: CoverageFacts | None
    authorizations: tuple[AuthorizationFacts, ...] = ()
    # (date of service, procedure) -> claim number, for the patient's other claims
    other_services: dict[tuple[dt.date, str], str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ScrubContext:
    today: dt.date
    icd10: Icd10CodeSet


Edit = Callable[[ClaimFacts, ScrubContext], list[Finding]]


def _mods(line: LineFacts) -> str:
    return "".join(f"-{m}" for m in line.modifiers)


# --- provider identifiers ----------------------------------------------------------


@functools.lru_cache(maxsize=4096)
def npi_problem(npi: str | None, who: str) -> str | None:
    """NPI check digit: Luhn over the prefix 80840 and the 10 digits."""
    if not npi:
        return f"{who} NPI is missing"
    if not (npi.isdigit() and len(npi) == 10):
        return f"{who} NPI {npi!r} must be 10 digits"
    if npi[0] not in "12":
        return f"{who} NPI {npi} must start with 1 or 2"
    if not luhn.is_valid("80840" + npi):
        return f"{who} NPI {npi} fails the NPI check digit: a digit is mistyped"
    return None


def check_billing_npi(c: ClaimFacts, ctx: ScrubContext) -> list[Finding]:
    p = npi_problem(c.billing_npi, "billing provider (practice)")
    return [Finding("billing_npi", p + "; fix it in the practice setup")] if p else []


@functools.lru_cache(maxsize=256)
def _ein_valid(raw: str) -> bool:
    return stdnum_ein.is_valid(raw)


def check_ein(c: ClaimFacts, ctx: ScrubContext) -> list[Finding]:
    raw = (c.billing_ein or "").replace("-", "").strip()
    if not raw:
        return [
            Finding("ein", "the practice's tax id (EIN) is missing; add it in the practice setup")
        ]
    if not _ein_valid(raw):
        return [
            Finding(
                "ein",
                f"practice tax id {raw!r} is not a valid EIN (9 digits, a prefix the IRS "
                "issues); fix it in the practice setup",
            )
        ]
    return []


def check_rendering_npi(c: ClaimFacts, ctx: ScrubContext) -> list[Finding]:
    p = npi_problem(c.rendering_npi, "rendering provider")
    return [Finding("rendering_npi", p + "; pick the right provider on the claim")] if p else []


def check_billing_address(c: ClaimFacts, ctx: ScrubContext) -> list[Finding]:
    addr = c.billing_address
    if not addr or not all(addr):
        return [
            Finding("billing_address", "the practice address is incomplete; fix the practice setup")
        ]
    if not ZIP9_RE.match(addr[3].replace("-", "")):
        return [
            Finding(
                "billing_address",
                f"practice ZIP {addr[3]!r} must be the full 9-digit ZIP+4 on an 837P",
            )
        ]
    return []


# --- coverage and patient ----------------------------------------------------------


def check_coverage(c: ClaimFacts, ctx: ScrubContext) -> list[Finding]:
    cov = c.coverage
    if cov is None:
        return [
            Finding(
                "coverage",
                "no insurance on this claim: add the patient's coverage, or bill the patient "
                "by statement and void the claim",
            )
        ]
    if cov.payer_type == "self_pay":
        return [
            Finding(
                "coverage",
                "self-pay: there is no payer to send this claim to; bill the patient by statement",
            )
        ]
    out = []
    if not cov.member_id.strip():
        out.append(Finding("coverage", f"member id for {cov.payer_name} is missing; add it"))
    if cov.relation != "self":
        out.append(
            Finding(
                "coverage",
                f"the subscriber is the patient's {cov.relation}: record the coverage under the "
                "subscriber's own name and date of birth first",
            )
        )
    for ln in c.lines:
        if ln.service_date < cov.effective_date or (
            cov.term_date is not None and ln.service_date > cov.term_date
        ):
            span = f"{cov.effective_date.isoformat()} to {cov.term_date or 'open'}"
            out.append(
                Finding(
                    "coverage",
                    f"line {ln.line_no}: {cov.payer_name} coverage ({span}) was not active on "
                    f"{ln.service_date.isoformat()}; verify eligibility",
                    ln.line_no,
                )
            )
    return out


def check_demographics(c: ClaimFacts, ctx: ScrubContext) -> list[Finding]:
    out = []
    if not c.patient_last.strip() or not c.patient_first.strip():
        out.append(Finding("demographics", "patient's first and last name are both required"))
    if c.patient_dob is None:
        out.append(Finding("demographics", "patient's date of birth is missing"))
    elif c.lines and c.patient_dob > min(ln.service_date for ln in c.lines):
        out.append(Finding("demographics", "patient's date of birth is after the date of service"))
    if c.patient_sex not in ("M", "F", "U"):
        out.append(Finding("demographics", f"patient sex {c.patient_sex!r} must be M, F or U"))
    street, city, state, zipc = c.patient_address
    if not (street and city and state and zipc):
        out.append(
            Finding(
                "demographics",
                "patient's address (street, city, state, ZIP) is required on the claim; "
                "add it to the patient",
            )
        )
    elif not ZIP_RE.match(zipc.replace("-", "")):
        out.append(Finding("demographics", f"patient ZIP {zipc!r} must be 5 or 9 digits"))
    return out


# --- coding --------------------------------------------------------------------------


def check_diagnoses(c: ClaimFacts, ctx: ScrubContext) -> list[Finding]:
    if not c.diagnoses:
        return [Finding("diagnoses", "the claim has no diagnosis; add at least one ICD-10-CM code")]
    out = []
    if len(c.diagnoses) > MAX_DIAGNOSES:
        out.append(
            Finding(
                "diagnoses",
                f"{len(c.diagnoses)} diagnoses: an 837P carries at most {MAX_DIAGNOSES}; "
                "split the claim",
            )
        )
    seen: set[str] = set()
    dos = min((ln.service_date for ln in c.lines), default=ctx.today)
    for i, dx in enumerate(c.diagnoses, start=1):
        key = dx.upper().replace(".", "")
        if key in seen:
            out.append(Finding("diagnoses", f"diagnosis {i} ({display_icd10(dx)}) is listed twice"))
            continue
        seen.add(key)
        problem = ctx.icd10.problem(dx, dos)
        if problem:
            out.append(Finding("diagnoses", f"diagnosis {i}: {problem}"))
    return out


def parse_pointers(raw: str) -> list[str]:
    return [p for p in raw.replace(",", ":").split(":") if p.strip()]


def check_pointers(c: ClaimFacts, ctx: ScrubContext) -> list[Finding]:
    out = []
    n = len(c.diagnoses)
    if n == 0:
        return out  # the diagnoses edit says what to do
    for ln in c.lines:
        ptrs = parse_pointers(ln.dx_pointers)
        where = f"line {ln.line_no}"
        if not ptrs:
            out.append(
                Finding(
                    "pointers", f"{where}: no diagnosis pointer; point at 1-4 diagnoses", ln.line_no
                )
            )
            continue
        if len(ptrs) > MAX_POINTERS:
            out.append(
                Finding(
                    "pointers", f"{where}: {len(ptrs)} diagnosis pointers, at most 4", ln.line_no
                )
            )
        bad = [p for p in ptrs if not p.strip().isdigit() or not 1 <= int(p) <= min(n, 12)]
        if bad:
            out.append(
                Finding(
                    "pointers",
                    f"{where}: pointer {', '.join(bad)} names no diagnosis (the claim has {n})",
                    ln.line_no,
                )
            )
        elif len(set(ptrs)) != len(ptrs):
            out.append(Finding("pointers", f"{where}: a diagnosis is pointed at twice", ln.line_no))
    return out


def check_procedures(c: ClaimFacts, ctx: ScrubContext) -> list[Finding]:
    out = []
    if not c.lines:
        return [Finding("procedures", "the claim has no service lines")]
    if len(c.lines) > MAX_LINES:
        out.append(
            Finding(
                "procedures", f"{len(c.lines)} lines: an 837P claim carries at most 50; split it"
            )
        )
    for ln in c.lines:
        where = f"line {ln.line_no}"
        if not PROCEDURE_RE.match(ln.procedure_code):
            out.append(
                Finding(
                    "procedures",
                    f"{where}: {ln.procedure_code!r} is not a CPT (5 digits) or HCPCS (letter + 4 "
                    "digits) code",
                    ln.line_no,
                )
            )
        if len(ln.modifiers) > MAX_MODIFIERS:
            out.append(Finding("procedures", f"{where}: at most 4 modifiers", ln.line_no))
        for mod in ln.modifiers:
            if not MODIFIER_RE.match(mod):
                out.append(
                    Finding(
                        "procedures",
                        f"{where}: modifier {mod!r} must be 2 letters or digits",
                        ln.line_no,
                    )
                )
        if len(set(ln.modifiers)) != len(ln.modifiers):
            out.append(Finding("procedures", f"{where}: a modifier is repeated", ln.line_no))
    if not POS_RE.match(c.place_of_service or ""):
        out.append(
            Finding("procedures", f"place of service {c.place_of_service!r} must be a 2-digit code")
        )
    return out


def check_units_charges(c: ClaimFacts, ctx: ScrubContext) -> list[Finding]:
    out = []
    for ln in c.lines:
        where = f"line {ln.line_no}"
        if ln.units <= 0:
            out.append(Finding("units_charges", f"{where}: units must be more than 0", ln.line_no))
        if ln.charge_cents <= 0:
            out.append(
                Finding("units_charges", f"{where}: the charge must be more than 0.00", ln.line_no)
            )
        if ln.service_date > ctx.today:
            out.append(
                Finding(
                    "units_charges",
                    f"{where}: date of service {ln.service_date.isoformat()} is in the future",
                    ln.line_no,
                )
            )
    return out


def check_total(c: ClaimFacts, ctx: ScrubContext) -> list[Finding]:
    lines = sum(ln.charge_cents for ln in c.lines)
    if lines != c.total_charge_cents:
        return [
            Finding(
                "total",
                f"claim total {Money(c.total_charge_cents)} differs from the sum of its lines "
                f"{Money(lines)}; re-save the claim",
            )
        ]
    return []


# --- payer rules ---------------------------------------------------------------------


def check_authorization(c: ClaimFacts, ctx: ScrubContext) -> list[Finding]:
    cov = c.coverage
    if cov is None or not cov.requires_authorization:
        return []
    out = []
    for ln in c.lines:
        if not any(a.covers(ln.service_date, ln.procedure_code) for a in c.authorizations):
            out.append(
                Finding(
                    "authorization",
                    f"line {ln.line_no}: {cov.payer_name} requires prior authorization and none "
                    f"on file covers {ln.procedure_code} on {ln.service_date.isoformat()}; "
                    "obtain one and record it",
                    ln.line_no,
                )
            )
    return out


def check_timely_filing(c: ClaimFacts, ctx: ScrubContext) -> list[Finding]:
    cov = c.coverage
    if cov is None or not c.lines or cov.payer_type == "self_pay":
        return []
    first = min(ln.service_date for ln in c.lines)
    deadline = timely_filing_deadline(first, cov.timely_filing_days)
    if ctx.today > deadline:
        return [
            Finding(
                "timely_filing",
                f"{cov.payer_name}'s filing limit ({cov.timely_filing_days} days from "
                f"{first.isoformat()}) passed on {deadline.isoformat()}; send with proof of "
                "timely filing or request a write-off",
            )
        ]
    return []


def check_duplicate(c: ClaimFacts, ctx: ScrubContext) -> list[Finding]:
    out = []
    for ln in c.lines:
        other = c.other_services.get((ln.service_date, ln.procedure_code))
        if other:
            out.append(
                Finding(
                    "duplicate",
                    f"line {ln.line_no}: {ln.procedure_code}{_mods(ln)} on "
                    f"{ln.service_date.isoformat()} is already billed on claim {other}; "
                    "possible duplicate: void one, or add modifier 76/77/59 if it was repeated",
                    ln.line_no,
                )
            )
    return out


def check_frequency(c: ClaimFacts, ctx: ScrubContext) -> list[Finding]:
    if c.frequency_code not in ("1", "7", "8"):
        return [Finding("frequency", f"claim frequency {c.frequency_code!r} must be 1, 7 or 8")]
    if c.frequency_code in ("7", "8") and not (c.payer_claim_number or "").strip():
        kind = "replacement" if c.frequency_code == "7" else "void"
        return [
            Finding(
                "frequency",
                f"a {kind} claim needs the payer's original claim number (from the remittance); "
                "enter it on the claim",
            )
        ]
    return []


def check_cob(c: ClaimFacts, ctx: ScrubContext) -> list[Finding]:
    """A secondary (or tertiary) claim sends what the payers before it did, line by line:
    their payment plus adjustments must account for the whole charge."""
    if c.coverage is None or c.coverage.rank < 2:
        return []
    out = []
    for ln in c.lines:
        accounted = ln.prior_paid_cents + sum(a[2] for a in ln.prior_adjustments)
        if accounted != ln.charge_cents:
            out.append(
                Finding(
                    "cob",
                    f"line {ln.line_no}: the primary's payment and adjustments "
                    f"({Money(accounted)}) do not account for the charge ({Money(ln.charge_cents)}); "
                    "post the primary's EOB first",
                    ln.line_no,
                )
            )
    return out


EDITS: tuple[tuple[str, Edit], ...] = (
    ("billing_npi", check_billing_npi),
    ("ein", check_ein),
    ("billing_address", check_billing_address),
    ("rendering_npi", check_rendering_npi),
    ("coverage", check_coverage),
    ("demographics", check_demographics),
    ("diagnoses", check_diagnoses),
    ("pointers", check_pointers),
    ("procedures", check_procedures),
    ("units_charges", check_units_charges),
    ("total", check_total),
    ("authorization", check_authorization),
    ("timely_filing", check_timely_filing),
    ("duplicate", check_duplicate),
    ("frequency", check_frequency),
    ("cob", check_cob),
)

EDIT_LABELS: dict[str, str] = {
    "billing_npi": "Billing NPI",
    "ein": "Tax id (EIN)",
    "billing_address": "Practice address",
    "rendering_npi": "Rendering NPI",
    "coverage": "Coverage",
    "demographics": "Patient details",
    "diagnoses": "Diagnoses",
    "pointers": "Diagnosis pointers",
    "procedures": "Procedure / modifiers",
    "units_charges": "Units / charges",
    "total": "Claim total",
    "authorization": "Authorization",
    "timely_filing": "Timely filing",
    "duplicate": "Possible duplicate",
    "frequency": "Corrected claim",
    "cob": "Primary adjudication",
    "999": "Payer rejection (999)",
}


def scrub(claim: ClaimFacts, ctx: ScrubContext) -> list[Finding]:
    """Every edit's findings, in EDITS order; an empty list means the claim is clean."""
    out: list[Finding] = []
    for _name, edit in EDITS:
        out.extend(edit(claim, ctx))
    return out
