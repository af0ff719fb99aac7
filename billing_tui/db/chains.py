"""Which columns each hash chain covers: one definition for writers and `check`.

Ledger entries are chained per claim (claims.ledger_head holds the head), so
reps posting to different claims never wait on each other. Audit events form
one global chain whose head row is locked only for the final append of a
transaction (see AuditRepository.append_pending).
"""

from __future__ import annotations

from collections.abc import Mapping
from hashlib import sha256

from billing_tui.domain.chain import link_hash

LEDGER_FIELDS = (
    "claim_id",
    "claim_line_id",
    "seq",
    "kind",
    "responsibility",
    "to_responsibility",
    "amount_cents",
    "group_code",
    "carc",
    "rarc",
    "batch_id",
    "reverses_id",
    "posted_at",
    "posted_by",
)

AUDIT_FIELDS = (
    "seq",
    "occurred_at",
    "user_id",
    "action",
    "entity_type",
    "entity_id",
    "patient_id",
    "detail",
)


def ledger_hash(prev_hash: str, row: Mapping[str, object]) -> str:
    return link_hash(prev_hash, {k: row[k] for k in LEDGER_FIELDS})


def _t(v: str) -> str:
    if "\\" in v or "|" in v or "=" in v:
        return v.replace("\\", "\\\\").replace("|", "\\|").replace("=", "\\=")
    return v


def ledger_hash_values(
    prev_hash: str,
    claim_id: int,
    claim_line_id: int | None,
    seq: int,
    kind: str,
    responsibility: int,
    to_responsibility: int | None,
    amount_cents: int,
    group_code: str | None,
    carc: str | None,
    rarc: str | None,
    batch_id: int | None,
    reverses_id: int | None,
    posted_at_iso: str,
    posted_by: int,
) -> str:
    """Same digest as ledger_hash, without building a dict: the bulk demo loader
    hashes millions of rows. `posted_at_iso` is isoformat(timespec="microseconds").
    A property test holds the two equal."""
    # Ints and None inline (no call per field); strings go through _t for escaping.
    text = (
        f"{prev_hash}\namount_cents={amount_cents}"
        f"|batch_id={'' if batch_id is None else batch_id}"
        f"|carc={'' if carc is None else _t(carc)}"
        f"|claim_id={claim_id}"
        f"|claim_line_id={'' if claim_line_id is None else claim_line_id}"
        f"|group_code={'' if group_code is None else _t(group_code)}"
        f"|kind={_t(kind)}|posted_at={posted_at_iso}|posted_by={posted_by}"
        f"|rarc={'' if rarc is None else _t(rarc)}"
        f"|responsibility={responsibility}"
        f"|reverses_id={'' if reverses_id is None else reverses_id}|seq={seq}"
        f"|to_responsibility={'' if to_responsibility is None else to_responsibility}"
    )
    return sha256(text.encode()).hexdigest()


def audit_hash(prev_hash: str, row: Mapping[str, object]) -> str:
    return link_hash(prev_hash, {k: row[k] for k in AUDIT_FIELDS})
