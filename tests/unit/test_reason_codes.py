"""The CARC/RARC table: coverage of the issue's codes, every category mapping, unknowns."""

from __future__ import annotations

import datetime as dt

import pytest

from billing_tui.domain import reason_codes as RC
from billing_tui.domain.queue_rules import DENIAL_CATEGORIES, QueueRule

ISSUE_CARCS = [
    "1",
    "2",
    "3",
    "4",
    "5",
    "16",
    "18",
    "22",
    "23",
    "24",
    "26",
    "27",
    "29",
    "31",
    "39",
    "45",
    "50",
    "51",
    "55",
    "58",
    "59",
    "96",
    "97",
    "107",
    "109",
    "119",
    "140",
    "146",
    "151",
    "167",
    "170",
    "181",
    "182",
    "183",
    "185",
    "189",
    "197",
    "198",
    "199",
    "204",
    "226",
    "227",
    "234",
    "236",
    "242",
    "243",
    "246",
    "251",
    "252",
    "253",
]

# Every category mapping the table makes, written out: a change to the table must be a
# deliberate change here too.
EXPECTED = {
    "patient_resp": "1 2 3",
    "coding": "4 5 6 7 8 9 10 11 58 146 170 171 181 182 189 199",
    "eligibility": "13 26 27 31 32 109 140 177 200 203 B9",
    "authorization": "15 39 95 197 198 242 243 288",
    "documentation": "16 116 125 129 183 185 208 226 227 251 252 B7",
    "duplicate": "18",
    "cob": "19 20 21 22 23 136",
    "contractual": "24 45 59 94 104 131 144 237 238 253",
    "timely_filing": "29",
    "non_covered": "35 49 51 55 96 111 114 119 149 157 160 167 204 246 256 272 273",
    "medical_necessity": "40 50 56 57 150 151 154 219 222",
    "bundling": "97 107 190 234 236 B15",
    "other": "100 193 A1",
}


def test_at_least_60_carcs_and_40_rarcs_and_every_issue_code():
    assert len(RC.CARCS) >= 60
    assert len(RC.RARCS) >= 40
    missing = [c for c in ISSUE_CARCS if c not in RC.CARCS]
    assert missing == []


@pytest.mark.parametrize(
    ("category", "carc"),
    [(cat, code) for cat, codes in EXPECTED.items() for code in codes.split()],
)
def test_category_mapping(category, carc):
    assert RC.category_of(carc) == category


def test_expected_covers_the_whole_table():
    listed = {c for codes in EXPECTED.values() for c in codes.split()}
    assert listed == set(RC.CARCS)


def test_every_entry_is_complete():
    for rc in (*RC.CARCS.values(), *RC.RARCS.values()):
        assert rc.category in RC.CATEGORIES
        assert rc.description and rc.next_action and rc.known
        assert rc.start is not None
        assert rc.category in RC.CATEGORY_LABELS


def test_unknown_codes_are_flagged_not_errors():
    rc = RC.lookup("Z99")
    assert (rc.known, rc.category, rc.code) == (False, "other", "Z99")
    assert "Unknown CARC Z99" in rc.description
    assert RC.category_of("Z99") == "other"
    assert RC.category_of(None) == "other"
    assert RC.describe("N9999").kind == "RARC" and not RC.describe("N9999").known
    assert RC.is_known("197") and not RC.is_known("")


def test_normalize_and_describe():
    assert RC.category_of("CO-197") == "authorization"
    assert RC.category_of(" co197 ") == "authorization"
    assert RC.describe("m15").code == "M15" and RC.describe("M15").kind == "RARC"
    assert RC.describe("N4").category == "cob"
    assert RC.describe("45").kind == "CARC"


def test_start_and_stop_dates():
    retired = RC.CARCS["57"]
    assert retired.active_on(dt.date(2006, 1, 1))
    assert not retired.active_on(dt.date(2008, 1, 1))
    assert RC.CARCS["197"].active_on(dt.date(2026, 11, 27))


def test_queue_rules_share_the_categories_and_read_the_old_name():
    assert DENIAL_CATEGORIES == RC.CATEGORIES
    rule = QueueRule.from_json('{"denial_categories": ["missing_info", "coding"]}')
    assert rule.denial_categories == ("documentation", "coding")
    assert rule.problems() == []
    assert RC.category_label("missing_info") == "Documentation / attachment"
