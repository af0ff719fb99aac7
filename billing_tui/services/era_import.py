"""Importing 835 ERA files: every claim status posted automatically, exceptions kept for a
rep, nothing posted twice.

One file = one unit of work (all of it or nothing). Each transaction set becomes a
remittance and a payment batch (source "835", amount BPR02); its claims are matched by
CLP01 (our claim number), lines by REF*6R, then code + modifiers + date of service
(a dropped modifier tolerated), then the code as billed in SVC06. CLP02 1/2/3/19/20/21
post as that payer rank through domain/adjudication (payments, CAS adjustments, PR moved
on, denied amounts left open as denials); 4 is a denial; 22 reverses the earlier posting
of that claim (each reversal points at its original, once; a set never reverses its own
postings); 25 records a predetermination.
PLB pairs are provider adjustments on the batch; a WO recoupment takes back a claim's
credit balance when there is one. Whatever cannot be matched or does not balance becomes
an era exception with the reason: nothing is invented to make a claim balance.

It must be fast and small (10,000 claims in a few seconds, well under 200 MB), so it does
not call the one-claim posting service: claims and lines of a set are read in chunks;
entries are computed with domain/adjudication (each distinct line answer once per file:
a payer answers the same fee-schedule line the same way) and chained with db/chains' fast
hash here; rows are written every CHUNK claims (multi-row INSERT on SQLite, COPY on
PostgreSQL), so memory does not grow with the file; balances, statuses, versions and
work-queue fields are updated in bulk at the end of the set. On SQLite the import's
connection runs without mmap and with a small page cache (db/engine.bulk_sqlite_pragmas).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path

from sqlalchemy import insert, select, text, update

from billing_tui.db import models as m
from billing_tui.db.bulk import update_from_arrays
from billing_tui.db.chains import ledger_hash_values
from billing_tui.db.engine import Database, bulk_sqlite_pragmas
from billing_tui.db.uow import UnitOfWork, utcnow
from billing_tui.domain import adjudication as A
from billing_tui.domain import ledger as L
from billing_tui.domain import priority as P
from billing_tui.domain.errors import IllegalTransition, NotFoundError, ValidationError
from billing_tui.domain.money import Money
from billing_tui.domain.users import Actor
from billing_tui.x12.envelope import X12SyntaxError
from billing_tui.x12.remit835 import (
    CasAdjustment,
    ClaimPayment,
    RejectedSet,
    Remittance,
    ServicePayment,
    check_envelope,
    iter_835,
)

CHUNK = 500
SQLITE_VALUES = 400  # bound values per multi-row INSERT on SQLite (its limit is 32,766)
LEDGER_COLS = (
    "claim_id", "claim_line_id", "seq", "kind", "responsibility", "to_responsibility",
    "amount_cents", "group_code", "carc", "rarc", "batch_id", "reverses_id", "posting_id",
    "memo", "posted_at", "posted_by", "prev_hash", "hash",
)  # fmt: skip
DENIAL_COLS = (
    "claim_id", "claim_line_id", "group_code", "carc", "rarc", "amount_cents", "category",
    "status", "denied_on", "due_date", "created_at", "reason_known",
)  # fmt: skip
REMIT_CLAIM_COLS = (
    "id", "remittance_id", "position", "claim_number", "status_code", "billed_cents",
    "paid_cents", "patient_resp_cents", "payer_claim_number", "patient_name", "cas_text",
    "claim_id", "posted", "posting_id", "reversed_by_id", "exception_reason",
)  # fmt: skip
REMIT_LINE_COLS = (
    "remit_claim_id", "position", "procedure_code", "modifiers", "service_date",
    "billed_cents", "allowed_cents", "paid_cents", "cas_text", "remarks", "control_number",
    "claim_line_id", "matched_line_no", "match_method",
)  # fmt: skip
RANK_OF_STATUS = {"1": 1, "19": 1, "2": 2, "20": 2, "3": 3, "21": 3}
INFO_ONLY = "25"  # predetermination: no money moves
REVERSAL = "22"
NOT_SENT = frozenset({"draft", "ready", "void"})  # as eob_posting: nothing to post yet
DENIED = "4"


# --- results ------------------------------------------------------------------------


@dataclass
class FileResult:
    """What happened to one file."""

    file: str
    status: str = "imported"  # imported / duplicate / dry-run
    message: str = ""
    remittance_file_id: int | None = None
    transactions: int = 0
    transactions_rejected: int = 0
    rejected: list[str] = field(default_factory=list)


@dataclass
class ImportReport:
    """Totals over the files of one `import-835` run (the JSON of the command).

    Always: posted_paid_cents + exception_paid_cents == paid_cents (CLP04 of every claim
    of every imported set), and check_amount_cents == paid_cents - plb_cents (a set whose
    BPR02 does not balance that way is rejected, not imported)."""

    files: int = 0
    transactions: int = 0
    transactions_rejected: int = 0
    claims: int = 0
    claims_posted: int = 0
    claims_exceptions: int = 0
    reversals: int = 0
    denials: int = 0
    check_amount_cents: int = 0
    paid_cents: int = 0
    posted_paid_cents: int = 0
    exception_paid_cents: int = 0
    adjustment_cents: int = 0
    plb_cents: int = 0
    duplicates_skipped: int = 0
    validation_warnings: int = 0
    dry_run: bool = False
    results: list[FileResult] = field(default_factory=list)

    JSON_KEYS = (
        "files",
        "transactions",
        "transactions_rejected",
        "claims",
        "claims_posted",
        "claims_exceptions",
        "reversals",
        "denials",
        "check_amount_cents",
        "paid_cents",
        "posted_paid_cents",
        "exception_paid_cents",
        "adjustment_cents",
        "plb_cents",
        "duplicates_skipped",
        "validation_warnings",
    )

    def as_json(self) -> dict:
        return {k: getattr(self, k) for k in self.JSON_KEYS}


# --- entry points -------------------------------------------------------------------


def import_files(
    db: Database,
    actor: Actor,
    paths: Iterable[Path | str],
    *,
    validate: bool = False,
    dry_run: bool = False,
) -> ImportReport:
    """Import several 835 files, each in its own transaction. Every file's envelope is
    checked first: one with no ISA, or the 4010 version, refuses the run before anything
    is posted (ValidationError naming the file and the problem)."""
    files = [Path(p) for p in paths]
    loaded: list[tuple[Path, bytes]] = []
    for p in files:
        if not p.is_file():
            raise ValidationError(f"{p}: no such file")
        data = p.read_bytes()
        problem = envelope_problem(data)
        if problem:
            raise ValidationError(f"{p.name}: {problem}; nothing was posted")
        loaded.append((p, data))
    report = ImportReport(dry_run=dry_run)
    for p, data in loaded:
        import_one(db, actor, p.name, data, report, validate=validate, dry_run=dry_run)
    return report


def envelope_problem(data: bytes) -> str | None:
    """Why the file cannot be read at all (no ISA, 4010, not an 835), else None."""
    try:
        check_envelope(data)
    except X12SyntaxError as exc:
        return str(exc)
    return None


def import_one(
    db: Database,
    actor: Actor,
    name: str,
    data: bytes,
    report: ImportReport,
    *,
    validate: bool = False,
    dry_run: bool = False,
) -> FileResult:
    """Import one file's bytes in one transaction, adding to ``report``."""
    digest = hashlib.sha256(data).hexdigest()
    result = FileResult(file=name)
    report.results.append(result)
    report.files += 1
    warnings: list[str] = []
    if validate:
        from billing_tui.x12.validate835 import validate_835

        warnings = validate_835(data)
    try:
        sets = list(iter_835(data))  # read before taking the write lock
    except X12SyntaxError as exc:
        raise ValidationError(f"{name}: {exc}; nothing was posted") from None
    now = utcnow()
    with UnitOfWork(db) as uow, bulk_sqlite_pragmas(uow.session.connection()):
        s = uow.session
        seen = s.scalar(select(m.RemittanceFile.id).where(m.RemittanceFile.sha256 == digest))
        if seen is not None:
            return _duplicate(report, result, f"{name} was imported before (same content)")
        payers = _payers(s)
        dup = _already_posted(s, sets, payers)
        if dup:
            return _duplicate(report, result, f"{name}: {dup}; the whole file was skipped")
        rfile = m.RemittanceFile(
            file_name=name[:255],
            sha256=digest,
            isa_control_number=next((x.isa_control_number[:9] for x in sets), None) or None,
            gs_control_number=next((x.gs_control_number[:9] for x in sets), None) or None,
            status="imported",
            imported_at=now,
            imported_by=actor.user_id,
        )
        s.add(rfile)
        uow.flush()
        result.remittance_file_id = rfile.id
        poster = _Poster(uow, actor, now, payers, report)
        traces: set[tuple[str, str]] = set()
        for item in sets:
            if isinstance(item, Remittance):
                key = (item.payer_identifier, item.trace_number)
                problem = _set_problem(item)
                if problem is None and key in traces:
                    problem = f"trace {item.trace_number} appears twice in the file"
                if problem is None:
                    traces.add(key)
                    poster.post_set(rfile.id, item)
                    result.transactions += 1
                    report.transactions += 1
                    continue
                item = RejectedSet(
                    item.isa_control_number,
                    item.gs_control_number,
                    item.st_control_number,
                    item.first_segment,
                    problem,
                )
            _record_rejected(s, rfile.id, item, now)
            result.transactions_rejected += 1
            result.rejected.append(f"set {item.st_control_number}: {item.error}")
            report.transactions_rejected += 1
        if result.transactions == 0:
            rfile.status = "rejected"
        elif result.transactions_rejected:
            rfile.status = "partial"
        if warnings:
            s.execute(
                insert(m.EraWarning),
                [{"remittance_file_id": rfile.id, "message": w[:400]} for w in warnings],
            )
        report.validation_warnings += len(warnings)
        uow.audit(
            actor, "era_file_imported", "remittance_file", rfile.id, file=name[:120],
            sets=result.transactions, rejected=result.transactions_rejected,
            warnings=len(warnings), dry_run=dry_run,
        )  # fmt: skip
        if dry_run:
            # All the work but COMMIT (audit chained too), then rolled back on exit.
            s.flush()
            uow.audit_log.append_pending(uow._pending_audit, db.is_sqlite)
            result.status = "dry-run"
            return result
        uow.commit()
    return result


