"""Fuzzy look-up of patients, payers and claims: an index prefilter, then rapidfuzz ranking.

Ranking every patient with rapidfuzz costs 40-500 ms at 100k-1M patients, so the
database first narrows the field with exact index probes that work the same on SQLite
and PostgreSQL (no pg_trgm, so both give the same answers):

1. the name words typed are looked up in the typo index (`lookup_name_keys`: every
   vocabulary word under itself and under each one-letter deletion, see
   domain/lookup.py) in one probe; the words found are kept when they are within the
   typos each typed word allows;
2. the two most telling words typed (the longest, and the one still being typed, which
   also matches as a prefix) pick patients straight from `lookup_name_pairs` (every
   ordered pair of each patient's name words): one index probe per candidate pair,
   plus the date of birth when one was typed;
3. those candidates (a handful, a few hundred at most) are ranked with rapidfuzz.

PostgreSQL gets its word lists as arrays (`= ANY(%s)`), so each statement's text is
the same whatever was typed and psycopg prepares it once per connection.

Account numbers, member ids and claim numbers are exact-or-prefix probes of their unique
or plain indexes. Payers are tens to hundreds of rows: they are read whole, and only
those sharing a close word with the query (the same typo rule, in memory) are ranked.

Auditing: `find` records one `lookup` audit event per search when asked (the CLI asks:
its output lists patients). The `/` modal searches on every keystroke and does not;
the rep seeing an account is recorded when a result is opened, by the account screen's
own `account_viewed` event. See `find`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import String, and_, any_, bindparam, delete, insert, select, union_all
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from billing_tui.db import models as m
from billing_tui.db.engine import Database
from billing_tui.db.uow import UnitOfWork
from billing_tui.domain import lookup as L
from billing_tui.domain.errors import NotFoundError, ValidationError
from billing_tui.domain.users import Actor
from billing_tui.services.accounts import mask_member_id

KINDS = ("patient", "claim", "payer")
MAX_LIMIT = 200
CANDIDATES = 300  # patients ranked per search at most
ID_ROWS = 50  # rows taken per identifier probe

_P, _W, _K, _C, _COV, _PAY = (
    m.Patient,
    m.LookupNamePair,
    m.LookupNameKey,
    m.Claim,
    m.Coverage,
    m.Payer,
)


@dataclass(frozen=True, slots=True)
class Match:
    """One look-up result. Patients carry account_no and dob; claims their patient_id."""

    kind: str  # patient / claim / payer
    id: int
    label: str
    score: float
    account_no: str | None = None
    dob: dt.date | None = None
    patient_id: int | None = None
    service_date: dt.date | None = None  # claims: the first date of service
    matched_on: str = "name"  # name / date of birth / account / member id / claim number / payer id
    detail: str = ""

    def as_json(self) -> dict:
        out: dict = {"kind": self.kind, "id": self.id, "label": self.label, "score": self.score}
        if self.kind == "patient":
            out["account_no"] = self.account_no
            out["dob"] = self.dob.isoformat() if self.dob else None
        if self.kind == "claim":
            out["patient_id"] = self.patient_id
            out["account_no"] = self.account_no
            out["service_date"] = self.service_date.isoformat() if self.service_date else None
        out["matched_on"] = self.matched_on
        if self.detail:
            out["detail"] = self.detail
        return out


@dataclass(frozen=True, slots=True)
class PayerCard:
    payer_id: int
    name: str
    edi_payer_id: str
    payer_type: str
    claim_filing_indicator: str
    phone: str | None
    portal_url: str | None
    timely_filing_days: int
    appeal_window_days: int
    requires_authorization: bool


# --- prebuilt statements (building a select costs as much as running it) ------------

_PATIENT_COLS = (_P.id, _P.account_no, _P.last_name, _P.first_name, _P.middle_name, _P.dob)
_BY_IDS = select(*_PATIENT_COLS).where(_P.id.in_(bindparam("ids", expanding=True)))
_BY_DOB = select(*_PATIENT_COLS).where(_P.dob == bindparam("dob")).limit(CANDIDATES)


def _exact_or_prefix(base, col):
    """Rows whose ``col`` is the identifier itself (found in any collation) or starts with
    it: the first ID_ROWS in index order, so a short prefix ("C0") reads no more."""
    exact = base.where(col == bindparam("exact")).subquery()
    prefix = (
        base.where(col >= bindparam("lo"), col < bindparam("hi"))
        .order_by(col)
        .limit(ID_ROWS)
        .subquery()
    )
    return union_all(select(exact), select(prefix))


_BY_ACCOUNT = _exact_or_prefix(select(*_PATIENT_COLS), _P.account_no)
_BY_MEMBER = _exact_or_prefix(
    select(*_PATIENT_COLS, _COV.member_id).join(_COV, _COV.patient_id == _P.id),
    _COV.member_id,
)
_CLAIMS = _exact_or_prefix(
    select(
        _C.id,
        _C.claim_number,
        _C.patient_id,
        _C.service_date,
        _C.status,
        _P.account_no,
        _P.last_name,
        _P.first_name,
        _PAY.name,
    )
    .join(_P, _P.id == _C.patient_id)
    .outerjoin(_PAY, _PAY.id == _C.payer_id),
    _C.claim_number,
)
_PAYERS = select(_PAY.id, _PAY.name, _PAY.edi_payer_id, _PAY.payer_type)
_PAYER_CARD = select(_PAY).where(_PAY.id == bindparam("id"))
_EXISTING_WORDS = select(_K.word).where(
    _K.key.in_(bindparam("words", expanding=True)), _K.key == _K.word
)
_statements: dict[tuple, object] = {}


def _in_list(col, name: str, dialect: str):
    """``col IN (list)``: an array parameter on PostgreSQL (one statement text, prepared
    once), an expanding list on SQLite."""
    if dialect == "postgresql":
        return col == any_(bindparam(name, type_=ARRAY(String)))
    return col.in_(bindparam(name, expanding=True))


def _keys_statement(dialect: str):
    key = ("keys", dialect)
    if key not in _statements:
        _statements[key] = select(_K.key, _K.word).where(_in_list(_K.key, "keys", dialect))
    return _statements[key]


def _pairs_statement(dialect: str, a: str, b: str | None, with_dob: bool):
    """Patients whose name-word pairs match. ``a``/``b``: "in" (a word list), "range" (a
    prefix range) or "in+range" (either); ``b`` None for a single word typed."""
    key = ("pairs", dialect, a, b, with_dob)
    if key not in _statements:

        def side(col, name: str, mode: str) -> list:
            out = []
            if "in" in mode.split("+"):
                out.append(_in_list(col, f"{name}_words", dialect))
            if "range" in mode:
                out.append(and_(col >= bindparam(f"{name}_lo"), col < bindparam(f"{name}_hi")))
            return out

        parts = []
        for cond_a in side(_W.a, "a", a):
            for cond_b in side(_W.b, "b", b) if b else [None]:
                where = cond_a if cond_b is None else and_(cond_a, cond_b)
                parts.append(select(_W.patient_id).where(where))
        ids = parts[0] if len(parts) == 1 else union_all(*parts)
        stmt = select(*_PATIENT_COLS).where(_P.id.in_(ids))
        if with_dob:
            stmt = stmt.where(_P.dob == bindparam("dob"))
        _statements[key] = stmt.limit(CANDIDATES)
    return _statements[key]


# --- the use case ------------------------------------------------------------------


def find(
    db: Database,
    actor: Actor,
    query: str,
    *,
    kind: str | None = None,
    limit: int = 20,
    today: dt.date | None = None,
    audit: bool = False,
) -> list[Match]:
    """Patients, claims and payers matching ``query``, best first (at most ``limit``).

    ``audit=True`` records one `lookup` event (who, the query, what it listed) in the
    same transaction; the CLI asks for it because it prints the list. The `/` modal
    searches on every keystroke and does not: an event per keystroke would flood the
    hash-chained log with half-typed names and take the audit head lock on every key;
    opening a result writes the account screen's `account_viewed` event instead.
    """
    if kind is not None and kind not in KINDS:
        raise ValidationError(f"--kind must be one of {', '.join(KINDS)}, not {kind!r}")
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationError(f"the limit must be between 1 and {MAX_LIMIT}, not {limit}")
    q = L.parse_query(query, today or dt.date.today())
    with UnitOfWork(db, write=audit) as uow:
        # Core statements on the connection: half the overhead of going through the Session.
        matches = [] if q.empty else _search(uow.session.connection(), q, kind, limit)
        if audit:
            patients = sorted({mt.patient_id or mt.id for mt in matches if mt.kind != "payer"})
            uow.audit(
                actor,
                "lookup",
                "lookup",
                None,
                patient_id=patients[0] if len(patients) == 1 else None,
                query=query.strip(),
                kind=kind or "any",
                results=len(matches),
                patients=patients,
            )
            uow.commit()
    return matches


def _search(s: Connection, q: L.LookupQuery, kind: str | None, limit: int) -> list[Match]:
    found: dict[tuple[str, int], Match] = {}

    def keep(mt: Match) -> None:
        if mt.score < L.MIN_SCORE:
            return
        key = (mt.kind, mt.id)
        old = found.get(key)
        if old is None or mt.score > old.score:
            found[key] = mt

    if kind in (None, "patient"):
        for mt in _patients(s, q):
            keep(mt)
    if kind in (None, "claim"):
        for mt in _claims(s, q):
            keep(mt)
    if kind in (None, "payer"):
        for mt in _payers(s, q):
            keep(mt)
    order = {k: i for i, k in enumerate(KINDS)}
    ranked = sorted(
        found.values(), key=lambda mt: (-mt.score, order[mt.kind], mt.label.casefold(), mt.id)
    )
    return ranked[:limit]


def _patient_match(row, score: float, matched_on: str, detail: str = "") -> Match:
    name = f"{row.last_name}, {row.first_name}"
    if row.middle_name:
        name += f" {row.middle_name[0]}."
    return Match(
        kind="patient",
        id=row.id,
        label=name,
        score=score,
        account_no=row.account_no,
        dob=row.dob,
        matched_on=matched_on,
        detail=detail,
    )


def _patients(s: Connection, q: L.LookupQuery) -> Iterable[Match]:
    for ident in q.identifiers:
        lo, hi = L.prefix_bounds(ident)
        probe = {"exact": ident, "lo": lo, "hi": hi}
        for row in s.execute(_BY_ACCOUNT, probe):
            score = L.identifier_score(ident, row.account_no)
            if score:
                yield _patient_match(row, score, "account")
        for row in s.execute(_BY_MEMBER, probe):
            score = L.identifier_score(ident, row.member_id)
            if score:
                detail = f"member ID {mask_member_id(row.member_id)}"
                yield _patient_match(row, score - 1, "member id", detail)
    if q.names:
        for row in _name_candidates(s, q):
            score = L.person_score(q, L.PersonName(row.first_name, row.last_name, row.middle_name))
            if q.dob is not None:
                yield _patient_match(row, score, "name and date of birth")
            else:
                yield _patient_match(row, score, "name")
    elif q.dob is not None:
        for row in s.execute(_BY_DOB, {"dob": q.dob}):
            yield _patient_match(row, 100.0, "date of birth")


def _name_candidates(s: Connection, q: L.LookupQuery) -> list:
    """Patient rows having close words for the two most telling name words typed."""
    dialect = s.dialect.name
    keyed = [i for i, t in enumerate(q.names) if len(t) >= L.MIN_KEYED]
    if not keyed and q.dob is None and len(q.names) == 1:
        return []  # one letter alone: thousands of patients, none more likely than another
    words: dict[int, set[str]] = {i: set() for i in keyed}
    if keyed:
        owners: dict[str, list[int]] = {}
        for i in keyed:
            for k in L.deletion_keys(q.names[i]):
                owners.setdefault(k, []).append(i)
        for k, w in s.execute(_keys_statement(dialect), {"keys": list(owners)}):
            for i in owners[k]:
                words[i].add(w)
        words = {i: L.candidate_words(q.names[i], ws) for i, ws in words.items()}
    prefix = q.prefix_word()
    typing = len(q.names) - 1 if prefix is not None else None
    # Two sides (words, prefix) pick the pairs: the longest settled word typed (longest
    # narrows most and carries typos best), then the word being typed (its close words
    # and its prefix), else the next settled word, else an initial (as a prefix).
    settled = sorted(
        (i for i in keyed if i != typing and words[i]), key=lambda i: (-len(q.names[i]), i)
    )
    initials = [t for i, t in enumerate(q.names) if len(t) == 1 and i != typing]
    sides: list[tuple[set[str], str | None]] = [(words[i], None) for i in settled[:2]]
    if typing is not None:
        sides.insert(1, (words.get(typing, set()), prefix))
    sides.extend((set(), t) for t in initials)
    sides = sides[:2]
    if not sides:
        return []
    params: dict[str, object] = {}
    modes: list[str] = []
    for name, (ws, pre) in zip(("a", "b"), sides, strict=False):
        mode = []
        if ws:
            mode.append("in")
            params[f"{name}_words"] = sorted(ws)
        if pre is not None:
            mode.append("range")
            params[f"{name}_lo"], params[f"{name}_hi"] = L.prefix_bounds(pre)
        modes.append("+".join(mode))
    if q.dob is not None:
        params["dob"] = q.dob
    stmt = _pairs_statement(
        dialect, modes[0], modes[1] if len(modes) > 1 else None, q.dob is not None
    )
    return s.execute(stmt, params).all()


def _claims(s: Connection, q: L.LookupQuery) -> Iterable[Match]:
    for ident in q.identifiers:
        lo, hi = L.prefix_bounds(ident)
        for row in s.execute(_CLAIMS, {"exact": ident, "lo": lo, "hi": hi}):
            score = L.identifier_score(ident, row.claim_number)
            if not score:
                continue
            yield Match(
                kind="claim",
                id=row.id,
                label=f"{row.claim_number} · {row.last_name}, {row.first_name}",
                score=score,
                account_no=row.account_no,
                patient_id=row.patient_id,
                service_date=row.service_date,
                matched_on="claim number",
                detail=f"{row.status} · {row.name or 'Self-pay'}",
            )


_payer_indexes: dict[tuple, L.WordIndex] = {}


def _payer_index(rows: tuple) -> L.WordIndex:
    """The payers' word index, rebuilt only when the payer list changed."""
    index = _payer_indexes.get(rows)
    if index is None:
        _payer_indexes.clear()
        index = _payer_indexes[rows] = L.WordIndex([r[1] for r in rows])
    return index


