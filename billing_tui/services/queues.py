"""Work queues: the rep's list of queues, queue pages, queue upkeep, and "next account".

A queue is a stored rule (domain/queue_rules.py) evaluated live against the claims, so a
claim leaves a queue the moment a payment or a note changes what the rule looks at.
Pages are keyset-paged (``PageCursor``) in the queue's sort, never loaded whole.

Leases (``take_next``, ``take``, ``release``): a rep working a claim holds a short lease
on it (``LEASE_MINUTES``), stored on the claim row itself, so one claim is never handed
to two reps even when it sits in several queues. PostgreSQL picks the next claim with
``SELECT ... FOR UPDATE SKIP LOCKED`` (a claim another rep is taking right now is
skipped, not waited for); SQLite, whose write transactions are serialised, sets the
lease with a compare-and-set UPDATE (``... WHERE lease is free``) and moves on to the
next candidate when it loses. A lease ends on release, when the rep takes the next
account, or by itself when it expires.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import (
    ColumnElement,
    Date,
    String,
    and_,
    bindparam,
    case,
    delete,
    exists,
    false,
    func,
    literal,
    literal_column,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.visitors import InternalTraversal

from billing_tui.db import models as m
from billing_tui.db.engine import Database
from billing_tui.db.uow import UnitOfWork, utcnow
from billing_tui.domain.errors import DomainError, NotFoundError, PermissionDenied, ValidationError
from billing_tui.domain.priority import APPEAL_STATUSES, claim_work_fields, dollar_points
from billing_tui.domain.queue_rules import (
    SEED_QUEUES,
    AgeBasis,
    BalanceKind,
    OwnerFilter,
    QueueRule,
    QueueSort,
    SortColumn,
)
from billing_tui.domain.users import Actor

LEASE_MINUTES = 10
PAGE_SIZE = 100
_c = m.Claim
_ZERO = literal_column("0")  # a literal, so SQLite can match the partial indexes
_FAR_FUTURE = dt.date(9999, 12, 31)
_FAR_PAST = dt.date(1, 1, 1)


# --- results ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LeasedItem:
    queue_id: int
    claim_id: int
    patient_id: int
    lease_expires_at: dt.datetime


@dataclass(frozen=True, slots=True)
class QueueSummary:
    """One line of the rep's queue list: what it holds and how much money."""

    queue_id: int
    name: str
    description: str
    sort: QueueSort
    items: int
    balance_cents: int
    shared: bool  # no members: every rep sees it
    members: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class QueueDefinition:
    queue_id: int
    name: str
    rule: QueueRule
    sort: QueueSort
    member_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class QueueRow:
    claim_id: int
    patient_id: int
    patient_name: str
    account_no: str
    claim_number: str
    payer_name: str
    service_date: dt.date
    billed_cents: int
    balance_cents: int
    age_days: int
    last_note: str  # "11-20 in process" or ""
    last_note_at: dt.date | None
    follow_up_date: dt.date | None
    owner_name: str
    status: str
    priority: int
    leased_by: str | None  # another rep working it right now (lease live)
    leased_by_me: bool


@dataclass(frozen=True, slots=True)
class PageCursor:
    """Where the next page starts: the last row's sort value and claim id."""

    value: object
    claim_id: int


@dataclass(frozen=True, slots=True)
class QueuePage:
    queue_id: int
    queue_name: str
    sort: QueueSort
    filter_text: str
    rows: tuple[QueueRow, ...]
    next_cursor: PageCursor | None  # None: this was the last page


@dataclass(frozen=True, slots=True)
class UserChoice:
    user_id: int
    username: str
    display_name: str
    role: str


@dataclass(frozen=True, slots=True)
class PayerChoice:
    payer_id: int
    name: str
    payer_type: str


@dataclass(frozen=True, slots=True)
class RefreshResult:
    claims_scored: int
    claims_changed: int
    seconds: float


# --- rules to SQL ----------------------------------------------------------------------


def _balance_expr(kind: BalanceKind) -> ColumnElement:
    if kind == BalanceKind.INSURANCE:
        return _c.ins_balance_cents
    if kind == BalanceKind.PATIENT:
        return _c.pat_balance_cents
    return _c.ins_balance_cents + _c.pat_balance_cents


class _NoIndex(ColumnElement):
    """A column SQLite must not pick an index for (``+col``): queue queries walk
    ix_claims_work in priority order and test these columns on its entries, which beats
    a range on another index followed by a sort of everything it found."""

    inherit_cache = True
    _traverse_internals = [("col", InternalTraversal.dp_clauseelement)]

    def __init__(self, col: ColumnElement) -> None:
        self.col = col
        self.type = col.type


@compiles(_NoIndex)
def _no_index_default(element: _NoIndex, compiler, **kw) -> str:
    return compiler.process(element.col, **kw)


@compiles(_NoIndex, "sqlite")
def _no_index_sqlite(element: _NoIndex, compiler, **kw) -> str:
    return "+" + compiler.process(element.col, **kw)


_N = _NoIndex
_OPEN = _c.priority > _ZERO  # any balance scores >= 1 (domain/priority.py)