def resolve_exception(db: Database, actor: Actor, exception_id: int, note: str) -> None:
    """Mark an era exception worked (the rep posted it by hand, or it needs nothing)."""
    note = (note or "").strip()
    if not note:
        raise ValidationError("say how the exception was worked", field="note")
    with UnitOfWork(db) as uow:
        ex = uow.session.get(m.EraException, exception_id)
        if ex is None:
            raise NotFoundError(f"era exception {exception_id} does not exist")
        if ex.status != "open":
            raise ValidationError(f"era exception {exception_id} is already resolved")
        ex.status = "resolved"
        ex.resolved_by = actor.user_id
        ex.resolved_at = utcnow()
        ex.resolution_note = note[:400]
        uow.audit(
            actor, "era_exception_resolved", "era_exception", ex.id,
            claim=ex.claim_number, note=note[:200],
        )  # fmt: skip
        uow.commit()


# --- helpers --------------------------------------------------------------------------


def _duplicate(report: ImportReport, result: FileResult, message: str) -> FileResult:
    result.status = "duplicate"
    result.message = message
    report.duplicates_skipped += 1
    return result


def _set_problem(rem: Remittance) -> str | None:
    """Why a readable set still cannot be imported: its check does not balance."""
    expected = rem.paid_cents - rem.plb_cents
    if rem.check_amount_cents != expected:
        return (
            f"BPR02 {Money(rem.check_amount_cents)} does not equal the claim payments "
            f"{Money(rem.paid_cents)} minus provider adjustments {Money(rem.plb_cents)} "
            f"(= {Money(expected)}): the remittance does not balance"
        )
    if not rem.trace_number:
        return "the remittance has no TRN trace number"
    return None


def _payers(s) -> dict[str, tuple[int, str, int, int | None]]:
    """EDI payer id -> (payer id, name, appeal window days, timely filing days or None)."""
    out = {}
    for pid, edi, name, appeal, filing, ptype in s.execute(
        select(
            m.Payer.id,
            m.Payer.edi_payer_id,
            m.Payer.name,
            m.Payer.appeal_window_days,
            m.Payer.timely_filing_days,
            m.Payer.payer_type,
        )
    ):
        out[edi] = (pid, name, appeal, None if ptype == "self_pay" else filing)
    return out


def _match_payer(rem: Remittance, payers) -> tuple[int, str, int, int | None] | None:
    for ident in (rem.payer_ref_2u, rem.payer_id, rem.trace_originator):
        if ident and ident in payers:
            return payers[ident]
    return None


def _already_posted(s, sets, payers) -> str | None:
    """The reason the file is a duplicate: one of its (payer, trace) pairs was posted."""
    for rem in sets:
        if not isinstance(rem, Remittance) or not rem.trace_number:
            continue
        hit = s.scalar(
            select(m.Remittance.id).where(
                m.Remittance.payer_identifier == rem.payer_identifier[:50],
                m.Remittance.trace_number == rem.trace_number[:50],
                m.Remittance.status != "rejected",
            )
        )
        if hit is not None:
            return (
                f"trace {rem.trace_number} from payer {rem.payer_identifier} was already "
                f"posted (remittance {hit})"
            )
        payer = _match_payer(rem, payers)
        if payer is not None:
            batch = s.scalar(
                select(m.PaymentBatch.id).where(
                    m.PaymentBatch.payer_id == payer[0],
                    m.PaymentBatch.trace_number == rem.trace_number[:50],
                )
            )
            if batch is not None:
                return f"trace {rem.trace_number} from {payer[1]} is already payment batch #{batch}"
    return None