def _payers(s: Connection, q: L.LookupQuery) -> Iterable[Match]:
    rows = tuple(tuple(r) for r in s.execute(_PAYERS))
    typed = [*q.identifiers, *(n.upper() for n in q.names)]
    by_name = set(_payer_index(rows).candidates(q)) if q.names else set()
    for i, (payer_id, name, edi, payer_type) in enumerate(rows):
        name_score = L.text_score(q, name) if i in by_name else 0.0
        id_score = max((L.identifier_score(t, edi) for t in typed if edi[:1] == t[:1]), default=0.0)
        if id_score > name_score:
            score, on = id_score, "payer id"
        else:
            score, on = name_score, "name"
        if score:
            yield Match(
                kind="payer",
                id=payer_id,
                label=name,
                score=score,
                matched_on=on,
                detail=f"EDI {edi} · {payer_type.replace('_', '-')}",
            )


def payer_card(db: Database, actor: Actor, payer_id: int) -> PayerCard:
    """What a rep needs to call or bill a payer (no PHI, so no audit event)."""
    with UnitOfWork(db, write=False) as uow:
        p = uow.session.scalar(_PAYER_CARD, {"id": payer_id})
        if p is None:
            raise NotFoundError(f"payer id {payer_id} does not exist")
        return PayerCard(
            payer_id=p.id,
            name=p.name,
            edi_payer_id=p.edi_payer_id,
            payer_type=p.payer_type,
            claim_filing_indicator=p.claim_filing_indicator,
            phone=p.phone,
            portal_url=p.portal_url,
            timely_filing_days=p.timely_filing_days,
            appeal_window_days=p.appeal_window_days,
            requires_authorization=p.requires_authorization,
        )


