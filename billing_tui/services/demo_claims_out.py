"""Demo data for claims out: unsent claims in every scrubber state.

Called at the end of ``build_demo``. It adds no claims and no ledger entries (the demo's
counts and ledger stay exactly as the generator made them); it turns some of the
generator's claims into the states a new user should see:

- authorizations on file for every coverage whose payer requires them (so clean claims
  pass that edit), standing for the demo's whole history;
- the most recent claims that were only submitted (charges, no payment yet) become
  unsent drafts again, a few hundred of them;
- a few of those get one fault each, one per scrubber edit that can fail claim by claim
  (bad ICD-10 code, pointer, modifier, units, total, authorization, timely filing,
  duplicate, rendering NPI, patient address, ended coverage, missing member id);
- a few denied claims become corrected claims (frequency 7 or 8; one lacks the payer's
  claim number);
- a few claims waiting for secondary billing are scrubbed (their COB loops come from
  the primary's ledger);
- then the scrubber runs over all of them and the demo's ready claims: clean ones are
  "ready", the rest carry their messages in the scrubber work list.
"""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import insert, select, update

from billing_tui.db import models as m
from billing_tui.db.engine import Database
from billing_tui.db.uow import UnitOfWork
from billing_tui.domain.claim_status import ClaimStatus
from billing_tui.domain.codesets import shipped_icd10cm
from billing_tui.services.auth import actor_of
from billing_tui.services.claim_facts import apply_statuses, load_bundles, load_reference
from billing_tui.services.scrubber import scrub_in

FAULTS = (
    "diagnoses",
    "pointers",
    "procedures",
    "units_charges",
    "total",
    "authorization",
    "timely_filing",
    "duplicate",
    "rendering_npi",
    "demographics",
    "coverage_ended",
    "member_id",
)


