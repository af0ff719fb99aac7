"""Code sets behind small adapters: ICD-10-CM releases picked by date of service.

The scrubber asks one question of a code set: is this diagnosis valid and billable on
this date of service? ``Icd10CodeSet`` answers it from one or more releases, each with
the date it took effect; tests build fakes from a handful of codes.

The real data is the CMS code list shipped inside simple-icd-10-cm (the April 2026
release, in force from 2026-04-01). That package parses its 10 MB XML when imported
(about 2 s); validity only needs the flat code list, so ``shipped_icd10cm`` reads that file
straight from the installed package without importing it. Descriptions (for the
diagnosis picker) do need the package, and are loaded once, in a worker, by
``shipped_icd10cm_descriptions``.

A code is billable when it is a valid code with no longer code under it (a leaf):
E11 is a category header, E11.9 is billable; S93.401 needs its 7th character (S93.401A).
Only one release ships, so every date of service is checked against it; when a newer
release is added to the list, dates on or after its effective date use it.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

_CODE_RE = re.compile(r"^[A-Z][0-9][0-9A-Z]{1,5}$")


def normalise_icd10(code: str) -> str:
    """'e11.9 ' -> 'E119' (the form X12 HI segments and the code list use)."""
    return code.strip().upper().replace(".", "")


def display_icd10(code: str) -> str:
    """'E119' -> 'E11.9' (the form reps read and type)."""
    c = normalise_icd10(code)
    return c if len(c) <= 3 else f"{c[:3]}.{c[3:]}"


@dataclass(frozen=True)
class Icd10Release:
    """One release of ICD-10-CM: every valid code (dotless) and the billable ones."""

    label: str
    effective_from: dt.date
    codes: frozenset[str]
    billable: frozenset[str]

    @classmethod
    def from_codes(cls, label: str, effective_from: dt.date, codes: Iterable[str]) -> Icd10Release:
        """Build from a flat list of codes (headers included); leaves are billable."""
        ordered = sorted({normalise_icd10(c) for c in codes if _CODE_RE.match(normalise_icd10(c))})
        billable = [
            c
            for i, c in enumerate(ordered)
            if i + 1 == len(ordered) or not ordered[i + 1].startswith(c)
        ]
        return cls(label, effective_from, frozenset(ordered), frozenset(billable))


class Icd10CodeSet:
    """Releases by effective date; the one in force on a date of service answers."""

    def __init__(self, releases: Sequence[Icd10Release]) -> None:
        if not releases:
            raise ValueError("an ICD-10-CM code set needs at least one release")
        self.releases = sorted(releases, key=lambda r: r.effective_from)
        self._starts = [r.effective_from for r in self.releases]

    def release_for(self, service_date: dt.date) -> Icd10Release:
        """The latest release in force on the date; dates before the first use the first."""
        i = bisect.bisect_right(self._starts, service_date) - 1
        return self.releases[max(i, 0)]

    def problem(self, code: str, service_date: dt.date) -> str | None:
        """None when the code is valid and billable on the date, else why not (one line)."""
        c = normalise_icd10(code)
        shown = display_icd10(c)
        if not _CODE_RE.match(c):
            return f"{code.strip()!r} is not an ICD-10-CM code"
        release = self.release_for(service_date)
        if c not in release.codes:
            return (
                f"{shown} is not in ICD-10-CM ({release.label}) for a service on "
                f"{service_date.isoformat()}"
            )
        if c not in release.billable:
            longer = sorted(x for x in release.billable if x.startswith(c))[:2]
            example = f" (e.g. {', '.join(display_icd10(x) for x in longer)})" if longer else ""
            return f"{shown} is a header, not billable: use a more specific code{example}"
        return None

    def is_billable(self, code: str, service_date: dt.date) -> bool:
        return self.problem(code, service_date) is None


# --- the shipped release (simple-icd-10-cm) ------------------------------------------

_MONTHS = {
    m: i
    for i, m in enumerate(
        (
            "january", "february", "march", "april", "may", "june", "july",
            "august", "september", "october", "november", "december",
        ),
        start=1,
    )
}  # fmt: skip


def _package_dir() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("simple_icd_10_cm")  # finds it without importing it
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("simple-icd-10-cm is not installed (pip install simple-icd-10-cm)")
    return Path(next(iter(spec.submodule_search_locations)))


def _release_date(name: str) -> tuple[str, dt.date]:
    """'code-list-April-2026.txt' -> ('April 2026', 2026-04-01)."""
    m = re.search(r"([A-Za-z]+)-(\d{4})", name)
    if m and m.group(1).lower() in _MONTHS:
        month = _MONTHS[m.group(1).lower()]
        return f"{m.group(1).capitalize()} {m.group(2)}", dt.date(int(m.group(2)), month, 1)
    return name, dt.date(2000, 1, 1)


@functools.cache
def shipped_icd10cm() -> Icd10CodeSet:
    """The ICD-10-CM release shipped by simple-icd-10-cm (read once per process)."""
    data = _package_dir() / "data"
    lists = sorted(data.glob("code-list-*.txt"))
    if lists:
        label, start = _release_date(lists[-1].name)
        codes = lists[-1].read_text(encoding="utf-8").split()
    else:  # a future layout of the package: ask its API instead (slower import)
        import simple_icd_10_cm as cm

        codes = cm.get_all_codes(False)
        label, start = "simple-icd-10-cm", dt.date(2000, 1, 1)
    return Icd10CodeSet([Icd10Release.from_codes(label, start, codes)])


@functools.cache
def shipped_icd10cm_descriptions() -> tuple[tuple[str, str], ...]:
    """(dotted code, description) for every billable code, in code order. Imports
    simple-icd-10-cm (about 2 s): call it from a worker thread."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # its importlib.resources calls
        import simple_icd_10_cm as cm

    out = []
    for code in sorted(shipped_icd10cm().releases[-1].billable):
        dotted = display_icd10(code)
        try:
            desc = cm.get_description(dotted)
        except ValueError:
            desc = ""
        out.append((dotted, desc))
    return tuple(out)