def _record_rejected(s, file_id: int, item: RejectedSet, now: dt.datetime) -> None:
    s.execute(
        insert(m.Remittance),
        [
            {
                "remittance_file_id": file_id,
                "st_control_number": item.st_control_number[:9],
                "status": "rejected",
                "error": item.error[:400],
                "check_amount_cents": 0,
                "paid_cents": 0,
                "plb_cents": 0,
                "claim_count": 0,
                "claims_posted": 0,
                "claims_exceptions": 0,
                "imported_at": now,
            }
        ],
    )


def cas_text(adjustments: Iterable[CasAdjustment]) -> str:
    """ "CO-45 80.00; PR-2 24.00" for the drill-down."""
    return "; ".join(f"{a.group_code}-{a.carc} {_dollars(a.amount_cents)}" for a in adjustments)


def _dollars(cents: int) -> str:
    """Money(cents).format() without building a Money (hot: every CAS of a file)."""
    sign = "-" if cents < 0 else ""
    d, c = divmod(abs(cents), 100)
    return f"{sign}{d:,}.{c:02d}"


class _ClaimState:
    """A claim as the import sees it while posting a set (kept in step in memory)."""

    __slots__ = (
        "id", "number", "patient_id", "payer_id", "status", "resp", "ins", "pat", "seq",
        "head", "service_date", "payer_claim_number", "rebill", "adjudicated_on", "lines",
        "touched", "appeal_due", "orig_status",
    )  # fmt: skip

    def __init__(self, row) -> None:
        (
            self.id,
            self.number,
            self.patient_id,
            self.payer_id,
            self.status,
            self.resp,
            self.ins,
            self.pat,
            self.seq,
            self.head,
            self.service_date,
            self.payer_claim_number,
            self.rebill,
            self.adjudicated_on,
        ) = row
        self.orig_status = self.status
        self.lines: list[_LineState] = []
        self.touched = False
        self.appeal_due: dt.date | None = None


class _LineState:
    __slots__ = ("id", "line_no", "service_date", "code", "mods", "lcn", "ins", "pat", "touched")

    def __init__(self, line_id, line_no, service_date, code, mods, lcn, ins, pat) -> None:
        self.id, self.line_no, self.service_date, self.code = line_id, line_no, service_date, code
        self.mods: frozenset[str] = mods
        self.lcn, self.ins, self.pat = lcn, ins, pat
        self.touched = False


@dataclass
class _Outcome:
    """What posting one CLP produced (rows to write), or why it is an exception."""

    exception: str | None = None
    matches: list[tuple[_LineState | None, str | None]] = field(default_factory=list)


