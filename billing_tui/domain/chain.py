"""Tamper-evident hash chains: one per claim ledger, one global for the audit log.

Each row stores the previous row's hash and its own hash over ``prev + canonical(fields)``;
changing, inserting or deleting a row breaks every later link. The canonical text must be
identical on SQLite and PostgreSQL, so values are rendered by fixed rules, never ``repr``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping
from decimal import Decimal
from enum import Enum

from billing_tui.domain.money import Money

GENESIS = "0" * 64

_UTC = dt.UTC


def _esc(s: str) -> str:
    # Escaping the separators makes the text injective: no two field maps collide.
    if "\\" in s:
        s = s.replace("\\", "\\\\")
    if "|" in s:
        s = s.replace("|", "\\|")
    if "=" in s:
        s = s.replace("=", "\\=")
    return s


def _datetime(v: dt.datetime) -> str:
    # Aware values are brought to UTC first so a PostgreSQL session time zone cannot
    # change the text; naive values are taken as already UTC (as SQLite returns them).
    if v.tzinfo is not None:
        v = v.astimezone(_UTC).replace(tzinfo=None)
    return v.isoformat(timespec="microseconds")


def _render_other(v: object) -> str:
    """Slow path for subclasses and the few other types a chained row may carry."""
    if isinstance(v, Enum):
        return _render_other(v.value)
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, int):
        return str(int(v))
    if v is None:
        return ""
    if isinstance(v, str):
        return _esc(str(v))
    if isinstance(v, dt.datetime):
        return _datetime(v)
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, Decimal):
        return str(v)
    if isinstance(v, Money):
        return str(v.cents)
    # float and anything else: refuse rather than hash a representation that may drift.
    raise TypeError(f"cannot put a {type(v).__name__} into a hash chain")


_KEY_CACHE: dict[str, str] = {}  # field name -> escaped "name="; a chain has few names


def canonical(fields: Mapping[str, object]) -> str:
    """Deterministic ``key=value|key=value`` text, keys sorted, separators escaped.

    Hot path (millions of calls when the demo data is generated): exact-type checks for
    the common types inline, everything else through ``_render_other``.
    """
    parts: list[str] = []
    append = parts.append
    cache = _KEY_CACHE
    for k in sorted(fields):
        v = fields[k]
        ek = cache.get(k)
        if ek is None:
            ek = _esc(k) + "="
            if len(cache) < 4096:
                cache[k] = ek
        t = type(v)
        if t is str:
            if "\\" in v or "|" in v or "=" in v:  # type: ignore[operator]
                v = _esc(v)  # type: ignore[arg-type]
            append(ek + v)  # type: ignore[operator]
        elif t is int:
            append(ek + str(v))
        elif v is None:
            append(ek)
        elif t is bool:
            append(ek + ("1" if v else "0"))
        elif t is dt.datetime:
            append(ek + _datetime(v))  # type: ignore[arg-type]
        elif t is dt.date:
            append(ek + v.isoformat())  # type: ignore[union-attr]
        else:
            append(ek + _render_other(v))
    return "|".join(parts)


def link_hash(prev_hash: str, fields: Mapping[str, object]) -> str:
    return hashlib.sha256((prev_hash + "\n" + canonical(fields)).encode()).hexdigest()


def verify_chain(
    rows: Iterable[tuple[str, str, Mapping[str, object]]], genesis: str = GENESIS
) -> int | None:
    """Index of the first broken row, or None when the chain is intact.

    ``rows`` are (stored_prev_hash, stored_hash, fields) in chain order. A row is broken
    when its stored prev differs from the previous row's hash (a row was deleted,
    inserted or reordered) or its recomputed hash differs from the stored one (it was
    edited).
    """
    prev = genesis
    for i, (stored_prev, stored_hash, fields) in enumerate(rows):
        if stored_prev != prev or link_hash(stored_prev, fields) != stored_hash:
            return i
        prev = stored_hash
    return None
