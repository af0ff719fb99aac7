"""Claim adjustment reason codes (CARC) and remittance remark codes (RARC), in our words.

Each code carries a denial category (what kind of problem it is, for the denial work list
and queues), the usual next action a rep takes, and the dates the code is valid for. The
descriptions are our own plain-language summaries, not the official code-list text.

An unknown code is never an error: remits carry codes newer than this table. ``lookup``
returns a flagged entry (``known=False``, category "other") so it is stored and shown.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

# The denial categories, in work-list order. "contractual" and "patient_resp"
# are never denials (posting adjusts or transfers them) but a CARC still needs a home.
CATEGORIES: tuple[str, ...] = (
    "eligibility",
    "authorization",
    "coding",
    "bundling",
    "duplicate",
    "timely_filing",
    "medical_necessity",
    "documentation",
    "cob",
    "non_covered",
    "contractual",
    "patient_resp",
    "other",
)

CATEGORY_LABELS: dict[str, str] = {
    "eligibility": "Eligibility",
    "authorization": "Authorization",
    "coding": "Coding",
    "bundling": "Bundling",
    "duplicate": "Duplicate",
    "timely_filing": "Timely filing",
    "medical_necessity": "Medical necessity",
    "documentation": "Documentation / attachment",
    "cob": "Coordination of benefits",
    "non_covered": "Non-covered",
    "contractual": "Contractual",
    "patient_resp": "Patient responsibility",
    "other": "Other",
}

# Categories that stored queues and denials used before this table existed.
LEGACY_CATEGORIES: dict[str, str] = {"missing_info": "documentation"}

# The usual next actions (short, for a column).
APPEAL = "appeal with records"
CORRECT = "send a corrected claim"
VERIFY = "verify coverage, rebill the right payer"
AUTH = "get retro authorization or appeal"
COB = "bill the primary first / update COB"
WRITE_OFF = "write off per contract"
PATIENT = "bill the patient"
REVIEW = "review the remit, call the payer"
NONE = "no action: posted as adjustment"
DUP = "check the original claim's status"
RECORDS = "send the requested records"

_START = dt.date(1995, 1, 1)


@dataclass(frozen=True, slots=True)
class ReasonCode:
    kind: str  # "CARC" or "RARC"
    code: str
    description: str
    category: str
    next_action: str
    start: dt.date | None = _START
    stop: dt.date | None = None
    known: bool = True

    def active_on(self, day: dt.date) -> bool:
        """True when the code was valid on ``day`` (unknown codes: always)."""
        if self.start is not None and day < self.start:
            return False
        return self.stop is None or day <= self.stop

    @property
    def label(self) -> str:
        return f"{self.kind} {self.code}"


def _d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


# code, description (our words), category, next action[, start[, stop]]
_CARCS: tuple[tuple, ...] = (
    ("1", "Deductible amount the patient owes", "patient_resp", PATIENT),
    ("2", "Coinsurance amount the patient owes", "patient_resp", PATIENT),
    ("3", "Copayment amount the patient owes", "patient_resp", PATIENT),
    (
        "4",
        "Procedure code does not fit the modifier billed, or a modifier is missing",
        "coding",
        CORRECT,
    ),
    ("5", "Procedure code or bill type does not fit the place of service", "coding", CORRECT),
    ("6", "Procedure or revenue code does not fit the patient's age", "coding", CORRECT),
    ("7", "Procedure or revenue code does not fit the patient's sex", "coding", CORRECT),
    ("8", "Procedure code does not fit the provider type or specialty", "coding", CORRECT),
    ("9", "Diagnosis does not fit the patient's age", "coding", CORRECT),
    ("10", "Diagnosis does not fit the patient's sex", "coding", CORRECT),
    ("11", "Diagnosis does not support the procedure billed", "coding", CORRECT),
    ("13", "Date of death precedes the date of service", "eligibility", VERIFY),
    ("15", "Authorization number missing, invalid or not for this service", "authorization", AUTH),
    (
        "16",
        "Claim lacks information or has a billing error; remark code says what",
        "documentation",
        CORRECT,
    ),
    ("18", "Exact duplicate of a claim or service already processed", "duplicate", DUP),
    (
        "19",
        "Work-related injury: the workers' compensation carrier pays first",
        "cob",
        COB,
    ),
    ("20", "Injury covered by the liability carrier", "cob", COB),
    ("21", "Injury covered by no-fault or auto insurance", "cob", COB),
    (
        "22",
        "Another payer may be primary under coordination of benefits",
        "cob",
        COB,
    ),
    ("23", "Reduced by what a prior payer paid or adjusted", "cob", NONE),
    ("24", "Covered under a capitation agreement or managed care plan", "contractual", NONE),
    ("26", "Service was before coverage started", "eligibility", VERIFY),
    ("27", "Service was after coverage ended", "eligibility", VERIFY),
    ("29", "Filing deadline for this claim has passed", "timely_filing", APPEAL),
    ("31", "Payer cannot identify the patient as its member", "eligibility", VERIFY),
    ("32", "Dependent does not meet the plan's dependent rules", "eligibility", VERIFY),
    ("35", "Lifetime benefit maximum reached", "non_covered", PATIENT),
    ("39", "Authorization was denied when it was requested", "authorization", APPEAL),
    ("40", "Charges are not for emergency or urgent care", "medical_necessity", APPEAL),
    ("45", "Charge exceeds the fee schedule or contracted amount", "contractual", NONE),
    ("49", "Routine or preventive service not covered by the plan", "non_covered", PATIENT),
    ("50", "Payer does not consider the service medically necessary", "medical_necessity", APPEAL),
    ("51", "Pre-existing condition is not covered", "non_covered", APPEAL),
    ("55", "Procedure or treatment is considered experimental", "non_covered", APPEAL),
    (
        "56",
        "Procedure not shown to be effective by the payer's standards",
        "medical_necessity",
        APPEAL,
    ),
    (
        "57",
        "Payment for the level of service was reduced or denied (retired code)",
        "medical_necessity",
        APPEAL,
        "1995-01-01",
        "2007-06-30",
    ),
    ("58", "Service billed at a place of service the payer does not pay for", "coding", CORRECT),
    ("59", "Reduced under multiple or concurrent procedure rules", "contractual", NONE),
    ("94", "Processed above the billed charge", "contractual", NONE),
    ("95", "Plan procedures were not followed", "authorization", APPEAL),
    ("96", "Charge is not covered by the plan", "non_covered", PATIENT),
    ("97", "Paid as part of another service already adjudicated (bundled)", "bundling", CORRECT),
    ("100", "Payment was made to the patient or insured", "other", PATIENT),
    ("104", "Managed care withholding", "contractual", NONE),
    ("107", "The related or qualifying claim or service was not paid", "bundling", REVIEW),
    ("109", "Claim not covered by this payer; send it to the right payer", "eligibility", VERIFY),
    ("111", "Service not covered unless the provider accepts assignment", "non_covered", REVIEW),
    ("114", "Procedure or product not approved by the FDA", "non_covered", WRITE_OFF),
    ("116", "Claim did not follow the payer's advance notice rules", "documentation", APPEAL),
    ("119", "Benefit maximum for this period or occurrence reached", "non_covered", PATIENT),
    ("125", "Claim was submitted or billed incorrectly", "documentation", CORRECT),
    ("129", "Information from a prior processing was wrong", "documentation", CORRECT),
    ("131", "Claim-specific negotiated discount", "contractual", NONE),
    ("136", "Claim failed to meet another payer's rules first", "cob", COB),
    ("140", "Patient's name and member id do not match", "eligibility", VERIFY),
    ("144", "Incentive adjustment, such as a preferred product or service", "contractual", NONE),
    ("146", "Diagnosis billed is not valid for the date of service", "coding", CORRECT),
    ("149", "Lifetime benefit maximum for this service reached", "non_covered", PATIENT),
    (
        "150",
        "Information submitted does not support this level of service",
        "medical_necessity",
        APPEAL,
    ),
    (
        "151",
        "Information submitted does not support this many services",
        "medical_necessity",
        APPEAL,
    ),
    (
        "154",
        "Information submitted does not support this day's supply",
        "medical_necessity",
        APPEAL,
    ),
    ("157", "Service was provided as a result of an act of war", "non_covered", WRITE_OFF),
    (
        "160",
        "Injury or illness was the result of an activity the plan excludes",
        "non_covered",
        PATIENT,
    ),
    ("167", "Diagnosis is not covered", "non_covered", APPEAL),
    ("170", "Payment denied when performed or billed by this type of provider", "coding", REVIEW),
    ("171", "Payment denied for this provider type in this facility type", "coding", REVIEW),
    ("177", "Patient has not met the plan's eligibility requirements", "eligibility", VERIFY),
    ("181", "Procedure code was not valid on the date of service", "coding", CORRECT),
    ("182", "Modifier was not valid on the date of service", "coding", CORRECT),
    ("183", "Referring provider is not eligible to refer this service", "documentation", CORRECT),
    ("185", "Rendering provider is not eligible to perform this service", "documentation", CORRECT),
    ("189", "Not-otherwise-classified code billed when a specific code exists", "coding", CORRECT),
    ("190", "Payment included in the facility's allowance for a stay", "bundling", WRITE_OFF),
    ("193", "Original decision upheld after review", "other", APPEAL),
    ("197", "Precertification, authorization or notification is missing", "authorization", AUTH),
    ("198", "Precertification or authorization limit exceeded", "authorization", AUTH),
    ("199", "Revenue code and procedure code do not match", "coding", CORRECT),
    ("200", "Expenses incurred during a lapse in coverage", "eligibility", VERIFY),
    ("203", "Coverage was interrupted or discontinued", "eligibility", VERIFY),
    (
        "204",
        "Service is not covered under the patient's current benefit plan",
        "non_covered",
        PATIENT,
    ),
    ("208", "National provider identifier is not matched", "documentation", CORRECT),
    ("219", "Based on extent of injury", "medical_necessity", APPEAL),
    ("222", "Exceeds the contracted maximum hours, days or units", "medical_necessity", APPEAL),
    (
        "226",
        "Information requested from the billing provider was not sent or incomplete",
        "documentation",
        RECORDS,
    ),
    (
        "227",
        "Information requested from the patient was not sent or incomplete",
        "documentation",
        PATIENT,
    ),
    ("234", "Procedure is not paid separately", "bundling", WRITE_OFF),
    (
        "236",
        "Procedure or modifier combination not compatible with another on the same day",
        "bundling",
        CORRECT,
    ),
    ("237", "Legislated or regulatory penalty", "contractual", NONE),
    ("238", "Rate applied per the provider's participation status", "contractual", NONE),
    (
        "242",
        "Services were not provided by a network or primary care provider",
        "authorization",
        APPEAL,
    ),
    (
        "243",
        "Services were not authorized by the network or primary care provider",
        "authorization",
        AUTH,
    ),
    ("246", "Non-payable code, reported for information only", "non_covered", NONE),
    ("251", "Attachment or other documentation is missing or incomplete", "documentation", RECORDS),
    ("252", "An attachment or other documentation is required", "documentation", RECORDS),
    ("253", "Sequestration: reduction of the federal payment", "contractual", NONE),
    ("256", "Service not payable under the patient's managed care contract", "non_covered", REVIEW),
    ("272", "Coverage or plan benefit rules were applied", "non_covered", REVIEW),
    ("273", "Coverage or benefit for this service exceeded for the period", "non_covered", PATIENT),
    ("288", "Referral was absent or exceeded", "authorization", AUTH),
    ("A1", "Claim or service denied; remark code says why", "other", REVIEW),
    (
        "B7",
        "Provider was not certified or eligible to be paid on this date",
        "documentation",
        REVIEW,
    ),
    ("B9", "Patient is enrolled in a hospice", "eligibility", VERIFY),
    (
        "B15",
        "Service needs a qualifying service or procedure that was not paid",
        "bundling",
        REVIEW,
    ),
)

# code, description (our words), category, next action
_RARCS: tuple[tuple, ...] = (
    ("M15", "Separately billed services or tests were bundled", "bundling", CORRECT),
    ("M20", "HCPCS code is missing or invalid", "coding", CORRECT),
    ("M51", "Procedure code is missing, incomplete or invalid", "coding", CORRECT),
    ("M62", "Treatment authorization code is missing or invalid", "authorization", AUTH),
    ("M76", "Diagnosis is missing, incomplete or invalid", "coding", CORRECT),
    ("M77", "Place of service is missing, incomplete or invalid", "coding", CORRECT),
    ("M79", "Charge is missing", "documentation", CORRECT),
    (
        "M80",
        "Not covered when performed during the same session as another service",
        "bundling",
        WRITE_OFF,
    ),
    (
        "M86",
        "Service denied because payment already made for a similar procedure",
        "duplicate",
        DUP,
    ),
    ("M119", "NDC is missing, incomplete or invalid", "coding", CORRECT),
    ("M127", "Patient's medical record for this service is missing", "documentation", RECORDS),
    ("MA01", "You may appeal this decision in writing within the stated window", "other", APPEAL),
    (
        "MA04",
        "Secondary payment cannot be considered without the primary's remit",
        "cob",
        COB,
    ),
    (
        "MA13",
        "You may be subject to penalties for not sending the information",
        "documentation",
        RECORDS,
    ),
    (
        "MA18",
        "Claim was forwarded to the patient's supplemental insurer",
        "cob",
        NONE,
    ),
    ("MA30", "Type of bill is missing, incomplete or invalid", "coding", CORRECT),
    ("MA63", "Principal diagnosis is missing, incomplete or invalid", "coding", CORRECT),
    ("MA66", "Principal procedure code is missing, incomplete or invalid", "coding", CORRECT),
    (
        "MA120",
        "CLIA certification number is missing, incomplete or invalid",
        "documentation",
        CORRECT,
    ),
    (
        "MA130",
        "Claim has missing or invalid information and cannot be appealed; resubmit",
        "documentation",
        CORRECT,
    ),
    ("N1", "You may appeal this decision; see the appeal rights notice", "other", APPEAL),
    (
        "N4",
        "Prior insurance carrier's remit is missing or incomplete",
        "cob",
        COB,
    ),
    ("N19", "Procedure code was incidental to the primary procedure", "bundling", WRITE_OFF),
    ("N20", "Service not paid separately", "bundling", WRITE_OFF),
    ("N30", "Patient is not eligible for this service", "eligibility", VERIFY),
    (
        "N54",
        "Claim information is inconsistent with pre-certified information",
        "authorization",
        AUTH,
    ),
    ("N56", "Procedure code billed is not correct for the service", "coding", CORRECT),
    ("N95", "This provider type or specialty may not bill this service", "coding", REVIEW),
    (
        "N102",
        "This claim was denied without review: the requested information was not sent",
        "documentation",
        RECORDS,
    ),
    ("N115", "Decision based on a local coverage determination", "medical_necessity", APPEAL),
    ("N130", "Consult the plan's benefit documents for covered services", "non_covered", REVIEW),
    ("N179", "Additional information was requested from the member", "documentation", PATIENT),
    ("N211", "You may not appeal this decision", "other", WRITE_OFF),
    (
        "N290",
        "Rendering provider's identifier is missing, incomplete or invalid",
        "documentation",
        CORRECT,
    ),
    ("N362", "Number of days or units exceeds the acceptable maximum", "medical_necessity", APPEAL),
    ("N386", "Decision based on a national coverage determination", "medical_necessity", APPEAL),
    ("N432", "Adjustment based on a recovery audit", "other", REVIEW),
    (
        "N479",
        "Missing explanation of benefits from the other payer",
        "cob",
        COB,
    ),
    ("N517", "Resubmit a new claim with the requested information", "documentation", CORRECT),
    ("N522", "Duplicate of a claim processed or in process as a crossover", "duplicate", DUP),
    ("N574", "Our records show the referring provider is not enrolled", "documentation", CORRECT),
    ("N640", "Exceeds the number of units allowed per day", "medical_necessity", APPEAL),
    (
        "N657",
        "This should be billed with the appropriate code for these services",
        "coding",
        CORRECT,
    ),
    ("N702", "Decision based on the plan's clinical guidelines", "medical_necessity", APPEAL),
    ("N704", "Alert: you may not appeal this non-payable adjustment", "other", WRITE_OFF),
)


def _build(kind: str, rows: tuple[tuple, ...]) -> dict[str, ReasonCode]:
    out: dict[str, ReasonCode] = {}
    for row in rows:
        code, desc, cat, action = row[:4]
        start = _d(row[4]) if len(row) > 4 else _START
        stop = _d(row[5]) if len(row) > 5 else None
        if cat not in CATEGORIES:
            raise ValueError(f"{kind} {code}: category {cat!r} is not one of CATEGORIES")
        out[code] = ReasonCode(kind, code, desc, cat, action, start, stop)
    return out


CARCS: dict[str, ReasonCode] = _build("CARC", _CARCS)
RARCS: dict[str, ReasonCode] = _build("RARC", _RARCS)


def normalize(code: str | None) -> str:
    """'co-197' / ' 197 ' -> '197'; RARCs upper-cased ('m15' -> 'M15')."""
    text = (code or "").strip().upper()
    for group in ("CO-", "PR-", "OA-", "PI-", "CR-", "CO", "PR", "OA", "PI", "CR"):
        if text.startswith(group) and text[len(group) :].strip("- ").isalnum():
            rest = text[len(group) :].lstrip("- ")
            if rest and (rest[0].isdigit() or rest in CARCS):
                text = rest
                break
    return text


def lookup(code: str | None, kind: str = "CARC") -> ReasonCode:
    """The table entry for a CARC (or RARC with kind="RARC"); an unknown code gets a
    flagged entry (``known=False``, category "other") instead of an error."""
    norm = normalize(code)
    table = RARCS if kind == "RARC" else CARCS
    found = table.get(norm)
    if found is not None:
        return found
    return ReasonCode(
        kind,
        norm or "?",
        f"Unknown {kind} {norm or '(blank)'}: not in our table; read the remit text",
        "other",
        REVIEW,
        None,
        None,
        known=False,
    )


def category_of(carc: str | None) -> str:
    """The denial category of a CARC; "other" when the code is not in the table."""
    return lookup(carc, "CARC").category


def is_known(code: str | None, kind: str = "CARC") -> bool:
    return lookup(code, kind).known


def describe(code: str | None) -> ReasonCode:
    """A CARC or a RARC (RARCs start with a letter other than the CARC letter codes A1,
    B7...), looked up in the right table; unknown codes come back flagged."""
    norm = normalize(code)
    if norm in CARCS:
        return CARCS[norm]
    if norm in RARCS:
        return RARCS[norm]
    kind = "RARC" if norm[:1].isalpha() and norm[:1] in "MN" else "CARC"
    return lookup(norm, kind)


def category_label(category: str) -> str:
    return CATEGORY_LABELS.get(LEGACY_CATEGORIES.get(category, category), category)