def _date_window(rule: QueueRule, sort: QueueSort) -> bool:
    """A priority-ordered queue over a short window of service dates (the aging buckets):
    read the window from ix_claims_work_dos and keep the best rows, instead of walking
    every higher-priority claim of other ages first."""
    return (
        sort.column == SortColumn.PRIORITY
        and rule.age_basis == AgeBasis.SERVICE_DATE
        and rule.min_age_days is not None
        and rule.max_age_days is not None
        and rule.max_age_days - rule.min_age_days <= 120
    )


def _conditions(
    s: Session, rule: QueueRule, actor: Actor, today: dt.date, *, window: bool = False
) -> list[ColumnElement]:
    """The rule as WHERE terms over claims alone (no joins), on ix_claims_work's columns
    (``window``: on ix_claims_work_dos's, see _date_window)."""
    ins, pat = _N(_c.ins_balance_cents), _N(_c.pat_balance_cents)
    conds: list[ColumnElement] = [_OPEN]
    if rule.balance_kind == BalanceKind.INSURANCE:
        conds.append(ins != 0)
        bal = ins
    elif rule.balance_kind == BalanceKind.PATIENT:
        conds.append(pat != 0)
        bal = pat
    else:
        conds.append(or_(ins != 0, pat != 0))
        bal = ins + pat
    payer_ids: set[int] | None = set(rule.payer_ids) if rule.payer_ids else None
    if rule.payer_types:
        typed = set(
            s.scalars(select(m.Payer.id).where(m.Payer.payer_type.in_(rule.payer_types))).all()
        )
        payer_ids = typed if payer_ids is None else payer_ids & typed
    if payer_ids is not None:
        conds.append(_ints_in(_N(_c.payer_id), sorted(payer_ids)))
    if rule.min_balance_cents is not None:
        conds.append(bal >= rule.min_balance_cents)
        if rule.min_balance_cents > 0:
            # The score holds the dollar points of the balance, so this narrows the walk.
            prio = _N(_c.priority) if window else _c.priority
            conds.append(prio >= dollar_points(rule.min_balance_cents))
    if rule.max_balance_cents is not None:
        conds.append(bal <= rule.max_balance_cents)
    if rule.min_age_days is not None or rule.max_age_days is not None:
        basis = {
            AgeBasis.SERVICE_DATE: _c.service_date if window else _N(_c.service_date),
            AgeBasis.LAST_ACTIVITY: func.coalesce(_N(_c.last_activity_at), _N(_c.service_date)),
            AgeBasis.SUBMITTED: _N(_c.submitted_at),
        }[rule.age_basis]
        if rule.min_age_days is not None:
            conds.append(basis <= today - dt.timedelta(days=rule.min_age_days))
        if rule.max_age_days is not None:
            conds.append(basis >= today - dt.timedelta(days=rule.max_age_days))
    if rule.statuses:
        conds.append(_N(_c.status).in_(rule.statuses))
    if rule.denial_categories:
        conds.append(
            exists().where(
                m.Denial.claim_id == _c.id,
                m.Denial.status == "open",
                m.Denial.category.in_(rule.denial_categories),
            )
        )
    if rule.follow_up_due:
        conds.append(_N(_c.follow_up_date) <= today)
    if rule.deadline_within_days is not None:
        conds.append(_N(_c.deadline_date) <= today + dt.timedelta(days=rule.deadline_within_days))
    owner = _N(_c.owner_id)
    if rule.owner == OwnerFilter.MINE:
        conds.append(owner == actor.user_id)
    elif rule.owner == OwnerFilter.UNASSIGNED:
        conds.append(owner.is_(None))
    elif rule.owner == OwnerFilter.USER:
        conds.append(owner == rule.owner_user_id)
    return conds


@dataclass(frozen=True, slots=True)
class _SortSpec:
    """A sort as a SQL expression over claims plus direction, for ORDER BY and keysets.

    Names (patient, payer, owner) are correlated sub-selects, so the queries stay on the
    claims table and SQLite never reorders the join to scan patients first."""

    expr: ColumnElement
    descending: bool
    kind: str  # int / date / str: how a cursor value is stored in a lease key

    @classmethod
    def of(cls, sort: QueueSort, *, window: bool = False) -> _SortSpec:
        col, desc = sort.column, sort.descending
        if col == SortColumn.PRIORITY:
            return cls(_N(_c.priority) if window else _c.priority, desc, "int")
        if col == SortColumn.PATIENT:
            name = func.lower(m.Patient.last_name + ", " + m.Patient.first_name)
            expr = select(name).where(m.Patient.id == _c.patient_id).scalar_subquery()
            return cls(expr, desc, "str")
        if col == SortColumn.CLAIM:
            return cls(_c.claim_number, desc, "str")
        if col == SortColumn.PAYER:
            sub = select(m.Payer.name).where(m.Payer.id == _c.payer_id).scalar_subquery()
            return cls(func.coalesce(sub, literal("Self-pay", String)), desc, "str")
        if col == SortColumn.DOS:
            return cls(_N(_c.service_date), desc, "date")
        if col == SortColumn.AGE:  # oldest first = earliest date of service first
            return cls(_N(_c.service_date), not desc, "date")
        if col == SortColumn.BILLED:
            return cls(_c.total_charge_cents, desc, "int")
        if col == SortColumn.BALANCE:
            return cls(_c.ins_balance_cents + _c.pat_balance_cents, desc, "int")
        if col == SortColumn.LAST_NOTE:
            expr = func.coalesce(_N(_c.last_activity_at), literal(_FAR_PAST, Date))
            return cls(expr, desc, "date")
        if col == SortColumn.FOLLOW_UP:
            expr = func.coalesce(_N(_c.follow_up_date), literal(_FAR_FUTURE, Date))
            return cls(expr, desc, "date")
        sub = select(m.User.display_name).where(m.User.id == _c.owner_id).scalar_subquery()
        return cls(func.coalesce(sub, literal("", String)), desc, "str")

    def order_by(self) -> tuple:
        if self.descending:
            return (self.expr.desc(), _c.id.desc())
        return (self.expr.asc(), _c.id.asc())

    def after(self, cursor: PageCursor) -> ColumnElement:
        key = tuple_(self.expr, _c.id)
        value = (cursor.value, cursor.claim_id)
        return key < value if self.descending else key > value

    def encode(self, value: object) -> object:
        return value.isoformat() if isinstance(value, dt.date) else value

    def decode(self, value: object) -> object:
        if self.kind == "date" and isinstance(value, str):
            return dt.date.fromisoformat(value)
        return value


