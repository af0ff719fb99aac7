"""Everything the scrubber and the 837P writer need about many claims, in a few queries.

``load_bundles`` reads claims (ORM objects, since the services change their status),
their lines, patients, coverages, payers, the practice and providers, authorizations,
the patient's other services (for the duplicate edit) and, for claims billed to a
secondary or tertiary payer, the earlier payers' adjudication from the ledger. It
works in chunks of 500 ids so IN lists stay small on both databases.

``scrub_facts`` turns a bundle into the domain's ClaimFacts; ``claim_837`` into the
writer's Claim837.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import bindparam, select

from billing_tui.db import models as m
from billing_tui.db.bulk import update_from_arrays
from billing_tui.db.uow import UnitOfWork
from billing_tui.domain import scrubber as S
from billing_tui.domain.scrubber import parse_pointers
from billing_tui.x12 import writer_837p as W

CHUNK = 500


@dataclass
class LineRow:
    line_id: int
    line_no: int
    service_date: dt.date
    procedure_code: str
    modifiers: tuple[str, ...]
    units: Decimal
    charge_cents: int
    dx_pointers: str
    control_number: str | None


@dataclass
class CoverageRow:
    id: int
    rank: int
    payer_id: int
    member_id: str
    group_number: str | None
    relation: str
    effective_date: dt.date
    term_date: dt.date | None


@dataclass
class PriorLine:
    """One earlier payer's adjudication of one line."""

    paid_cents: int = 0
    adjustments: dict[tuple[str, str], int] = field(default_factory=dict)
    last_date: dt.date | None = None


@dataclass
class ClaimRow:
    """The claim columns the scrubber and the writer read (Core, not ORM: 10,000 ORM
    objects cost a second; status changes go through ``apply_statuses``)."""

    id: int
    claim_number: str
    patient_id: int
    coverage_id: int | None
    payer_id: int | None
    provider_id: int | None
    frequency_code: str
    payer_claim_number: str | None
    status: str
    place_of_service: str
    diagnoses: str
    service_date: dt.date
    service_date_to: dt.date | None
    total_charge_cents: int
    ins_balance_cents: int
    pat_balance_cents: int
    responsibility: int
    last_activity_at: dt.date | None
    version: int


CLAIM_COLUMNS = [m.Claim.__table__.c[f.name] for f in dataclasses.fields(ClaimRow)]


@dataclass
class Bundle:
    claim: ClaimRow
    lines: list[LineRow]
    patient: tuple  # Core row of the patient columns below
    coverages: list[CoverageRow]
    billed: CoverageRow | None
    authorizations: list[S.AuthorizationFacts]
    other_services: dict[tuple[dt.date, str], str]
    # rank -> line_id -> what that payer did (only for ranks before the billed one)
    prior: dict[int, dict[int, PriorLine]]
    auth_number: str | None = None

    @property
    def rank(self) -> int:
        return self.billed.rank if self.billed else 0


@dataclass
class Reference:
    practice: m.Practice | None
    providers: dict[int, m.Provider]
    payers: dict[int, m.Payer]


def load_reference(uow: UnitOfWork) -> Reference:
    s = uow.session
    return Reference(
        practice=uow.payers.practice(),
        providers={p.id: p for p in s.scalars(select(m.Provider))},
        payers={p.id: p for p in s.scalars(select(m.Payer))},
    )


def _chunks(ids: Sequence[int]) -> list[list[int]]:
    ids = list(ids)
    return [ids[i : i + CHUNK] for i in range(0, len(ids), CHUNK)]


def billed_coverage(
    coverage_id: int | None, responsibility: int, coverages: list[CoverageRow]
) -> CoverageRow | None:
    """The coverage a claim is billed to now: the rank it is the responsibility of
    (the claim's own coverage when that has the rank)."""
    if responsibility not in (1, 2, 3):
        return None
    own = next((c for c in coverages if c.id == coverage_id), None)
    if own is not None and own.rank == responsibility:
        return own
    return next((c for c in coverages if c.rank == responsibility), None)


