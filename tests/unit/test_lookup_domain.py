"""Look-up rules: dates of birth, query parsing, name normalisation, typo keys, ranking."""

from __future__ import annotations

import datetime as dt

import pytest

from billing_tui.domain import lookup as L

TODAY = dt.date(2026, 11, 27)


# --- dates of birth ------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["03/14/1962", "3/14/1962", "1962-03-14", "3/14/62", "03-14-1962", "1962/3/14", "03141962"],
)
def test_usual_dob_formats(text):
    assert L.parse_dob(text, TODAY) == dt.date(1962, 3, 14)


def test_two_digit_year_is_never_a_future_birth():
    assert L.parse_dob("3/14/62", TODAY) == dt.date(1962, 3, 14)
    assert L.parse_dob("11/27/26", TODAY) == dt.date(2026, 11, 27)  # born today
    assert L.parse_dob("11/28/26", TODAY) == dt.date(1926, 11, 28)  # tomorrow: a century ago
    assert L.parse_dob("1/2/05", TODAY) == dt.date(2005, 1, 2)


@pytest.mark.parametrize(
    "text", ["13/01/1962", "02/30/1990", "2027-01-01", "1870-01-01", "12/31/2026", "A0001", "62"]
)
def test_not_a_date_of_birth(text):
    assert L.parse_dob(text, TODAY) is None


# --- normalisation and keys -------------------------------------------------------------


def test_case_accents_and_punctuation_do_not_matter():
    assert L.name_words("O'Brien") == ["obrien"]
    assert L.name_words("NÚÑEZ") == ["nunez"]
    assert L.name_words("Strauß") == ["strauss"]
    assert L.name_words("Garcia-Lopez") == ["garcia", "lopez", "garcialopez"]
    assert L.name_words("Mary Ann", None, "Van Buren") == [
        "mary", "ann", "maryann", "van", "buren", "vanburen"
    ]  # fmt: skip
    assert L.name_words("Ann", "", "ANN") == ["ann"]


def test_deletion_keys_meet_for_one_typo():
    def meet(a: str, b: str) -> bool:
        return bool(L.deletion_keys(a) & L.deletion_keys(b))

    assert meet("james", "jmaes")  # swapped
    assert meet("james", "jamse")
    assert meet("smith", "smyth")  # wrong letter
    assert meet("smith", "smth")  # missing
    assert meet("smith", "smiith")  # extra
    assert meet("kim", "im")
    assert not meet("smith", "jones")
    assert L.deletion_keys("smith") == {"smith", "mith", "sith", "smth", "smih", "smit"}


def test_name_pairs_cover_either_order():
    assert sorted(L.name_pairs(["ana", "rivera"])) == [("ana", "rivera"), ("rivera", "ana")]
    assert L.name_pairs(["cher"]) == [("cher", "cher")]
    assert len(L.name_pairs(["a", "b", "c"])) == 6


def test_index_entries_and_vocabulary():
    rows, vocabulary = L.index_entries([(7, "Ana", None, "Rivera"), (8, "Ana", "B", "Cruz")])
    assert vocabulary == {"ana", "rivera", "b", "cruz"}
    assert (("ana", "rivera", 7) in rows) and (("rivera", "ana", 7) in rows)
    assert ("b", "cruz", 8) in rows and len(rows) == 2 + 6
    keys = L.vocabulary_keys(["ana"])
    assert keys == sorted(keys) and ("an", "ana") in keys and ("ana", "ana") in keys


# --- queries ----------------------------------------------------------------------------


def test_query_parts():
    q = L.parse_query("Rivera, Ana 3/14/62", TODAY)
    assert q.names == ("rivera", "ana")
    assert q.dob == dt.date(1962, 3, 14)
    assert q.last_first
    assert not q.typing  # the last token is a date
    q = L.parse_query("ana riv", TODAY)
    assert q.names == ("ana", "riv") and not q.last_first and q.typing
    assert q.prefix_word() == "riv"
    assert L.parse_query("ana riv ", TODAY).prefix_word() is None


def test_identifiers_are_upper_cased_tokens_with_digits():
    q = L.parse_query("a0000123 uhc-12345 C00000042", TODAY)
    assert q.identifiers == ("A0000123", "UHC-12345", "C00000042")
    assert q.names == () and q.dob is None
    assert L.parse_query("   ", TODAY).empty


# --- ranking ------------------------------------------------------------------------------