class _Poster:
    """Posts the transaction sets of one file inside the file's unit of work."""

    def __init__(self, uow: UnitOfWork, actor: Actor, now: dt.datetime, payers, report) -> None:
        self.uow = uow
        self.s = uow.session
        self.actor = actor
        self.now = now
        self.now_iso = now.isoformat(timespec="microseconds")
        self.today = now.date()
        self.payers = payers
        self.payers_by_id = {v[0]: v for v in payers.values()}
        self.report: ImportReport = report
        self.is_pg = not uow.db.is_sqlite
        # Rows go straight to the driver (executemany / COPY): SQLAlchemy's per-row
        # parameter processing would cost more than the inserts themselves.
        # Reads go through the Core connection (the ORM's row machinery is not needed).
        self.conn = self.s.connection()
        self.raw = self.conn.connection.driver_connection
        self.now_db = now if self.is_pg else now.isoformat(" ", "microseconds")
        self.today_db = self._day(self.today)
        self.user_id = actor.user_id
        self.remittance_id: int | None = None
        self.reversed_originals: set[int] = set()  # remit claims reversed by this file
        self.reversed_entries: set[int] = set()  # ledger entries reversed by this file
        # Per file: the same payer answers the same fee-schedule lines the same way, so
        # adjudicate_line's answers and the CAS texts are worked out once per distinct input.
        self.adjudicated: dict[tuple, _Adjudicated] = {}
        self.cas_texts: dict[tuple[CasAdjustment, ...], str] = {}
        # Posting ids: one random prefix per file and a counter, so a file's postings sit
        # together in the posting index instead of landing on a random page each.
        self.posting_prefix = uuid.uuid4().hex[:20]
        self.postings = 0

    def _posting_id(self) -> str:
        self.postings += 1
        return f"{self.posting_prefix}{self.postings:012x}"

    def _cas_text(self, adjustments: list[CasAdjustment]) -> str:
        if not adjustments:
            return ""
        key = tuple(adjustments)
        text = self.cas_texts.get(key)
        if text is None:
            text = self.cas_texts[key] = cas_text(key)
        return text

    def _day(self, d: dt.date):
        return d if self.is_pg else d.isoformat()

    def _bool(self, b: bool):
        return b if self.is_pg else int(b)

    def _insert(self, table: str, cols: tuple[str, ...], rows: list[tuple]) -> None:
        if not rows:
            return
        names = ", ".join(cols)
        if self.is_pg:
            with self.raw.cursor() as cur, cur.copy(f"COPY {table} ({names}) FROM STDIN") as cp:
                for row in rows:
                    cp.write_row(row)
        else:
            # Several rows per INSERT: a tenth less time than one statement per row.
            one = "(" + ", ".join("?" * len(cols)) + ")"
            per = max(1, SQLITE_VALUES // len(cols))
            whole = len(rows) - len(rows) % per
            sql = f"INSERT INTO {table} ({names}) VALUES "
            if whole:
                self.raw.executemany(
                    sql + ", ".join([one] * per),
                    [tuple(chain.from_iterable(rows[i : i + per])) for i in range(0, whole, per)],
                )
            if whole < len(rows):
                self.raw.executemany(sql + one, rows[whole:])

    def _update(
        self,
        table: str,
        cols: tuple[tuple[str, str], ...],
        rows: list[tuple],
        *,
        bump_version: bool = False,
    ) -> None:
        """Set ``cols`` (name, PostgreSQL type) of many rows by id (the last item of each
        row): executemany on SQLite; one set-based UPDATE over unnest()ed arrays on
        PostgreSQL (thousands of single-row updates would each cost a round trip)."""
        if not rows:
            return
        if self.is_pg:
            also = ", version = t.version + 1" if bump_version else ""
            update_from_arrays(self.raw, table, cols, rows, also=also)
        else:
            version = ", version = version + 1" if bump_version else ""
            sets = ", ".join(f"{c} = ?" for c, _t in cols)
            self.raw.executemany(f"UPDATE {table} SET {sets}{version} WHERE id = ?", rows)

    def _next_ids(self, table: str, n: int) -> list[int]:
        """Ids for rows inserted in bulk (children point at them). SQLite: this writer
        holds the database lock (BEGIN IMMEDIATE); PostgreSQL: the table's sequence."""
        if n == 0:
            return []
        if self.is_pg:
            return list(
                self.s.scalars(
                    text(
                        f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) "
                        "FROM generate_series(1, :n)"
                    ),
                    {"n": n},
                )
            )
        top = self.s.scalar(text(f"SELECT COALESCE(MAX(id), 0) FROM {table}"))
        return list(range(top + 1, top + n + 1))

    # -- loading ---------------------------------------------------------------------

    def _load_claims(self, numbers: set[str]) -> dict[str, _ClaimState]:
        c = m.Claim
        cols = (
            c.id, c.claim_number, c.patient_id, c.payer_id, c.status, c.responsibility,
            c.ins_balance_cents, c.pat_balance_cents, c.ledger_seq, c.ledger_head,
            c.service_date, c.payer_claim_number, c.rebill, c.adjudicated_on,
        )  # fmt: skip
        out: dict[str, _ClaimState] = {}
        ordered = sorted(numbers)
        for i in range(0, len(ordered), CHUNK):
            q = select(*cols).where(c.claim_number.in_(ordered[i : i + CHUNK])).order_by(c.id)
            if self.is_pg:
                q = q.with_for_update()  # a rep posting one of these waits for us
            for row in self.conn.execute(q):
                out[row[1]] = _ClaimState(row)
        by_id = {st.id: st for st in out.values()}
        ids = sorted(by_id)
        ln = m.ClaimLine
        modifier_sets: dict[tuple, frozenset[str]] = {}  # few distinct ones: build each once
        for i in range(0, len(ids), CHUNK):
            for lid, cid, no, dos, code, m1, m2, m3, m4, lcn, ins, pat in self.conn.execute(
                select(
                    ln.id, ln.claim_id, ln.line_no, ln.service_date, ln.procedure_code,
                    ln.modifier1, ln.modifier2, ln.modifier3, ln.modifier4,
                    ln.line_control_number, ln.ins_balance_cents, ln.pat_balance_cents,
                )
                .where(ln.claim_id.in_(ids[i : i + CHUNK]), ln.removed.is_(False))
                .order_by(ln.claim_id, ln.line_no)
            ):  # fmt: skip
                key = (m1, m2, m3, m4)
                mods = modifier_sets.get(key)
                if mods is None:
                    mods = modifier_sets[key] = frozenset(x for x in key if x)
                by_id[cid].lines.append(_LineState(lid, no, dos, code, mods, lcn, ins, pat))
        return out

    def _ranks(self, patient_ids: set[int]) -> dict[int, list[int]]:
        out: dict[int, list[int]] = {}
        ordered = sorted(patient_ids)
        for i in range(0, len(ordered), CHUNK):
            for pid, rank in self.conn.execute(
                select(m.Coverage.patient_id, m.Coverage.rank).where(
                    m.Coverage.patient_id.in_(ordered[i : i + CHUNK])
                )
            ):
                out.setdefault(pid, []).append(rank)
        return out

    def _open_denial_dues(self, states: Iterable[_ClaimState]) -> None:
        """Earliest open-denial appeal date per claim (the work-queue deadline needs it)."""
        ids = sorted(st.id for st in states if st.touched)
        by_id = {st.id: st for st in states}
        for i in range(0, len(ids), CHUNK):
            for cid, due, denied_on in self.conn.execute(
                select(m.Denial.claim_id, m.Denial.due_date, m.Denial.denied_on).where(
                    m.Denial.claim_id.in_(ids[i : i + CHUNK]), m.Denial.status == "open"
                )
            ):
                st = by_id[cid]
                payer = self.payers_by_id.get(st.payer_id)
                d = due or denied_on + dt.timedelta(days=payer[2] if payer else 0)
                if st.appeal_due is None or d < st.appeal_due:
                    st.appeal_due = d

    # -- one set -----------------------------------------------------------------------

    def post_set(self, file_id: int, rem: Remittance) -> None:  # noqa: C901
        s, now = self.s, self.now
        payer = _match_payer(rem, self.payers)
        batch = m.PaymentBatch(
            payer_id=payer[0] if payer else None,
            patient_id=None,
            method="check" if rem.payment_method == "CHK" else "eft",
            trace_number=rem.trace_number[:50],
            amount_cents=rem.check_amount_cents,
            deposit_date=rem.payment_date or self.today,
            status="open",
            source="835",
            remittance_file_id=file_id,
            opened_by=self.actor.user_id,
            opened_at=now,
        )
        s.add(batch)
        remittance = m.Remittance(
            remittance_file_id=file_id,
            st_control_number=rem.st_control_number[:9],
            status="posted",
            error=("; ".join(rem.notes))[:400] or None,
            payer_id=payer[0] if payer else None,
            payer_name=(rem.payer_name or (payer[1] if payer else ""))[:120] or None,
            payer_identifier=rem.payer_identifier[:50] or None,
            trace_number=rem.trace_number[:50],
            handling_code=rem.handling_code[:2] or None,
            payment_method=rem.payment_method[:3] or None,
            payment_date=rem.payment_date,
            check_amount_cents=rem.check_amount_cents,
            paid_cents=rem.paid_cents,
            plb_cents=rem.plb_cents,
            claim_count=len(rem.claims),
            claims_posted=0,
            claims_exceptions=0,
            imported_at=now,
        )
        s.add(remittance)
        self.uow.flush()
        remittance.batch_id = batch.id
        self.batch_id = batch.id
        numbers = {c.claim_number for c in rem.claims}
        wo_refs = {
            p.reference for p in rem.provider_adjustments if p.reason_code == "WO" and p.reference
        }
        claims = self._load_claims(numbers | wo_refs)
        ranks = self._ranks({st.patient_id for st in claims.values()})
        self.remittance_id = remittance.id
        self._new_rows()
        ids = self._next_ids("remit_claims", len(rem.claims))
        posted = excepted = 0
        posted_paid = 0
        for pos, cp in enumerate(rem.claims, start=1):
            st = claims.get(cp.claim_number)
            outcome, posting_id, original = self._post_claim(cp, st, ranks)
            rc_id = ids[pos - 1]
            self.remit_claim_rows.append(
                (
                    rc_id, remittance.id, pos, cp.claim_number[:38], cp.status_code[:2],
                    cp.billed_cents, cp.paid_cents, cp.patient_resp_cents,
                    cp.payer_claim_number[:50] or None, cp.patient_name[:120] or None,
                    self._cas_text(cp.adjustments)[:400], st.id if st else None,
                    self._bool(outcome.exception is None), posting_id, None,
                    outcome.exception[:400] if outcome.exception else None,
                )
            )  # fmt: skip
            self._line_rows(rc_id, cp, outcome)
            if outcome.exception is None:
                posted += 1
                posted_paid += cp.paid_cents
                if original is not None:
                    self.reversal_links.append((rc_id, original))
                    self.report.reversals += 1
            else:
                excepted += 1
                self.exceptions.append(
                    {
                        "remittance_id": remittance.id,
                        "remit_claim_id": rc_id,
                        "claim_id": st.id if st else None,
                        "claim_number": cp.claim_number[:50],
                        "reason": outcome.exception[:400],
                        "paid_cents": cp.paid_cents,
                        "status": "open",
                        "created_at": now,
                    }
                )
            if pos % CHUNK == 0:
                self._write_rows()  # a few hundred claims' rows at a time: memory stays flat
        plb_rows, plb_exceptions = self._provider_adjustments(rem, claims, ranks)
        for row in plb_exceptions:
            row["remittance_id"] = remittance.id
        self.exceptions += plb_exceptions
        self._write_rows()
        if plb_rows:
            s.execute(insert(m.ProviderAdjustment.__table__), plb_rows)
        self._write_balances(claims.values())
        remittance.claims_posted = posted
        remittance.claims_exceptions = excepted + len(plb_exceptions)
        if remittance.claims_exceptions:
            remittance.status = "exceptions"
        elif posted_paid - rem.plb_cents == rem.check_amount_cents:
            batch.status = "balanced"  # every payment posted: it balances to BPR02
        r = self.report
        r.claims += len(rem.claims)
        r.claims_posted += posted
        r.claims_exceptions += excepted
        r.denials += self.n_denials
        r.check_amount_cents += rem.check_amount_cents
        r.paid_cents += rem.paid_cents
        r.posted_paid_cents += posted_paid
        r.exception_paid_cents += rem.paid_cents - posted_paid
        r.plb_cents += rem.plb_cents
        self.uow.audit(
            self.actor, "era_posted", "remittance", remittance.id,
            trace=rem.trace_number, payer=remittance.payer_name, batch=batch.id,
            claims=len(rem.claims), posted=posted, exceptions=remittance.claims_exceptions,
            paid=rem.paid_cents, check=rem.check_amount_cents, plb=rem.plb_cents,
            entries=self.n_entries, denials=self.n_denials,
        )  # fmt: skip

    def _new_rows(self) -> None:
        """Start a set: no rows waiting, nothing counted."""
        self.remit_claim_rows: list[tuple] = []
        self.remit_line_rows: list[tuple] = []
        self.exceptions: list[dict] = []
        self.reversal_links: list[tuple[int, int]] = []  # (remit claim id, original's id)
        self.ledger_rows: list[tuple] = []
        self.denial_rows: list[tuple] = []
        self.n_entries = self.n_denials = 0

    def _write_rows(self) -> None:
        """Write the rows waiting (remittance claims and lines, exceptions, reversal links,
        ledger, denials: parents first) and forget them."""
        self._insert("remit_claims", REMIT_CLAIM_COLS, self.remit_claim_rows)
        self._insert("remit_lines", REMIT_LINE_COLS, self.remit_line_rows)
        if self.exceptions:
            self.s.execute(insert(m.EraException.__table__), self.exceptions)
        for rc_id, original in self.reversal_links:
            self.s.execute(
                update(m.RemitClaim.__table__)
                .where(m.RemitClaim.id == original)
                .values(reversed_by_id=rc_id)
            )
        self._insert("ledger_entries", LEDGER_COLS, self.ledger_rows)
        self._insert("denials", DENIAL_COLS, self.denial_rows)
        n_entries = self.n_entries + len(self.ledger_rows)
        n_denials = self.n_denials + len(self.denial_rows)
        self._new_rows()
        self.n_entries, self.n_denials = n_entries, n_denials

    # -- one claim ---------------------------------------------------------------------

    def _post_claim(
        self, cp: ClaimPayment, st: _ClaimState | None, ranks
    ) -> tuple[_Outcome, str | None, int | None]:
        """Post one CLP (or say why not): (outcome, posting id, reversed remit claim id)."""
        if cp.problems:
            return _Outcome("; ".join(cp.problems)), None, None
        if cp.status_code == INFO_ONLY:
            if cp.paid_cents:
                return _Outcome("a predetermination (CLP02 25) that carries a payment"), None, None
            return _Outcome(), None, None
        if st is None:
            return _Outcome(f"claim {cp.claim_number} is not in this practice's claims"), None, None
        if st.status in NOT_SENT:
            label = st.status.replace("_", " ")
            return (
                _Outcome(
                    f"claim {cp.claim_number} is {label}: it was never sent to the payer, so "
                    "there is nothing to post"
                ),
                None,
                None,
            )
        if cp.status_code == REVERSAL:
            return self._reverse(cp, st)
        rank = RANK_OF_STATUS.get(cp.status_code)
        if cp.status_code == DENIED:
            rank = st.resp
        if rank is None:
            return (
                _Outcome(f"CLP02 {cp.status_code} is not a status that posts automatically"),
                None,
                None,
            )
        if st.resp != rank:
            who = "the patient" if st.resp == 0 else f"payer rank {st.resp}"
            return (
                _Outcome(f"the claim is billed to {who} now; the 835 answers as rank {rank}"),
                None,
                None,
            )
        if cp.billed_cents != cp.paid_cents + cp.all_adjustments_cents:
            return (
                _Outcome(
                    f"the claim does not balance: billed {Money(cp.billed_cents)} but paid "
                    f"{Money(cp.paid_cents)} + adjustments {Money(cp.all_adjustments_cents)} "
                    f"= {Money(cp.paid_cents + cp.all_adjustments_cents)}"
                ),
                None,
                None,
            )
        services = cp.services
        if not services or cp.adjustments:
            if len(services) > 1 or (not services and len(st.lines) != 1):
                why = "claim-level adjustments" if services else "no service lines"
                return (
                    _Outcome(
                        f"the 835 has {why} and the claim has {len(st.lines)} lines: "
                        "post it by hand"
                    ),
                    None,
                    None,
                )
            # One line either way: the claim-level answer is that line's answer.
            one = services[0] if services else None
            services = [
                ServicePayment(
                    segment_no=cp.segment_no,
                    qualifier="HC",
                    procedure_code=one.procedure_code if one else st.lines[0].code,
                    modifiers=one.modifiers if one else tuple(sorted(st.lines[0].mods)),
                    billed_cents=cp.billed_cents,
                    paid_cents=cp.paid_cents,
                    service_date=one.service_date if one else None,
                    control_number=one.control_number if one else None,
                    allowed_cents=one.allowed_cents if one else None,
                    original_code=one.original_code if one else None,
                    original_modifiers=one.original_modifiers if one else (),
                    adjustments=[*cp.adjustments, *(one.adjustments if one else ())],
                    remarks=list(one.remarks) if one else [],
                )
            ]
        elif sum(sv.paid_cents for sv in services) != cp.paid_cents:
            return (
                _Outcome(
                    f"the lines pay {Money(sum(sv.paid_cents for sv in services))} but the "
                    f"claim pays {Money(cp.paid_cents)}"
                ),
                None,
                None,
            )
        outcome = _Outcome()
        used: set[int] = set()
        for sv in services:
            line, method = _match_line(sv, st.lines, used, single=not cp.services)
            outcome.matches.append((line, method))
            if line is not None:
                used.add(line.id)
        missing = [
            f"{sv.procedure_code or '?'} {sv.service_date or ''}".strip()
            for sv, (ln, _m) in zip(services, outcome.matches, strict=True)
            if ln is None
        ]
        if missing:
            outcome.exception = "no line of the claim matches " + ", ".join(missing)
            return outcome, None, None
        next_resp = L.responsibility_after_transfer_target(ranks.get(st.patient_id, []), rank)
        denied = cp.status_code == DENIED
        results: list[_Adjudicated] = []
        for sv, (line, _m) in zip(services, outcome.matches, strict=True):
            assert line is not None
            key = (
                line.ins, sv.paid_cents, tuple(sv.adjustments), sv.allowed_cents,
                tuple(sv.remarks), rank, next_resp, denied,
            )  # fmt: skip
            res = self.adjudicated.get(key)
            if res is None:
                adj = A.LineAdjudication(
                    open_cents=line.ins,
                    paid_cents=sv.paid_cents,
                    cas=tuple(A.Cas(a.group_code, a.carc, a.amount_cents) for a in sv.adjustments),
                    allowed_cents=sv.allowed_cents,
                    remarks=tuple(sv.remarks),
                )
                try:
                    answer = A.adjudicate_line(adj, rank, next_resp, claim_denied=denied)
                except ValidationError as exc:
                    res = _Adjudicated(None, str(exc), next_resp)
                else:
                    res = _Adjudicated(answer, None, next_resp)
                self.adjudicated[key] = res
            if res.error is not None:
                outcome.exception = f"line {line.line_no}: {res.error}"
                return outcome, None, None
            results.append(res)
        any_denied = any(r.outcome.denied for r in results)
        moved = L.is_insurance(next_resp) and any(r.moves for r in results)
        ins_after = st.ins + sum(r.ins for r in results)
        pat_after = st.pat + sum(r.pat for r in results)
        target = A.status_after_posting(
            st.status,
            ins_balance_cents=ins_after,
            pat_balance_cents=pat_after,
            any_paid=cp.paid_cents > 0,
            any_denied=any_denied,
            moved_to_next_payer=moved,
        )
        try:
            _legal_path(st.status, target)
        except IllegalTransition as exc:
            outcome.exception = str(exc)
            return outcome, None, None
        posting_id = self._posting_id()
        for (line, _m), res in zip(outcome.matches, results, strict=True):
            assert line is not None
            for row in res.rows:
                self._append_row(st, line, row, posting_id)
            for cas in res.outcome.denied:
                self._denial(st, line, cas)
        st.status = target
        if not moved and st.rebill and rank > L.PRIMARY:
            st.rebill = False  # the payer it was billed on to has answered
        if moved:
            st.rebill = True
            # The next payer is billed now when nothing is left with this one (a denied
            # amount or a line the 835 did not answer keeps it here).
            left = sum(r.outcome.denied_cents for r in results) + sum(
                ln.ins for ln in st.lines if ln.id not in used
            )
            if left == 0:
                st.resp = next_resp
        if not st.payer_claim_number and cp.payer_claim_number:
            st.payer_claim_number = cp.payer_claim_number[:50]
        st.touched = True
        return outcome, posting_id, None

    def _reverse(
        self, cp: ClaimPayment, st: _ClaimState
    ) -> tuple[_Outcome, str | None, int | None]:
        """CLP02 22: reverse every entry of the earlier posting of this claim by this
        payer (found by claim and payer claim number, the amounts must agree)."""
        rc = m.RemitClaim
        q = (
            select(rc.id, rc.posting_id, rc.status_code)
            .where(
                rc.claim_id == st.id,
                rc.posted.is_(True),
                rc.reversed_by_id.is_(None),
                rc.posting_id.is_not(None),
                rc.status_code.not_in((REVERSAL, INFO_ONLY)),
                rc.paid_cents == -cp.paid_cents,
            )
            .order_by(rc.id.desc())
        )
        if cp.payer_claim_number:
            q = q.where(rc.payer_claim_number == cp.payer_claim_number[:50])
        # A set never reverses its own postings, and each posting is reversed once: the
        # set's rows are written a chunk at a time, so both are kept here, not read back.
        q = q.where(rc.remittance_id != self.remittance_id)
        found = next((r for r in self.s.execute(q) if r[0] not in self.reversed_originals), None)
        if found is None:
            return (
                _Outcome(
                    f"a reversal (CLP02 22) of {Money(-cp.paid_cents)} whose original posting "
                    f"(payer claim {cp.payer_claim_number or '?'}) cannot be found"
                ),
                None,
                None,
            )
        original_id, original_posting, original_status = found
        le = m.LedgerEntry
        reversed_ids = self.reversed_entries.union(
            self.s.scalars(
                select(le.reverses_id).where(le.claim_id == st.id, le.reverses_id.is_not(None))
            )
        )
        rows = self.s.execute(
            select(
                le.id, le.claim_line_id, le.kind, le.responsibility, le.to_responsibility,
                le.amount_cents, le.group_code, le.carc, le.rarc,
            )
            .where(le.claim_id == st.id, le.posting_id == original_posting)
            .order_by(le.seq)
        ).all()  # fmt: skip
        lines = {ln.id: ln for ln in st.lines}
        entries = [
            (
                lines.get(r[1]),
                L.reversal_of(
                    L.Entry(
                        L.EntryKind(r[2]), r[3], r[5], to_responsibility=r[4],
                        group_code=r[6], carc=r[7], rarc=r[8], entry_id=r[0],
                    )
                ),
            )
            for r in rows
            if r[0] not in reversed_ids and r[2] != L.EntryKind.REVERSAL.value
        ]  # fmt: skip
        if not entries:
            return (
                _Outcome("the original posting of this reversal was already reversed"),
                None,
                None,
            )
        paid = sum(e.amount_cents for _ln, e in entries if _reverses_payment(e, rows))
        if paid != -cp.paid_cents:
            return (
                _Outcome(
                    f"the reversal takes back {Money(-cp.paid_cents)} but the original "
                    f"posting paid {Money(paid)}"
                ),
                None,
                None,
            )
        di, dp = _sum_deltas(e for _ln, e in entries)
        ins_after, pat_after = st.ins + di, st.pat + dp
        target = A.status_after_posting(
            st.status,
            ins_balance_cents=ins_after,
            pat_balance_cents=pat_after,
            any_paid=False,
            any_denied=False,
            moved_to_next_payer=False,
        )
        try:
            _legal_path(st.status, target)
        except IllegalTransition as exc:
            return _Outcome(str(exc)), None, None
        posting_id = self._posting_id()
        for line, e in entries:
            self._append(st, line, e, posting_id)
        self.reversed_originals.add(original_id)
        self.reversed_entries.update(e.reverses_id for _ln, e in entries)
        st.status = target
        rank = RANK_OF_STATUS.get(original_status)
        if rank is not None and st.resp != rank and st.ins + st.pat != 0:
            st.resp = rank  # the payer that paid it is answering for it again
        st.touched = True
        return _Outcome(), posting_id, original_id

    # -- rows --------------------------------------------------------------------------

    def _append(self, st: _ClaimState, line: _LineState | None, e: L.Entry, posting_id) -> None:
        self._append_row(st, line, _entry_row(e), posting_id)

    def _append_row(
        self, st: _ClaimState, line: _LineState | None, row: tuple, posting_id: str
    ) -> None:
        """Chain one entry (an ``_entry_row``) onto the claim and keep balances in step."""
        kind, resp, to, amount, group, carc, rarc, reverses, di, dp, adjusts, adjudicates = row
        seq = st.seq + 1
        line_id = line.id if line is not None else None
        digest = ledger_hash_values(
            st.head, st.id, line_id, seq, kind, resp, to, amount, group, carc, rarc,
            self.batch_id, reverses, self.now_iso, self.user_id,
        )  # fmt: skip
        self.ledger_rows.append(
            (
                st.id, line_id, seq, kind, resp, to, amount, group, carc, rarc, self.batch_id,
                reverses, posting_id, None, self.now_db, self.user_id, st.head, digest,
            )
        )  # fmt: skip
        st.seq, st.head = seq, digest
        st.ins += di
        st.pat += dp
        if line is not None:
            line.ins += di
            line.pat += dp
            line.touched = True
        if adjusts:
            self.report.adjustment_cents -= amount
        if adjudicates:
            self._note_adjudication(st)

    def _note_adjudication(self, st: _ClaimState) -> None:
        if st.adjudicated_on is None or self.today < st.adjudicated_on:
            st.adjudicated_on = self.today

    def _denial(self, st: _ClaimState, line: _LineState, cas: A.Cas) -> None:
        from billing_tui.domain.reason_codes import category_of, is_known

        payer = self.payers_by_id.get(st.payer_id)
        due = self.today + dt.timedelta(days=payer[2]) if payer else None
        self.denial_rows.append(
            (
                st.id, line.id, cas.group_code, cas.carc[:5], cas.rarc, cas.amount_cents,
                category_of(cas.carc)[:20], "open", self.today_db,
                None if due is None else self._day(due), self.now_db,
                self._bool(is_known(cas.carc)),
            )
        )  # fmt: skip
        if due is not None and (st.appeal_due is None or due < st.appeal_due):
            st.appeal_due = due
        self._note_adjudication(st)

    def _line_rows(self, remit_claim_id: int, cp: ClaimPayment, outcome: _Outcome) -> None:
        for i, sv in enumerate(cp.services):
            line, method = outcome.matches[i] if i < len(outcome.matches) else (None, None)
            self.remit_line_rows.append(
                (
                    remit_claim_id, i + 1, sv.procedure_code[:48], ":".join(sv.modifiers)[:12],
                    None if sv.service_date is None else self._day(sv.service_date),
                    sv.billed_cents, sv.allowed_cents, sv.paid_cents,
                    self._cas_text(sv.adjustments)[:400], ";".join(sv.remarks)[:200],
                    (sv.control_number or "")[:50] or None, line.id if line else None,
                    line.line_no if line else None, method,
                )
            )  # fmt: skip

    def _provider_adjustments(self, rem: Remittance, claims, ranks):
        """PLB rows on the batch; a WO recoupment takes back the named claim's credit
        balance (a refund entry), else it is an exception. Either way the batch balances."""
        rows, exceptions = [], []
        by_payer_number = {
            st.payer_claim_number: st for st in claims.values() if st.payer_claim_number
        }
        for adj in rem.provider_adjustments:
            claim_id = None
            if adj.reason_code == "WO":
                st = claims.get(adj.reference) or by_payer_number.get(adj.reference)
                line = None
                if st is not None and adj.amount_cents > 0:
                    line = min(st.lines, key=lambda ln: ln.ins, default=None)
                    if line is not None and line.ins > -adj.amount_cents:
                        line = None
                if line is not None and st is not None:
                    rank = st.resp if L.is_insurance(st.resp) else 1
                    self._append(st, line, L.refund(adj.amount_cents, rank), self._posting_id())
                    st.touched = True
                    claim_id = st.id
                else:
                    exceptions.append(
                        {
                            "remit_claim_id": None,
                            "claim_id": st.id if st else None,
                            "claim_number": (adj.reference or None) and adj.reference[:50],
                            "reason": (
                                f"PLB WO {Money(adj.amount_cents)} (reference "
                                f"{adj.reference or 'none'}): no claim with a credit balance "
                                "to recoup it from"
                            ),
                            "paid_cents": 0,
                            "status": "open",
                            "created_at": self.now,
                        }
                    )
            rows.append(
                {
                    "batch_id": self.batch_id,
                    "reason_code": adj.reason_code[:2],
                    "reference": adj.reference[:50] or None,
                    "amount_cents": adj.amount_cents,
                    "claim_id": claim_id,
                    "created_at": self.now,
                }
            )
        return rows, exceptions

    def _write_balances(self, states: Iterable[_ClaimState]) -> None:
        """Cached balances, chain heads, statuses and work-queue fields in bulk; every
        claim posted to gets a new version (a rep holding it open gets a conflict)."""
        touched = [st for st in states if st.touched]
        if not touched:
            return
        self._update(
            "claim_lines",
            (("ins_balance_cents", "bigint"), ("pat_balance_cents", "bigint")),
            [(ln.ins, ln.pat, ln.id) for st in touched for ln in st.lines if ln.touched],
        )
        self._open_denial_dues(touched)
        claim_rows = []
        today = self._day(self.today)
        for st in touched:
            payer = self.payers_by_id.get(st.payer_id)
            work = P.claim_work_fields(
                status=st.status,
                service_date=st.service_date,
                ins_balance_cents=st.ins,
                pat_balance_cents=st.pat,
                last_activity=self.today,
                filing_days=payer[3] if payer else None,
                appeal_due=st.appeal_due if st.status in P.APPEAL_STATUSES else None,
                today=self.today,
            )
            claim_rows.append(
                (
                    st.ins, st.pat, st.seq, st.head, st.status, st.resp, self._bool(st.rebill),
                    st.payer_claim_number, today, work.priority,
                    None if work.deadline is None else self._day(work.deadline),
                    None if st.adjudicated_on is None else self._day(st.adjudicated_on), st.id,
                )
            )  # fmt: skip
        self._update(
            "claims",
            (
                ("ins_balance_cents", "bigint"), ("pat_balance_cents", "bigint"),
                ("ledger_seq", "integer"), ("ledger_head", "text"), ("status", "text"),
                ("responsibility", "smallint"), ("rebill", "boolean"),
                ("payer_claim_number", "text"), ("last_activity_at", "date"),
                ("priority", "integer"), ("deadline_date", "date"),
                ("adjudicated_on", "date"),
            ),
            claim_rows,
            bump_version=True,
        )  # fmt: skip
        for st in touched:
            st.touched = False
            st.appeal_due = None
            for ln in st.lines:
                ln.touched = False


