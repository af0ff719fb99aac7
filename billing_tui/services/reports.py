"""Read-side reports: AR aging and the rep's home page.

Aging sums the cached claim balances (proven equal to the ledger by `check`)
over the partial indexes on open balances, one range per bucket, so it stays
fast at a million claims.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, func, select

from billing_tui.db import models as m
from billing_tui.db.engine import Database
from billing_tui.db.uow import UnitOfWork
from billing_tui.domain.aging import AgingBasis, bucket_bounds
from billing_tui.domain.users import Actor
from billing_tui.services.dto import AgingReport, AgingRow, FollowUpRow, HomeSummary, RecentAccount


def _basis_col(basis: AgingBasis):
    return (
        m.Claim.service_date
        if basis == AgingBasis.SERVICE_DATE
        else func.coalesce(m.Claim.last_activity_at, m.Claim.service_date)
    )


def aging_report(
    db: Database, today: dt.date | None = None, basis: AgingBasis | str = AgingBasis.SERVICE_DATE
) -> AgingReport:
    today = today or dt.date.today()
    basis = AgingBasis(basis)
    col = _basis_col(basis)
    rows: list[AgingRow] = []
    with UnitOfWork(db, write=False) as uow:
        s = uow.session
        for bucket, oldest, newest in bucket_bounds(today):
            conds = []
            if oldest is not None:
                conds.append(col >= oldest)
            if newest is not None:
                conds.append(col <= newest)
            where = and_(*conds)
            ins = s.execute(
                select(func.coalesce(func.sum(m.Claim.ins_balance_cents), 0), func.count()).where(
                    m.Claim.ins_balance_cents != 0, where
                )
            ).one()
            pat = s.execute(
                select(func.coalesce(func.sum(m.Claim.pat_balance_cents), 0), func.count()).where(
                    m.Claim.pat_balance_cents != 0, where
                )
            ).one()
            rows.append(AgingRow(str(bucket), int(ins[0]), ins[1], int(pat[0]), pat[1]))
    return AgingReport(as_of=today, basis=str(basis), rows=rows)


def home_summary(db: Database, actor: Actor, today: dt.date | None = None) -> HomeSummary:
    """The rep's world at a glance: AR by aging bucket, follow-ups due, recent accounts."""
    today = today or dt.date.today()
    aging = aging_report(db, today)
    with UnitOfWork(db, write=False) as uow:
        s = uow.session
        # Closing a claim clears its follow-up, so the covering partial index on
        # (follow_up_date, owner_id) answers this without reading claim rows.
        due_filter = and_(m.Claim.follow_up_date.is_not(None), m.Claim.follow_up_date <= today)
        mine = (m.Claim.owner_id == actor.user_id) | m.Claim.owner_id.is_(None)
        due_count = s.scalar(select(func.count()).where(due_filter, mine)) or 0
        q = (
            select(
                m.Claim.id,
                m.Claim.claim_number,
                m.Patient.id,
                m.Patient.last_name,
                m.Patient.first_name,
                m.Payer.name,
                m.Claim.follow_up_date,
                m.Claim.ins_balance_cents + m.Claim.pat_balance_cents,
                m.Claim.status,
            )
            .join(m.Patient, m.Patient.id == m.Claim.patient_id)
            .outerjoin(m.Payer, m.Payer.id == m.Claim.payer_id)
            .where(due_filter, mine)
            .order_by(m.Claim.follow_up_date, m.Claim.id)
            .limit(15)
        )
        follow_ups = [
            FollowUpRow(
                claim_id=r[0],
                claim_number=r[1],
                patient_id=r[2],
                patient_name=f"{r[3]}, {r[4]}",
                payer_name=r[5] or "Self-pay",
                follow_up_date=r[6],
                balance_cents=int(r[7]),
                status=r[8],
            )
            for r in s.execute(q)
        ]
        recent_q = (
            select(m.AuditEvent.patient_id, func.max(m.AuditEvent.occurred_at).label("t"))
            .where(
                m.AuditEvent.user_id == actor.user_id,
                m.AuditEvent.action == "account_viewed",
                m.AuditEvent.patient_id.is_not(None),
            )
            .group_by(m.AuditEvent.patient_id)
            .order_by(func.max(m.AuditEvent.occurred_at).desc())
            .limit(8)
        ).subquery()
        recent = [
            RecentAccount(r[0], r[1], f"{r[2]}, {r[3]}", r[4])
            for r in s.execute(
                select(
                    m.Patient.id,
                    m.Patient.account_no,
                    m.Patient.last_name,
                    m.Patient.first_name,
                    recent_q.c.t,
                )
                .join(recent_q, recent_q.c.patient_id == m.Patient.id)
                .order_by(recent_q.c.t.desc())
            )
        ]
    return HomeSummary(
        user_display_name=actor.display_name,
        role=str(actor.role),
        aging=aging,
        follow_ups_due=due_count,
        follow_ups=follow_ups,
        recent_accounts=recent,
    )