def test_word_scores():
    assert L.word_score("james", "james") == 100
    assert L.word_score("jmaes", "james") == 80  # one swap in five letters
    assert L.word_score("smth", "smith") == pytest.approx(88.9, abs=0.1)
    assert 90 < L.word_score("smi", "smith", prefix=True) < 100
    assert L.word_score("smi", "smith") == 0  # two letters short, not being typed
    assert L.word_score("jones", "smith") == 0
    assert L.word_score("jo", "joe") == 80  # short words: one typo
    assert 90 < L.word_score("j", "joe") < 100  # a single letter is an initial
    assert L.word_score("j", "ann") == 0


def test_exact_beats_typo_beats_other_names():
    q = L.parse_query("jmaes smith ", TODAY)
    exact = L.person_score(L.parse_query("james smith ", TODAY), L.PersonName("James", "Smith"))
    typo = L.person_score(q, L.PersonName("James", "Smith"))
    other = L.person_score(q, L.PersonName("Janet", "Smith"))
    assert exact == 100
    assert exact > typo > other


def test_order_typed_wins_ties():
    names = L.PersonName("Lee", "Grant"), L.PersonName("Grant", "Lee")
    first_last = L.parse_query("lee grant ", TODAY)
    last_first = L.parse_query("lee, grant ", TODAY)
    assert L.person_score(first_last, names[0]) > L.person_score(first_last, names[1])
    assert L.person_score(last_first, names[1]) > L.person_score(last_first, names[0])


def test_every_word_typed_counts_and_each_name_word_serves_once():
    q = L.parse_query("ann ann ", TODAY)
    assert L.person_score(q, L.PersonName("Ann", "Smith")) == 50
    assert L.person_score(q, L.PersonName("Ann", "Ann")) == 100
    q = L.parse_query("ana rivera zzzz ", TODAY)
    assert L.person_score(q, L.PersonName("Ana", "Rivera")) < L.MIN_SCORE + 10


def test_middle_names_match_just_below_first_names():
    person = L.PersonName("Ana", "Rivera", "Beatriz")
    assert L.person_score(L.parse_query("ana rivera ", TODAY), person) == 100
    assert L.person_score(L.parse_query("ana beatriz rivera ", TODAY), person) == 99.7
    assert L.person_score(L.parse_query("beatriz rivera ", TODAY), person) == 99.7
    john_smith = L.PersonName("John", "Smith")
    sean_john_rose = L.PersonName("Sean", "Rose", "John")
    q = L.parse_query("john s", TODAY)  # typed order: john, then s...
    assert L.person_score(q, john_smith) > L.person_score(q, sean_john_rose)
    q = L.parse_query("smith, j", TODAY)
    assert L.person_score(q, john_smith) > L.person_score(q, L.PersonName("Smith", "Jones"))


def test_identifier_and_payer_scores():
    assert L.identifier_score("a0000123", "A0000123") == 100
    assert 90 < L.identifier_score("A00001", "A0000123") < 100
    assert L.identifier_score("A1", "B1") == 0
    q = L.parse_query("blue cross texas", TODAY)
    assert L.text_score(q, "Blue Cross Blue Shield of Texas") == 100
    assert L.text_score(q, "Blue Cross Blue Shield of Illinois") < 70


def test_word_index_picks_only_titles_worth_scoring():
    titles = [
        "Aetna",
        "Aetna Better Health of Illinois",
        "Cigna",
        "Blue Cross Blue Shield of Texas",
    ]
    index = L.WordIndex(titles)
    assert index.candidates(L.parse_query("aetan ", TODAY)) == [0, 1]  # one swap
    assert index.candidates(L.parse_query("cig", TODAY)) == [2]  # still typing
    assert index.candidates(L.parse_query("cig ", TODAY)) == []  # a finished word: no prefix
    assert index.candidates(L.parse_query("texsa blue", TODAY)) == [3]
    assert index.candidates(L.parse_query("zzz", TODAY)) == []
    assert L.WordIndex([]).candidates(L.parse_query("aetna", TODAY)) == []


def test_names_without_letters_index_nothing():
    rows, vocabulary = L.index_entries([(1, "---", None, "123")])
    assert rows == [] and vocabulary == set()


def test_prefix_bounds_step_letters_and_digits_never_to_punctuation():
    assert L.prefix_bounds("smi") == ("smi", "smj")
    assert L.prefix_bounds("liz") == ("liz", "lj")
    assert L.prefix_bounds("A09") == ("A09", "A1")
    assert L.prefix_bounds("LK-") == ("LK-", "LL")
    assert L.prefix_bounds("zz") == ("zz", "zz")  # nothing to step: an empty range
    for word in ("lizzie", "liza", "smith"):
        lo, hi = L.prefix_bounds(word[:3])
        assert lo <= word < hi