_PATHS: dict[tuple[str, str], tuple[str, ...]] = {}


def _legal_path(current: str, target: str) -> tuple[str, ...]:
    """adjudication.status_path, remembered (a search per claim adds up over 10,000)."""
    key = (current, target)
    path = _PATHS.get(key)
    if path is None:
        path = _PATHS[key] = A.status_path(current, target)  # raises IllegalTransition
    return path


def _deltas(e: L.Entry) -> tuple[int, int]:
    """(insurance, patient) balance change of an entry (ledger.effects)."""
    ins = pat = 0
    for resp, delta in L.effects(e):
        if resp:
            ins += delta
        else:
            pat += delta
    return ins, pat


_ADJUSTMENT = L.EntryKind.ADJUSTMENT.value
_TRANSFER = L.EntryKind.TRANSFER


def _entry_row(e: L.Entry) -> tuple:
    """What chaining an entry needs, worked out once per distinct entry: its stored
    values, its (insurance, patient) balance change, whether it is an adjustment (the
    report's total) and whether it is a payer's adjudication (claims.adjudicated_on)."""
    kind = e.kind.value
    ins, pat = _deltas(e)
    return (
        kind, e.responsibility, e.to_responsibility, e.amount_cents, e.group_code, e.carc,
        e.rarc, e.reverses_id, ins, pat, kind == _ADJUSTMENT, L.is_adjudication(kind, e.group_code),
    )  # fmt: skip


