"""Fuzzy look-up rules: what a typed query means, how names are keyed, how matches rank.

A query is split into tokens. A token that reads as a date is a date of birth
(03/14/1962, 3/14/1962, 3-14-1962, 1962-03-14, 3/14/62, 03141962; a two-digit year
is the latest reading that is not in the future, since nobody is born tomorrow). A
token with a digit is an identifier (account number, member id, claim number, EDI
payer id). Anything else is name words, normalised: case, accents and punctuation
do not matter ("O'Brien" = "obrien", "Núñez" = "nunez", "Garcia-Lopez" = "garcia
lopez" = "garcialopez"). "Last, First" (a comma) says which word is the last name.

The typo index is a symmetric-delete index over the *vocabulary* of name words: each
word is stored under itself and under every string made by deleting one of its
letters. Two words one edit apart (a wrong, missing, extra or swapped letter) always
share such a key, so a handful of exact index probes find every word within one typo,
on SQLite and PostgreSQL alike. The services turn those words into patients and rank
the few candidates here, with rapidfuzz.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz
from rapidfuzz.distance import OSA

from billing_tui.domain.dates import two_digit_year

MAX_WORD = 60  # longest indexed word (the column width)
MIN_KEYED = 2  # words shorter than this are matched exactly, never by typo keys
MIN_SCORE = 60.0  # matches scoring below this are not shown

# Letters NFKD does not decompose into ASCII.
_SPECIAL = str.maketrans(
    {"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "đ": "d", "ł": "l", "þ": "th", "ı": "i"}
)
_APOSTROPHES = re.compile(r"[’'`´]")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_NON_ALPHA = re.compile(r"[^a-z]+")
_SPLIT = re.compile(r"[\s,;]+")

_ISO = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")
_US = re.compile(r"^(\d{1,2})([-/.])(\d{1,2})\2(\d{2}|\d{4})$")
_COMPACT = re.compile(r"^(\d{2})(\d{2})(\d{4})$")  # MMDDYYYY
_IDENT_CHARS = re.compile(r"[^A-Z0-9\-]+")
OLDEST_BIRTH_YEAR = 1880


# --- normalisation -------------------------------------------------------------


def fold(text: str) -> str:
    """Lower case, accents off, apostrophes dropped: 'O’Brién' -> 'obrien'."""
    text = unicodedata.normalize("NFKD", text.casefold().translate(_SPECIAL))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return _APOSTROPHES.sub("", text)


def name_words(*parts: str | None) -> list[str]:
    """The index words of a person's name fields, in order, without repeats.

    Each field is split on anything that is not a letter; a field of several words
    ("Garcia-Lopez", "Van Buren") is also indexed joined ("garcialopez", "vanburen").
    """
    out: list[str] = []
    for part in parts:
        for w in _field_words(part) if part else ():
            if w not in out:
                out.append(w)
    return out


@lru_cache(maxsize=65536)
def _field_words(part: str) -> tuple[str, ...]:
    """One name field's words (memoised: the same names come back all day)."""
    words = [w[:MAX_WORD] for w in _NON_ALPHA.split(fold(part)) if w]
    if len(words) > 1:
        words.append("".join(words)[:MAX_WORD])
    return tuple(words)


def deletion_keys(word: str) -> set[str]:
    """The word and every string one deletion away from it (the typo index keys)."""
    keys = {word}
    if len(word) >= MIN_KEYED:
        keys.update(word[:i] + word[i + 1 :] for i in range(len(word)))
    return keys


def max_edits(token: str) -> int:
    """Typos tolerated in a query word: one up to 7 letters ("im" for Kim), two from 8;
    none for a single letter (an initial)."""
    return 0 if len(token) < 2 else 1 if len(token) < 8 else 2


_STEP = {c: chr(ord(c) + 1) for c in "abcdefghijklmnopqrstuvwxyABCDEFGHIJKLMNOPQRSTUVWXY012345678"}


def prefix_bounds(prefix: str) -> tuple[str, str]:
    """[lo, hi) holding every string that starts with ``prefix`` (letters and digits).

    ``hi`` steps the last letter or digit to the next one ("smi" -> "smj", "liz" -> "lj",
    "A09" -> "A1"), never to punctuation, which linguistic collations (en_US on a
    PostgreSQL server) ignore. With nothing to step ("zz") the range is empty (lo, lo).
    """
    p = prefix
    while p:
        step = _STEP.get(p[-1])
        if step is not None:
            return prefix, p[:-1] + step
        p = p[:-1]
    return prefix, prefix


# --- dates of birth --------------------------------------------------------------


