"""Unit of work: owns one session and one transaction; rolls back unless committed.

Services open one with `UnitOfWork(db)` inside a worker thread, use only its
repositories, record audit events with `uow.audit(...)`, and call
`uow.commit()`. Any exception before commit leaves the database as it was.
Database-level surprises are turned into domain errors a rep can read.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from billing_tui.db import repositories as r
from billing_tui.db.engine import Database
from billing_tui.domain.errors import ConflictError, DomainError
from billing_tui.domain.users import Actor

_TABLE_LABELS = {"claims": "This claim", "payment_batches": "This payment batch"}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class UnitOfWork:
    def __init__(self, db: Database, *, write: bool = True) -> None:
        self.db = db
        self.write = write
        self._committed = False
        self._pending_audit: list[dict[str, Any]] = []

    def __enter__(self) -> UnitOfWork:
        self.session: Session = self.db.session_factory()
        if self.write:
            # SQLite: BEGIN IMMEDIATE, so a second writer waits instead of failing mid-way.
            self.session.connection(execution_options=self.db.write_connection_options())
        s = self.session
        self.users = r.UserRepository(s)
        self.patients = r.PatientRepository(s)
        self.payers = r.PayerRepository(s)
        self.claims = r.ClaimRepository(s)
        self.ledger = r.LedgerRepository(s)
        self.batches = r.BatchRepository(s)
        self.activities = r.ActivityRepository(s)
        self.audit_log = r.AuditRepository(s)
        self.counters = r.CounterRepository(s)
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if not self._committed and self.write:
                self.session.rollback()
        finally:
            # A read-only unit just closes: the connection is rolled back on release, and
            # the objects it loaded stay readable (rollback would expire them).
            self.session.close()

    def audit(
        self,
        actor: Actor | None,
        action: str,
        entity_type: str,
        entity_id: object = None,
        *,
        patient_id: int | None = None,
        **detail: Any,
    ) -> None:
        """Queue an audit event; it is chained and written as the last step of commit."""
        self._pending_audit.append(
            {
                "occurred_at": utcnow(),
                "user_id": actor.user_id if actor else None,
                "action": action,
                "entity_type": entity_type,
                "entity_id": None if entity_id is None else str(entity_id),
                "patient_id": patient_id,
                "detail": json.dumps(detail, sort_keys=True, default=str) if detail else "",
            }
        )

    def commit(self) -> None:
        try:
            self.session.flush()
            if self._pending_audit:
                self.audit_log.append_pending(self._pending_audit, self.db.is_sqlite)
                self._pending_audit = []
            self.session.commit()
            self._committed = True
        except StaleDataError as exc:
            self.session.rollback()
            table = next((t for t in _TABLE_LABELS if f"'{t}'" in str(exc)), None)
            raise ConflictError(_TABLE_LABELS.get(table, "This record")) from None
        except IntegrityError as exc:
            self.session.rollback()
            raise DomainError(_integrity_message(exc)) from None
        except OperationalError as exc:
            self.session.rollback()
            if "locked" in str(exc.orig).lower():
                raise DomainError(
                    "the database is busy with another rep's work; try again in a moment"
                ) from None
            raise

    def flush(self) -> None:
        """Flush early (to get ids), mapping a stale version to a conflict error."""
        try:
            self.session.flush()
        except StaleDataError:
            self.session.rollback()
            raise ConflictError("This record") from None


def _integrity_message(exc: IntegrityError) -> str:
    text = str(exc.orig).splitlines()[0] if exc.orig else str(exc)
    if "uq_ledger_claim_seq" in text or "ledger_entries.claim_id, ledger_entries.seq" in text:
        return "this claim was posted to by someone else at the same moment; reload and try again"
    return f"the change was refused by the database: {text}"
