"""Each scrubber edit with a claim that fails it and one that passes (fake code set)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest

from billing_tui.domain import scrubber as S
from billing_tui.domain.codesets import Icd10CodeSet, Icd10Release

TODAY = dt.date(2026, 11, 27)
DOS = dt.date(2026, 10, 1)
FAKE = Icd10CodeSet(
    [
        Icd10Release.from_codes(
            "fake 2026",
            dt.date(2025, 10, 1),
            ["I10", "E11", "E119", "E1165", "S93401", "S93401A", "J069"],
        )
    ]
)
CTX = S.ScrubContext(today=TODAY, icd10=FAKE)
COV = S.CoverageFacts(
    rank=1,
    payer_name="UnitedHealthcare",
    payer_type="commercial",
    member_id="UHC123456789",
    relation="self",
    effective_date=dt.date(2020, 1, 1),
    term_date=None,
    requires_authorization=False,
    timely_filing_days=90,
)


def line(n: int = 1, **over) -> S.LineFacts:
    base = dict(
        line_no=n,
        service_date=DOS,
        procedure_code="99214",
        modifiers=(),
        units=Decimal("1"),
        charge_cents=20000,
        dx_pointers="1",
    )
    base.update(over)
    return S.LineFacts(**base)


def claim(**over) -> S.ClaimFacts:
    base = dict(
        claim_number="T1",
        frequency_code="1",
        payer_claim_number=None,
        place_of_service="11",
        diagnoses=("I10", "E11.9"),
        total_charge_cents=20000,
        lines=(line(),),
        billing_npi="1234567893",
        billing_ein="741234567",
        billing_address=("1200 Riverside Pkwy", "Springfield", "IL", "627011234"),
        rendering_npi="1245319599",
        patient_last="Rivera",
        patient_first="Ana",
        patient_dob=dt.date(1962, 3, 14),
        patient_sex="F",
        patient_address=("12 Main St", "Springfield", "IL", "62701"),
        coverage=COV,
    )
    base.update(over)
    return S.ClaimFacts(**base)


def edits(c: S.ClaimFacts) -> set[str]:
    return {f.edit for f in S.scrub(c, CTX)}


def test_a_clean_claim_passes_every_edit():
    assert S.scrub(claim(), CTX) == []


# (edit, failing claim, passing variant) - each edit fails alone.
CASES = [
    ("billing_npi", claim(billing_npi="1234567890"), claim(billing_npi="1234567893")),
    ("billing_npi", claim(billing_npi=None), claim()),
    ("billing_npi", claim(billing_npi="12345"), claim()),
    ("ein", claim(billing_ein="001234567"), claim(billing_ein="74-1234567")),
    ("ein", claim(billing_ein=""), claim()),
    (
        "billing_address",
        claim(billing_address=("1 A St", "X", "IL", "62701")),
        claim(billing_address=("1 A St", "X", "IL", "62701-1234")),
    ),
    ("rendering_npi", claim(rendering_npi="1245319598"), claim(rendering_npi="1245319599")),
    ("coverage", claim(coverage=None), claim()),
    ("coverage", claim(coverage=dataclasses.replace(COV, payer_type="self_pay")), claim()),
    ("coverage", claim(coverage=dataclasses.replace(COV, member_id=" ")), claim()),
    ("coverage", claim(coverage=dataclasses.replace(COV, relation="child")), claim()),
    (
        "coverage",
        claim(coverage=dataclasses.replace(COV, term_date=dt.date(2026, 9, 30))),
        claim(coverage=dataclasses.replace(COV, term_date=dt.date(2026, 10, 1))),
    ),
    (
        "coverage",
        claim(coverage=dataclasses.replace(COV, effective_date=dt.date(2026, 10, 2))),
        claim(coverage=dataclasses.replace(COV, effective_date=dt.date(2026, 10, 1))),
    ),
    ("demographics", claim(patient_address=(None, "Springfield", "IL", "62701")), claim()),
    ("demographics", claim(patient_dob=None), claim()),
    ("demographics", claim(patient_sex="X"), claim(patient_sex="U")),
    ("demographics", claim(patient_address=("1 A", "B", "IL", "6270")), claim()),
    ("diagnoses", claim(diagnoses=()), claim(diagnoses=("I10",))),
    ("diagnoses", claim(diagnoses=("E11", "I10")), claim(diagnoses=("E11.65", "I10"))),
    ("diagnoses", claim(diagnoses=("I10", "Q99.99")), claim()),
    ("diagnoses", claim(diagnoses=("I10", "I10")), claim()),
    ("diagnoses", claim(diagnoses=("S93.401", "I10")), claim(diagnoses=("S93.401A", "I10"))),
    ("pointers", claim(lines=(line(dx_pointers="3"),)), claim(lines=(line(dx_pointers="2"),))),
    ("pointers", claim(lines=(line(dx_pointers=""),)), claim()),
    (
        "pointers",
        claim(
            diagnoses=("I10", "E11.9", "E11.65", "S93.401A", "J06.9"),
            lines=(line(dx_pointers="1:2:3:4:5"),),
        ),
        None,
    ),
    ("pointers", claim(lines=(line(dx_pointers="1:1"),)), claim(lines=(line(dx_pointers="1:2"),))),
    (
        "procedures",
        claim(lines=(line(procedure_code="9921"),)),
        claim(lines=(line(procedure_code="G0439"),)),
    ),
    ("procedures", claim(lines=(line(modifiers=("2",)),)), claim(lines=(line(modifiers=("25",)),))),
    (
        "procedures",
        claim(lines=(line(modifiers=("25", "25")),)),
        claim(lines=(line(modifiers=("25", "59")),)),
    ),
    (
        "procedures",
        claim(lines=(line(modifiers=("25", "59", "76", "77", "91")),)),
        claim(lines=(line(modifiers=("25", "59", "76", "77")),)),
    ),
    ("procedures", claim(place_of_service="1"), claim(place_of_service="02")),
    (
        "units_charges",
        claim(lines=(line(units=Decimal("0")),)),
        claim(lines=(line(units=Decimal("0.5")),)),
    ),
    ("units_charges", claim(lines=(line(charge_cents=0),), total_charge_cents=0), None),
    (
        "units_charges",
        claim(lines=(line(service_date=TODAY + dt.timedelta(days=1)),)),
        claim(lines=(line(service_date=TODAY),)),
    ),
    ("total", claim(total_charge_cents=20001), claim()),
    ("frequency", claim(frequency_code="7"), claim(frequency_code="7", payer_claim_number="PCN1")),
    (
        "frequency",
        claim(frequency_code="8", payer_claim_number=" "),
        claim(frequency_code="8", payer_claim_number="X"),
    ),
    ("frequency", claim(frequency_code="5"), claim(frequency_code="1")),
]


@pytest.mark.parametrize("edit,bad,good", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_each_edit_fails_alone_and_passes_when_fixed(edit, bad, good):
    found = S.scrub(bad, CTX)
    assert {f.edit for f in found} == {edit}, found
    assert all(f.message and "\n" not in f.message for f in found)
    if good is not None:
        assert S.scrub(good, CTX) == []


def test_authorization_required_only_where_the_payer_requires_it():
    cov = dataclasses.replace(COV, requires_authorization=True)
    assert edits(claim(coverage=cov)) == {"authorization"}
    auth = S.AuthorizationFacts("A1", dt.date(2026, 9, 1), dt.date(2026, 12, 31), None)
    assert edits(claim(coverage=cov, authorizations=(auth,))) == set()
    narrow = S.AuthorizationFacts(
        "A2", dt.date(2026, 9, 1), dt.date(2026, 12, 31), frozenset({"97110"})
    )
    found = S.scrub(claim(coverage=cov, authorizations=(narrow,)), CTX)
    assert [f.edit for f in found] == ["authorization"] and "99214" in found[0].message
    expired = S.AuthorizationFacts("A3", dt.date(2026, 1, 1), dt.date(2026, 9, 30), None)
    assert edits(claim(coverage=cov, authorizations=(expired,))) == {"authorization"}
    used_up = S.AuthorizationFacts("A4", dt.date(2026, 9, 1), dt.date(2026, 12, 31), None, 2, 2)
    assert edits(claim(coverage=cov, authorizations=(used_up,))) == {"authorization"}


def test_timely_filing_counts_from_the_first_date_of_service():
    late = claim(lines=(line(service_date=dt.date(2026, 8, 28)),))  # 90 days -> 2026-11-26
    found = S.scrub(late, CTX)
    assert [f.edit for f in found] == ["timely_filing"]
    assert "2026-11-26" in found[0].message
    on_time = claim(lines=(line(service_date=dt.date(2026, 8, 29)),))  # last day is today
    assert S.scrub(on_time, CTX) == []


def test_possible_duplicate_names_the_other_claim():
    c = claim(other_services={(DOS, "99214"): "C00000042"})
    found = S.scrub(c, CTX)
    assert [f.edit for f in found] == ["duplicate"] and "C00000042" in found[0].message
    assert S.scrub(claim(other_services={(DOS, "99213"): "C1"}), CTX) == []


def test_secondary_claim_needs_the_primary_adjudication_to_account_for_the_charge():
    sec = dataclasses.replace(COV, rank=2)
    unposted = claim(coverage=sec)
    assert edits(unposted) == {"cob"}
    done = claim(
        coverage=sec,
        lines=(
            line(prior_paid_cents=9600, prior_adjustments=(("CO", "45", 8000), ("PR", "2", 2400))),
        ),
    )
    assert S.scrub(done, CTX) == []


def test_line_and_diagnosis_limits():
    many = tuple(f"I10{i}" for i in range(13))
    found = S.scrub(claim(diagnoses=many), CTX)
    assert any("at most 12" in f.message for f in found)
    fifty_one = tuple(line(n) for n in range(1, 52))
    found = S.scrub(claim(lines=fifty_one, total_charge_cents=20000 * 51), CTX)
    assert any("at most 50" in f.message for f in found)


def test_findings_name_the_line():
    c = claim(lines=(line(1), line(2, modifiers=("X",))), total_charge_cents=40000)
    (f,) = S.scrub(c, CTX)
    assert f.line_no == 2 and f.message.startswith("line 2:")


def test_npi_rule_is_luhn_over_80840():
    assert S.npi_problem("1234567893", "x") is None
    assert "check digit" in S.npi_problem("1234567894", "x")
    assert "start with 1 or 2" in S.npi_problem("3234567893", "x")


def test_parse_units_is_the_one_rule_for_import_and_entry():
    from decimal import Decimal

    import pytest

    from billing_tui.domain.errors import ValidationError
    from billing_tui.domain.scrubber import parse_units

    assert parse_units(" 1.5 ") == Decimal("1.5")
    assert parse_units("9999") == Decimal(9999)
    for bad in ("0", "-1", "1.2345", "10000", "abc", "NaN", "Infinity"):
        with pytest.raises(ValidationError):
            parse_units(bad)
