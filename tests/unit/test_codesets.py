"""ICD-10-CM code sets by date of service, the shipped release, and the fuzzy index."""

from __future__ import annotations

import datetime as dt

import pytest

from billing_tui.domain.codesets import (
    Icd10CodeSet,
    Icd10Release,
    display_icd10,
    normalise_icd10,
    shipped_icd10cm,
)
from billing_tui.domain.icd10_search import Icd10Index

OLD = Icd10Release.from_codes("FY2025", dt.date(2024, 10, 1), ["U07", "U071", "R51", "E11", "E119"])
NEW = Icd10Release.from_codes(
    "FY2026", dt.date(2025, 10, 1), ["R51", "R510", "R519", "E11", "E119", "E11A"]
)


def test_release_in_force_on_the_date_of_service_answers():
    cs = Icd10CodeSet([NEW, OLD])
    assert cs.release_for(dt.date(2025, 9, 30)) is OLD
    assert cs.release_for(dt.date(2025, 10, 1)) is NEW
    assert cs.release_for(dt.date(2020, 1, 1)) is OLD  # before the first: the first
    # R51 was billable until it got children; U07.1 was deleted from the newer release.
    assert cs.problem("R51", dt.date(2025, 9, 30)) is None
    assert "not billable" in cs.problem("R51", dt.date(2025, 10, 1))
    assert cs.problem("U07.1", dt.date(2025, 9, 1)) is None
    assert "not in ICD-10-CM (FY2026)" in cs.problem("U07.1", dt.date(2025, 10, 2))
    assert cs.problem("E11.A", dt.date(2025, 10, 2)) is None
    assert "not an ICD-10-CM code" in cs.problem("11.9", dt.date(2025, 10, 2))


def test_normalising_codes():
    assert normalise_icd10(" e11.9 ") == "E119"
    assert display_icd10("S93401A") == "S93.401A"
    assert display_icd10("I10") == "I10"


def test_shipped_release_knows_billable_codes():
    cs = shipped_icd10cm()
    dos = dt.date(2026, 6, 1)
    for code in ("E11.9", "I10", "F32.A", "M54.50", "S93.401A", "Z00.00", "Z66"):
        assert cs.problem(code, dos) is None, code
    assert "header" in cs.problem("E11", dos)
    assert "header" in cs.problem("S93.401", dos)  # needs its 7th character
    assert "not in ICD-10-CM" in cs.problem("E11.99", dos)
    assert len(cs.releases[-1].billable) > 70_000


def test_demo_diagnoses_are_billable():
    from billing_tui.services.demo_data import DIAGNOSES

    cs = shipped_icd10cm()
    assert [d for d in DIAGNOSES if cs.problem(d, dt.date(2026, 11, 1))] == []


ENTRIES = [
    ("E11.9", "Type 2 diabetes mellitus without complications"),
    ("E11.65", "Type 2 diabetes mellitus with hyperglycemia"),
    ("E10.9", "Type 1 diabetes mellitus without complications"),
    ("I10", "Essential (primary) hypertension"),
    ("S93.401A", "Sprain of unspecified ligament of right ankle, initial encounter"),
    ("M54.50", "Low back pain, unspecified"),
]


def test_index_finds_by_code_prefix_words_and_typos():
    ix = Icd10Index(ENTRIES)
    assert [h.code for h in ix.search("e11")] == ["E11.65", "E11.9"]
    assert [h.code for h in ix.search("E11.9")] == ["E11.9"]
    assert ix.search("s934")[0].code == "S93.401A"
    assert ix.search("type 2 diab without")[0].code == "E11.9"
    assert ix.search("hypertensoin")[0].code == "I10"  # typo
    assert ix.search("ankle sprain")[0].code == "S93.401A"
    assert ix.search("") == []
    assert ix.describe("i10") == "Essential (primary) hypertension"


@pytest.mark.slow
def test_full_code_set_search_finds_codes_as_the_rep_types():
    """Every keystroke of a phrase answers over the full code set (its speed is
    `billing-tui bench --only icd10_search`, not a timed test)."""
    from billing_tui.domain.codesets import shipped_icd10cm_descriptions

    ix = Icd10Index(shipped_icd10cm_descriptions())
    assert len(ix) > 70_000
    typed = "type 2 diabetes with hyperglycemia"
    for i in range(1, len(typed) + 1):
        hits = ix.search(typed[:i])
        assert hits or i < 4, f"nothing for {typed[:i]!r}"
    assert hits[0].code == "E11.65"
    assert ix.search("e11.6")[0].code.startswith("E11.6")
    assert ix.search("low back pain")[0].code.startswith("M54.5")