def _filter_terms(text: str) -> list[ColumnElement]:
    """Each word typed must match the patient (name, account), claim number or payer."""
    terms = []
    for word in text.split()[:6]:
        w = word.replace("\\", "").replace("%", "").replace("_", " ").strip()
        if not w:
            continue
        p, py = m.Patient, m.Payer
        terms.append(
            or_(
                _c.claim_number.ilike(f"%{w}%"),
                exists().where(
                    p.id == _c.patient_id,
                    or_(
                        p.last_name.ilike(f"{w}%"),
                        p.first_name.ilike(f"{w}%"),
                        p.account_no.ilike(f"{w}%"),
                    ),
                ),
                exists().where(py.id == _c.payer_id, py.name.ilike(f"%{w}%")),
            )
        )
    return terms


# --- permissions and loading -----------------------------------------------------------


def _require_supervisor(actor: Actor, what: str) -> None:
    if not actor.is_supervisor:
        raise PermissionDenied(f"Only a supervisor or an admin can {what}.")


def _visible_filter(actor: Actor) -> ColumnElement | None:
    """Reps see shared queues (no members) and the queues assigned to them."""
    if actor.is_supervisor:
        return None
    wq, mem = m.WorkQueue, m.WorkQueueMember
    return or_(
        ~exists().where(mem.queue_id == wq.id),
        exists().where(mem.queue_id == wq.id, mem.user_id == actor.user_id),
    )


def _load_queue(s: Session, actor: Actor, queue_id: int) -> m.WorkQueue:
    wq = s.get(m.WorkQueue, queue_id)
    if wq is None:
        raise NotFoundError(f"work queue {queue_id} does not exist (it may have been deleted)")
    cond = _visible_filter(actor)
    if cond is not None and not s.scalar(select(literal(1)).where(m.WorkQueue.id == wq.id, cond)):
        raise PermissionDenied(f"the queue {wq.name!r} is assigned to other reps")
    return wq


def _queue_row(s: Session, actor: Actor, queue_id: int):
    """(id, name, rule_json, sort) of a queue the actor may see, in one statement."""
    cond = _visible_filter(actor)
    wq = m.WorkQueue
    visible = literal(True) if cond is None else case((cond, True), else_=False)
    row = s.execute(
        select(wq.id, wq.name, wq.rule_json, wq.sort, visible).where(wq.id == queue_id)
    ).first()
    if row is None:
        raise NotFoundError(f"work queue {queue_id} does not exist (it may have been deleted)")
    if not row[4]:
        raise PermissionDenied(f"the queue {row[1]!r} is assigned to other reps")
    return row


def _ints_in(expr: ColumnElement, values: Sequence[int]) -> ColumnElement:
    """``expr IN (1, 2, 3)`` with the ids written into the SQL: they are ints, and an
    expanding parameter costs more to prepare than the query costs to run."""
    if not values:
        return false()
    return expr.op("IN")(literal_column("(" + ",".join(str(int(v)) for v in values) + ")"))


def _members(s: Session, queue_ids: Sequence[int]) -> dict[int, list[tuple[int, str]]]:
    out: dict[int, list[tuple[int, str]]] = {}
    if queue_ids:
        for qid, uid, name in s.execute(
            select(m.WorkQueueMember.queue_id, m.User.id, m.User.display_name)
            .join(m.User, m.User.id == m.WorkQueueMember.user_id)
            .where(m.WorkQueueMember.queue_id.in_(queue_ids))
            .order_by(m.User.display_name)
        ):
            out.setdefault(qid, []).append((uid, name))
    return out


def _payer_names(s: Session) -> dict[int, str]:
    return dict(s.execute(select(m.Payer.id, m.Payer.name)).tuples().all())


# --- the rep's queues ------------------------------------------------------------------