def parse_dob(token: str, today: dt.date) -> dt.date | None:
    """A date of birth in one of the usual formats, or None when the token is not one."""
    s = token.strip()
    if m := _ISO.match(s):
        year, month, day = int(m[1]), int(m[2]), int(m[3])
    elif m := _US.match(s):
        month, day, year_text = int(m[1]), int(m[3]), m[4]
        year = int(year_text)
        if len(year_text) == 2:
            year = two_digit_year(year, month, day, today, birth_date=True)
    elif m := _COMPACT.match(s):
        month, day, year = int(m[1]), int(m[2]), int(m[3])
    else:
        return None
    try:
        value = dt.date(year, month, day)
    except ValueError:
        return None
    if value > today or value.year < OLDEST_BIRTH_YEAR:
        return None
    return value


# --- queries ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LookupQuery:
    raw: str
    names: tuple[str, ...]  # normalised name words, in the order typed
    dob: dt.date | None
    identifiers: tuple[str, ...]  # upper-cased tokens that may be an account/member/claim id
    last_first: bool  # "Rivera, Ana": the first word is the last name
    typing: bool  # the last name word may be unfinished (no space typed after it)

    @property
    def empty(self) -> bool:
        return not (self.names or self.dob or self.identifiers)

    def prefix_word(self) -> str | None:
        """The name word matched as a prefix (the one the rep is still typing)."""
        if self.typing and self.names:
            return self.names[-1]
        return None


def parse_query(text: str, today: dt.date) -> LookupQuery:
    raw = text.strip()
    names: list[str] = []
    identifiers: list[str] = []
    dob: dt.date | None = None
    last_first = False
    typing = bool(text) and not text[-1].isspace() and not text.rstrip().endswith(",")
    for token in _SPLIT.split(raw):
        if not token:
            continue
        if dob is None and (d := parse_dob(token, today)) is not None:
            dob = d
            continue
        if any(c.isdigit() for c in token):
            ident = _IDENT_CHARS.sub("", fold(token).upper())
            if ident and ident not in identifiers:
                identifiers.append(ident)
            continue
        words = [w[:MAX_WORD] for w in _NON_ALPHA.split(fold(token)) if w]
        names.extend(words)
    if "," in raw and names:
        before = raw.split(",", 1)[0]
        last_first = any(c.isalpha() for c in before)
    if not any(c.isalpha() for c in _SPLIT.split(raw)[-1]):
        typing = False  # the last token is a date or an id, not a name being typed
    return LookupQuery(raw, tuple(names), dob, tuple(identifiers), last_first, typing)


# --- ranking ---------------------------------------------------------------------


def word_score(token: str, word: str, *, prefix: bool = False) -> float:
    """0-100: how well one typed word matches one name word.

    Exact is 100. A word being typed, or a single letter (an initial), that starts a name
    word scores 90-99 (more of the word typed, higher). Otherwise the rapidfuzz ratio
    (one typo in a 5-letter word is 80), or 0 beyond the typos ``max_edits`` allows.
    """
    if token == word:
        return 100.0
    if (prefix or len(token) == 1) and word.startswith(token):
        return 90.0 + 9.0 * len(token) / len(word)
    if OSA.distance(token, word, score_cutoff=max_edits(token)) > max_edits(token):
        return 0.0
    return fuzz.ratio(token, word)


def match_words(
    tokens: Sequence[str], words: Sequence[str], *, prefix_last: bool = False
) -> list[tuple[float, int]]:
    """For each token its score and the index of the word it matched (-1: none).

    Each name word serves one token: "Ann Ann" does not match "Ann Smith" twice.
    Tokens take words greedily, best pair first.
    """
    pairs: list[tuple[float, int, int]] = []
    for ti, tok in enumerate(tokens):
        prefix = prefix_last and ti == len(tokens) - 1
        for wi, w in enumerate(words):
            s = word_score(tok, w, prefix=prefix)
            if s > 0:
                pairs.append((s, ti, wi))
    pairs.sort(key=lambda p: (-p[0], p[1], p[2]))
    out: list[tuple[float, int]] = [(0.0, -1)] * len(tokens)
    used_t: set[int] = set()
    used_w: set[int] = set()
    for s, ti, wi in pairs:
        if ti in used_t or wi in used_w:
            continue
        out[ti] = (s, wi)
        used_t.add(ti)
        used_w.add(wi)
    return out


@dataclass(frozen=True, slots=True)
class PersonName:
    first: str
    last: str
    middle: str | None = None


