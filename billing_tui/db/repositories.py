"""One repository per aggregate. Services reach data only through these.

Repositories hide SQL and sessions; they return ORM objects to the service
that owns the unit of work, and the service turns them into plain DTOs before
anything leaves it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from sqlalchemy import func, insert, select, text, update
from sqlalchemy.orm import Session

from billing_tui.db import models as m
from billing_tui.db.bulk import bulk_insert
from billing_tui.db.chains import audit_hash, ledger_hash
from billing_tui.domain.ledger import Entry, effects, is_adjudication, is_insurance


class _Repo:
    def __init__(self, session: Session) -> None:
        self.s = session


class UserRepository(_Repo):
    def by_username(self, username: str) -> m.User | None:
        return self.s.scalar(select(m.User).where(m.User.username == username))

    def get(self, user_id: int) -> m.User | None:
        return self.s.get(m.User, user_id)

    def add(self, user: m.User) -> m.User:
        self.s.add(user)
        return user

    def all(self) -> Sequence[m.User]:
        return self.s.scalars(select(m.User).order_by(m.User.username)).all()


class PatientRepository(_Repo):
    def get(self, patient_id: int) -> m.Patient | None:
        return self.s.get(m.Patient, patient_id)

    def by_account(self, account_no: str) -> m.Patient | None:
        return self.s.scalar(select(m.Patient).where(m.Patient.account_no == account_no))

    def by_accounts(self, accounts: Iterable[str]) -> dict[str, m.Patient]:
        accounts = list(set(accounts))
        found: dict[str, m.Patient] = {}
        for i in range(0, len(accounts), 500):
            chunk = accounts[i : i + 500]
            for p in self.s.scalars(select(m.Patient).where(m.Patient.account_no.in_(chunk))):
                found[p.account_no] = p
        return found

    def add(self, patient: m.Patient) -> m.Patient:
        self.s.add(patient)
        return patient

    def coverages(self, patient_id: int) -> Sequence[m.Coverage]:
        return self.s.scalars(
            select(m.Coverage).where(m.Coverage.patient_id == patient_id).order_by(m.Coverage.rank)
        ).all()

    def coverage_ranks(self, patient_id: int) -> list[int]:
        """The ranks a patient has coverage at (1 primary...): all posting needs to know
        where a balance moves next, without loading the coverages."""
        cov = m.Coverage.__table__.c
        return list(
            self.s.execute(
                select(cov.rank).where(cov.patient_id == patient_id).order_by(cov.rank)
            ).scalars()
        )

    def add_coverage(self, coverage: m.Coverage) -> m.Coverage:
        self.s.add(coverage)
        return coverage


class PayerRepository(_Repo):
    def get(self, payer_id: int) -> m.Payer | None:
        return self.s.get(m.Payer, payer_id)

    def by_edi_ids(self, ids: Iterable[str]) -> dict[str, m.Payer]:
        ids = list(set(ids))
        return {
            p.edi_payer_id: p
            for p in self.s.scalars(select(m.Payer).where(m.Payer.edi_payer_id.in_(ids)))
        }

    def add(self, payer: m.Payer) -> m.Payer:
        self.s.add(payer)
        return payer

    def practice(self) -> m.Practice | None:
        return self.s.scalar(select(m.Practice).order_by(m.Practice.id).limit(1))

    def provider_by_npi(self, npi: str) -> m.Provider | None:
        return self.s.scalar(select(m.Provider).where(m.Provider.npi == npi))

    def default_provider(self) -> m.Provider | None:
        return self.s.scalar(select(m.Provider).order_by(m.Provider.id).limit(1))

    def add_provider(self, provider: m.Provider) -> m.Provider:
        self.s.add(provider)
        return provider


class ClaimRepository(_Repo):
    def get(self, claim_id: int, *, lock: bool = False) -> m.Claim | None:
        """With lock=True the row is held (FOR UPDATE on PostgreSQL) until commit,
        so postings to one claim queue up while other claims stay free."""
        if not lock:
            return self.s.get(m.Claim, claim_id)
        return self.s.scalar(
            select(m.Claim)
            .where(m.Claim.id == claim_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )

    def by_number(self, claim_number: str) -> m.Claim | None:
        return self.s.scalar(select(m.Claim).where(m.Claim.claim_number == claim_number))

    def existing_numbers(self, numbers: Iterable[str]) -> set[str]:
        numbers = list(set(numbers))
        found: set[str] = set()
        for i in range(0, len(numbers), 500):
            chunk = numbers[i : i + 500]
            found.update(
                self.s.scalars(select(m.Claim.claim_number).where(m.Claim.claim_number.in_(chunk)))
            )
        return found

    def lines(self, claim_id: int) -> Sequence[m.ClaimLine]:
        return self.s.scalars(
            select(m.ClaimLine)
            .where(m.ClaimLine.claim_id == claim_id)
            .order_by(m.ClaimLine.line_no)
        ).all()

    def lines_for_claims(self, claim_ids: Sequence[int]) -> dict[int, list[m.ClaimLine]]:
        """Lines of many claims in one query (account load), in line order."""
        out: dict[int, list[m.ClaimLine]] = {}
        if claim_ids:
            for ln in self.s.scalars(
                select(m.ClaimLine)
                .where(m.ClaimLine.claim_id.in_(claim_ids))
                .order_by(m.ClaimLine.claim_id, m.ClaimLine.line_no)
            ):
                out.setdefault(ln.claim_id, []).append(ln)
        return out

    def line(self, line_id: int) -> m.ClaimLine | None:
        return self.s.get(m.ClaimLine, line_id)

    def for_patient(self, patient_id: int) -> Sequence[m.Claim]:
        return self.s.scalars(
            select(m.Claim)
            .where(m.Claim.patient_id == patient_id)
            .order_by(m.Claim.service_date.desc(), m.Claim.id.desc())
        ).all()

    def add(self, claim: m.Claim, lines: Sequence[m.ClaimLine]) -> m.Claim:
        self.s.add(claim)
        self.s.flush()
        for line in lines:
            line.claim_id = claim.id
            self.s.add(line)
        return claim


def note_adjudication(claim: m.Claim, on: dt.date) -> None:
    """Keep ``claims.adjudicated_on`` the earliest payer adjudication (entry or denial)."""
    if claim.adjudicated_on is None or on < claim.adjudicated_on:
        claim.adjudicated_on = on


def backfill_adjudicated_on(conn) -> None:
    """Set every claim's ``adjudicated_on`` from its ledger and denials in one set-based
    UPDATE (bulk loads write entries without the per-entry upkeep). Migration 0008 runs the
    same statement."""
    day = "date(posted_at)" if conn.dialect.name == "sqlite" else "CAST(posted_at AS DATE)"
    conn.execute(
        text(
            "UPDATE claims SET adjudicated_on = f.first_on FROM ("
            " SELECT claim_id, MIN(d) AS first_on FROM ("
            f"  SELECT claim_id, {day} AS d FROM ledger_entries"
            "   WHERE kind IN ('insurance_payment', 'adjustment')"
            "      OR (kind = 'transfer' AND group_code IS NOT NULL)"
            "  UNION ALL SELECT claim_id, denied_on AS d FROM denials"
            " ) AS firsts GROUP BY claim_id"
            ") AS f WHERE claims.id = f.claim_id"
        )
    )


class LedgerRepository(_Repo):
    """Appends entries to a claim's chain and keeps the cached balances in step."""

    def append(
        self,
        claim: m.Claim,
        line: m.ClaimLine | None,
        entry: Entry,
        *,
        user_id: int,
        now: dt.datetime,
        batch_id: int | None = None,
        posting_id: str | None = None,
        memo: str | None = None,
    ) -> m.LedgerEntry:
        seq = claim.ledger_seq + 1
        row = {
            "claim_id": claim.id,
            "claim_line_id": line.id if line is not None else None,
            "seq": seq,
            "kind": str(entry.kind),
            "responsibility": entry.responsibility,
            "to_responsibility": entry.to_responsibility,
            "amount_cents": entry.amount_cents,
            "group_code": entry.group_code,
            "carc": entry.carc,
            "rarc": entry.rarc,
            "batch_id": batch_id,
            "reverses_id": entry.reverses_id,
            "posted_at": now,
            "posted_by": user_id,
        }
        digest = ledger_hash(claim.ledger_head, row)
        le = m.LedgerEntry(**row, posting_id=posting_id, memo=memo, prev_hash=claim.ledger_head)
        le.hash = digest
        self.s.add(le)
        if is_adjudication(row["kind"], entry.group_code):
            note_adjudication(claim, now.date())
        claim.ledger_seq = seq
        claim.ledger_head = digest
        for resp, delta in effects(entry):
            if is_insurance(resp):
                claim.ins_balance_cents += delta
                if line is not None:
                    line.ins_balance_cents += delta
            else:
                claim.pat_balance_cents += delta
                if line is not None:
                    line.pat_balance_cents += delta
        return le

    def append_many(
        self,
        claim: m.Claim,
        items: Sequence[tuple[m.ClaimLine | None, Entry]],
        *,
        user_id: int,
        now: dt.datetime,
        batch_id: int | None = None,
        posting_id: str | None = None,
        memo: str | None = None,
    ) -> list[int]:
        """``append`` for a whole posting in one multi-row INSERT (same chain and balance
        rules, no ORM objects: posting a 10-line EOB is 30 entries). Returns the new
        entries' ids, in order."""
        rows = []
        for line, entry in items:
            seq = claim.ledger_seq + 1
            row = {
                "claim_id": claim.id,
                "claim_line_id": line.id if line is not None else None,
                "seq": seq,
                "kind": str(entry.kind),
                "responsibility": entry.responsibility,
                "to_responsibility": entry.to_responsibility,
                "amount_cents": entry.amount_cents,
                "group_code": entry.group_code,
                "carc": entry.carc,
                "rarc": entry.rarc,
                "batch_id": batch_id,
                "reverses_id": entry.reverses_id,
                "posted_at": now,
                "posted_by": user_id,
            }
            digest = ledger_hash(claim.ledger_head, row)
            rows.append(
                {
                    **row,
                    "posting_id": posting_id,
                    "memo": memo,
                    "prev_hash": claim.ledger_head,
                    "hash": digest,
                }
            )
            claim.ledger_seq = seq
            claim.ledger_head = digest
            for resp, delta in effects(entry):
                if is_insurance(resp):
                    claim.ins_balance_cents += delta
                    if line is not None:
                        line.ins_balance_cents += delta
                else:
                    claim.pat_balance_cents += delta
                    if line is not None:
                        line.pat_balance_cents += delta
        if not rows:
            return []
        table = m.LedgerEntry.__table__
        ids = list(
            self.s.execute(
                insert(table).returning(table.c.id, sort_by_parameter_order=True), rows
            ).scalars()
        )
        if any(is_adjudication(r["kind"], r["group_code"]) for r in rows):
            note_adjudication(claim, now.date())
        return ids

    def for_claim(self, claim_id: int) -> Sequence[m.LedgerEntry]:
        return self.s.scalars(
            select(m.LedgerEntry)
            .where(m.LedgerEntry.claim_id == claim_id)
            .order_by(m.LedgerEntry.seq)
        ).all()

    def for_claims(self, claim_ids: Sequence[int]) -> dict[int, list[m.LedgerEntry]]:
        """Ledgers of many claims in one query, each in chain order."""
        out: dict[int, list[m.LedgerEntry]] = {}
        if claim_ids:
            for e in self.s.scalars(
                select(m.LedgerEntry)
                .where(m.LedgerEntry.claim_id.in_(claim_ids))
                .order_by(m.LedgerEntry.claim_id, m.LedgerEntry.seq)
            ):
                out.setdefault(e.claim_id, []).append(e)
        return out

    def get(self, entry_id: int) -> m.LedgerEntry | None:
        return self.s.get(m.LedgerEntry, entry_id)

    def is_reversed(self, entry_id: int) -> bool:
        return (
            self.s.scalar(select(func.count()).where(m.LedgerEntry.reverses_id == entry_id)) or 0
        ) > 0