def list_queues(
    db: Database, actor: Actor, today: dt.date | None = None, *, counts: bool = True
) -> list[QueueSummary]:
    """The queues this user sees, in display order, with item counts and dollars.

    All counts come from one pass over ix_claims_work (claims with money on them), one
    pair of conditional sums per queue, so the home page pays for one index scan."""
    today = today or dt.date.today()
    with UnitOfWork(db, write=False) as uow:
        s = uow.session
        q = select(m.WorkQueue).order_by(m.WorkQueue.position, m.WorkQueue.name)
        cond = _visible_filter(actor)
        if cond is not None:
            q = q.where(cond)
        queues = s.scalars(q).all()
        members = _members(s, [wq.id for wq in queues])
        names = _payer_names(s) if any('"payer_ids"' in wq.rule_json for wq in queues) else {}
        rules = [QueueRule.from_json(wq.rule_json) for wq in queues]
        totals: list[int] = [0] * (2 * len(queues))
        if counts and queues:
            sums = []
            for rule in rules:
                where = and_(*_conditions(s, rule, actor, today)[1:])
                sums.append(func.sum(case((where, 1), else_=0)))
                sums.append(func.sum(case((where, _balance_expr(rule.balance_kind)), else_=0)))
            totals = [int(v or 0) for v in s.execute(select(*sums).where(_OPEN)).one()]
        return [
            QueueSummary(
                queue_id=wq.id,
                name=wq.name,
                description=rule.describe(names),
                sort=QueueSort.from_text(wq.sort),
                items=totals[2 * i],
                balance_cents=totals[2 * i + 1],
                shared=wq.id not in members,
                members=tuple(n for _uid, n in members.get(wq.id, ())),
            )
            for i, (wq, rule) in enumerate(zip(queues, rules, strict=True))
        ]


def get_queue(db: Database, actor: Actor, queue_id: int) -> QueueDefinition:
    with UnitOfWork(db, write=False) as uow:
        wq = _load_queue(uow.session, actor, queue_id)
        members = _members(uow.session, [wq.id]).get(wq.id, [])
        return QueueDefinition(
            wq.id,
            wq.name,
            QueueRule.from_json(wq.rule_json),
            QueueSort.from_text(wq.sort),
            tuple(uid for uid, _n in members),
        )


_Owner = aliased(m.User, name="owner_user")
_Leaser = aliased(m.User, name="lease_user")


def queue_page(
    db: Database,
    actor: Actor,
    queue_id: int,
    *,
    sort: QueueSort | None = None,
    filter_text: str = "",
    after: PageCursor | None = None,
    limit: int = PAGE_SIZE,
    today: dt.date | None = None,
    now: dt.datetime | None = None,
) -> QueuePage:
    """One page of a queue: ``limit`` rows after ``after`` in ``sort`` (default: the
    queue's own), narrowed by ``filter_text`` (words matching patient, account, claim
    number or payer).

    Two statements: the keys of the page from claims alone (in the queue's default
    priority order a walk down ix_claims_work that stops after ``limit`` + 1 hits), then
    the columns shown for just those rows."""
    today = today or dt.date.today()
    now = now or utcnow()
    limit = max(1, min(limit, 500))
    with UnitOfWork(db, write=False) as uow:
        s = uow.session
        wq = _queue_row(s, actor, queue_id)
        rule = QueueRule.from_json(wq.rule_json)
        sort = sort or QueueSort.from_text(wq.sort)
        window = _date_window(rule, sort)
        spec = _SortSpec.of(sort, window=window)
        conds = _conditions(s, rule, actor, today, window=window) + _filter_terms(filter_text)
        if after is not None:
            conds.append(spec.after(after))
        keys = s.execute(
            select(_c.id, spec.expr.label("sort_key"))
            .where(*conds)
            .order_by(*spec.order_by())
            .limit(limit + 1)
        ).all()
        more = len(keys) > limit
        keys = keys[:limit]
        ids = [k[0] for k in keys]
        found = (
            {
                r[0]: r
                for r in s.execute(
                    select(
                        _c.id,
                        _c.patient_id,
                        m.Patient.last_name,
                        m.Patient.first_name,
                        m.Patient.account_no,
                        _c.claim_number,
                        m.Payer.name,
                        _c.service_date,
                        _c.total_charge_cents,
                        _c.ins_balance_cents,
                        _c.pat_balance_cents,
                        _c.follow_up_date,
                        _Owner.display_name,
                        _c.status,
                        _c.priority,
                        _c.lease_user_id,
                        _c.lease_expires_at,
                        _Leaser.display_name,
                    )
                    .join(m.Patient, m.Patient.id == _c.patient_id)
                    .outerjoin(m.Payer, m.Payer.id == _c.payer_id)
                    .outerjoin(_Owner, _Owner.id == _c.owner_id)
                    .outerjoin(_Leaser, _Leaser.id == _c.lease_user_id)
                    .where(_ints_in(_c.id, ids))
                )
            }
            if ids
            else {}
        )
        notes = _last_notes(s, ids)
        out = []
        for claim_id in ids:
            r = found[claim_id]
            live = r[15] is not None and r[16] is not None and r[16] > now
            note = notes.get(claim_id)
            out.append(
                QueueRow(
                    claim_id=claim_id,
                    patient_id=r[1],
                    patient_name=f"{r[2]}, {r[3]}",
                    account_no=r[4],
                    claim_number=r[5],
                    payer_name=r[6] or "Self-pay",
                    service_date=r[7],
                    billed_cents=int(r[8]),
                    balance_cents=int(r[9]) + int(r[10]),
                    age_days=(today - r[7]).days,
                    last_note=note[1] if note else "",
                    last_note_at=note[0] if note else None,
                    follow_up_date=r[11],
                    owner_name=r[12] or "",
                    status=r[13],
                    priority=r[14],
                    leased_by=r[17] if live and r[15] != actor.user_id else None,
                    leased_by_me=bool(live and r[15] == actor.user_id),
                )
            )
        cursor = PageCursor(keys[-1][1], keys[-1][0]) if more and keys else None
        return QueuePage(wq.id, wq.name, sort, filter_text, tuple(out), cursor)