def load_bundles(
    uow: UnitOfWork,
    claim_ids: Sequence[int],
    *,
    lock: bool = False,
    other_services: bool = True,
) -> list[Bundle]:
    """Everything the scrubber and the 837P need about each claim, in chunks of plain rows.
    ``other_services=False`` skips the patients' other claims (only the scrubber's
    duplicate edit reads them; the export does not re-scrub)."""
    # Plain rows through the connection: the ORM's result machinery costs a second at 10k.
    s = uow.session.connection()
    out: list[Bundle] = []
    for chunk in _chunks(claim_ids):
        q = select(*CLAIM_COLUMNS).where(m.Claim.id.in_(chunk)).order_by(m.Claim.id)
        if lock:
            q = q.with_for_update()
        claims = [ClaimRow(*r) for r in s.execute(q)]
        if not claims:
            continue
        ids = [c.id for c in claims]
        lines: dict[int, list[LineRow]] = defaultdict(list)
        for r in s.execute(
            select(
                m.ClaimLine.claim_id,
                m.ClaimLine.id,
                m.ClaimLine.line_no,
                m.ClaimLine.service_date,
                m.ClaimLine.procedure_code,
                m.ClaimLine.modifier1,
                m.ClaimLine.modifier2,
                m.ClaimLine.modifier3,
                m.ClaimLine.modifier4,
                m.ClaimLine.units,
                m.ClaimLine.charge_cents,
                m.ClaimLine.dx_pointers,
                m.ClaimLine.line_control_number,
            )
            .where(m.ClaimLine.claim_id.in_(ids), m.ClaimLine.removed.is_(False))
            .order_by(m.ClaimLine.claim_id, m.ClaimLine.line_no)
        ):
            lines[r[0]].append(
                LineRow(
                    r[1],
                    r[2],
                    r[3],
                    r[4],
                    tuple(x for x in (r[5], r[6], r[7], r[8]) if x),
                    Decimal(str(r[9])),
                    r[10],
                    r[11] or "",
                    r[12],
                )
            )
        patient_ids = sorted({c.patient_id for c in claims})
        patients = {
            r[0]: r
            for r in s.execute(
                select(
                    m.Patient.id,
                    m.Patient.last_name,
                    m.Patient.first_name,
                    m.Patient.middle_name,
                    m.Patient.dob,
                    m.Patient.sex,
                    m.Patient.address1,
                    m.Patient.city,
                    m.Patient.state,
                    m.Patient.zip,
                ).where(m.Patient.id.in_(patient_ids))
            )
        }
        covs: dict[int, list[CoverageRow]] = defaultdict(list)
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
            .where(m.Coverage.patient_id.in_(patient_ids))
            .order_by(m.Coverage.patient_id, m.Coverage.rank, m.Coverage.id)
        ):
            covs[r[0]].append(CoverageRow(*r[1:]))
        auths: dict[tuple[int, int], list[S.AuthorizationFacts]] = defaultdict(list)
        for r in s.execute(
            select(
                m.Authorization.patient_id,
                m.Authorization.payer_id,
                m.Authorization.auth_number,
                m.Authorization.start_date,
                m.Authorization.end_date,
                m.Authorization.procedure_codes,
                m.Authorization.visits_allowed,
                m.Authorization.visits_used,
            ).where(m.Authorization.patient_id.in_(patient_ids))
        ):
            codes = (
                frozenset(x.strip().upper() for x in r[5].split(":") if x.strip()) if r[5] else None
            )
            auths[(r[0], r[1])].append(
                S.AuthorizationFacts(r[2], r[3], r[4], codes, r[6], r[7] or 0)
            )
        # Other services of the same patients, for the duplicate edit: the patients'
        # claims whose dates overlap ours (ours included: two new claims can duplicate
        # each other), then only those claims' lines.
        spans: dict[int, list[tuple[dt.date, dt.date]]] = defaultdict(list)
        for c in claims:
            spans[c.patient_id].append((c.service_date, c.service_date_to or c.service_date))
        candidates: dict[int, tuple[str, int]] = {}
        others = (
            s.execute(
                select(
                    m.Claim.id,
                    m.Claim.patient_id,
                    m.Claim.service_date,
                    m.Claim.service_date_to,
                    m.Claim.claim_number,
                ).where(m.Claim.patient_id.in_(patient_ids), m.Claim.status != "void")
            )
            if other_services
            else ()
        )
        for r in others:
            lo, hi = r[2], r[3] or r[2]
            if any(a <= hi and lo <= b for a, b in spans[r[1]]):
                candidates[r[0]] = (r[4], r[1])
        billed_lines: dict[int, dict[tuple[dt.date, str], list[str]]] = defaultdict(dict)
        for cand in _chunks(list(candidates)):
            for r in s.execute(
                select(
                    m.ClaimLine.claim_id, m.ClaimLine.service_date, m.ClaimLine.procedure_code
                ).where(m.ClaimLine.claim_id.in_(cand), m.ClaimLine.removed.is_(False))
            ):
                number, patient_id = candidates[r[0]]
                seen = billed_lines[patient_id].setdefault((r[1], r[2]), [])
                if number not in seen:
                    seen.append(number)

        def elsewhere(c: ClaimRow, billed_lines=billed_lines) -> dict[tuple[dt.date, str], str]:
            out = {}
            for key, numbers in billed_lines.get(c.patient_id, {}).items():
                other = next((n for n in numbers if n != c.claim_number), None)
                if other is not None:
                    out[key] = other
            return out

        # Earlier payers' adjudication, for claims billed to a secondary/tertiary payer.
        bundles = []
        needs_prior: list[int] = []
        for c in claims:
            pcovs = covs.get(c.patient_id, [])
            billed = billed_coverage(c.coverage_id, c.responsibility, pcovs)
            b = Bundle(
                claim=c,
                lines=lines.get(c.id, []),
                patient=patients[c.patient_id],
                coverages=pcovs,
                billed=billed,
                authorizations=auths.get((c.patient_id, billed.payer_id), []) if billed else [],
                other_services=elsewhere(c),
                prior={},
            )
            if billed is not None and billed.rank >= 2:
                needs_prior.append(c.id)
            bundles.append(b)
        if needs_prior:
            priors = _prior_adjudication(uow, needs_prior)
            for b in bundles:
                if b.claim.id in priors:
                    b.prior = {r: v for r, v in priors[b.claim.id].items() if r < b.rank}
        for b in bundles:
            b.auth_number = _auth_for(b)
        out.extend(bundles)
    return out


