"""Sending claims: the 837P batch for every ready claim (or one payer's).

``preview_submission`` shows what would go (per payer: claims, lines, charges) without
writing anything; ``export_837`` builds the file with our writer, takes ISA13 / GS06 /
ST02 from the database's counters (unique and increasing, and rolled back with
everything else if the export fails), records the batch, its transaction sets and
each claim's segment positions, marks the claims submitted, audits it, and only then
moves the file into place. A claim sent once is no longer ready, so running the export
again sends nothing twice.

What counts as ready: status "ready" (scrubbed clean), and claims waiting for secondary
billing whose latest scrub is clean for their current payer rank and version.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import and_, func, or_, select

from billing_tui.db import models as m
from billing_tui.db.bulk import bulk_insert
from billing_tui.db.engine import Database
from billing_tui.db.uow import UnitOfWork, utcnow
from billing_tui.domain.claim_status import ClaimStatus, transition
from billing_tui.domain.errors import ConflictError, NotFoundError, ValidationError
from billing_tui.domain.users import Actor
from billing_tui.services.claim_facts import (
    CoverageRow,
    apply_statuses,
    billed_coverage,
    claim_837,
    load_bundles,
    load_reference,
)
from billing_tui.services.scrubber import secondary_pending
from billing_tui.x12 import writer_837p as W
from billing_tui.x12.envelope import Party


@dataclass(frozen=True, slots=True)
class EdiSettings:
    """Who we are and who receives the file (the clearinghouse). From the environment:
    BILLING_TUI_EDI_SENDER_ID (default: the practice's EIN), BILLING_TUI_EDI_RECEIVER_ID
    / _RECEIVER_NAME (default CLEARINGHOUSE), BILLING_TUI_EDI_USAGE (P production or T
    test; default P)."""

    sender_id: str | None
    receiver_id: str
    receiver_name: str
    usage: str

    @classmethod
    def from_env(cls) -> EdiSettings:
        usage = os.environ.get("BILLING_TUI_EDI_USAGE", "P").upper()
        if usage not in ("P", "T"):
            raise ValidationError("BILLING_TUI_EDI_USAGE must be P (production) or T (test)")
        return cls(
            sender_id=os.environ.get("BILLING_TUI_EDI_SENDER_ID") or None,
            receiver_id=os.environ.get("BILLING_TUI_EDI_RECEIVER_ID", "CLEARINGHOUSE"),
            receiver_name=os.environ.get("BILLING_TUI_EDI_RECEIVER_NAME", "CLEARINGHOUSE"),
            usage=usage,
        )


@dataclass(frozen=True, slots=True)
class PayerSummary:
    payer_id: int
    payer_name: str
    edi_payer_id: str
    claims: int
    lines: int
    charge_cents: int
    secondary_claims: int


@dataclass(frozen=True, slots=True)
class SubmissionPreview:
    payers: list[PayerSummary]
    claims: int
    lines: int
    charge_cents: int
    claim_ids: tuple[int, ...]


@dataclass
class ExportResult:
    claims: int
    lines: int
    charge_cents: int
    file: str
    interchange_control_number: int
    batch_id: int
    group_control_number: int
    sets: list[dict] = field(default_factory=list)

    def as_json(self) -> dict:
        return {
            "claims": self.claims,
            "lines": self.lines,
            "charge_cents": self.charge_cents,
            "file": self.file,
            "interchange_control_number": self.interchange_control_number,
        }


def ready_condition():
    return or_(
        m.Claim.status == ClaimStatus.READY.value,
        and_(
            secondary_pending(),
            m.ClaimScrub.result == "clean",
            m.ClaimScrub.rank == m.Claim.responsibility,
            m.ClaimScrub.claim_version == m.Claim.version,
        ),
    )


def _ready(uow: UnitOfWork, payer_id: int | None) -> list[tuple[int, int, int, int]]:
    """(claim id, billed payer id, charge cents, rank) of every claim ready to send."""
    s = uow.session
    rows = s.execute(
        select(
            m.Claim.id,
            m.Claim.patient_id,
            m.Claim.coverage_id,
            m.Claim.responsibility,
            m.Claim.total_charge_cents,
        )
        .outerjoin(m.ClaimScrub, m.ClaimScrub.claim_id == m.Claim.id)
        .where(ready_condition())
        .order_by(m.Claim.id)
    ).all()
    patients = sorted({r[1] for r in rows})
    covs: dict[int, list[CoverageRow]] = defaultdict(list)
    for i in range(0, len(patients), 500):
        for r in s.execute(
            select(
                m.Coverage.patient_id,
                m.Coverage.id,
                m.Coverage.rank,
                m.Coverage.payer_id,
                m.Coverage.member_id,
                m.Coverage.group_number,
                m.Coverage.relation,
                m.Coverage.effective_date,
                m.Coverage.term_date,
            )
            .where(m.Coverage.patient_id.in_(patients[i : i + 500]))
            .order_by(m.Coverage.patient_id, m.Coverage.rank, m.Coverage.id)
        ):
            covs[r[0]].append(CoverageRow(*r[1:]))
    out = []
    for cid, pid, cov_id, resp, total in rows:
        billed = billed_coverage(cov_id, resp, covs.get(pid, []))
        if billed is None:
            continue
        if payer_id is not None and billed.payer_id != payer_id:
            continue
        out.append((cid, billed.payer_id, total, billed.rank))
    return out


def _payer_by_edi(uow: UnitOfWork, edi: str | None) -> int | None:
    if edi is None:
        return None
    payer = uow.payers.by_edi_ids([edi]).get(edi)
    if payer is None:
        raise NotFoundError(f"no payer with EDI id {edi!r}")
    return payer.id


def preview_submission(db: Database, *, payer_edi: str | None = None) -> SubmissionPreview:
    with UnitOfWork(db, write=False) as uow:
        payer_id = _payer_by_edi(uow, payer_edi)
        ready = _ready(uow, payer_id)
        ids = [r[0] for r in ready]
        lines: dict[int, int] = {}
        for i in range(0, len(ids), 500):
            for cid, n in uow.session.execute(
                select(m.ClaimLine.claim_id, func.count())
                .where(m.ClaimLine.claim_id.in_(ids[i : i + 500]), m.ClaimLine.removed.is_(False))
                .group_by(m.ClaimLine.claim_id)
            ):
                lines[cid] = n
        payers = {p.id: p for p in uow.session.scalars(select(m.Payer))}
        agg: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
        for cid, pid, total, rank in ready:
            a = agg[pid]
            a[0] += 1
            a[1] += lines.get(cid, 0)
            a[2] += total
            a[3] += rank >= 2
        summaries = sorted(
            (
                PayerSummary(
                    pid, payers[pid].name, payers[pid].edi_payer_id, a[0], a[1], a[2], a[3]
                )
                for pid, a in agg.items()
            ),
            key=lambda p: (-p.charge_cents, p.payer_name),
        )
    return SubmissionPreview(
        payers=summaries,
        claims=len(ids),
        lines=sum(lines.values()),
        charge_cents=sum(r[2] for r in ready),
        claim_ids=tuple(ids),
    )


def export_837(
    db: Database,
    actor: Actor,
    out: str | Path,
    *,
    payer_edi: str | None = None,
    claim_ids: Sequence[int] | None = None,
    now: dt.datetime | None = None,
    settings: EdiSettings | None = None,
) -> ExportResult:
    """Write the 837P for every ready claim (or one payer's) and mark them submitted.

    ``claim_ids``: the claims a preview showed; if any of them is no longer ready (another
    rep sent or changed it) nothing is written and ConflictError says which."""
    target = Path(out)
    if target.exists():
        raise ValidationError(
            f"{target} already exists; choose a new file name (an earlier batch may not "
            "have been uploaded yet)"
        )
    if not target.parent.is_dir():
        raise ValidationError(f"folder {target.parent} does not exist")
    settings = settings or EdiSettings.from_env()
    now = now or dt.datetime.now().replace(microsecond=0)
    with UnitOfWork(db) as uow:
        result, text = export_in(
            uow, actor, target.name, payer_edi=payer_edi, claim_ids=claim_ids, now=now,
            settings=settings,
        )  # fmt: skip
        tmp = target.with_name(f".{target.name}.partial")
        tmp.write_text(text, encoding="ascii", newline="\n")
        try:
            uow.commit()
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    os.replace(tmp, target)
    result.file = str(target)
    return result


def export_in(
    uow: UnitOfWork,
    actor: Actor,
    file_name: str,
    *,
    payer_edi: str | None = None,
    claim_ids: Sequence[int] | None = None,
    now: dt.datetime,
    settings: EdiSettings,
    audit: bool = True,
) -> tuple[ExportResult, str]:
    """The export inside a caller's unit of work (no commit, no file): returns the result
    and the file text. The service above and the benchmark share it."""
    payer_id = _payer_by_edi(uow, payer_edi)
    ready = _ready(uow, payer_id)
    ready_ids = {r[0] for r in ready}
    if claim_ids is not None:
        gone = [i for i in claim_ids if i not in ready_ids]
        if gone:
            number = uow.session.scalar(select(m.Claim.claim_number).where(m.Claim.id == gone[0]))
            raise ConflictError(
                "This batch",
                f"claim {number or gone[0]} is no longer ready; review the batch again",
            )
        wanted = set(claim_ids)
        ready = [r for r in ready if r[0] in wanted]
    if not ready:
        which = f" for payer {payer_edi}" if payer_edi else ""
        raise ValidationError(f"no claims are ready to send{which}; scrub the drafts first")
    ref = load_reference(uow)
    practice = ref.practice
    if practice is None:
        raise ValidationError("the practice (billing provider) is not set up")
    bundles = load_bundles(uow, [r[0] for r in ready], lock=True, other_services=False)
    by_payer: dict[int, list] = defaultdict(list)
    for b in bundles:
        if b.billed is None:
            raise ValidationError(f"claim {b.claim.claim_number} has no payer to bill; scrub it")
        by_payer[b.billed.payer_id].append(b)
    isa = uow.counters.next("isa13")
    gs = uow.counters.next("gs06")
    if isa > 999_999_999:
        raise ValidationError("the interchange control number ran past 999999999")
    batches: list[W.PayerBatch] = []
    set_numbers: dict[int, str] = {}
    for pid in sorted(by_payer, key=lambda p: ref.payers[p].name):
        st = uow.counters.next("st02")  # one per payer, in the order the sets are written
        set_numbers[pid] = f"{st % 1_000_000_000:09d}"
        claims = [
            claim_837(b, ref) for b in sorted(by_payer[pid], key=lambda b: b.claim.claim_number)
        ]
        batches.append(
            W.PayerBatch(
                set_numbers[pid],
                W.PayerRef(ref.payers[pid].name, ref.payers[pid].edi_payer_id),
                claims,
            )
        )
    sender_id = settings.sender_id or practice.ein.replace("-", "")
    address = W.Address(practice.address1, practice.city, practice.state, practice.zip)
    written = W.write_837p(
        submitter=W.Submitter(practice.name, sender_id, "BILLING OFFICE", practice.phone or ""),
        receiver=W.Receiver(settings.receiver_name, settings.receiver_id),
        provider=W.BillingProvider(
            practice.name, practice.billing_npi, practice.ein, address, practice.taxonomy
        ),
        batches=batches,
        sender=Party("ZZ", sender_id),
        receiver_party=Party("ZZ", settings.receiver_id),
        interchange_control_number=isa,
        group_control_number=gs,
        created=now,
        reference=f"{isa:09d}",
        usage=settings.usage,
    )
    s = uow.session
    batch = m.SubmissionBatch(
        interchange_control_number=isa,
        group_control_number=gs,
        file_name=file_name[:255],
        payer_id=payer_id,
        claim_count=written.claims,
        line_count=written.lines,
        charge_cents=written.charge_cents,
        sha256=hashlib.sha256(written.text.encode("ascii")).hexdigest(),
        status="sent",
        created_at=utcnow(),
        created_by=actor.user_id,
    )
    s.add(batch)
    uow.flush()
    payer_order = sorted(by_payer, key=lambda p: ref.payers[p].name)
    sets = []
    for pid, layout in zip(payer_order, written.sets, strict=True):
        claims = by_payer[pid]
        ss = m.SubmissionSet(
            batch_id=batch.id,
            payer_id=pid,
            control_number=layout.control_number,
            claim_count=len(claims),
            charge_cents=sum(b.claim.total_charge_cents for b in claims),
        )
        s.add(ss)
        sets.append((pid, layout, ss))
    uow.flush()
    bundle_by_number = {b.claim.claim_number: b for b in bundles}
    sets_json = []
    placed = []
    for pid, layout, ss in sets:
        sets_json.append(
            {"control_number": layout.control_number, "payer": ref.payers[pid].edi_payer_id,
             "claims": ss.claim_count}
        )  # fmt: skip
        for pos in layout.claims:
            b = bundle_by_number[pos.claim_number]
            placed.append((b, ss.id, pos, set_numbers[pid]))
    apply_statuses(
        uow,
        ref,
        [(b.claim, str(transition(b.claim.status, ClaimStatus.SUBMITTED))) for b, *_ in placed],
        today=now.date(),
        submitted_at=now.date(),
    )
    rows = []
    for b, set_id, pos, st02 in placed:
        c = b.claim
        rows.append(
            {
                "batch_id": batch.id,
                "set_id": set_id,
                "claim_id": c.id,
                "claim_version": c.version,
                "rank": b.rank,
                "frequency_code": c.frequency_code,
                "charge_cents": c.total_charge_cents,
                "first_segment": pos.first_segment,
                "last_segment": pos.last_segment,
                "status": "sent",
            }
        )
        if audit:
            uow.audit(
                actor,
                "claim_submitted",
                "claim",
                c.claim_number,
                patient_id=c.patient_id,
                batch=batch.id,
                isa13=isa,
                st02=st02,
                rank=b.rank,
                frequency=c.frequency_code,
            )
    bulk_insert(s, m.SubmittedClaim.__table__, rows)
    uow.audit(
        actor,
        "batch_exported",
        "submission_batch",
        batch.id,
        isa13=isa,
        gs06=gs,
        file=file_name,
        claims=written.claims,
        lines=written.lines,
        charge=written.charge_cents,
        payer=payer_edi,
    )
    result = ExportResult(
        claims=written.claims,
        lines=written.lines,
        charge_cents=written.charge_cents,
        file=file_name,
        interchange_control_number=isa,
        batch_id=batch.id,
        group_control_number=gs,
        sets=sets_json,
    )
    return result, written.text


@dataclass(frozen=True, slots=True)
class BatchView:
    batch_id: int
    interchange_control_number: int
    file_name: str
    claims: int
    charge_cents: int
    status: str
    created_at: dt.datetime


def recent_batches(db: Database, limit: int = 10) -> list[BatchView]:
    with UnitOfWork(db, write=False) as uow:
        return [
            BatchView(
                b.id,
                b.interchange_control_number,
                b.file_name,
                b.claim_count,
                b.charge_cents,
                b.status,
                b.created_at,
            )
            for b in uow.session.scalars(
                select(m.SubmissionBatch).order_by(m.SubmissionBatch.id.desc()).limit(limit)
            )
        ]


def suggested_file(now: dt.datetime | None = None) -> str:
    """Where the submit screen proposes to write: an outbox beside the default database."""
    from billing_tui.db.engine import default_db_path

    now = now or dt.datetime.now()
    outbox = default_db_path().parent / "outbox"
    outbox.mkdir(parents=True, exist_ok=True)
    return str(outbox / f"837P-{now:%Y%m%d-%H%M%S}.txt")