def _last_notes(s: Session, claim_ids: Sequence[int]) -> dict[int, tuple[dt.date, str]]:
    """The latest note per claim: (its date, its outcome or first words)."""
    out: dict[int, tuple[dt.date, str]] = {}
    if not claim_ids:
        return out
    a = m.Activity
    for claim_id, created, outcome, text in s.execute(
        select(a.claim_id, a.created_at, a.outcome, a.text)
        .where(_ints_in(a.claim_id, claim_ids))
        .order_by(a.claim_id, a.created_at.desc(), a.id.desc())
    ):
        if claim_id not in out:
            what = (outcome or "").replace("_", " ") or " ".join((text or "").split()[:4])
            out[claim_id] = (created.date(), what)
    return out


# --- upkeep (supervisors) --------------------------------------------------------------


def _check_name(s: Session, name: str, queue_id: int | None) -> str:
    name = " ".join(name.split())
    if not name:
        raise ValidationError("give the queue a name", field="name")
    if len(name) > 80:
        raise ValidationError("a queue name has at most 80 characters", field="name")
    clash = s.scalar(select(m.WorkQueue.id).where(func.lower(m.WorkQueue.name) == name.lower()))
    if clash is not None and clash != queue_id:
        raise ValidationError(f"a queue named {name!r} already exists", field="name")
    return name


def _check_rule(s: Session, rule: QueueRule) -> None:
    rule.validate()
    if rule.payer_ids:
        known = set(s.scalars(select(m.Payer.id).where(m.Payer.id.in_(rule.payer_ids))).all())
        missing = [p for p in rule.payer_ids if p not in known]
        if missing:
            raise ValidationError(f"queue rule: payer {missing[0]} does not exist", field="rule")
    if rule.owner_user_id is not None and s.get(m.User, rule.owner_user_id) is None:
        raise ValidationError(f"queue rule: user {rule.owner_user_id} does not exist", field="rule")


def _set_members(s: Session, queue_id: int, user_ids: Sequence[int]) -> list[str]:
    ids = sorted(set(user_ids))
    users = {u.id: u for u in s.scalars(select(m.User).where(m.User.id.in_(ids)))} if ids else {}
    missing = [u for u in ids if u not in users]
    if missing:
        raise ValidationError(f"user {missing[0]} does not exist", field="members")
    s.execute(delete(m.WorkQueueMember).where(m.WorkQueueMember.queue_id == queue_id))
    for uid in ids:
        s.add(m.WorkQueueMember(queue_id=queue_id, user_id=uid))
    return [users[u].username for u in ids]


def create_queue(
    db: Database,
    actor: Actor,
    name: str,
    rule: QueueRule,
    sort: QueueSort | None = None,
    *,
    member_ids: Sequence[int] = (),
) -> QueueDefinition:
    _require_supervisor(actor, "create work queues")
    sort = sort or QueueSort()
    with UnitOfWork(db) as uow:
        s = uow.session
        name = _check_name(s, name, None)
        _check_rule(s, rule)
        position = (s.scalar(select(func.max(m.WorkQueue.position))) or 0) + 10
        wq = m.WorkQueue(
            name=name,
            rule_json=rule.to_json(),
            sort=sort.to_text(),
            created_by=actor.user_id,
            created_at=utcnow(),
            position=position,
        )
        s.add(wq)
        uow.flush()
        members = _set_members(s, wq.id, member_ids)
        uow.audit(
            actor,
            "queue_created",
            "work_queue",
            wq.id,
            name=name,
            rule=rule.to_dict(),
            sort=sort.to_text(),
            members=members,
        )
        uow.commit()
        return QueueDefinition(wq.id, name, rule, sort, tuple(sorted(set(member_ids))))


def update_queue(
    db: Database,
    actor: Actor,
    queue_id: int,
    *,
    name: str,
    rule: QueueRule,
    sort: QueueSort,
    member_ids: Sequence[int] | None = None,
) -> QueueDefinition:
    """Change a queue's name, rule and sort (and its members, when given)."""
    _require_supervisor(actor, "change work queues")
    with UnitOfWork(db) as uow:
        s = uow.session
        wq = _load_queue(s, actor, queue_id)
        name = _check_name(s, name, wq.id)
        _check_rule(s, rule)
        before = {"name": wq.name, "rule": json.loads(wq.rule_json), "sort": wq.sort}
        wq.name, wq.rule_json, wq.sort = name, rule.to_json(), sort.to_text()
        detail: dict = {"before": before, "name": name, "rule": rule.to_dict(), "sort": wq.sort}
        if member_ids is not None:
            detail["members"] = _set_members(s, wq.id, member_ids)
        uow.flush()
        uow.audit(actor, "queue_changed", "work_queue", wq.id, **detail)
        uow.commit()
        members = (
            tuple(sorted(set(member_ids)))
            if member_ids is not None
            else tuple(uid for uid, _n in _members(s, [wq.id]).get(wq.id, []))
        )
        return QueueDefinition(wq.id, name, rule, sort, members)


