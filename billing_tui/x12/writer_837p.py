"""Our own 837P writer (005010X222A1), batched per payer.

One interchange (ISA/GS) per file; one transaction set (ST/SE) per payer. Inside each:

  1000A submitter, 1000B receiver
  2000A HL billing provider (the practice): NM1*85, N3, N4, REF*EI
    2000B HL subscriber (the patient: relation "self"): SBR with P/S/T and the claim
          filing indicator, 2010BA NM1*IL/N3/N4/DMG, 2010BB NM1*PR
      2300 CLM (frequency code in CLM05-3), REF*G1 prior authorization, REF*F8 the
           payer's original claim number on replacement (7) and void (8) claims,
           HI with ABK (principal) then ABF
        2310B NM1*82 rendering provider (+ PRV)
        2320/2330A/2330B the other payers: SBR, AMT*D (what an earlier payer paid),
             OI, NM1*IL, NM1*PR
        2400 LX, SV1 (HC:code:modifiers, charge, units, diagnosis pointers),
             DTP*472, REF*6R line control number (so 835 lines match back)
          2430 SVD/CAS/DTP*573 per earlier payer: its line payment and adjustments

The input is plain dataclasses (the submission service fills them from the database);
``write_837p`` returns the file text and, per transaction set, where each claim's
segments sit (positions counted from ST = 1, as 999 IK3 segments report them).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from billing_tui.domain.errors import ValidationError
from billing_tui.x12.envelope import (
    Interchange,
    Party,
    TransactionSet,
    amount,
    clean,
    composite,
    decimal_text,
    segment,
)

RANK_CODE = {1: "P", 2: "S", 3: "T"}


@dataclass(frozen=True, slots=True)
class Submitter:
    name: str
    id: str
    contact_name: str
    phone: str


@dataclass(frozen=True, slots=True)
class Receiver:
    name: str
    id: str


@dataclass(frozen=True, slots=True)
class Address:
    street: str
    city: str
    state: str
    zip: str


@dataclass(frozen=True, slots=True)
class BillingProvider:
    name: str
    npi: str
    ein: str
    address: Address
    taxonomy: str | None = None


@dataclass(frozen=True, slots=True)
class Person:
    last: str
    first: str
    middle: str | None = None
    dob: dt.date | None = None
    sex: str | None = None
    address: Address | None = None


@dataclass(frozen=True, slots=True)
class RenderingProvider:
    last: str
    first: str
    npi: str
    taxonomy: str | None = None


@dataclass(frozen=True, slots=True)
class PayerRef:
    name: str
    payer_id: str


@dataclass(frozen=True, slots=True)
class LineAdjudication:
    """What one earlier payer did with one line (2430)."""

    payer_id: str
    paid_cents: int
    adjustments: tuple[tuple[str, str, int], ...]  # (group code, CARC, cents)
    date: dt.date


@dataclass(frozen=True, slots=True)
class OtherCoverage:
    """Another payer of the patient (2320): earlier ones carry their adjudication."""

    rank: int
    payer: PayerRef
    member_id: str
    claim_filing_indicator: str
    group_number: str | None = None
    paid_cents: int | None = None  # set when this payer adjudicated before the one billed


@dataclass(frozen=True, slots=True)
class Line837:
    service_date: dt.date
    procedure: str
    modifiers: tuple[str, ...]
    units: Decimal
    charge_cents: int
    pointers: tuple[int, ...]
    control_number: str
    adjudications: tuple[LineAdjudication, ...] = ()


@dataclass(frozen=True, slots=True)
class Claim837:
    claim_number: str
    total_charge_cents: int
    place_of_service: str
    frequency_code: str
    diagnoses: tuple[str, ...]  # ICD-10-CM, dots optional
    subscriber: Person
    member_id: str
    rank: int  # of the payer billed: 1 primary, 2 secondary, 3 tertiary
    claim_filing_indicator: str
    payer: PayerRef
    rendering: RenderingProvider | None
    lines: tuple[Line837, ...]
    group_number: str | None = None
    payer_claim_number: str | None = None
    prior_authorization: str | None = None
    other_coverages: tuple[OtherCoverage, ...] = ()


@dataclass(frozen=True, slots=True)
class PayerBatch:
    """One transaction set: the claims for one payer."""

    control_number: str
    payer: PayerRef
    claims: Sequence[Claim837]


@dataclass
class ClaimPosition:
    claim_number: str
    first_segment: int
    last_segment: int


@dataclass
class SetLayout:
    control_number: str
    payer_id: str
    claims: list[ClaimPosition] = field(default_factory=list)


@dataclass
class Written837:
    text: str
    sets: list[SetLayout]
    claims: int
    lines: int
    charge_cents: int


def _date(d: dt.date) -> str:
    return d.strftime("%Y%m%d")


def _phone(p: str) -> str:
    digits = "".join(ch for ch in p if ch.isdigit())
    return digits[-10:] if len(digits) >= 10 else digits


def _name_segment(entity: str, person: Person, id_qual: str, ident: str) -> str:
    return segment(
        "NM1",
        entity,
        "1",
        clean(person.last)[:60],
        clean(person.first)[:35],
        clean(person.middle or "")[:25],
        "",
        "",
        id_qual,
        clean(ident)[:80],
    )


def _address(addr: Address) -> list[str]:
    return [
        segment("N3", clean(addr.street)[:55]),
        segment(
            "N4", clean(addr.city)[:30], clean(addr.state)[:2], clean(addr.zip).replace("-", "")
        ),
    ]


def _cas_segments(adjustments: Sequence[tuple[str, str, int]]) -> list[str]:
    """CAS segments, one per group code, up to 6 reason/amount pairs each."""
    by_group: dict[str, list[tuple[str, int]]] = {}
    for group, carc, cents in adjustments:
        if cents:
            by_group.setdefault(group, []).append((carc, cents))
    out = []
    for group, pairs in by_group.items():
        for i in range(0, len(pairs), 6):
            elems: list[object] = ["CAS", group]
            for carc, cents in pairs[i : i + 6]:
                elems.extend([carc, amount(cents), ""])
            out.append(segment(*elems))
    return out


def _claim_segments(c: Claim837, provider: BillingProvider) -> list[str]:
    if not c.lines:
        raise ValidationError(f"claim {c.claim_number} has no lines to send")
    segs: list[str] = []
    sub = c.subscriber
    segs.append(
        segment(
            "SBR",
            RANK_CODE[c.rank],
            "18",
            clean(c.group_number or "")[:50],
            "",
            "",
            "",
            "",
            "",
            c.claim_filing_indicator,
        )
    )
    segs.append(_name_segment("IL", sub, "MI", c.member_id))
    if sub.address is None:
        raise ValidationError(f"claim {c.claim_number}: the patient's address is missing")
    segs.extend(_address(sub.address))
    if sub.dob is None:
        raise ValidationError(f"claim {c.claim_number}: the patient's date of birth is missing")
    segs.append(segment("DMG", "D8", _date(sub.dob), sub.sex or "U"))
    segs.append(
        segment(
            "NM1",
            "PR",
            "2",
            clean(c.payer.name)[:60],
            "",
            "",
            "",
            "",
            "PI",
            clean(c.payer.payer_id),
        )
    )
    # 2300 claim
    segs.append(
        segment(
            "CLM",
            clean(c.claim_number)[:38],
            amount(c.total_charge_cents),
            "",
            "",
            composite(c.place_of_service, "B", c.frequency_code),
            "Y",
            "A",
            "Y",
            "Y",
        )
    )
    if c.prior_authorization:
        segs.append(segment("REF", "G1", clean(c.prior_authorization)[:50]))
    if c.frequency_code in ("7", "8"):
        if not c.payer_claim_number:
            raise ValidationError(
                f"claim {c.claim_number}: a corrected claim needs the payer's claim number"
            )
        segs.append(segment("REF", "F8", clean(c.payer_claim_number)[:50]))
    dx = [d.upper().replace(".", "") for d in c.diagnoses]
    if not 1 <= len(dx) <= 12:
        raise ValidationError(f"claim {c.claim_number}: 1-12 diagnoses are needed")
    segs.append(
        segment("HI", *[composite("ABK" if i == 0 else "ABF", code) for i, code in enumerate(dx)])
    )
    if c.rendering is not None:
        r = c.rendering
        segs.append(_name_segment("82", Person(r.last, r.first), "XX", r.npi))
        if r.taxonomy:
            segs.append(segment("PRV", "PE", "PXC", r.taxonomy))
    # 2320 / 2330A / 2330B: the other payers, in rank order
    for oc in sorted(c.other_coverages, key=lambda o: o.rank):
        segs.append(
            segment(
                "SBR",
                RANK_CODE[oc.rank],
                "18",
                clean(oc.group_number or "")[:50],
                "",
                "",
                "",
                "",
                "",
                oc.claim_filing_indicator,
            )
        )
        if oc.paid_cents is not None:
            segs.append(segment("AMT", "D", amount(oc.paid_cents)))
        segs.append(segment("OI", "", "", "Y", "", "", "Y"))
        segs.append(_name_segment("IL", sub, "MI", oc.member_id))
        segs.append(
            segment(
                "NM1",
                "PR",
                "2",
                clean(oc.payer.name)[:60],
                "",
                "",
                "",
                "",
                "PI",
                clean(oc.payer.payer_id),
            )
        )
    # 2400 lines
    for n, ln in enumerate(c.lines, start=1):
        if not 1 <= len(ln.pointers) <= 4:
            raise ValidationError(f"claim {c.claim_number} line {n}: 1-4 diagnosis pointers")
        segs.append(segment("LX", n))
        segs.append(
            segment(
                "SV1",
                composite("HC", ln.procedure, *ln.modifiers),
                amount(ln.charge_cents),
                "UN",
                decimal_text(ln.units),
                "",
                "",
                composite(*ln.pointers),
            )
        )
        segs.append(segment("DTP", "472", "D8", _date(ln.service_date)))
        segs.append(segment("REF", "6R", clean(ln.control_number)[:50]))
        for adj in ln.adjudications:
            segs.append(
                segment(
                    "SVD",
                    clean(adj.payer_id),
                    amount(adj.paid_cents),
                    composite("HC", ln.procedure, *ln.modifiers),
                    "",
                    decimal_text(ln.units),
                )
            )
            segs.extend(_cas_segments(adj.adjustments))
            segs.append(segment("DTP", "573", "D8", _date(adj.date)))
    return segs


def write_837p(
    *,
    submitter: Submitter,
    receiver: Receiver,
    provider: BillingProvider,
    batches: Sequence[PayerBatch],
    sender: Party,
    receiver_party: Party,
    interchange_control_number: int,
    group_control_number: int,
    created: dt.datetime,
    reference: str,
    usage: str = "P",
) -> Written837:
    """Render the file; every claim in ``batches`` goes into its payer's transaction set."""
    if not batches or not any(b.claims for b in batches):
        raise ValidationError("there are no claims to write")
    ic = Interchange(
        sender=sender,
        receiver=receiver_party,
        interchange_control_number=interchange_control_number,
        group_control_number=group_control_number,
        created=created,
        usage=usage,
    )
    layouts: list[SetLayout] = []
    n_claims = n_lines = cents = 0
    for batch in batches:
        if not 4 <= len(batch.control_number) <= 9:
            raise ValidationError("a transaction set control number (ST02) has 4-9 characters")
        body: list[str] = [
            segment(
                "BHT",
                "0019",
                "00",
                clean(reference)[:50],
                _date(created),
                created.strftime("%H%M"),
                "CH",
            ),
            segment(
                "NM1",
                "41",
                "2",
                clean(submitter.name)[:60],
                "",
                "",
                "",
                "",
                "46",
                clean(submitter.id),
            ),
            segment("PER", "IC", clean(submitter.contact_name)[:60], "TE", _phone(submitter.phone)),
            segment(
                "NM1",
                "40",
                "2",
                clean(receiver.name)[:60],
                "",
                "",
                "",
                "",
                "46",
                clean(receiver.id),
            ),
            segment("HL", 1, "", "20", 1),
        ]
        if provider.taxonomy:
            body.append(segment("PRV", "BI", "PXC", provider.taxonomy))
        body.append(
            segment("NM1", "85", "2", clean(provider.name)[:60], "", "", "", "", "XX", provider.npi)
        )
        body.extend(_address(provider.address))
        body.append(segment("REF", "EI", provider.ein.replace("-", "")))
        layout = SetLayout(batch.control_number, batch.payer.payer_id)
        hl = 1
        for claim in batch.claims:
            hl += 1
            first = len(body) + 2  # ST is position 1
            body.append(segment("HL", hl, 1, "22", 0))
            body.extend(_claim_segments(claim, provider))
            layout.claims.append(ClaimPosition(claim.claim_number, first, len(body) + 1))
            n_claims += 1
            n_lines += len(claim.lines)
            cents += claim.total_charge_cents
        ic.sets.append(TransactionSet(batch.control_number, body))
        layouts.append(layout)
    return Written837(ic.render(), layouts, n_claims, n_lines, cents)
