"""Read-side queries that return plain rows, not ORM objects (cosmicpython's views).

Screens that show a lot at once (an account with years of claims and ledger
lines) read columns straight into DTOs. The statements are built once at
import with bound parameters: building a select() costs as much as running it.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Row, bindparam, select
from sqlalchemy.orm import Session

from billing_tui.db import models as m

_c, _ln, _e, _a, _cov, _p = (
    m.Claim,
    m.ClaimLine,
    m.LedgerEntry,
    m.Activity,
    m.Coverage,
    m.Payer,
)
_d, _u = m.Denial, m.User

_COVERAGES = (
    select(
        _cov.rank,
        _cov.payer_id,
        _p.name,
        _cov.member_id,
        _cov.eligibility_result,
        _cov.eligibility_verified_at,
        _cov.effective_date,
        _cov.term_date,
        _p.phone,
    )
    .join(_p, _p.id == _cov.payer_id)
    .where(_cov.patient_id == bindparam("pid"))
    .order_by(_cov.rank)
)
_CLAIMS = (
    select(
        _c.id,
        _c.claim_number,
        _c.status,
        _c.service_date,
        _c.payer_id,
        _p.name,
        _c.total_charge_cents,
        _c.ins_balance_cents,
        _c.pat_balance_cents,
        _c.follow_up_date,
        _c.version,
        _c.responsibility,
        _c.rebill,
        _c.submitted_at,
        _c.last_activity_at,
        _p.phone,
    )
    .outerjoin(_p, _p.id == _c.payer_id)
    .where(_c.patient_id == bindparam("pid"))
    .order_by(_c.service_date.desc(), _c.id.desc())
)
_LINES = (
    select(
        _ln.claim_id,
        _ln.id,
        _ln.line_no,
        _ln.service_date,
        _ln.procedure_code,
        _ln.modifier1,
        _ln.modifier2,
        _ln.modifier3,
        _ln.modifier4,
        _ln.units,
        _ln.charge_cents,
        _ln.ins_balance_cents,
        _ln.pat_balance_cents,
        _ln.removed,
    )
    .where(_ln.claim_id.in_(bindparam("ids", expanding=True)))
    .order_by(_ln.claim_id, _ln.line_no)
)
_LEDGER = (
    select(
        _e.claim_id,
        _e.id,
        _e.claim_line_id,
        _e.posted_at,
        _e.kind,
        _e.responsibility,
        _e.to_responsibility,
        _e.amount_cents,
        _e.group_code,
        _e.carc,
        _e.reverses_id,
        _e.memo,
    )
    .where(_e.claim_id.in_(bindparam("ids", expanding=True)))
    .order_by(_e.claim_id, _e.seq)
)
_ACTIVITIES = (
    select(
        _a.created_at,
        _a.kind,
        _a.outcome,
        _a.text,
        _a.call_reference,
        _a.next_follow_up,
        _a.user_id,
        _a.id,
        _a.claim_id,
        _a.payer_contact,
        _a.contact_phone,
        _a.duration_seconds,
        _u.display_name,
    )
    .outerjoin(_u, _u.id == _a.user_id)
    .where(_a.patient_id == bindparam("pid"))
    .order_by(_a.created_at.desc(), _a.id.desc())
    .limit(bindparam("limit"))
)


_DENIALS = (
    select(
        _d.claim_id,
        _d.id,
        _d.claim_line_id,
        _d.group_code,
        _d.carc,
        _d.rarc,
        _d.amount_cents,
        _d.category,
        _d.status,
        _d.denied_on,
        _d.due_date,
    )
    .where(_d.claim_id.in_(bindparam("ids", expanding=True)))
    .order_by(_d.denied_on.desc(), _d.id.desc())
)


def account_coverages(s: Session, patient_id: int) -> Sequence[Row]:
    return s.execute(_COVERAGES, {"pid": patient_id}).all()


def account_claims(s: Session, patient_id: int) -> Sequence[Row]:
    return s.execute(_CLAIMS, {"pid": patient_id}).all()


def account_lines(s: Session, claim_ids: Sequence[int]) -> Sequence[Row]:
    return s.execute(_LINES, {"ids": list(claim_ids)}).all() if claim_ids else []


def account_ledger(s: Session, claim_ids: Sequence[int]) -> Sequence[Row]:
    return s.execute(_LEDGER, {"ids": list(claim_ids)}).all() if claim_ids else []


def account_activities(s: Session, patient_id: int, limit: int = 200) -> Sequence[Row]:
    return s.execute(_ACTIVITIES, {"pid": patient_id, "limit": limit}).all()


def account_denials(s: Session, claim_ids: Sequence[int]) -> Sequence[Row]:
    return s.execute(_DENIALS, {"ids": list(claim_ids)}).all() if claim_ids else []