def delete_queue(db: Database, actor: Actor, queue_id: int) -> None:
    """Delete a queue (its claims are untouched; live leases simply run out)."""
    _require_supervisor(actor, "delete work queues")
    with UnitOfWork(db) as uow:
        s = uow.session
        wq = _load_queue(s, actor, queue_id)
        s.execute(delete(m.WorkQueueMember).where(m.WorkQueueMember.queue_id == wq.id))
        name = wq.name
        s.delete(wq)
        uow.flush()
        uow.audit(actor, "queue_deleted", "work_queue", queue_id, name=name)
        uow.commit()


def assign_queue(db: Database, actor: Actor, queue_id: int, user_ids: Sequence[int]) -> None:
    """Give a queue to these users; no users = shared by everyone again."""
    _require_supervisor(actor, "assign work queues")
    with UnitOfWork(db) as uow:
        wq = _load_queue(uow.session, actor, queue_id)
        names = _set_members(uow.session, wq.id, user_ids)
        uow.flush()
        uow.audit(actor, "queue_assigned", "work_queue", wq.id, name=wq.name, members=names)
        uow.commit()


def assign_claims(db: Database, actor: Actor, claim_ids: Sequence[int], user_id: int | None) -> int:
    """Make ``user_id`` the owner of these claims (None: unassign); returns how many."""
    _require_supervisor(actor, "assign accounts to reps")
    ids = sorted(set(claim_ids))
    if not ids:
        raise ValidationError("select at least one claim to assign", field="claims")
    with UnitOfWork(db) as uow:
        s = uow.session
        owner = None
        if user_id is not None:
            owner = uow.users.get(user_id)
            if owner is None or not owner.active:
                raise ValidationError(f"user {user_id} does not exist", field="user")
        claims = s.scalars(select(m.Claim).where(m.Claim.id.in_(ids))).all()
        if len(claims) != len(ids):
            missing = sorted(set(ids) - {c.id for c in claims})
            raise NotFoundError(f"claim id {missing[0]} does not exist")
        for claim in claims:
            claim.owner_id = user_id
        uow.flush()
        for claim in claims:
            uow.audit(
                actor,
                "claim_assigned",
                "claim",
                claim.claim_number,
                patient_id=claim.patient_id,
                owner=owner.username if owner else None,
            )
        uow.commit()
        return len(claims)


def seed_default_queues(db: Database, actor: Actor | None) -> int:
    """Add any of the standard queues that are missing (by name); returns how many."""
    if actor is not None:
        _require_supervisor(actor, "add the standard queues")
    with UnitOfWork(db) as uow:
        s = uow.session
        have = {n.lower() for n in s.scalars(select(m.WorkQueue.name))}
        added = 0
        for i, seed in enumerate(SEED_QUEUES):
            if seed.name.lower() in have:
                continue
            s.add(
                m.WorkQueue(
                    name=seed.name,
                    rule_json=seed.rule.to_json(),
                    sort=seed.sort.to_text(),
                    created_by=actor.user_id if actor else None,
                    created_at=utcnow(),
                    position=(i + 1) * 10,
                )
            )
            added += 1
        if added:
            uow.flush()
            uow.audit(actor, "queues_seeded", "work_queue", None, added=added)
            uow.commit()
        return added


def list_users(db: Database) -> list[UserChoice]:
    with UnitOfWork(db, write=False) as uow:
        return [
            UserChoice(u.id, u.username, u.display_name, u.role)
            for u in uow.users.all()
            if u.active
        ]


def list_payers(db: Database) -> list[PayerChoice]:
    with UnitOfWork(db, write=False) as uow:
        return [
            PayerChoice(r[0], r[1], r[2])
            for r in uow.session.execute(
                select(m.Payer.id, m.Payer.name, m.Payer.payer_type).order_by(m.Payer.name)
            )
        ]


# --- leases ----------------------------------------------------------------------------


def _free_for(actor: Actor, now: dt.datetime) -> ColumnElement:
    return or_(
        _c.lease_user_id.is_(None),
        _c.lease_expires_at < now,
        _c.lease_user_id == actor.user_id,
    )


def _lease_values(actor: Actor, key: str, now: dt.datetime) -> dict:
    return {
        "lease_user_id": actor.user_id,
        "lease_expires_at": now + dt.timedelta(minutes=LEASE_MINUTES),
        "lease_key": key,
    }


