"""`billing-tui check`: prove the books are what the ledger says they are.

- every cached line and claim balance equals the sum of its ledger entries;
- each claim's ledger chain links from genesis with consecutive seq numbers,
  every hash recomputes, and the claim's stored head is the last hash;
- every reversal is the exact negation of the entry it points at;
- the audit chain recomputes and ends at the stored head;
- each balanced or closed payment batch: posted payments - PLB = check amount.

Claims are read in id ranges (three indexed range queries per chunk), so
memory stays flat at a million claims.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import func, select

from billing_tui.db import models as m
from billing_tui.db.chains import AUDIT_FIELDS, LEDGER_FIELDS, audit_hash, ledger_hash_values
from billing_tui.db.engine import Database
from billing_tui.domain.chain import GENESIS
from billing_tui.domain.ledger import EntryKind, effect_pairs, is_adjudication, is_insurance

MAX_PROBLEMS = 50
CHUNK = 5_000
REVERSAL = EntryKind.REVERSAL.value
PAYMENT_KINDS = (EntryKind.INSURANCE_PAYMENT.value, EntryKind.PATIENT_PAYMENT.value)


@dataclass
class CheckReport:
    claims_checked: int = 0
    ledger_entries_verified: int = 0
    audit_events_verified: int = 0
    batches_checked: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def problem(self, text: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(text)

    def as_json(self) -> dict:
        return {
            "ok": self.ok,
            "claims_checked": self.claims_checked,
            "ledger_entries_verified": self.ledger_entries_verified,
            "audit_events_verified": self.audit_events_verified,
            "batches_checked": self.batches_checked,
            "problems": list(self.problems),
        }


def run_check(db: Database, *, claim_limit: int | None = None) -> CheckReport:
    """Verify everything; `claim_limit` checks only the first N claims (benchmarks)."""
    report = CheckReport()
    with db.engine.connect() as conn:
        _check_claims(conn, report, claim_limit)
        if claim_limit is None:
            _check_audit(conn, report)
            _check_batches(conn, report)
    return report


def _check_claims(conn, report: CheckReport, claim_limit: int | None) -> None:
    lo = conn.scalar(select(func.min(m.Claim.id)))
    hi = conn.scalar(select(func.max(m.Claim.id)))
    if lo is None:
        return
    le = m.LedgerEntry.__table__.c
    ledger_cols = [le.id, *(le[f] for f in LEDGER_FIELDS), le.prev_hash, le.hash]
    start = lo
    while start <= hi:
        end = start + CHUNK - 1
        claims = conn.execute(
            select(
                m.Claim.id,
                m.Claim.claim_number,
                m.Claim.ins_balance_cents,
                m.Claim.pat_balance_cents,
                m.Claim.ledger_seq,
                m.Claim.ledger_head,
                m.Claim.adjudicated_on,
            )
            .where(m.Claim.id.between(start, end))
            .order_by(m.Claim.id)
        ).all()
        lines_by_claim: dict[int, list] = {}
        for row in conn.execute(
            select(
                m.ClaimLine.id,
                m.ClaimLine.claim_id,
                m.ClaimLine.line_no,
                m.ClaimLine.ins_balance_cents,
                m.ClaimLine.pat_balance_cents,
            ).where(m.ClaimLine.claim_id.between(start, end))
        ):
            lines_by_claim.setdefault(row[1], []).append(row)
        ledger_by_claim: dict[int, list] = {}
        for row in conn.execute(
            select(*ledger_cols)
            .where(le.claim_id.between(start, end))
            .order_by(le.claim_id, le.seq)
        ):
            ledger_by_claim.setdefault(row.claim_id, []).append(row)
        first_denial = dict(
            conn.execute(
                select(m.Denial.claim_id, func.min(m.Denial.denied_on))
                .where(m.Denial.claim_id.between(start, end))
                .group_by(m.Denial.claim_id)
            ).all()
        )
        for claim in claims:
            _check_one_claim(
                claim,
                lines_by_claim.get(claim[0], ()),
                ledger_by_claim.get(claim[0], ()),
                report,
                first_denial.get(claim[0]),
            )
            report.claims_checked += 1
            if claim_limit is not None and report.claims_checked >= claim_limit:
                return
        start = end + 1


def _check_one_claim(  # noqa: C901 - one pass over the chain, each rule a few lines
    claim, lines, entries, report: CheckReport, first_denied_on: dt.date | None = None
) -> None:
    number = claim[1]
    first_on = first_denied_on
    prev = GENESIS
    line_bal = {ln[0]: [0, 0] for ln in lines}
    bal = [0, 0]  # insurance, patient
    amounts: dict[int, int] = {}
    for expected_seq, row in enumerate(entries, start=1):
        (
            entry_id,
            claim_id,
            line_id,
            seq,
            kind,
            resp,
            to_resp,
            amount,
            group,
            carc,
            rarc,
            batch_id,
            reverses_id,
            posted_at,
            posted_by,
            prev_hash,
            stored_hash,
        ) = row
        if seq != expected_seq:
            report.problem(
                f"claim {number}: ledger seq {seq} where {expected_seq} expected "
                "(an entry is missing or was inserted)"
            )
            return
        if prev_hash != prev:
            report.problem(
                f"claim {number}: ledger entry {entry_id} does not link to the entry before it"
            )
            return
        if posted_at.tzinfo is not None:
            posted_at = posted_at.astimezone(dt.UTC).replace(tzinfo=None)
        digest = ledger_hash_values(
            prev,
            claim_id,
            line_id,
            seq,
            kind,
            resp,
            to_resp,
            amount,
            group,
            carc,
            rarc,
            batch_id,
            reverses_id,
            posted_at.isoformat(timespec="microseconds"),
            posted_by,
        )
        if digest != stored_hash:
            report.problem(
                f"claim {number}: ledger entry {entry_id} was altered "
                "(its hash does not match its content)"
            )
            return
        prev = stored_hash
        if is_adjudication(kind, group) and (first_on is None or posted_at.date() < first_on):
            first_on = posted_at.date()
        if kind == REVERSAL and amounts.get(reverses_id) != -amount:
            report.problem(
                f"claim {number}: reversal {entry_id} does not negate entry {reverses_id}"
            )
        amounts[entry_id] = amount
        line = None
        if line_id is not None:
            line = line_bal.get(line_id)
            if line is None:
                report.problem(
                    f"claim {number}: ledger entry {entry_id} names a line of another claim"
                )
                return
        for r, delta in effect_pairs(resp, to_resp, amount):
            slot = 0 if is_insurance(r) else 1
            bal[slot] += delta
            if line is not None:
                line[slot] += delta
        report.ledger_entries_verified += 1
    if claim[4] != len(entries) or claim[5] != prev:
        report.problem(
            f"claim {number}: stored ledger head does not match its last entry "
            "(entries were removed or the head was edited)"
        )
    if claim[2] != bal[0] or claim[3] != bal[1]:
        report.problem(
            f"claim {number}: cached balance insurance {claim[2]} / patient {claim[3]} cents "
            f"but the ledger says {bal[0]} / {bal[1]}"
        )
    if claim[6] != first_on:
        report.problem(
            f"claim {number}: first adjudication stored as {claim[6]} but the ledger and "
            f"denials say {first_on} (the denial-rate report counts it by that date)"
        )
    for ln in lines:
        if line_bal[ln[0]] != [ln[3], ln[4]]:
            report.problem(
                f"claim {number} line {ln[2]}: cached balance {ln[3]} / {ln[4]} cents but the "
                f"ledger says {line_bal[ln[0]][0]} / {line_bal[ln[0]][1]}"
            )


def _check_audit(conn, report: CheckReport) -> None:
    ae = m.AuditEvent.__table__.c
    cols = [ae.id, *(ae[f] for f in AUDIT_FIELDS), ae.prev_hash, ae.hash]
    prev = GENESIS
    expected_seq = 0
    result = conn.execution_options(stream_results=True, yield_per=5000).execute(
        select(*cols).order_by(ae.seq)
    )
    for row in result:
        expected_seq += 1
        if row.seq != expected_seq:
            report.problem(
                f"audit chain: event seq {row.seq} where {expected_seq} expected "
                "(an event is missing)"
            )
            return
        if row.prev_hash != prev or audit_hash(prev, row._mapping) != row.hash:
            report.problem(
                f"audit chain: event {row.seq} ({row.action}) was altered or "
                "does not link to the event before it"
            )
            return
        prev = row.hash
        report.audit_events_verified += 1
    head = conn.execute(select(m.AuditHead.seq, m.AuditHead.hash).where(m.AuditHead.id == 1)).one()
    if head.seq != expected_seq or head.hash != prev:
        report.problem(
            "audit chain: the stored head does not match the last event (events were removed)"
        )


def _check_batches(conn, report: CheckReport) -> None:
    le = m.LedgerEntry.__table__.alias("le")
    orig = m.LedgerEntry.__table__.alias("orig")
    posted = dict(
        conn.execute(
            select(le.c.batch_id, -func.sum(le.c.amount_cents))
            .select_from(le.outerjoin(orig, orig.c.id == le.c.reverses_id))
            .where(
                le.c.batch_id.is_not(None),
                le.c.kind.in_(PAYMENT_KINDS)
                | ((le.c.kind == EntryKind.REVERSAL.value) & orig.c.kind.in_(PAYMENT_KINDS)),
            )
            .group_by(le.c.batch_id)
        ).all()
    )
    plb = dict(
        conn.execute(
            select(
                m.ProviderAdjustment.batch_id, func.sum(m.ProviderAdjustment.amount_cents)
            ).group_by(m.ProviderAdjustment.batch_id)
        ).all()
    )
    for b in conn.execute(
        select(
            m.PaymentBatch.id,
            m.PaymentBatch.trace_number,
            m.PaymentBatch.amount_cents,
            m.PaymentBatch.status,
        )
    ):
        report.batches_checked += 1
        if b.status == "open":
            continue
        net = int(posted.get(b.id) or 0) - int(plb.get(b.id) or 0)
        if net != b.amount_cents:
            report.problem(
                f"payment batch {b.trace_number} is {b.status} but posted payments minus "
                f"provider adjustments are {net} cents against a check of {b.amount_cents}"
            )
