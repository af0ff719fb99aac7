"""Work queues on SQLite and PostgreSQL: counts against plain SQL, paging, sort, filter,
permissions, the kept-in-step priority, and leases (two concurrent sessions)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import select, text, update
from svc_helpers import TODAY, make_claim

from billing_tui.db import models as m
from billing_tui.db.engine import Database
from billing_tui.db.uow import UnitOfWork, utcnow
from billing_tui.domain.errors import DomainError, PermissionDenied, ValidationError
from billing_tui.domain.priority import FILING_STATUSES
from billing_tui.domain.queue_rules import (
    SEED_QUEUES,
    BalanceKind,
    QueueRule,
    QueueSort,
    SortColumn,
)
from billing_tui.services import queues as Q
from billing_tui.services.posting import Adjustment, LinePosting, post_line


@pytest.fixture
def seeded(db):
    Q.seed_default_queues(db, None)  # PostgreSQL tests truncate the migration's seed rows
    return db


def _queue_id(db, actor, name: str) -> int:
    return next(q.queue_id for q in Q.list_queues(db, actor, TODAY, counts=False) if q.name == name)


def _all_rows(db, actor, queue_id, **kw) -> list[Q.QueueRow]:
    rows, cursor = [], None
    while True:
        page = Q.queue_page(db, actor, queue_id, after=cursor, today=TODAY, **kw)
        rows.extend(page.rows)
        cursor = page.next_cursor
        if cursor is None:
            return rows


def _claims(db, actor, tmp_path) -> dict[str, int]:
    """Five claims of one patient: ages 45, 75, 200 days; one paid down; one high dollar."""
    ids = {
        "young": make_claim(db, actor, tmp_path, service_date="2026-10-13", charges=("120.00",)),
        "mid": make_claim(db, actor, tmp_path, service_date="2026-09-13", charges=("300.00",)),
        "old": make_claim(db, actor, tmp_path, service_date="2026-05-11", charges=("80.00",)),
        "big": make_claim(db, actor, tmp_path, service_date="2026-10-20",
                          charges=("4000.00", "2500.00")),
        "paid": make_claim(db, actor, tmp_path, service_date="2026-09-20", charges=("100.00",)),
    }  # fmt: skip
    post_line(db, actor, ids["paid"], 1, LinePosting(
        paid_cents=6000, adjustments=(Adjustment("CO", "45", 4000),)))  # fmt: skip
    return ids


# --- counts and pages ------------------------------------------------------------------


ORACLE = {
    # Each seeded queue written out as plain SQL, independent of the service's rule code.
    "Follow-ups due today": "follow_up_date <= :today AND (ins_balance_cents <> 0 OR "
    "pat_balance_cents <> 0)",
    "Insurance 31-60": "ins_balance_cents >= 1 AND service_date BETWEEN :d60 AND :d31",
    "Insurance 61-90": "ins_balance_cents >= 1 AND service_date BETWEEN :d90 AND :d61",
    "Insurance 91-120": "ins_balance_cents >= 1 AND service_date BETWEEN :d120 AND :d91",
    "Insurance 120+": "ins_balance_cents >= 1 AND service_date <= :d121",
    "High dollar >= $5,000": "ins_balance_cents + pat_balance_cents >= 500000",
    "No response 30+ days": "ins_balance_cents >= 1 AND status IN ('submitted', 'accepted') "
    "AND submitted_at <= :d30",
    "Timely filing at risk": "(ins_balance_cents <> 0 OR pat_balance_cents <> 0) AND "
    "status IN ({filing}) AND deadline_date <= :in30",
    "Medicare": "ins_balance_cents >= 1 AND payer_id IN "
    "(SELECT id FROM payers WHERE payer_type = 'medicare')",
    "Medicaid": "ins_balance_cents >= 1 AND payer_id IN "
    "(SELECT id FROM payers WHERE payer_type = 'medicaid')",
    "Patient balance": "pat_balance_cents >= 1",
}
DOLLARS = {"Patient balance": "pat_balance_cents", "High dollar >= $5,000": "ins_balance_cents "
           "+ pat_balance_cents", "Follow-ups due today": "ins_balance_cents + pat_balance_cents",
           "Timely filing at risk": "ins_balance_cents + pat_balance_cents"}  # fmt: skip


def _oracle(db, name: str) -> tuple[int, int]:
    days = {f"d{n}": TODAY - dt.timedelta(days=n) for n in (30, 31, 60, 61, 90, 91, 120, 121)}
    filing = ", ".join(f"'{s}'" for s in sorted(FILING_STATUSES))
    where = ORACLE[name].format(filing=filing)
    money = DOLLARS.get(name, "ins_balance_cents")
    with db.engine.connect() as conn:
        n, total = conn.execute(
            text(f"SELECT COUNT(*), COALESCE(SUM({money}), 0) FROM claims WHERE {where}"),
            {**days, "today": TODAY, "in30": TODAY + dt.timedelta(days=30)},
        ).one()
    return n, int(total)


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory) -> Database:
    """A 400-claim demo practice (every status, denials, notes, follow-ups) on SQLite."""
    from billing_tui.services.demo import build_demo

    path = tmp_path_factory.mktemp("queues") / "demo.db"
    build_demo(f"sqlite:///{path}", claims=400, seed=11, today=TODAY)
    db = Database.open(f"sqlite:///{path}")
    yield db
    db.dispose()


def _actor(db, username: str):
    from billing_tui.services.auth import actor_of

    with UnitOfWork(db, write=False) as uow:
        return actor_of(uow.users.by_username(username))


def test_seeded_queues_count_like_plain_sql_and_page_through_everything(demo_db):
    rep = _actor(demo_db, "rep")
    summaries = Q.list_queues(demo_db, rep, TODAY)
    assert [q.name for q in summaries] == [s.name for s in SEED_QUEUES]
    assert sum(q.items for q in summaries) > 100
    for q in summaries:
        assert (q.items, q.balance_cents) == _oracle(demo_db, q.name), q.name
        assert q.shared and q.members == ()
        rows = _all_rows(demo_db, rep, q.queue_id)
        assert len(rows) == len({r.claim_id for r in rows}) == q.items, q.name
        keys = [(r.priority, r.claim_id) for r in rows]
        assert keys == sorted(keys, reverse=True), q.name  # priority first, then newest id


def test_stored_priority_matches_a_fresh_refresh(demo_db):
    """The demo writes the same score the services keep and `queues refresh` computes."""
    result = Q.refresh_priorities(demo_db, TODAY)
    assert result.claims_scored == 400 and result.claims_changed == 0


def test_sort_by_any_column_pages_in_order(demo_db):
    rep = _actor(demo_db, "rep")
    qid = _queue_id(demo_db, rep, "Patient balance")
    n = Q.list_queues(demo_db, rep, TODAY)[-1].items
    for column in SortColumn:
        for desc in (False, True):
            rows = _all_rows(demo_db, rep, qid, sort=QueueSort(column, desc), limit=17)
            assert len({r.claim_id for r in rows}) == len(rows) == n, column
    by_balance = _all_rows(demo_db, rep, qid, sort=QueueSort(SortColumn.BALANCE, False), limit=9)
    assert [r.balance_cents for r in by_balance] == sorted(r.balance_cents for r in by_balance)
    by_dos = _all_rows(demo_db, rep, qid, sort=QueueSort(SortColumn.AGE, True), limit=9)
    assert [r.service_date for r in by_dos] == sorted(r.service_date for r in by_dos)
    by_name = _all_rows(demo_db, rep, qid, sort=QueueSort(SortColumn.PATIENT, False), limit=9)
    names = [r.patient_name.lower() for r in by_name]
    assert names == sorted(names)


def test_filter_text_matches_patient_claim_and_payer(demo_db):
    rep = _actor(demo_db, "rep")
    qid = _queue_id(demo_db, rep, "Patient balance")
    everything = _all_rows(demo_db, rep, qid)
    target = everything[len(everything) // 2]
    last = target.patient_name.split(",")[0]
    by_name = _all_rows(demo_db, rep, qid, filter_text=last.lower()[:4])
    assert target.claim_id in {r.claim_id for r in by_name}
    assert all(r.patient_name.lower().startswith(last.lower()[:4]) or last.lower()[:4] in
               (r.claim_number + r.payer_name).lower() or
               last.lower()[:4] in r.patient_name.split(", ")[1].lower()[:4]
               for r in by_name)  # fmt: skip
    (only,) = _all_rows(demo_db, rep, qid, filter_text=target.claim_number)
    assert only.claim_id == target.claim_id
    assert _all_rows(demo_db, rep, qid, filter_text="zzzqqq") == []


# --- upkeep and permissions --------------------------------------------------------------


def test_supervisors_create_edit_assign_and_delete_queues(seeded, users, tmp_path):
    db = seeded
    ids = _claims(db, users["admin"], tmp_path)
    rep, senior, sup = users["rep"], users["senior"], users["supervisor"]
    rule = QueueRule(balance_kind=BalanceKind.INSURANCE, min_balance_cents=10_000)
    with pytest.raises(PermissionDenied, match="Only a supervisor or an admin"):
        Q.create_queue(db, rep, "Mine", rule)
    with pytest.raises(ValidationError, match="already exists"):
        Q.create_queue(db, sup, "medicare", rule)
    with pytest.raises(ValidationError, match="the lowest age"):
        Q.create_queue(db, sup, "Odd", QueueRule(min_age_days=9, max_age_days=2))
    with pytest.raises(ValidationError, match="payer 999 does not exist"):
        Q.create_queue(db, sup, "Ghost payer", QueueRule(payer_ids=(999,)))
    made = Q.create_queue(db, sup, "  Over $100  ", rule, QueueSort(SortColumn.BALANCE, True))
    assert made.name == "Over $100"
    rows = _all_rows(db, rep, made.queue_id)
    assert [r.claim_id for r in rows] == [ids["big"], ids["mid"], ids["young"]]
    # Assigned to the senior only: the rep no longer sees it, the supervisor still does.
    Q.assign_queue(db, sup, made.queue_id, [senior.user_id])
    assert "Over $100" not in [q.name for q in Q.list_queues(db, rep, TODAY)]
    with pytest.raises(PermissionDenied, match="assigned to other reps"):
        Q.queue_page(db, rep, made.queue_id, today=TODAY)
    (mine,) = [q for q in Q.list_queues(db, senior, TODAY) if q.name == "Over $100"]
    assert mine.items == 3 and mine.balance_cents == 650_000 + 30_000 + 12_000
    assert mine.members == ("Senior",) and not mine.shared
    changed = Q.update_queue(db, sup, made.queue_id, name="Over $200",
                             rule=rule.with_(min_balance_cents=20_000), sort=QueueSort())  # fmt: skip
    assert changed.member_ids == (senior.user_id,)
    assert [r.claim_id for r in _all_rows(db, senior, made.queue_id)] == [ids["big"], ids["mid"]]
    # Single claims to a rep; "my claims" queues follow the owner.
    assert Q.assign_claims(db, sup, [ids["old"]], rep.user_id) == 1
    with pytest.raises(PermissionDenied):
        Q.assign_claims(db, rep, [ids["young"]], rep.user_id)
    my = Q.create_queue(db, sup, "My claims", QueueRule(owner="mine"))
    assert [r.claim_id for r in _all_rows(db, rep, my.queue_id)] == [ids["old"]]
    assert _all_rows(db, senior, my.queue_id) == []
    assert _all_rows(db, rep, my.queue_id)[0].owner_name == "Rep"
    Q.delete_queue(db, sup, made.queue_id)
    assert "Over $200" not in [q.name for q in Q.list_queues(db, sup, TODAY)]
    with UnitOfWork(db, write=False) as uow:
        actions = [e.action for e in uow.audit_log.for_entity("work_queue", str(made.queue_id))]
        assigned = uow.audit_log.for_entity("claim", "T000004") + uow.audit_log.for_entity(
            "claim", _number(db, ids["old"])
        )
    assert actions == ["queue_created", "queue_assigned", "queue_changed", "queue_deleted"]
    assert "claim_assigned" in [e.action for e in assigned]


def _number(db, claim_id: int) -> str:
    with UnitOfWork(db, write=False) as uow:
        return uow.claims.get(claim_id).claim_number


def test_priority_follows_postings_and_refresh_agrees(seeded, users, tmp_path):
    db = seeded
    claim = make_claim(db, users["admin"], tmp_path, service_date="2026-10-01",
                       charges=("3000.00",))  # fmt: skip
    with UnitOfWork(db, write=False) as uow:
        before = uow.claims.get(claim).priority
    assert before > 0
    post_line(db, users["rep"], claim, 1, LinePosting(
        paid_cents=290_000, adjustments=(Adjustment("CO", "45", 10_000),)))  # fmt: skip
    with UnitOfWork(db, write=False) as uow:
        after = uow.claims.get(claim)
        assert (after.priority, after.deadline_date) == (0, None)  # nothing owed: no work
    assert Q.refresh_priorities(db, dt.date.today()).claims_changed == 0


# --- leases ----------------------------------------------------------------------------


def test_take_next_skips_leased_claims_and_releases_the_previous(seeded, users, tmp_path):
    db = seeded
    ids = _claims(db, users["admin"], tmp_path)
    rep, senior = users["rep"], users["senior"]
    qid = Q.create_queue(db, users["supervisor"], "Over $100 by balance",
                         QueueRule(min_balance_cents=10_000),
                         QueueSort(SortColumn.BALANCE, True)).queue_id  # fmt: skip
    first = Q.take_next(db, rep, qid, today=TODAY)
    assert first is not None and first.claim_id == ids["big"]
    assert first.lease_expires_at > utcnow() + dt.timedelta(minutes=9)
    # Another rep is handed the next one, not the leased one.
    other = Q.take_next(db, senior, qid, today=TODAY)
    assert other.claim_id == ids["mid"]
    page = Q.queue_page(db, senior, qid, today=TODAY)
    row = {r.claim_id: r for r in page.rows}
    assert row[ids["big"]].leased_by == "Rep" and row[ids["mid"]].leased_by_me
    with pytest.raises(DomainError, match="Rep is working claim"):
        Q.take(db, senior, qid, ids["big"])
    # "Next" after the big claim: the rep's lease moves on and skips the senior's claim.
    nxt = Q.take_next(db, rep, qid, after_claim_id=ids["big"], today=TODAY)
    assert nxt.claim_id == ids["young"]
    # Taking one claim by hand releases the senior's other lease (mid) and gets the big one.
    assert Q.take(db, senior, qid, ids["big"]).claim_id == ids["big"]  # free again
    # Past the end it starts again at the top, still skipping what others hold.
    again = Q.take_next(db, rep, qid, after_claim_id=ids["young"], today=TODAY)
    assert again.claim_id == ids["mid"]
    Q.release(db, senior, ids["big"])
    assert (
        Q.take_next(db, rep, qid, after_claim_id=ids["mid"], today=TODAY).claim_id == (ids["young"])
    )
    assert (
        Q.take_next(db, rep, qid, after_claim_id=ids["young"], today=TODAY).claim_id == (ids["big"])
    )
    assert Q.release_mine(db, rep) == 1
    with UnitOfWork(db, write=False) as uow:
        events = uow.audit_log.for_entity("claim", _number(db, ids["big"]))
    assert [e.action for e in events].count("queue_item_taken") == 3


def test_leases_expire_by_themselves(seeded, users, tmp_path):
    db = seeded
    ids = _claims(db, users["admin"], tmp_path)
    qid = Q.create_queue(
        db, users["supervisor"], "Big", QueueRule(min_balance_cents=500_000)
    ).queue_id
    assert Q.take_next(db, users["rep"], qid, today=TODAY).claim_id == ids["big"]
    assert Q.take_next(db, users["senior"], qid, today=TODAY) is None
    later = utcnow() + dt.timedelta(minutes=Q.LEASE_MINUTES + 1)
    taken = Q.take_next(db, users["senior"], qid, today=TODAY, now=later)
    assert taken is not None and taken.claim_id == ids["big"]
    with pytest.raises(DomainError, match="another rep took this account"):
        Q.renew(db, users["rep"], ids["big"], now=later)


def test_lease_compare_and_set(db, users, tmp_path):
    """The compare-and-set SQLite relies on is plain SQL, so it holds on both databases."""
    claim = make_claim(db, users["admin"], tmp_path)
    now = utcnow()
    with UnitOfWork(db) as uow:
        assert Q._cas_lease(uow.session, users["rep"], claim, "{}", now)
        assert not Q._cas_lease(uow.session, users["senior"], claim, "{}", now)
        assert Q._cas_lease(uow.session, users["rep"], claim, "{}", now)  # the holder renews
        later = now + dt.timedelta(minutes=Q.LEASE_MINUTES, seconds=1)
        assert Q._cas_lease(uow.session, users["senior"], claim, "{}", later)
        uow.commit()
    with UnitOfWork(db, write=False) as uow:
        assert uow.session.scalar(select(m.Claim.lease_user_id)) == users["senior"].user_id


def test_two_reps_at_the_same_moment_never_get_the_same_claim(seeded, users, tmp_path):
    """Two sessions (threads, each with its own connection) call take_next at once, again
    and again: PostgreSQL's SKIP LOCKED (SQLite: serialised writers + compare-and-set)."""
    db = seeded
    for i in range(8):
        make_claim(db, users["admin"], tmp_path, service_date=f"2026-10-{10 + i:02d}",
                   charges=(f"{100 + i}.00",))  # fmt: skip
    qid = Q.create_queue(db, users["supervisor"], "All", QueueRule()).queue_id
    reps = [users["rep"], users["senior"]]
    for _round in range(4):
        barrier = threading.Barrier(2)
        got: list[int | None] = [None, None]
        errors: list[BaseException] = []

        def work(i: int, barrier=barrier, got=got, errors=errors) -> None:
            try:
                barrier.wait()
                item = Q.take_next(db, reps[i], qid, today=TODAY)
                got[i] = item.claim_id if item else None
            except BaseException as exc:  # noqa: BLE001 - re-raised in the main thread
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert not errors, errors
        assert None not in got and got[0] != got[1]
        with UnitOfWork(db, write=False) as uow:
            leased = uow.session.execute(
                select(m.Claim.id, m.Claim.lease_user_id).where(m.Claim.lease_user_id.is_not(None))
            ).all()
        assert sorted(c for c, _u in leased) == sorted(got)  # one lease each, nothing else
    with db.engine.begin() as conn:  # leave no leases behind for the next test's truncate
        conn.execute(update(m.Claim).values(lease_user_id=None, lease_expires_at=None))