def person_score(q: LookupQuery, person: PersonName) -> float:
    """0-100 for a patient against the query's name words.

    The mean of the per-word scores (a word that matches nothing counts 0, so every
    word typed matters), then two tie-breakers: less 0.5 when the words were not typed
    in the person's order (first [middle] last, or last, first [middle] after a comma:
    "smith john" still finds John Smith, just after a John Smith typed "john smith"),
    and less 0.3 when a word typed only matched a middle name.
    """
    if not q.names:
        return 0.0
    first = name_words(person.first)
    middle = name_words(person.middle)
    last = name_words(person.last)
    scored = match_words(q.names, first + middle + last, prefix_last=q.typing)
    base = sum(s for s, _ in scored) / len(scored)
    if base <= 0:
        return 0.0
    n_first, n_given = len(first), len(first) + len(middle)
    hits = [wi for _, wi in scored if wi >= 0]
    if len(hits) >= 2:
        # Position in the order the person's name is said: first, middle, last; with a
        # comma the last name comes first.
        def rank(wi: int) -> int:
            in_last = wi >= n_given
            return (0 if in_last else 1) if q.last_first else (1 if in_last else 0)

        ranks = [(rank(wi), wi if wi < n_given else 0) for wi in hits]
        if ranks != sorted(ranks):
            base -= 0.5
    if any(n_first <= wi < n_given for wi in hits):
        base -= 0.3
    return round(base, 1)


def text_score(q: LookupQuery, name: str) -> float:
    """0-100 for a payer (or any titled thing) against the query's name words."""
    if not q.names:
        return 0.0
    words = name_words(*name.split())
    scored = match_words(q.names, words, prefix_last=q.typing)
    return round(sum(s for s, _ in scored) / len(scored), 1)


class WordIndex:
    """The typo index in memory, for short lists ranked in Python (payers): which of a
    list of titles share a close word with what was typed, before any scoring."""

    def __init__(self, titles: Sequence[str]) -> None:
        self.words = [frozenset(name_words(*t.split())) for t in titles]
        self._by_key: dict[str, set[str]] = {}
        self._sorted = sorted(set().union(*self.words)) if self.words else []
        for w in self._sorted:
            for k in deletion_keys(w):
                self._by_key.setdefault(k, set()).add(w)

    def close_words(self, q: LookupQuery) -> set[str]:
        """Words of the titles that some typed name word may match (score > 0)."""
        out: set[str] = set()
        for i, token in enumerate(q.names):
            found = {w for k in deletion_keys(token) for w in self._by_key.get(k, ())}
            if q.typing and i == len(q.names) - 1:
                lo, hi = prefix_bounds(token)
                start = bisect_left(self._sorted, lo)
                end = bisect_left(self._sorted, hi)
                found.update(self._sorted[start:end])
            out |= candidate_words(token, found, prefix=q.typing and i == len(q.names) - 1)
        return out

    def candidates(self, q: LookupQuery) -> list[int]:
        """Positions of the titles worth scoring for this query."""
        close = self.close_words(q)
        return [i for i, ws in enumerate(self.words) if ws & close] if close else []


def identifier_score(typed: str, value: str) -> float:
    """100 for the identifier itself (any case), 90-99 for its beginning, else 0."""
    typed, value = typed.upper(), value.upper()
    if typed == value:
        return 100.0
    if len(typed) >= 2 and value.startswith(typed):
        return 90.0 + 9.0 * len(typed) / len(value)
    return 0.0


def candidate_words(token: str, found: Iterable[str], *, prefix: bool = False) -> set[str]:
    """The index words (from a key probe or a prefix scan) close enough to the token."""
    return {w for w in found if word_score(token, w, prefix=prefix) > 0}


MAX_PAIRED_WORDS = 6  # words of one person that are paired (hyphenated names make more)


def name_pairs(words: Sequence[str]) -> list[tuple[str, str]]:
    """Every ordered pair of a person's distinct name words; (w, w) for a single word.

    A query of two name words is then one index probe per (word, word) candidate,
    whichever order the rep types them in.
    """
    words = list(dict.fromkeys(words))[:MAX_PAIRED_WORDS]
    if len(words) == 1:
        return [(words[0], words[0])]
    return [(a, b) for a in words for b in words if a != b]


def index_entries(
    people: Iterable[tuple[int, str | None, str | None, str | None]],
) -> tuple[list[tuple[str, str, int]], set[str]]:
    """(a, b, patient_id) pair rows for people given as (id, first, middle, last), and
    the set of words they use (whose deletion keys the vocabulary needs)."""
    rows: list[tuple[str, str, int]] = []
    vocabulary: set[str] = set()
    seen: dict[tuple, list[tuple[str, str]]] = {}  # names repeat: normalise each once
    for pid, first, middle, last in people:
        pairs = seen.get((first, middle, last))
        if pairs is None:
            words = name_words(first, middle, last)
            vocabulary.update(words)
            pairs = seen[(first, middle, last)] = name_pairs(words)
        rows.extend((a, b, pid) for a, b in pairs)
    return rows, vocabulary


def vocabulary_keys(words: Iterable[str]) -> list[tuple[str, str]]:
    """(key, word) rows of the typo index for these words, sorted (index order)."""
    return sorted({(k, w) for w in words for k in deletion_keys(w)})
