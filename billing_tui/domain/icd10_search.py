"""Fuzzy search of ICD-10-CM by code or words, fast enough for every keystroke.

A full rapidfuzz scan of 74,000 descriptions costs tens of milliseconds; the budget is
20 ms per keystroke. So the index is built once (in a worker) and each search narrows
before it ranks:

- a query that starts like a code ("e11", "E11.6", "s93.4") is a prefix range in the
  sorted code list (bisect), then ranked by code;
- words are looked up in a sorted vocabulary: each query word matches every
  vocabulary word it is a prefix of ("diab" -> diabetes, diabetic), and a word with no
  prefix match is corrected by rapidfuzz against the vocabulary (15,000 words, not
  74,000 descriptions) so "diabetis" still finds diabetes;
- the postings of the query words are intersected, and only the first few thousand
  candidates (shortest descriptions first: the general code before its variants) are
  ranked with rapidfuzz against the whole query.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz, process

_WORD_RE = re.compile(r"[a-z0-9]+")
_CODEISH = re.compile(r"^[a-z][0-9][0-9a-z.]*$")
MAX_RANKED = 2500


@dataclass(frozen=True, slots=True)
class Icd10Hit:
    code: str  # dotted, as reps read it
    description: str
    score: float


class Icd10Index:
    def __init__(self, entries: Iterable[tuple[str, str]]) -> None:
        """``entries``: (dotted code, description) pairs."""
        # Shorter descriptions first: the order candidates are cut in.
        items = sorted(entries, key=lambda e: (len(e[1]), e[0]))
        self.codes = [c for c, _ in items]
        self.descriptions = [d for _, d in items]
        self.lower = [d.lower() for d in self.descriptions]
        by_code = sorted(range(len(items)), key=lambda i: self.codes[i].replace(".", ""))
        self._code_keys = [self.codes[i].replace(".", "").lower() for i in by_code]
        self._code_ids = by_code
        postings: dict[str, list[int]] = {}
        for i, text in enumerate(self.lower):
            for w in set(_WORD_RE.findall(text)):
                postings.setdefault(w, []).append(i)
        self.vocab = sorted(postings)
        self._postings = [postings[w] for w in self.vocab]

    def __len__(self) -> int:
        return len(self.codes)

    # --- narrowing ---------------------------------------------------------------

    def _word_ids(self, word: str) -> set[int]:
        lo = bisect.bisect_left(self.vocab, word)
        hi = bisect.bisect_left(self.vocab, word + "\uffff")
        ids: set[int] = set()
        for k in range(lo, hi):
            ids.update(self._postings[k])
        if ids or len(word) < 3:
            return ids
        # A typo: the closest vocabulary words.
        for _w, _score, k in process.extract(
            word, self.vocab, scorer=fuzz.ratio, limit=5, score_cutoff=75
        ):
            ids.update(self._postings[k])
        return ids

    def _code_range(self, prefix: str) -> list[int]:
        key = prefix.replace(".", "")
        lo = bisect.bisect_left(self._code_keys, key)
        hi = bisect.bisect_left(self._code_keys, key + "\uffff")
        return self._code_ids[lo:hi]

    # --- search ------------------------------------------------------------------

    def search(self, query: str, limit: int = 30) -> list[Icd10Hit]:
        q = query.strip().lower()
        if not q:
            return []
        words = _WORD_RE.findall(q)
        first = q.split()[0]
        if _CODEISH.match(first):
            ids = self._code_range(first)
            rest = _WORD_RE.findall(" ".join(q.split()[1:]))
            if rest:
                keep = set.intersection(*(self._word_ids(w) for w in rest))
                ids = [i for i in ids if i in keep]
            if ids:
                ids = sorted(ids, key=lambda i: self._code_keys_of(i))[:limit]
                return [Icd10Hit(self.codes[i], self.descriptions[i], 100.0) for i in ids]
        if not words:
            return []
        sets = sorted((self._word_ids(w) for w in words), key=len)
        candidates = sets[0].intersection(*sets[1:]) if sets else set()
        if not candidates:
            # No entry has every word: rank the entries with the rarest word instead.
            candidates = sets[0]
        if not candidates:
            return []
        ordered = sorted(candidates)[:MAX_RANKED]  # ids are in short-description order
        choices = {i: self.lower[i] for i in ordered}
        ranked = process.extract(q, choices, scorer=fuzz.WRatio, limit=limit)
        ranked.sort(key=lambda r: (-r[1], len(self.lower[r[2]]), r[2]))
        return [Icd10Hit(self.codes[i], self.descriptions[i], round(s, 1)) for _t, s, i in ranked]

    def _code_keys_of(self, i: int) -> str:
        return self.codes[i].replace(".", "")

    def describe(self, code: str) -> str | None:
        ids = self._code_range(code.strip().lower())
        for i in ids:
            if self.codes[i].replace(".", "").lower() == code.strip().lower().replace(".", ""):
                return self.descriptions[i]
        return None


@functools.cache
def shipped_index() -> Icd10Index:
    """The index over the shipped ICD-10-CM release (built once; about 3 s: a worker)."""
    from billing_tui.domain.codesets import shipped_icd10cm_descriptions

    return Icd10Index(shipped_icd10cm_descriptions())