def apply_statuses(
    uow: UnitOfWork,
    ref: Reference,
    changes: Sequence[tuple[ClaimRow, str]],
    *,
    today: dt.date,
    submitted_at: dt.date | None = None,
) -> None:
    """Move many claims to new statuses in one executemany, each guarded by the version
    it was read at (a claim changed meanwhile raises ConflictError), bumping the version.

    The ORM's flush hook on Claim (models._claim_work_fields) keeps the work-queue
    priority and deadline in step but costs two queries per claim; here the same domain
    recipe (domain/priority.claim_work_fields) is applied with the payer already loaded.
    The statuses set here are never appeal statuses, so no denial deadline is involved.
    ``today`` is the service's own "today" (the app's, or the demo's).
    """
    if not changes:
        return
    from billing_tui.domain.errors import ConflictError
    from billing_tui.domain.priority import claim_work_fields

    t = m.Claim.__table__
    values = {
        "status": bindparam("b_status"),
        "version": t.c.version + 1,
        "priority": bindparam("b_priority"),
        "deadline_date": bindparam("b_deadline"),
    }
    if submitted_at is not None:
        values["submitted_at"] = bindparam("b_submitted")
    stmt = t.update().where(t.c.id == bindparam("b_id"), t.c.version == bindparam("b_version"))
    rows = []
    for c, status in changes:
        payer = ref.payers.get(c.payer_id) if c.payer_id is not None else None
        filing = (
            payer.timely_filing_days
            if payer is not None and payer.payer_type != "self_pay"
            else None
        )
        work = claim_work_fields(
            status=status,
            service_date=c.service_date,
            ins_balance_cents=c.ins_balance_cents,
            pat_balance_cents=c.pat_balance_cents,
            last_activity=c.last_activity_at,
            filing_days=filing,
            appeal_due=None,
            today=today,
        )
        rows.append(
            {
                "b_id": c.id,
                "b_version": c.version,
                "b_status": status,
                "b_priority": work.priority,
                "b_deadline": work.deadline,
                "b_submitted": submitted_at,
            }
        )
    conn = uow.session.connection()
    changed = 0
    if conn.dialect.name == "postgresql":
        changed = _apply_statuses_pg(conn, rows, submitted_at is not None)
    else:
        for i in range(0, len(rows), 1000):
            changed += conn.execute(stmt.values(values), rows[i : i + 1000]).rowcount
    if changed != len(rows):
        raise ConflictError("A claim in this batch", "it changed while it was being processed")
    for c, status in changes:
        c.status = status
        c.version += 1