class BatchRepository(_Repo):
    def get(self, batch_id: int, *, lock: bool = False) -> m.PaymentBatch | None:
        if not lock:
            return self.s.get(m.PaymentBatch, batch_id)
        return self.s.scalar(
            select(m.PaymentBatch)
            .where(m.PaymentBatch.id == batch_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )

    def by_trace(self, payer_id: int | None, trace: str) -> m.PaymentBatch | None:
        return self.s.scalar(
            select(m.PaymentBatch).where(
                m.PaymentBatch.payer_id == payer_id, m.PaymentBatch.trace_number == trace
            )
        )

    def add(self, batch: m.PaymentBatch) -> m.PaymentBatch:
        self.s.add(batch)
        return batch


class ActivityRepository(_Repo):
    def add(self, activity: m.Activity) -> m.Activity:
        self.s.add(activity)
        return activity

    def for_patient(self, patient_id: int, limit: int = 200) -> Sequence[m.Activity]:
        return self.s.scalars(
            select(m.Activity)
            .where(m.Activity.patient_id == patient_id)
            .order_by(m.Activity.created_at.desc(), m.Activity.id.desc())
            .limit(limit)
        ).all()


class AuditRepository(_Repo):
    def append_pending(self, events: list[dict], is_sqlite: bool) -> None:
        """Chain and insert queued events. The head row is locked here, at the very end
        of the transaction, so the global lock is held only for a few statements. Core
        statements, not ORM objects: every write in the program pays for this step."""
        self.s.flush()  # every other row first: nothing waits behind the head lock
        head = m.AuditHead.__table__
        seq, prev = self.s.execute(
            select(head.c.seq, head.c.hash).where(head.c.id == 1).with_for_update()
        ).one()
        rows = []
        for ev in events:
            seq += 1
            ev = {**ev, "seq": seq}
            digest = audit_hash(prev, ev)
            rows.append({**ev, "prev_hash": prev, "hash": digest})
            prev = digest
        bulk_insert(self.s, m.AuditEvent.__table__, rows)
        self.s.execute(update(head).where(head.c.id == 1).values(seq=seq, hash=prev))

    def for_entity(self, entity_type: str, entity_id: str) -> Sequence[m.AuditEvent]:
        return self.s.scalars(
            select(m.AuditEvent)
            .where(m.AuditEvent.entity_type == entity_type, m.AuditEvent.entity_id == entity_id)
            .order_by(m.AuditEvent.seq)
        ).all()


class CounterRepository(_Repo):
    def next(self, name: str, start: int = 1) -> int:
        """Increment and return a named counter (ISA13, account numbers...)."""
        row = self.s.scalar(
            select(m.ControlNumber).where(m.ControlNumber.name == name).with_for_update()
        )
        if row is None:
            row = m.ControlNumber(name=name, value=start)
            self.s.add(row)
            self.s.flush()
            return start
        row.value += 1
        return row.value