class _Adjudicated:
    """adjudicate_line's answer for one line (or why the line does not balance), with
    each entry's ``_entry_row`` and the totals the claim's status needs."""

    __slots__ = ("error", "outcome", "rows", "ins", "pat", "moves")

    def __init__(self, outcome: A.LineOutcome | None, error: str | None, next_resp: int):
        self.error = error
        self.outcome = outcome
        entries = outcome.entries if outcome is not None else ()
        self.rows = tuple(_entry_row(e) for e in entries)
        self.ins = sum(r[8] for r in self.rows)
        self.pat = sum(r[9] for r in self.rows)
        self.moves = any(e.kind is _TRANSFER and e.to_responsibility == next_resp for e in entries)


def _sum_deltas(entries: Iterable[L.Entry]) -> tuple[int, int]:
    ins = pat = 0
    for e in entries:
        di, dp = _deltas(e)
        ins += di
        pat += dp
    return ins, pat


def _reverses_payment(e: L.Entry, rows) -> bool:
    kinds = {r[0]: r[2] for r in rows}
    return kinds.get(e.reverses_id) == L.EntryKind.INSURANCE_PAYMENT.value


def _match_line(
    sv: ServicePayment, lines: list[_LineState], used: set[int], *, single: bool
) -> tuple[_LineState | None, str | None]:
    """The claim line an SVC answers: REF*6R, then code + modifiers + date of service
    (a modifier the payer dropped is tolerated), then SVC06 (the code as billed)."""
    free = [ln for ln in lines if ln.id not in used]
    if single and len(free) == 1 and not sv.control_number:
        return free[0], "claim"
    if sv.control_number:
        for ln in free:
            if ln.lcn == sv.control_number:
                return ln, "6R"
    hit = _by_code(sv.procedure_code, sv.modifiers, sv.service_date, free)
    if hit is not None:
        return hit, "code+dos"
    if sv.original_code:
        hit = _by_code(sv.original_code, sv.original_modifiers, sv.service_date, free)
        if hit is not None:
            return hit, "svc06"
    return None, None