# --- keeping the index in step -------------------------------------------------------


def index_patients(uow: UnitOfWork, patients: Iterable[m.Patient]) -> None:
    """Re-index these patients' names (call in the unit of work that creates or renames
    them, before commit). Idempotent; new vocabulary words get their typo keys."""
    s = uow.session
    s.flush()
    people = [(p.id, p.first_name, p.middle_name, p.last_name) for p in patients]
    if not people:
        return
    ids = [p[0] for p in people]
    for i in range(0, len(ids), 500):
        s.execute(delete(_W).where(_W.patient_id.in_(ids[i : i + 500])))
    rows, vocabulary = L.index_entries(people)
    if rows:
        s.execute(insert(_W), [{"a": a, "b": b, "patient_id": pid} for a, b, pid in rows])
    words = sorted(vocabulary)
    known: set[str] = set()
    for i in range(0, len(words), 500):
        known.update(s.scalars(_EXISTING_WORDS, {"words": words[i : i + 500]}))
    new_keys = L.vocabulary_keys(w for w in words if w not in known)
    if new_keys:
        s.execute(_insert_keys(s), [{"key": k, "word": w} for k, w in new_keys])


def _insert_keys(s: Session):
    """INSERT that skips keys another rep's transaction added at the same moment."""
    if s.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    return dialect_insert(_K).on_conflict_do_nothing()


def bulk_index(
    insert_rows: Callable[[str, tuple[str, ...], list[tuple]], None],
    people: Iterable[tuple[int, str | None, str | None, str | None]],
) -> None:
    """Index freshly bulk-loaded patients (id, first, middle, last) into an empty index,
    through the bulk loader's ``insert(table, columns, rows)`` (COPY / executemany)."""
    rows, vocabulary = L.index_entries(people)
    insert_rows("lookup_name_keys", ("key", "word"), L.vocabulary_keys(vocabulary))
    rows.sort()
    insert_rows("lookup_name_pairs", ("a", "b", "patient_id"), rows)
