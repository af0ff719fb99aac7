"""Scrub claims before they go out: clean ones become "ready", the rest go to the
scrubber work list with their messages; after a fix the rep scrubs again.

What is scrubbed: unsent claims (draft, ready, corrected, rejected by a 999) and claims
waiting for secondary billing (transferred to payer rank 2 or 3 with an insurance balance).
A clean draft / corrected / rejected claim becomes ready; a ready claim that fails goes
back to draft; a secondary claim keeps its status and is exported once its latest scrub
is clean for its current payer rank and version.

One unit of work per call: findings replaced, statuses moved through the status
machine, one audit event per claim, all or nothing.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import and_, delete, func, or_, select

from billing_tui.db import models as m
from billing_tui.db.bulk import bulk_insert
from billing_tui.db.engine import Database
from billing_tui.db.uow import UnitOfWork, utcnow
from billing_tui.domain import scrubber as S
from billing_tui.domain.claim_status import ClaimStatus, transition
from billing_tui.domain.codesets import Icd10CodeSet, shipped_icd10cm
from billing_tui.domain.errors import ConflictError, NotFoundError, ValidationError
from billing_tui.domain.users import Actor
from billing_tui.services.claim_facts import (
    apply_statuses,
    load_bundles,
    load_reference,
    scrub_facts,
)

UNSENT = (
    ClaimStatus.DRAFT.value,
    ClaimStatus.READY.value,
    ClaimStatus.CORRECTED.value,
    ClaimStatus.REJECTED.value,
)
NEEDS_WORK = (ClaimStatus.DRAFT.value, ClaimStatus.CORRECTED.value, ClaimStatus.REJECTED.value)


def secondary_pending():
    """SQL condition: waiting to be billed to the secondary (or tertiary) payer."""
    return and_(
        m.Claim.status == ClaimStatus.TRANSFERRED.value,
        m.Claim.responsibility.in_((2, 3)),
        m.Claim.ins_balance_cents > 0,
    )


@dataclass(frozen=True, slots=True)
class FindingView:
    edit: str
    label: str
    message: str
    line_no: int | None
    source: str


@dataclass(frozen=True, slots=True)
class ClaimScrubResult:
    claim_id: int
    claim_number: str
    result: str  # clean / failed
    status: str
    version: int
    findings: tuple[FindingView, ...]


@dataclass
class ScrubSummary:
    scrubbed: int = 0
    clean: int = 0
    failed: int = 0
    by_edit: dict[str, int] = field(default_factory=dict)
    results: list[ClaimScrubResult] = field(default_factory=list)

    def as_json(self) -> dict:
        return {
            "scrubbed": self.scrubbed,
            "clean": self.clean,
            "failed": self.failed,
            "by_edit": dict(sorted(self.by_edit.items())),
        }


def _view(edit: str, message: str, line_no: int | None, source: str) -> FindingView:
    return FindingView(edit, S.EDIT_LABELS.get(edit, edit), message, line_no, source)


def scrub_claims(
    db: Database,
    actor: Actor,
    claim_ids: Sequence[int] | None = None,
    *,
    today: dt.date | None = None,
    codeset: Icd10CodeSet | None = None,
    expected_versions: dict[int, int] | None = None,
) -> ScrubSummary:
    """Scrub the given claims (default: every unsent claim and every secondary waiting)."""
    today = today or dt.date.today()
    codeset = codeset or shipped_icd10cm()
    with UnitOfWork(db) as uow:
        summary = scrub_in(
            uow, actor, claim_ids, today=today, codeset=codeset, expected_versions=expected_versions
        )
        uow.commit()
    return summary


def scrub_claim(
    db: Database,
    actor: Actor,
    claim_id: int,
    *,
    expected_version: int | None = None,
    today: dt.date | None = None,
    codeset: Icd10CodeSet | None = None,
) -> ClaimScrubResult:
    """Scrub one claim (the rep's "re-scrub" after a fix)."""
    versions = {claim_id: expected_version} if expected_version is not None else None
    summary = scrub_claims(
        db, actor, [claim_id], today=today, codeset=codeset, expected_versions=versions
    )
    return summary.results[0]


def scrubbable_ids(uow: UnitOfWork) -> list[int]:
    return list(
        uow.session.scalars(
            select(m.Claim.id)
            .where(or_(m.Claim.status.in_(UNSENT), secondary_pending()))
            .order_by(m.Claim.id)
        )
    )


def scrub_in(
    uow: UnitOfWork,
    actor: Actor | None,
    claim_ids: Sequence[int] | None,
    *,
    today: dt.date,
    codeset: Icd10CodeSet,
    expected_versions: dict[int, int] | None = None,
    audit: bool = True,
) -> ScrubSummary:
    """The scrub inside a caller's unit of work (no commit): the service above, the demo
    seeding and the benchmark share it."""
    explicit = claim_ids is not None
    ids = list(dict.fromkeys(claim_ids)) if explicit else scrubbable_ids(uow)
    summary = ScrubSummary()
    if not ids:
        return summary
    ref = load_reference(uow)
    ctx = S.ScrubContext(today=today, icd10=codeset)
    bundles = load_bundles(uow, ids)
    found = {b.claim.id for b in bundles}
    missing = [i for i in ids if i not in found]
    if missing:
        raise NotFoundError(f"claim id {missing[0]} does not exist")
    by_edit: Counter[str] = Counter()
    per_claim: list[tuple] = []
    changes: list[tuple] = []
    now = utcnow()
    for b in bundles:
        c = b.claim
        if expected_versions and c.id in expected_versions and c.version != expected_versions[c.id]:
            raise ConflictError(f"Claim {c.claim_number}")
        secondary = (
            c.status == ClaimStatus.TRANSFERRED.value
            and c.responsibility in (2, 3)
            and c.ins_balance_cents > 0
        )
        if c.status not in UNSENT and not secondary:
            if explicit:
                raise ValidationError(
                    f"claim {c.claim_number} is {ClaimStatus(c.status).label}: only claims not "
                    "yet sent (or waiting for secondary billing) are scrubbed"
                )
            continue
        findings = S.scrub(scrub_facts(b, ref), ctx)
        by_edit.update(f.edit for f in findings)
        if not findings and c.status != ClaimStatus.READY.value and not secondary:
            changes.append((c, str(transition(c.status, ClaimStatus.READY))))
        elif findings and c.status == ClaimStatus.READY.value:
            changes.append((c, str(transition(c.status, ClaimStatus.DRAFT))))
        per_claim.append((b, findings))
    apply_statuses(uow, ref, changes, today=today)
    s = uow.session
    done = [b.claim.id for b, _ in per_claim]
    for i in range(0, len(done), 500):
        chunk = done[i : i + 500]
        s.execute(delete(m.ScrubFinding).where(m.ScrubFinding.claim_id.in_(chunk)))
        s.execute(delete(m.ClaimScrub).where(m.ClaimScrub.claim_id.in_(chunk)))
    scrub_rows, finding_rows = [], []
    for b, findings in per_claim:
        c = b.claim
        result = "failed" if findings else "clean"
        scrub_rows.append(
            {
                "claim_id": c.id,
                "result": result,
                "rank": b.rank,
                "claim_version": c.version,
                "finding_count": len(findings),
                "source": "scrubber",
                "scrubbed_at": now,
                "scrubbed_by": actor.user_id if actor else None,
            }
        )
        finding_rows.extend(
            {
                "claim_id": c.id,
                "edit": f.edit,
                "line_no": f.line_no,
                "message": f.message[:400],
                "source": "scrubber",
            }
            for f in findings
        )
        summary.results.append(
            ClaimScrubResult(
                c.id,
                c.claim_number,
                result,
                c.status,
                c.version,
                tuple(_view(f.edit, f.message, f.line_no, "scrubber") for f in findings),
            )
        )
        if audit:
            uow.audit(
                actor,
                "claim_scrubbed",
                "claim",
                c.claim_number,
                patient_id=c.patient_id,
                result=result,
                status=c.status,
                findings=len(findings),
                edits=sorted({f.edit for f in findings}),
            )
        if findings:
            summary.failed += 1
        else:
            summary.clean += 1
    bulk_insert(s, m.ClaimScrub.__table__, scrub_rows)
    bulk_insert(s, m.ScrubFinding.__table__, finding_rows)
    summary.scrubbed = len(per_claim)
    summary.by_edit = dict(by_edit)
    return summary


# --- the work list ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WorkItem:
    claim_id: int
    claim_number: str
    patient_name: str
    account_no: str
    payer_name: str
    service_date: dt.date
    total_charge_cents: int
    status: str
    responsibility: int
    result: str | None  # None: not scrubbed yet
    finding_count: int
    first_message: str
    version: int


@dataclass(frozen=True, slots=True)
class WorkListPage:
    items: list[WorkItem]
    total: int
    has_more: bool
    view: str
    counts: dict[str, int]


VIEWS = ("needs_work", "ready")


def _view_filter(view: str):
    if view == "needs_work":
        return or_(
            m.Claim.status.in_(NEEDS_WORK),
            and_(secondary_pending(), m.ClaimScrub.result == "failed"),
        )
    if view == "ready":
        return or_(
            m.Claim.status == ClaimStatus.READY.value,
            and_(
                secondary_pending(),
                m.ClaimScrub.result == "clean",
                m.ClaimScrub.rank == m.Claim.responsibility,
                m.ClaimScrub.claim_version == m.Claim.version,
            ),
        )
    raise ValidationError(f"unknown work list view {view!r}: use needs_work or ready")


def work_list(
    db: Database, *, view: str = "needs_work", after_claim_id: int = 0, limit: int = 50
) -> WorkListPage:
    """One page of the scrubber work list, by claim id (keyset: pass the last id seen)."""
    with UnitOfWork(db, write=False) as uow:
        s = uow.session
        counts = {}
        for v in VIEWS:
            counts[v] = (
                s.scalar(
                    select(func.count())
                    .select_from(m.Claim)
                    .outerjoin(m.ClaimScrub, m.ClaimScrub.claim_id == m.Claim.id)
                    .where(_view_filter(v))
                )
                or 0
            )
        billed_payer = (
            select(m.Payer.name)
            .join(m.Coverage, m.Coverage.payer_id == m.Payer.id)
            .where(
                m.Coverage.patient_id == m.Claim.patient_id,
                m.Coverage.rank == m.Claim.responsibility,
            )
            .order_by(m.Coverage.id)
            .limit(1)
            .scalar_subquery()
        )
        rows = s.execute(
            select(
                m.Claim.id,
                m.Claim.claim_number,
                m.Patient.last_name,
                m.Patient.first_name,
                m.Patient.account_no,
                func.coalesce(billed_payer, m.Payer.name),
                m.Claim.service_date,
                m.Claim.total_charge_cents,
                m.Claim.status,
                m.Claim.responsibility,
                m.ClaimScrub.result,
                m.ClaimScrub.finding_count,
                m.Claim.version,
            )
            .join(m.Patient, m.Patient.id == m.Claim.patient_id)
            .outerjoin(m.Payer, m.Payer.id == m.Claim.payer_id)
            .outerjoin(m.ClaimScrub, m.ClaimScrub.claim_id == m.Claim.id)
            .where(_view_filter(view), m.Claim.id > after_claim_id)
            .order_by(m.Claim.id)
            .limit(limit + 1)
        ).all()
        has_more = len(rows) > limit
        rows = rows[:limit]
        first: dict[int, str] = {}
        ids = [r[0] for r in rows]
        if ids:
            for cid, msg in s.execute(
                select(m.ScrubFinding.claim_id, m.ScrubFinding.message)
                .where(m.ScrubFinding.claim_id.in_(ids))
                .order_by(m.ScrubFinding.claim_id, m.ScrubFinding.id)
            ):
                first.setdefault(cid, msg)
        items = [
            WorkItem(
                claim_id=r[0],
                claim_number=r[1],
                patient_name=f"{r[2]}, {r[3]}",
                account_no=r[4],
                payer_name=r[5] or "Self-pay",
                service_date=r[6],
                total_charge_cents=r[7],
                status=r[8],
                responsibility=r[9],
                result=r[10],
                finding_count=r[11] or 0,
                first_message=first.get(r[0], "" if r[10] else "not scrubbed yet"),
                version=r[12],
            )
            for r in rows
        ]
    return WorkListPage(items, counts.get(view, 0), has_more, view, counts)


def claim_findings(db: Database, claim_id: int) -> list[FindingView]:
    with UnitOfWork(db, write=False) as uow:
        return [
            _view(f.edit, f.message, f.line_no, f.source)
            for f in uow.session.scalars(
                select(m.ScrubFinding)
                .where(m.ScrubFinding.claim_id == claim_id)
                .order_by(m.ScrubFinding.id)
            )
        ]
