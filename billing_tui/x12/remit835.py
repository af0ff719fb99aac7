"""Reading 835 health care claim payment/advice files (005010X221A1), our own code.

``iter_835`` streams a file set by set: each ST..SE becomes a ``Remittance`` (payer,
payee, BPR amount/method/date, TRN trace, claim payments with their service lines and
CAS, PLB provider adjustments), or a ``RejectedSet`` when that set is broken (bad
amount, wrong SE count, cut short): the other sets still read. Delimiters come from the
ISA (element, component, repetition, segment); a UTF-8 BOM, CR/LF and indentation are
tolerated; several ISA/GS/ST in one file are fine. What makes the whole file unusable
(no ISA envelope, the 4010 version, not an 835) raises ``X12SyntaxError`` naming the
segment number (counted from the file's first segment) and the problem.

Amounts are int cents as printed (signs kept: a reversal's CLP04 is negative; a PLB
amount is positive when it reduces the check).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from billing_tui.x12.envelope import X12SyntaxError, decode

SUPPORTED_HINT = "005010X221A1"


class UnsupportedVersion(X12SyntaxError):
    """The file is an X12 version we do not read (the 4010 835)."""


class _SetError(Exception):
    """A problem confined to one transaction set: that set is rejected, not the file."""


@dataclass(frozen=True, slots=True)
class CasAdjustment:
    group_code: str  # CO / PR / OA / PI / CR
    carc: str
    amount_cents: int  # positive lowers the balance
    quantity: str = ""


@dataclass(slots=True)
class ServicePayment:
    """One SVC loop (2110)."""

    segment_no: int
    qualifier: str  # HC (CPT/HCPCS), NU (revenue), ...
    procedure_code: str
    modifiers: tuple[str, ...]
    billed_cents: int  # SVC02
    paid_cents: int  # SVC03
    revenue_code: str = ""  # SVC04
    units: Decimal | None = None  # SVC05
    original_code: str | None = None  # SVC06: the code as billed, when the payer changed it
    original_modifiers: tuple[str, ...] = ()
    service_date: dt.date | None = None  # DTM*472 (or 150)
    service_date_to: dt.date | None = None  # DTM*151
    control_number: str | None = None  # REF*6R: our line control number
    allowed_cents: int | None = None  # AMT*B6
    adjustments: list[CasAdjustment] = field(default_factory=list)
    remarks: list[str] = field(default_factory=list)  # LQ*HE remark codes


@dataclass(slots=True)
class ClaimPayment:
    """One CLP loop (2100) and its service lines."""

    segment_no: int
    claim_number: str  # CLP01: our patient control number (claims.claim_number)
    status_code: str  # CLP02
    billed_cents: int  # CLP03
    paid_cents: int  # CLP04
    patient_resp_cents: int  # CLP05
    filing_indicator: str  # CLP06
    payer_claim_number: str  # CLP07
    facility_code: str = ""  # CLP08
    frequency_code: str = ""  # CLP09
    patient_last: str = ""
    patient_first: str = ""
    patient_id: str = ""  # NM1*QC NM109
    corrected_last: str | None = None  # NM1*74: the payer corrected the name
    corrected_first: str | None = None
    statement_from: dt.date | None = None  # DTM*232
    statement_to: dt.date | None = None  # DTM*233
    received_date: dt.date | None = None  # DTM*050
    inpatient: tuple[str, ...] | None = None  # MIA elements
    outpatient: tuple[str, ...] | None = None  # MOA elements
    adjustments: list[CasAdjustment] = field(default_factory=list)  # claim-level CAS
    services: list[ServicePayment] = field(default_factory=list)
    # What the file left out of this claim (no billed/paid amount, an SVC without a code):
    # it cannot post automatically, but the rest of the set still reads.
    problems: list[str] = field(default_factory=list)

    @property
    def patient_name(self) -> str:
        last = self.corrected_last or self.patient_last
        first = self.corrected_first or self.patient_first
        return f"{last}, {first}".strip(", ")

    @property
    def all_adjustments_cents(self) -> int:
        """Every CAS amount of the claim (claim level and every line), PR included."""
        return sum(a.amount_cents for a in self.adjustments) + sum(
            a.amount_cents for s in self.services for a in s.adjustments
        )


@dataclass(frozen=True, slots=True)
class ProviderAdjustment:
    """One PLB reason/amount pair: money on the check that belongs to no claim line."""

    segment_no: int
    provider_id: str
    fiscal_date: dt.date | None
    reason_code: str  # L6 interest, WO recoupment, FB forwarding balance, CV, ...
    reference: str  # PLB03-2: often the claim the recoupment is about
    amount_cents: int  # positive reduces the check


@dataclass(slots=True)
class Remittance:
    """One 835 transaction set: one check or EFT from one payer to one payee."""

    isa_control_number: str
    gs_control_number: str
    st_control_number: str
    version: str  # GS08 / ST03
    first_segment: int
    last_segment: int = 0
    handling_code: str = ""  # BPR01: I remittance+payment, H advice only, C, D, P, U, X
    check_amount_cents: int = 0  # BPR02, negative when BPR03 = D (debit)
    payment_method: str = ""  # BPR04: CHK, ACH, FWT, BOP, NON
    payment_date: dt.date | None = None  # BPR16
    trace_number: str = ""  # TRN02
    trace_originator: str = ""  # TRN03
    payer_name: str = ""
    payer_id: str = ""  # N1*PR N104 (or the payer's REF*2U)
    payer_ref_2u: str = ""
    payee_name: str = ""
    payee_id: str = ""  # N1*PE N104 (NPI or tax id)
    claims: list[ClaimPayment] = field(default_factory=list)
    provider_adjustments: list[ProviderAdjustment] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # soft problems (an impossible date)

    @property
    def payer_identifier(self) -> str:
        """Who the payer is, as the file says it: REF*2U, N1*PR id, else TRN03."""
        return self.payer_ref_2u or self.payer_id or self.trace_originator

    @property
    def paid_cents(self) -> int:
        return sum(c.paid_cents for c in self.claims)

    @property
    def plb_cents(self) -> int:
        return sum(p.amount_cents for p in self.provider_adjustments)


@dataclass(frozen=True, slots=True)
class RejectedSet:
    """A transaction set that could not be read; the message names the segment."""

    isa_control_number: str
    gs_control_number: str
    st_control_number: str
    first_segment: int
    error: str


def _cents(text: str, no: int, name: str, seen: dict[str, int]) -> int:
    """An X12 R amount ("96", "96.5", "-160.00") as int cents; ``seen`` is the file's
    amounts read so far (they repeat: one fee schedule, the same CAS amounts)."""
    cents = seen.get(text)
    if cents is None:
        cents = seen[text] = _parse_cents(text, no, name)
    return cents


def _parse_cents(text: str, no: int, name: str) -> int:
    whole, _dot, frac = text.partition(".")
    neg = whole[:1] == "-"
    if neg:
        whole = whole[1:]
    if not (
        (whole or frac)
        and text.isascii()
        and (not whole or whole.isdigit())
        and (not frac or frac.isdigit())
    ):
        raise _SetError(f"segment {no}: {name} {text!r} is not an amount")
    if len(frac) > 2:
        if frac[2:].strip("0"):
            raise _SetError(f"segment {no}: {name} {text!r} has fractions of a cent")
        frac = frac[:2]
    cents = int(whole + (frac + "00")[:2]) if whole else int((frac + "00")[:2])
    return -cents if neg else cents


def _opt_cents(parts: list[str], i: int, no: int, name: str, seen: dict[str, int]) -> int:
    if len(parts) > i and parts[i] != "":
        return _cents(parts[i], no, name, seen)
    return 0


def _date(text: str, no: int, name: str) -> dt.date:
    try:
        if len(text) != 8:
            raise ValueError
        return dt.date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        raise _SetError(f"segment {no}: {name} {text!r} is not a date (CCYYMMDD)") from None


def _soft_date(text: str, no: int, name: str, notes: list[str]) -> dt.date | None:
    """A date that matters for display or matching only: a bad one is noted, not fatal."""
    try:
        return _date(text, no, name)
    except _SetError as exc:
        notes.append(str(exc))
        return None


def _el(parts: list[str], i: int) -> str:
    return parts[i] if len(parts) > i else ""


def _need(parts: list[str], i: int, no: int, name: str) -> str:
    v = parts[i] if len(parts) > i else ""
    if v == "":
        raise _SetError(f"segment {no}: {name} is missing")
    return v


def _envelope(text: str) -> tuple[str, str, str, str]:
    """(text from the ISA on, element separator, component separator, terminator)."""
    body = text.lstrip()
    if not body.startswith("ISA"):
        start = body[:20].replace("\r", " ").replace("\n", " ")
        raise X12SyntaxError(
            "not an X12 interchange: the file does not start with an ISA segment "
            f"(it starts with {start!r}); ask the payer or clearinghouse for the full file"
        )
    if len(body) < 106:
        raise X12SyntaxError("segment 1 (ISA): the ISA segment is cut short")
    element = body[3]
    isa = body.split(element, 16)
    if len(isa) < 17 or len(isa[16]) < 2:
        raise X12SyntaxError("segment 1 (ISA): the ISA segment is cut short")
    component = isa[16][0]
    terminator = isa[16][1]
    if terminator in "\r\n":
        terminator = "\n"
    if terminator == element or component == element:
        raise X12SyntaxError("segment 1 (ISA): the delimiters in ISA16 are not usable")
    return body, element, component, terminator


class _Reader:
    """One file's reading state: envelope ids so far, and what repeats in a remittance
    (amounts, whole CAS segments, DTM*472 dates, SVC01 codes, units), each read once
    per file. Everything cached is immutable, so claims may share it; the caches go
    with the file."""

    __slots__ = ("isa13", "gs06", "version", "component", "cents", "cas", "dates", "codes",
                 "units")  # fmt: skip

    def __init__(self, component: str) -> None:
        self.isa13 = ""
        self.gs06 = ""
        self.version = ""
        self.component = component
        self.cents: dict[str, int] = {}
        self.cas: dict[str, tuple[CasAdjustment, ...]] = {}
        self.dates: dict[str, dt.date] = {}
        self.codes: dict[str, tuple[str, str, tuple[str, ...]]] = {}
        self.units: dict[str, Decimal] = {}

    def comp(self, value: str) -> list[str]:
        return value.split(self.component)


def iter_835(data: bytes | str) -> Iterator[Remittance | RejectedSet]:  # noqa: C901
    """Yield each transaction set of the file as it is read (see the module docstring)."""
    text = decode(data) if isinstance(data, bytes) else data.lstrip("\ufeff")
    rem: Remittance | None = None
    broken: str | None = None
    st_no = 0
    st02 = ""
    claim: ClaimPayment | None = None
    svc: ServicePayment | None = None
    n1 = ""
    body, element, component, terminator = _envelope(text)
    rd = _Reader(component)
    cas_seen, dates = rd.cas, rd.dates
    # A claim's own segments (most of a file) are told apart by their first 4 characters.
    cas_h, svc_h, dtm_h, ref_h, amt_h = (x + element for x in ("CAS", "SVC", "DTM", "REF", "AMT"))
    no = 0
    # Strip only when the file has line breaks or indentation (most do not).
    tidy = "\n" not in body and "\r" not in body and terminator + " " not in body
    for raw in body.split(terminator):
        seg = raw if tidy else raw.strip()
        if not seg:
            continue
        no += 1
        if claim is not None:
            # Inside a claim payment: the segments that make up most of a file.
            head = seg[:4]
            try:
                if head == cas_h:
                    cas = cas_seen.get(seg)
                    if cas is None:
                        cas = cas_seen[seg] = _cas(seg.split(element), no, rd.cents)
                    (svc.adjustments if svc is not None else claim.adjustments).extend(cas)
                    continue
                p = seg.split(element)
                if head == svc_h:
                    svc = _svc(p, no, rd, claim)
                    continue
                if svc is not None and len(p) > 2:
                    q = p[1]
                    if head == dtm_h and q == "472":
                        d = dates.get(p[2])
                        if d is None:
                            d = _soft_date(p[2], no, "DTM*472", rem.notes)  # type: ignore[union-attr]
                            if d is not None:
                                dates[p[2]] = d
                        svc.service_date = d
                        continue
                    if head == ref_h and q == "6R":
                        svc.control_number = p[2]
                        continue
                    if head == amt_h and q == "B6":
                        svc.allowed_cents = _cents(p[2], no, "AMT*B6", rd.cents)
                        continue
            except _SetError as exc:
                broken = str(exc)
                claim = svc = None
                continue
        else:
            p = seg.split(element)
        sid = p[0]
        if sid == "ISA":
            rd.isa13 = _el(p, 13).strip()
            continue
        if sid == "GS":
            rd.gs06 = _el(p, 6)
            rd.version = _el(p, 8)
            if "4010" in rd.version:
                raise UnsupportedVersion(
                    f"segment {no} (GS): GS08 {rd.version} is the 4010 835, which is no "
                    f"longer in use; only 5010 ({SUPPORTED_HINT}) files can be imported"
                )
            if _el(p, 1) and _el(p, 1) != "HP":
                raise X12SyntaxError(
                    f"segment {no} (GS): functional group {_el(p, 1)} is not a health care "
                    "claim payment (HP); this is not an 835 file"
                )
            continue
        if sid == "ST":
            if rem is not None or broken is not None:
                yield RejectedSet(
                    rd.isa13, rd.gs06, st02, st_no,
                    broken or f"segment {no}: transaction set {st02} has no SE before the next ST",
                )  # fmt: skip
            st_no, st02 = no, _el(p, 2)
            claim = svc = None
            n1 = ""
            broken = None
            rem = None
            if _el(p, 1) != "835":
                raise X12SyntaxError(
                    f"segment {no} (ST): transaction set {_el(p, 1) or '?'} is not an 835"
                )
            version = _el(p, 3) or rd.version
            if "4010" in version:
                raise UnsupportedVersion(
                    f"segment {no} (ST): {version} is the 4010 835; only 5010 "
                    f"({SUPPORTED_HINT}) files can be imported"
                )
            rem = Remittance(rd.isa13, rd.gs06, st02, version, first_segment=no)
            continue
        if sid in ("GE", "IEA"):
            if rem is not None or broken is not None:
                yield RejectedSet(
                    rd.isa13, rd.gs06, st02, st_no,
                    broken or f"segment {no} ({sid}): transaction set {st02} has no SE",
                )  # fmt: skip
                rem, broken = None, None
            claim = svc = None  # what follows is outside any set, not part of that claim
            continue
        if rem is None and broken is None:
            if sid == "SE":
                continue
            raise X12SyntaxError(f"segment {no} ({sid}): segment outside a transaction set")
        if sid == "SE":
            if broken is None:
                count = _el(p, 1)
                if count != str(no - st_no + 1):
                    broken = (
                        f"segment {no} (SE): SE01 says {count or 'nothing'} segments, but "
                        f"transaction set {st02} has {no - st_no + 1}"
                    )
                elif _el(p, 2) != st02:
                    broken = f"segment {no} (SE): SE02 {_el(p, 2)!r} does not match ST02 {st02!r}"
            if broken is not None:
                yield RejectedSet(rd.isa13, rd.gs06, st02, st_no, broken)
            else:
                assert rem is not None
                rem.last_segment = no
                yield rem
            rem, broken, claim, svc = None, None, None, None
            continue
        if broken is not None:
            continue
        assert rem is not None
        try:
            claim, svc, n1 = _segment(rd, rem, claim, svc, n1, no, sid, p)
        except _SetError as exc:
            broken = str(exc)
            claim = svc = None  # the set is rejected: its first problem is the one to tell
    if rem is not None or broken is not None:
        yield RejectedSet(
            rd.isa13, rd.gs06, st02, st_no,
            broken or f"transaction set {st02} is cut short: the file ends at segment "
            f"{no} without its SE",
        )  # fmt: skip


def check_envelope(data: bytes | str) -> None:
    """Raise what makes the whole file unreadable (no ISA, the 4010 version, not an 835)
    without reading the claims: a regex scan of the GS and ST segments only, so several
    files can be checked before any of them is posted."""
    text = decode(data) if isinstance(data, bytes) else data.lstrip("\ufeff")
    body, element, _component, terminator = _envelope(text)
    e, t = re.escape(element), re.escape(terminator)
    for found in re.finditer(rf"(?:^|{t})\s*(GS|ST){e}([^{t}]*)", body):
        sid, parts = found.group(1), found.group(2).split(element)
        no = body.count(terminator, 0, found.start(1)) + 1
        if sid == "GS":
            version = parts[7] if len(parts) > 7 else ""
            if "4010" in version:
                raise UnsupportedVersion(
                    f"segment {no} (GS): GS08 {version} is the 4010 835, which is no "
                    f"longer in use; only 5010 ({SUPPORTED_HINT}) files can be imported"
                )
            if parts[0] and parts[0] != "HP":
                raise X12SyntaxError(
                    f"segment {no} (GS): functional group {parts[0]} is not a health care "
                    "claim payment (HP); this is not an 835 file"
                )
        elif parts[0] != "835":
            raise X12SyntaxError(
                f"segment {no} (ST): transaction set {parts[0] or '?'} is not an 835"
            )
        elif len(parts) > 2 and "4010" in parts[2]:
            raise UnsupportedVersion(
                f"segment {no} (ST): {parts[2]} is the 4010 835; only 5010 "
                f"({SUPPORTED_HINT}) files can be imported"
            )


def read_835(data: bytes | str) -> list[Remittance | RejectedSet]:
    """All transaction sets of a file (see iter_835)."""
    return list(iter_835(data))


_GROUPS = frozenset(("CO", "PR", "OA", "PI", "CR"))


def _cas(p: list[str], no: int, seen: dict[str, int]) -> tuple[CasAdjustment, ...]:
    n = len(p)
    group = p[1] if n > 1 else ""
    if group not in _GROUPS:
        raise _SetError(f"segment {no}: CAS01 group code {group!r} is not CO, PR, OA, PI or CR")
    out = []
    for i in range(2, min(n, 20), 3):
        carc = p[i]
        if not carc:
            continue
        amt = _cents(p[i + 1] if i + 1 < n else "", no, f"CAS{i + 1:02d} amount", seen)
        out.append(CasAdjustment(group, carc, amt, p[i + 2] if i + 2 < n else ""))
    if not out:
        raise _SetError(f"segment {no}: CAS has no reason code and amount")
    return tuple(out)


def _svc(p: list[str], no: int, rd: _Reader, claim: ClaimPayment) -> ServicePayment:
    n = len(p)
    svc01 = p[1] if n > 1 else ""
    code = rd.codes.get(svc01)
    if code is None:
        parts = svc01.split(rd.component)
        mods = tuple(parts[2:6])
        if "" in mods:
            mods = tuple(x for x in mods if x)
        code = rd.codes[svc01] = (parts[0], parts[1] if len(parts) > 1 else "", mods)
    billed = _cents(p[2] if n > 2 else "", no, "SVC02 (billed)", rd.cents)
    paid = _cents(p[3] if n > 3 else "", no, "SVC03 (paid)", rd.cents)
    units = None
    if n > 5 and p[5]:
        units = rd.units.get(p[5])
        if units is None:
            units = rd.units[p[5]] = _units(p[5], no)
    svc = ServicePayment(no, code[0], code[1], code[2], billed, paid, p[4] if n > 4 else "", units)
    if not code[1]:
        claim.problems.append(
            f"segment {no}: SVC01 {svc01!r} has no procedure code "
            f"(the component separator is {rd.component!r})"
        )
    if n > 6 and p[6]:
        orig = p[6].split(rd.component)
        svc.original_code = orig[1] if len(orig) > 1 else None
        svc.original_modifiers = tuple(x for x in orig[2:6] if x)
    claim.services.append(svc)
    return svc


def _units(text: str, no: int) -> Decimal:
    try:
        return Decimal(text)
    except InvalidOperation:
        raise _SetError(f"segment {no}: SVC05 units {text!r} is not a number") from None


def _segment(  # noqa: C901
    rd: _Reader,
    rem: Remittance,
    claim: ClaimPayment | None,
    svc: ServicePayment | None,
    n1: str,
    no: int,
    sid: str,
    p: list[str],
) -> tuple[ClaimPayment | None, ServicePayment | None, str]:
    """Apply one segment inside a set; returns the new (claim, service line, N1 context)."""
    if sid == "CLP":
        number = _need(p, 1, no, "CLP01 (claim number)")
        status = _need(p, 2, no, "CLP02 (claim status)")
        problems = [
            f"segment {no}: {name} is missing"
            for i, name in ((3, "CLP03 (billed)"), (4, "CLP04 (paid)"))
            if _el(p, i) == ""
        ]
        claim = ClaimPayment(
            segment_no=no,
            claim_number=number,
            status_code=status,
            billed_cents=_opt_cents(p, 3, no, "CLP03", rd.cents),
            paid_cents=_opt_cents(p, 4, no, "CLP04", rd.cents),
            patient_resp_cents=_opt_cents(p, 5, no, "CLP05", rd.cents),
            filing_indicator=_el(p, 6),
            payer_claim_number=_el(p, 7),
            facility_code=_el(p, 8),
            frequency_code=_el(p, 9),
            problems=problems,
        )
        rem.claims.append(claim)
        return claim, None, n1
    if sid == "NM1":
        if claim is not None and svc is None:
            if _el(p, 1) == "QC":
                claim.patient_last, claim.patient_first = _el(p, 3), _el(p, 4)
                claim.patient_id = _el(p, 9)
            elif _el(p, 1) == "74":
                claim.corrected_last = _el(p, 3) or None
                claim.corrected_first = _el(p, 4) or None
        return claim, svc, n1
    if sid == "SVC":
        if claim is None:
            raise _SetError(f"segment {no}: SVC before any CLP")
        return claim, _svc(p, no, rd, claim), n1
    if sid == "CAS":
        if claim is None:
            raise _SetError(f"segment {no}: CAS before any CLP")
        (svc.adjustments if svc is not None else claim.adjustments).extend(_cas(p, no, rd.cents))
        return claim, svc, n1
    if sid == "DTM":
        q, value = _el(p, 1), _el(p, 2)
        if svc is not None and q in ("472", "150", "151"):
            d = _soft_date(value, no, f"DTM*{q}", rem.notes)
            if q == "151":
                svc.service_date_to = d
            else:
                svc.service_date = d
        elif claim is not None and svc is None and q in ("232", "233", "050"):
            d = _soft_date(value, no, f"DTM*{q}", rem.notes)
            if q == "232":
                claim.statement_from = d
            elif q == "233":
                claim.statement_to = d
            else:
                claim.received_date = d
        return claim, svc, n1
    if sid == "REF":
        q = _el(p, 1)
        if svc is not None and q == "6R":
            svc.control_number = _el(p, 2)
        elif claim is None and q == "2U" and n1 == "PR":
            rem.payer_ref_2u = _el(p, 2)
        return claim, svc, n1
    if sid == "AMT":
        if svc is not None and _el(p, 1) == "B6":
            svc.allowed_cents = _cents(_need(p, 2, no, "AMT02"), no, "AMT*B6", rd.cents)
        return claim, svc, n1
    if sid == "LQ":
        if svc is not None and _el(p, 2):
            svc.remarks.append(p[2])
        return claim, svc, n1
    if sid == "MIA":
        if claim is not None:
            claim.inpatient = tuple(p[1:])
        return claim, svc, n1
    if sid == "MOA":
        if claim is not None:
            claim.outpatient = tuple(p[1:])
        return claim, svc, n1
    if sid == "BPR":
        rem.handling_code = _need(p, 1, no, "BPR01 (handling code)")
        amount = _cents(_need(p, 2, no, "BPR02 (amount)"), no, "BPR02", rd.cents)
        rem.check_amount_cents = -amount if _el(p, 3) == "D" else amount
        rem.payment_method = _el(p, 4)
        if _el(p, 16):
            rem.payment_date = _soft_date(p[16], no, "BPR16", rem.notes)
        return claim, svc, n1
    if sid == "TRN":
        rem.trace_number = _need(p, 2, no, "TRN02 (trace number)")
        rem.trace_originator = _el(p, 3)
        return claim, svc, n1
    if sid == "N1":
        n1 = _el(p, 1)
        if claim is None:
            if n1 == "PR":
                rem.payer_name = _el(p, 2)
                rem.payer_id = _el(p, 4)
            elif n1 == "PE":
                rem.payee_name = _el(p, 2)
                rem.payee_id = _el(p, 4)
        return claim, svc, n1
    if sid == "PLB":
        provider = _el(p, 1)
        fiscal = _soft_date(p[2], no, "PLB02", rem.notes) if _el(p, 2) else None
        pairs = 0
        for i in range(3, min(len(p), 15), 2):
            if not p[i]:
                continue
            reason = rd.comp(p[i])
            amt = _cents(
                _need(p, i + 1, no, f"PLB{i + 1:02d} amount"), no, f"PLB{i + 1:02d}", rd.cents
            )
            rem.provider_adjustments.append(
                ProviderAdjustment(
                    no, provider, fiscal, reason[0], reason[1] if len(reason) > 1 else "", amt
                )
            )
            pairs += 1
        if not pairs:
            raise _SetError(f"segment {no}: PLB has no adjustment reason and amount")
        return None, None, n1
    if sid == "LX":
        return None, None, n1
    return claim, svc, n1