def _cas_lease(s: Session, actor: Actor, claim_id: int, key: str, now: dt.datetime) -> bool:
    """Compare-and-set: lease the claim only if nobody else holds a live lease on it."""
    result = s.execute(
        update(m.Claim)
        .where(_c.id == claim_id, _free_for(actor, now))
        .values(**_lease_values(actor, key, now))
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _release_mine(s: Session, actor: Actor, claim_id: int | None = None) -> int:
    q = update(m.Claim).where(_c.lease_user_id == actor.user_id)
    if claim_id is not None:
        q = q.where(_c.id == claim_id)
    result = s.execute(
        q.values(lease_user_id=None, lease_expires_at=None, lease_key=None).execution_options(
            synchronize_session=False
        )
    )
    return result.rowcount


def _key_text(queue_id: int, sort: QueueSort, spec: _SortSpec, value: object, claim_id: int) -> str:
    return json.dumps({"q": queue_id, "s": sort.to_text(), "k": [spec.encode(value), claim_id]})


def take_next(
    db: Database,
    actor: Actor,
    queue_id: int,
    *,
    after_claim_id: int | None = None,
    today: dt.date | None = None,
    now: dt.datetime | None = None,
) -> LeasedItem | None:
    """Lease the next claim of the queue for this rep, or None when none is free.

    Releases the rep's previous lease. With ``after_claim_id`` (the claim just worked)
    the next claim is the one after it in the queue's order as it stood when that claim
    was taken (so working a claim, which lowers its score, never skips the ones after
    it); past the end it starts again at the top. Claims other reps hold are skipped.
    """
    today = today or dt.date.today()
    now = now or utcnow()
    with UnitOfWork(db) as uow:
        s = uow.session
        wq = _queue_row(s, actor, queue_id)
        rule = QueueRule.from_json(wq.rule_json)
        sort = QueueSort.from_text(wq.sort)
        window = _date_window(rule, sort)
        spec = _SortSpec.of(sort, window=window)
        start = _start_after(s, actor, wq.id, sort, spec, after_claim_id)
        _release_mine(s, actor)
        base = select(_c.id, _c.patient_id, _c.claim_number, spec.expr.label("sort_key"))
        conds = [*_conditions(s, rule, actor, today, window=window), _free_for(actor, now)]
        if after_claim_id is not None:
            conds.append(_c.id != after_claim_id)
        attempts = [conds + [spec.after(start)], conds] if start is not None else [conds]
        taken = None
        for where in attempts:
            taken = _pick(
                s, db, actor, base.where(*where).order_by(*spec.order_by()), wq.id, sort, spec, now
            )
            if taken is not None:
                break
        if taken is None:
            uow.commit()
            return None
        claim_id, patient_id, number = taken
        expires = now + dt.timedelta(minutes=LEASE_MINUTES)
        uow.audit(actor, "queue_item_taken", "claim", number, patient_id=patient_id, queue=wq.name)
        uow.commit()
        return LeasedItem(wq.id, claim_id, patient_id, expires)


def _start_after(
    s: Session,
    actor: Actor,
    queue_id: int,
    sort: QueueSort,
    spec: _SortSpec,
    after_claim_id: int | None,
) -> PageCursor | None:
    if after_claim_id is None:
        return None
    q = select(_c.lease_user_id, _c.lease_key, spec.expr.label("sort_key")).where(
        _c.id == after_claim_id
    )
    row = s.execute(q).first()
    if row is None:
        return None
    if row[0] == actor.user_id and row[1]:
        try:
            key = json.loads(row[1])
            if key.get("q") == queue_id and key.get("s") == sort.to_text():
                return PageCursor(spec.decode(key["k"][0]), int(key["k"][1]))
        except (ValueError, KeyError, IndexError, TypeError):
            pass
    return PageCursor(row[2], after_claim_id)


def _pick(s, db, actor, query, queue_id, sort, spec, now) -> tuple[int, int, str] | None:
    if not db.is_sqlite:
        # The row lock taken here is what a second rep's SKIP LOCKED steps over.
        row = s.execute(query.limit(1).with_for_update(skip_locked=True, of=_c)).first()
        if row is None:
            return None
        s.execute(
            update(m.Claim)
            .where(_c.id == row[0])
            .values(**_lease_values(actor, _key_text(queue_id, sort, spec, row[3], row[0]), now))
            .execution_options(synchronize_session=False)
        )
        return row[0], row[1], row[2]
    for row in s.execute(query.limit(20)).all():
        if _cas_lease(s, actor, row[0], _key_text(queue_id, sort, spec, row[3], row[0]), now):
            return row[0], row[1], row[2]
    return None


def take(
    db: Database,
    actor: Actor,
    queue_id: int,
    claim_id: int,
    *,
    now: dt.datetime | None = None,
) -> LeasedItem:
    """Lease one chosen claim of a queue (the rep picked it from the list).

    Raises DomainError naming who holds it when another rep's lease is live.
    """
    now = now or utcnow()
    with UnitOfWork(db) as uow:
        s = uow.session
        wq = _queue_row(s, actor, queue_id)
        sort = QueueSort.from_text(wq.sort)
        spec = _SortSpec.of(sort)
        row = s.execute(
            select(
                _c.id,
                _c.patient_id,
                _c.claim_number,
                spec.expr.label("sort_key"),
                _c.lease_user_id,
                _c.lease_expires_at,
            ).where(_c.id == claim_id)
        ).first()
        if row is None:
            raise NotFoundError(f"claim id {claim_id} does not exist")
        _release_mine(s, actor)
        if not _cas_lease(s, actor, row[0], _key_text(wq.id, sort, spec, row[3], row[0]), now):
            holder = uow.users.get(row.lease_user_id) if row.lease_user_id else None
            until = row.lease_expires_at.replace(tzinfo=dt.UTC).astimezone().strftime("%H:%M")
            raise DomainError(
                f"{holder.display_name if holder else 'Another rep'} is working claim "
                f"{row.claim_number} until {until}; pick another account or try again then"
            )
        uow.audit(
            actor,
            "queue_item_taken",
            "claim",
            row.claim_number,
            patient_id=row.patient_id,
            queue=wq.name,
        )
        uow.commit()
        return LeasedItem(wq.id, row[0], row[1], now + dt.timedelta(minutes=LEASE_MINUTES))


def release(db: Database, actor: Actor, claim_id: int) -> None:
    """End this rep's lease on the claim (nothing happens if they hold none)."""
    with UnitOfWork(db) as uow:
        number, patient_id = uow.session.execute(
            select(_c.claim_number, _c.patient_id).where(_c.id == claim_id)
        ).first() or (None, None)
        if number is None:
            raise NotFoundError(f"claim id {claim_id} does not exist")
        if _release_mine(uow.session, actor, claim_id):
            uow.audit(actor, "queue_item_released", "claim", number, patient_id=patient_id)
        uow.commit()


def release_mine(db: Database, actor: Actor) -> int:
    """End every lease this rep holds (back on the queue list: no account open)."""
    with UnitOfWork(db) as uow:
        n = _release_mine(uow.session, actor)
        if n:
            uow.audit(actor, "queue_items_released", "claims", None, count=n)
        uow.commit()
        return n


def renew(
    db: Database, actor: Actor, claim_id: int, *, now: dt.datetime | None = None
) -> dt.datetime:
    """Extend this rep's lease (a long call on hold); raises if someone else took it."""
    now = now or utcnow()
    with UnitOfWork(db) as uow:
        expires = now + dt.timedelta(minutes=LEASE_MINUTES)
        result = uow.session.execute(
            update(m.Claim)
            .where(_c.id == claim_id, _free_for(actor, now))
            .values(lease_user_id=actor.user_id, lease_expires_at=expires)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            raise DomainError("another rep took this account after your lease ran out")
        uow.commit()  # no audit event: the take that started the lease was audited
        return expires


# --- priority upkeep -------------------------------------------------------------------


def refresh_priorities(
    db: Database, today: dt.date | None = None, *, chunk: int = 20_000, progress=None
) -> RefreshResult:
    """Re-score every claim as of ``today`` (age and days left move with the calendar).

    Chunked by claim id, one short transaction per chunk, so reps posting meanwhile
    wait at most for one chunk. Only changed rows are written; the version column is not
    touched (a new score is not an edit a rep must reload for).
    """
    started = time.perf_counter()
    today = today or dt.date.today()
    say = progress or (lambda _m: None)
    with UnitOfWork(db, write=False) as uow:
        payers = {
            r[0]: (None if r[3] == "self_pay" else r[1], r[2])
            for r in uow.session.execute(
                select(
                    m.Payer.id,
                    m.Payer.timely_filing_days,
                    m.Payer.appeal_window_days,
                    m.Payer.payer_type,
                )
            )
        }
    scored = changed = 0
    last = 0
    t = m.Claim.__table__
    stmt = (
        update(t)
        .where(t.c.id == bindparam("cid"))
        .values(priority=bindparam("p"), deadline_date=bindparam("d"))
    )
    while True:
        with UnitOfWork(db) as uow:
            s = uow.session
            rows = s.execute(
                select(
                    _c.id,
                    _c.status,
                    _c.service_date,
                    _c.ins_balance_cents,
                    _c.pat_balance_cents,
                    _c.last_activity_at,
                    _c.payer_id,
                    _c.priority,
                    _c.deadline_date,
                )
                .where(_c.id > last)
                .order_by(_c.id)
                .limit(chunk)
            ).all()
            if not rows:
                break
            last = rows[-1][0]
            dues = _appeal_dues(s, [r[0] for r in rows if r[1] in APPEAL_STATUSES], payers)
            params = []
            for r in rows:
                filing = payers.get(r[6], (None, None))[0]
                f = claim_work_fields(
                    status=r[1],
                    service_date=r[2],
                    ins_balance_cents=r[3],
                    pat_balance_cents=r[4],
                    last_activity=r[5],
                    filing_days=filing,
                    appeal_due=dues.get(r[0]),
                    today=today,
                )
                if f.priority != r[7] or f.deadline != r[8]:
                    params.append({"cid": r[0], "p": f.priority, "d": f.deadline})
            if params:
                s.connection().execute(stmt, params)
            scored += len(rows)
            changed += len(params)
            uow.commit()
        say(f"scored {scored:,} claims")
    with UnitOfWork(db) as uow:
        uow.audit(
            None,
            "priorities_refreshed",
            "claims",
            None,
            today=today.isoformat(),
            scored=scored,
            changed=changed,
        )
        uow.commit()
    return RefreshResult(scored, changed, round(time.perf_counter() - started, 2))


def _appeal_dues(
    s: Session, claim_ids: list[int], payers: dict[int, tuple[int | None, int | None]]
) -> dict[int, dt.date]:
    dues: dict[int, dt.date] = {}
    for i in range(0, len(claim_ids), 500):
        for claim_id, due, denied_on, payer_id in s.execute(
            select(m.Denial.claim_id, m.Denial.due_date, m.Denial.denied_on, _c.payer_id)
            .join(_c, _c.id == m.Denial.claim_id)
            .where(m.Denial.status == "open", m.Denial.claim_id.in_(claim_ids[i : i + 500]))
        ):
            window = payers.get(payer_id, (None, None))[1] or 0
            when = due or denied_on + dt.timedelta(days=window)
            dues[claim_id] = min(when, dues.get(claim_id, when))
    return dues