def _apply_statuses_pg(conn, rows: list[dict], with_submitted: bool) -> int:
    """The same guarded UPDATE as one statement per 10,000 claims (an executemany costs
    PostgreSQL a statement per claim). Returns the rows changed."""
    sets = [("status", "text"), ("priority", "integer"), ("deadline_date", "date")]
    keys = ["b_status", "b_priority", "b_deadline"]
    if with_submitted:
        sets.append(("submitted_at", "date"))
        keys.append("b_submitted")
    keys += ["b_id", "b_version"]
    raw = conn.connection.driver_connection
    changed = 0
    for i in range(0, len(rows), 10_000):
        changed += update_from_arrays(
            raw,
            "claims",
            sets,
            [[r[k] for k in keys] for r in rows[i : i + 10_000]],
            match=(("id", "bigint"), ("version", "integer")),
            also=", version = t.version + 1",
        )
    return changed


def _auth_for(b: Bundle) -> str | None:
    for a in b.authorizations:
        if all(a.covers(ln.service_date, ln.procedure_code) for ln in b.lines):
            return a.auth_number
    return None


def _prior_adjudication(
    uow: UnitOfWork, claim_ids: list[int]
) -> dict[int, dict[int, dict[int, PriorLine]]]:
    """claim -> payer rank -> line id -> paid and adjustments, net of reversals."""
    rows = (
        uow.session.connection()
        .execute(
            select(
                m.LedgerEntry.id,
                m.LedgerEntry.claim_id,
                m.LedgerEntry.claim_line_id,
                m.LedgerEntry.kind,
                m.LedgerEntry.responsibility,
                m.LedgerEntry.to_responsibility,
                m.LedgerEntry.amount_cents,
                m.LedgerEntry.group_code,
                m.LedgerEntry.carc,
                m.LedgerEntry.reverses_id,
                m.LedgerEntry.posted_at,
            )
            .where(m.LedgerEntry.claim_id.in_(claim_ids))
            .order_by(m.LedgerEntry.claim_id, m.LedgerEntry.seq)
        )
        .all()
    )
    kind_of = {r[0]: r[3] for r in rows}
    out: dict[int, dict[int, dict[int, PriorLine]]] = defaultdict(lambda: defaultdict(dict))
    for _id, claim_id, line_id, kind, resp, to_resp, cents, group, carc, rev, posted in rows:
        if line_id is None or resp not in (1, 2, 3):
            continue
        base = kind_of.get(rev, kind) if kind == "reversal" else kind
        if base not in ("insurance_payment", "adjustment", "transfer"):
            continue
        if base == "transfer" and (group is None or to_resp is None or 0 < to_resp <= resp):
            # Only what the payer's EOB moved on (group code PR) to the next payer or the
            # patient; a rep's bare move of the balance is no adjudication.
            continue
        pl = out[claim_id][resp].setdefault(line_id, PriorLine())
        if base == "insurance_payment":
            pl.paid_cents += -cents
        elif base == "adjustment":
            key = (group or "CO", carc or "45")
            pl.adjustments[key] = pl.adjustments.get(key, 0) - cents
        else:
            key = (group, carc or "2")
            pl.adjustments[key] = pl.adjustments.get(key, 0) + cents
        day = posted.date() if isinstance(posted, dt.datetime) else posted
        pl.last_date = max(pl.last_date, day) if pl.last_date else day
    return out


# --- to the domain (scrubber) ----------------------------------------------------------


def scrub_facts(b: Bundle, ref: Reference) -> S.ClaimFacts:
    c = b.claim
    practice = ref.practice
    provider = ref.providers.get(c.provider_id) if c.provider_id else None
    p = b.patient
    cov = None
    if b.billed is not None:
        payer = ref.payers[b.billed.payer_id]
        cov = S.CoverageFacts(
            rank=b.billed.rank,
            payer_name=payer.name,
            payer_type=payer.payer_type,
            member_id=b.billed.member_id or "",
            relation=b.billed.relation or "self",
            effective_date=b.billed.effective_date,
            term_date=b.billed.term_date,
            requires_authorization=bool(payer.requires_authorization),
            timely_filing_days=payer.timely_filing_days,
        )
    lines = []
    for ln in b.lines:
        paid = 0
        adjs: list[tuple[str, str, int]] = []
        for rank in sorted(b.prior):
            pl = b.prior[rank].get(ln.line_id)
            if pl is not None:
                paid += pl.paid_cents
                adjs.extend((g, r, v) for (g, r), v in pl.adjustments.items())
        lines.append(
            S.LineFacts(
                ln.line_no,
                ln.service_date,
                ln.procedure_code,
                ln.modifiers,
                ln.units,
                ln.charge_cents,
                ln.dx_pointers,
                prior_paid_cents=paid,
                prior_adjustments=tuple(adjs),
            )
        )
    return S.ClaimFacts(
        claim_number=c.claim_number,
        frequency_code=c.frequency_code,
        payer_claim_number=c.payer_claim_number,
        place_of_service=c.place_of_service,
        diagnoses=tuple(d for d in (c.diagnoses or "").split(":") if d),
        total_charge_cents=c.total_charge_cents,
        lines=tuple(lines),
        billing_npi=practice.billing_npi if practice else None,
        billing_ein=practice.ein if practice else None,
        billing_address=(practice.address1, practice.city, practice.state, practice.zip)
        if practice
        else None,
        rendering_npi=provider.npi if provider else None,
        patient_last=p[1],
        patient_first=p[2],
        patient_dob=p[4],
        patient_sex=p[5],
        patient_address=(p[6], p[7], p[8], p[9]),
        coverage=cov,
        authorizations=tuple(b.authorizations),
        other_services=b.other_services,
    )