def _by_code(code, modifiers, dos, free: list[_LineState]) -> _LineState | None:
    mods = frozenset(modifiers)
    same = [ln for ln in free if ln.code == code and (dos is None or ln.service_date == dos)]
    for ln in same:
        if ln.mods == mods:
            return ln
    for ln in same:
        if mods < ln.mods:
            return ln  # the payer dropped a modifier
    return None


def summary_lines(report: ImportReport) -> list[str]:
    """Human-readable lines for the CLI and the screen."""
    out = []
    for r in report.results:
        if r.status == "duplicate":
            out.append(r.message)
            continue
        out.append(
            f"{r.file}: {r.transactions} remittance(s) imported"
            + (f", {r.transactions_rejected} rejected" if r.transactions_rejected else "")
            + (" (dry run: nothing written)" if r.status == "dry-run" else "")
        )
        out.extend(f"  rejected {x}" for x in r.rejected)
    out.append(
        f"{report.claims} claims: {report.claims_posted} posted, {report.claims_exceptions} "
        f"to the exceptions list; {report.reversals} reversal(s), {report.denials} denial(s); "
        f"paid {Money(report.paid_cents)} (posted {Money(report.posted_paid_cents)}, "
        f"exceptions {Money(report.exception_paid_cents)}); PLB {Money(report.plb_cents)}; "
        f"checks {Money(report.check_amount_cents)}"
    )
    if report.duplicates_skipped:
        out.append(f"{report.duplicates_skipped} duplicate file(s) skipped")
    if report.validation_warnings:
        out.append(f"{report.validation_warnings} validation warning(s)")
    return out


__all__ = [
    "FileResult",
    "ImportReport",
    "import_files",
    "import_one",
    "resolve_exception",
    "summary_lines",
]