def seed_claims_out(db: Database, *, today: dt.date, seed: int, claims: int) -> dict:
    rng = random.Random(seed * 7919 + 5)
    n_convert = max(40, min(400, claims // 50))
    with UnitOfWork(db) as uow:
        s = uow.session
        admin = actor_of(uow.users.by_username("admin"))
        auths = _authorizations(uow, today)
        # Recent claims with charges only (sent, nothing back yet) become unsent again.
        recent = list(
            s.scalars(
                select(m.Claim)
                .where(
                    m.Claim.status.in_(("submitted", "accepted")),
                    m.Claim.responsibility == 1,
                    m.Claim.service_date >= today - dt.timedelta(days=60),
                    m.Claim.ins_balance_cents == m.Claim.total_charge_cents,
                )
                .order_by(m.Claim.service_date.desc(), m.Claim.id)
                .limit(n_convert)
            )
        )
        moves: dict[int, str] = {c.id: ClaimStatus.DRAFT.value for c in recent}
        faulty = _faults(uow, rng, recent, today, moves)
        corrected = _corrected(uow, rng, moves)
        secondary = list(
            s.scalars(
                select(m.Claim.id)
                .where(
                    m.Claim.status == ClaimStatus.TRANSFERRED.value,
                    m.Claim.responsibility == 2,
                    m.Claim.ins_balance_cents > 0,
                )
                .order_by(m.Claim.id.desc())
                .limit(max(5, n_convert // 8))
            )
        )
        ready = list(s.scalars(select(m.Claim.id).where(m.Claim.status == ClaimStatus.READY.value)))
        uow.flush()
        # Status moves as the services make them (version bumped, work-queue priority
        # recomputed as of the demo's today), not through the ORM's flush hook.
        rows = {b.claim.id: b.claim for b in load_bundles(uow, sorted(moves))}
        apply_statuses(
            uow, load_reference(uow), [(rows[i], st) for i, st in moves.items()], today=today
        )
        s.execute(update(m.Claim).where(m.Claim.id.in_(list(moves))).values(submitted_at=None))
        s.expire_all()
        ids = sorted({*(c.id for c in recent), *corrected, *secondary, *ready})
        summary = scrub_in(uow, admin, ids, today=today, codeset=shipped_icd10cm())
        uow.audit(
            admin,
            "demo_claims_out_seeded",
            "database",
            None,
            authorizations=auths,
            converted=len(recent),
            faults=faulty,
            corrected=len(corrected),
            secondary=len(secondary),
            scrubbed=summary.scrubbed,
            clean=summary.clean,
        )
        uow.commit()
    return {
        "authorizations": auths,
        "scrubbed": summary.scrubbed,
        "clean": summary.clean,
        "failed": summary.failed,
        "by_edit": summary.by_edit,
    }


def _authorizations(uow: UnitOfWork, today: dt.date) -> int:
    s = uow.session
    rows = [
        {
            "patient_id": pid,
            "payer_id": payer_id,
            "auth_number": f"PA{payer_id:02d}{pid:08d}",
            "procedure_codes": None,
            "start_date": eff,
            "end_date": today + dt.timedelta(days=180),
            "visits_allowed": None,
            "visits_used": 0,
        }
        for pid, payer_id, eff in s.execute(
            select(m.Coverage.patient_id, m.Coverage.payer_id, m.Coverage.effective_date)
            .join(m.Payer, m.Payer.id == m.Coverage.payer_id)
            .where(m.Payer.requires_authorization.is_(True))
            .order_by(m.Coverage.id)
        )
    ]
    for i in range(0, len(rows), 5000):
        s.execute(insert(m.Authorization), rows[i : i + 5000])
    return len(rows)


def _faults(
    uow: UnitOfWork,
    rng: random.Random,
    claims: list[m.Claim],
    today: dt.date,
    moves: dict[int, str],
) -> list:
    """One fault per edit on a few of the converted claims (every 5th, in FAULTS order)."""
    s = uow.session
    done = []
    step = max(1, min(5, len(claims) // len(FAULTS)))
    picks = claims[step // 2 :: step][: len(FAULTS) * 2]
    for i, c in enumerate(picks):
        fault = FAULTS[i % len(FAULTS)]
        lines = [ln for ln in uow.claims.lines(c.id) if not ln.removed]
        if not lines:
            continue
        first = lines[0]
        if fault == "diagnoses":
            c.diagnoses = ":".join(["E11", *c.diagnoses.split(":")[1:]])
        elif fault == "pointers":
            first.dx_pointers = f"1:{len(c.diagnoses.split(':')) + 1}"
        elif fault == "procedures":
            first.modifier1 = "5"
        elif fault == "units_charges":
            first.units = 0
        elif fault == "total":
            c.total_charge_cents += 1500
        elif fault == "authorization":
            s.execute(
                update(m.Authorization)
                .where(
                    m.Authorization.patient_id == c.patient_id,
                    m.Authorization.payer_id == c.payer_id,
                )
                .values(procedure_codes="97110:97140")
            )
            payer = uow.payers.get(c.payer_id)
            if not payer.requires_authorization:
                continue
        elif fault == "timely_filing":
            old = s.scalar(
                select(m.Claim)
                .join(m.Payer, m.Payer.id == m.Claim.payer_id)
                .where(
                    m.Claim.status.in_(("submitted", "accepted")),
                    m.Claim.responsibility == 1,
                    m.Claim.ins_balance_cents == m.Claim.total_charge_cents,
                    m.Claim.service_date < today - dt.timedelta(days=400),
                )
                .order_by(m.Claim.id)
                .limit(1)
            )
            if old is None:
                continue
            moves[old.id] = ClaimStatus.DRAFT.value
            claims.append(old)
        elif fault == "duplicate":
            # A second claim for a visit already billed: the same code on a date the
            # patient has another claim for. Dates stay as generated (queues key on them).
            twin = next(
                (
                    x
                    for x in claims
                    if x.id != c.id
                    and x.patient_id == c.patient_id
                    and x.service_date == c.service_date
                ),
                None,
            ) or s.scalar(
                select(m.Claim)
                .where(
                    m.Claim.patient_id == c.patient_id,
                    m.Claim.id != c.id,
                    m.Claim.service_date == c.service_date,
                    m.Claim.status != "void",
                )
                .limit(1)
            )
            if twin is None:
                continue
            first.procedure_code = uow.claims.lines(twin.id)[0].procedure_code
        elif fault == "rendering_npi":
            typo = s.scalar(select(m.Provider).where(m.Provider.last_name == "Typo"))
            if typo is None:
                typo = m.Provider(
                    practice_id=1,
                    last_name="Typo",
                    first_name="Terry",
                    credential="MD",
                    npi="1582300132",  # one digit off a valid NPI: fails the check digit
                    taxonomy="207Q00000X",
                )
                s.add(typo)
                uow.flush()
            c.provider_id = typo.id
        elif fault == "demographics":
            patient = uow.patients.get(c.patient_id)
            patient.address1 = None
        elif fault == "coverage_ended":
            cov = s.get(m.Coverage, c.coverage_id) if c.coverage_id else None
            if cov is None:
                continue
            cov.term_date = c.service_date - dt.timedelta(days=1)
        elif fault == "member_id":
            cov = s.get(m.Coverage, c.coverage_id) if c.coverage_id else None
            if cov is None:
                continue
            cov.member_id = ""
        done.append([c.claim_number, fault])
    return done


def _corrected(uow: UnitOfWork, rng: random.Random, moves: dict[int, str]) -> list[int]:
    """Denied claims (charges only) become corrected claims; the last lacks its number."""
    denied = list(
        uow.session.scalars(
            select(m.Claim)
            .where(
                m.Claim.status == ClaimStatus.DENIED.value,
                m.Claim.responsibility == 1,
                m.Claim.ins_balance_cents == m.Claim.total_charge_cents,
                m.Claim.payer_claim_number.is_not(None),
            )
            .order_by(m.Claim.service_date.desc(), m.Claim.id)
            .limit(4)
        )
    )
    for i, c in enumerate(denied):
        moves[c.id] = ClaimStatus.CORRECTED.value
        c.frequency_code = "8" if i == 1 else "7"
        if i == len(denied) - 1 and len(denied) > 2:
            c.payer_claim_number = None
    return [c.id for c in denied]