# --- to the writer (837P) ---------------------------------------------------------------


def claim_837(b: Bundle, ref: Reference) -> W.Claim837:
    c = b.claim
    p = b.patient
    billed = b.billed
    if billed is None:
        raise ValueError(f"claim {c.claim_number} has no payer to bill")
    payer = ref.payers[billed.payer_id]
    provider = ref.providers.get(c.provider_id) if c.provider_id else None
    subscriber = W.Person(
        last=p[1],
        first=p[2],
        middle=p[3],
        dob=p[4],
        sex=p[5],
        address=W.Address(p[6] or "", p[7] or "", p[8] or "", p[9] or ""),
    )
    lines = []
    for ln in b.lines:
        adjs = []
        for rank in sorted(b.prior):
            pl = b.prior[rank].get(ln.line_id)
            if pl is None:
                continue
            other = next((cv for cv in b.coverages if cv.rank == rank), None)
            if other is None:
                continue
            adjs.append(
                W.LineAdjudication(
                    payer_id=ref.payers[other.payer_id].edi_payer_id,
                    paid_cents=pl.paid_cents,
                    adjustments=tuple((g, r, v) for (g, r), v in pl.adjustments.items() if v),
                    date=pl.last_date or ln.service_date,
                )
            )
        lines.append(
            W.Line837(
                service_date=ln.service_date,
                procedure=ln.procedure_code,
                modifiers=ln.modifiers,
                units=ln.units,
                charge_cents=ln.charge_cents,
                pointers=tuple(int(x) for x in parse_pointers(ln.dx_pointers)),
                control_number=ln.control_number or f"{c.claim_number}-{ln.line_no}",
                adjudications=tuple(adjs),
            )
        )
    first_dos = min((ln.service_date for ln in b.lines), default=c.service_date)
    others = []
    for cv in b.coverages:
        if cv.rank == billed.rank or cv.id == billed.id:
            continue
        if cv.effective_date > first_dos or (cv.term_date is not None and cv.term_date < first_dos):
            continue
        if any(o.rank == cv.rank for o in others):
            continue
        op = ref.payers[cv.payer_id]
        if op.payer_type == "self_pay":
            continue
        paid = None
        if cv.rank in b.prior:
            paid = sum(pl.paid_cents for pl in b.prior[cv.rank].values())
        others.append(
            W.OtherCoverage(
                rank=cv.rank,
                payer=W.PayerRef(op.name, op.edi_payer_id),
                member_id=cv.member_id,
                claim_filing_indicator=op.claim_filing_indicator,
                group_number=cv.group_number,
                paid_cents=paid,
            )
        )
    rendering = (
        W.RenderingProvider(
            provider.last_name, provider.first_name, provider.npi, provider.taxonomy
        )
        if provider
        else None
    )
    return W.Claim837(
        claim_number=c.claim_number,
        total_charge_cents=c.total_charge_cents,
        place_of_service=c.place_of_service,
        frequency_code=c.frequency_code,
        diagnoses=tuple(d for d in (c.diagnoses or "").split(":") if d),
        subscriber=subscriber,
        member_id=billed.member_id,
        rank=billed.rank,
        claim_filing_indicator=payer.claim_filing_indicator,
        payer=W.PayerRef(payer.name, payer.edi_payer_id),
        rendering=rendering,
        lines=tuple(lines),
        group_number=billed.group_number,
        payer_claim_number=c.payer_claim_number,
        prior_authorization=b.auth_number,
        other_coverages=tuple(others),
    )
