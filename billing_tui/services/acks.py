"""999 acknowledgments: which of our transaction sets the receiver accepted or rejected.

The 999's AK1 names our group (GS06) and so the batch; each AK2 names a transaction set
(ST02). An accepted set (IK5 A or E) moves its claims from submitted to accepted. A
rejected set sends every claim in it back to the scrubber work list (status rejected)
carrying the error text: an IK3 whose segment position falls inside a claim's segments
is that claim's error; one outside every claim (the envelope or the billing provider)
is every claim's. A file already imported (same content) changes nothing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import delete, insert, select

from billing_tui.db import models as m
from billing_tui.db.engine import Database
from billing_tui.db.uow import UnitOfWork, utcnow
from billing_tui.domain.claim_status import ClaimStatus, can_transition, transition
from billing_tui.domain.errors import NotFoundError, ValidationError
from billing_tui.domain.users import Actor
from billing_tui.x12.ack999 import SET_STATUS, SegmentError, parse_999


@dataclass
class AckResult:
    file: str
    duplicate: bool = False
    batch_id: int | None = None
    interchange_control_number: int | None = None
    sets_accepted: int = 0
    sets_rejected: int = 0
    claims_accepted: int = 0
    claims_rejected: int = 0
    rejected_claims: list[str] = field(default_factory=list)

    def as_json(self) -> dict:
        return {
            "file": self.file,
            "duplicate": self.duplicate,
            "batch_id": self.batch_id,
            "interchange_control_number": self.interchange_control_number,
            "sets_accepted": self.sets_accepted,
            "sets_rejected": self.sets_rejected,
            "claims_accepted": self.claims_accepted,
            "claims_rejected": self.claims_rejected,
            "rejected_claims": self.rejected_claims,
        }


def _messages(errors: list[SegmentError], first: int, last: int) -> list[str]:
    own = [e for e in errors if first <= e.position <= last]
    if own:
        return [f"999 rejected it: {e.text}" for e in own]
    return []


def import_999(db: Database, actor: Actor, path: str | Path) -> AckResult:
    p = Path(path)
    if not p.is_file():
        raise ValidationError(f"{p}: no such file")
    data = p.read_bytes()
    ack = parse_999(data)
    digest = hashlib.sha256(data).hexdigest()
    result = AckResult(file=p.name)
    with UnitOfWork(db) as uow:
        s = uow.session
        if s.scalar(select(m.Acknowledgment.id).where(m.Acknowledgment.sha256 == digest)):
            result.duplicate = True
            return result
        now = utcnow()
        for group in ack.groups:
            if group.functional_code and group.functional_code != "HC":
                raise ValidationError(
                    f"the 999 acknowledges a {group.functional_code} group, not claims (HC)"
                )
            try:
                gs06 = int(group.group_control_number)
            except ValueError:
                raise ValidationError(
                    f"AK1 group control number {group.group_control_number!r} is not a number"
                ) from None
            batch = s.scalar(
                select(m.SubmissionBatch).where(m.SubmissionBatch.group_control_number == gs06)
            )
            if batch is None:
                raise NotFoundError(
                    f"the 999 answers group {gs06}, which matches no 837P batch we sent"
                )
            result.batch_id = batch.id
            result.interchange_control_number = batch.interchange_control_number
            sets = {
                ss.control_number.lstrip("0") or "0": ss
                for ss in s.scalars(
                    select(m.SubmissionSet).where(m.SubmissionSet.batch_id == batch.id)
                )
            }
            verdicts: dict[int, tuple[str, list[SegmentError]]] = {}
            for sa in group.sets:
                ss = sets.get(sa.control_number.lstrip("0") or "0")
                if ss is None:
                    raise NotFoundError(
                        f"the 999 answers transaction set {sa.control_number}, which is not in "
                        f"batch {batch.interchange_control_number:09d}"
                    )
                verdicts[ss.id] = (sa.status, sa.errors)
            if not group.sets and group.status in ("R", "M", "W", "X"):
                # The whole group was rejected without set detail.
                verdicts = {ss.id: (group.status, []) for ss in sets.values()}
            elif not group.sets and group.status in ("A", "E"):
                verdicts = {ss.id: (group.status, []) for ss in sets.values()}
            acknowledgment = m.Acknowledgment(
                file_name=p.name[:255],
                sha256=digest,
                isa_control_number=ack.interchange_control_number[:9] or None,
                group_control_number=str(gs06),
                batch_id=batch.id,
                status=group.status or "A",
                sets_accepted=0,
                sets_rejected=0,
                imported_at=now,
                imported_by=actor.user_id,
            )
            s.add(acknowledgment)
            uow.flush()
            accepted_sets = rejected_sets = 0
            for set_id, (status, errors) in verdicts.items():
                ss = s.get(m.SubmissionSet, set_id)
                ss.ack_status = status
                ss.acknowledgment_id = acknowledgment.id
                accepted = status in ("A", "E")
                accepted_sets += accepted
                rejected_sets += not accepted
                subs = list(
                    s.scalars(select(m.SubmittedClaim).where(m.SubmittedClaim.set_id == set_id))
                )
                claims = {
                    c.id: c
                    for c in s.scalars(
                        select(m.Claim).where(m.Claim.id.in_([x.claim_id for x in subs]))
                    )
                }
                header = [
                    e
                    for e in errors
                    if not any(x.first_segment <= e.position <= x.last_segment for x in subs)
                ]
                for sub in subs:
                    claim = claims[sub.claim_id]
                    if accepted:
                        sub.status = "accepted"
                        if claim.status == ClaimStatus.SUBMITTED.value:
                            claim.status = str(transition(claim.status, ClaimStatus.ACCEPTED))
                        result.claims_accepted += 1
                        uow.audit(
                            actor, "claim_accepted_999", "claim", claim.claim_number,
                            patient_id=claim.patient_id, batch=batch.id, st02=ss.control_number,
                        )  # fmt: skip
                        continue
                    sub.status = "rejected"
                    msgs = _messages(errors, sub.first_segment, sub.last_segment)
                    msgs += [f"999 rejected it: {e.text}" for e in header]
                    if not msgs:
                        why = SET_STATUS.get(status, f"status {status}")
                        msgs = [
                            f"999: transaction set {ss.control_number} was {why} because of "
                            "errors in other claims of the set; fix nothing here, re-scrub to "
                            "send it again"
                        ]
                    if can_transition(claim.status, ClaimStatus.REJECTED):
                        # submitted/accepted -> rejected; a claim already adjudicated by a
                        # quick 835 keeps its status and still carries the message.
                        claim.status = str(transition(claim.status, ClaimStatus.REJECTED))
                    result.claims_rejected += 1
                    result.rejected_claims.append(claim.claim_number)
                    uow.flush()
                    s.execute(delete(m.ScrubFinding).where(m.ScrubFinding.claim_id == claim.id))
                    s.execute(delete(m.ClaimScrub).where(m.ClaimScrub.claim_id == claim.id))
                    s.execute(
                        insert(m.ClaimScrub),
                        [
                            {
                                "claim_id": claim.id,
                                "result": "failed",
                                "rank": sub.rank,
                                "claim_version": claim.version,
                                "finding_count": len(msgs),
                                "source": "999",
                                "scrubbed_at": now,
                                "scrubbed_by": actor.user_id,
                            }
                        ],
                    )
                    s.execute(
                        insert(m.ScrubFinding),
                        [
                            {
                                "claim_id": claim.id,
                                "edit": "999",
                                "line_no": None,
                                "message": msg[:400],
                                "source": "999",
                            }
                            for msg in msgs
                        ],
                    )
                    uow.audit(
                        actor, "claim_rejected_999", "claim", claim.claim_number,
                        patient_id=claim.patient_id, batch=batch.id, st02=ss.control_number,
                        errors=msgs[:5],
                    )  # fmt: skip
            acknowledgment.sets_accepted = accepted_sets
            acknowledgment.sets_rejected = rejected_sets
            result.sets_accepted += accepted_sets
            result.sets_rejected += rejected_sets
            all_sets = list(sets.values())
            if all(x.ack_status in ("A", "E") for x in all_sets):
                batch.status = "accepted"
            elif all(x.ack_status and x.ack_status not in ("A", "E") for x in all_sets):
                batch.status = "rejected"
            else:
                batch.status = "partial"
            uow.audit(
                actor, "ack_999_imported", "submission_batch", batch.id, file=p.name,
                accepted=accepted_sets, rejected=rejected_sets,
            )  # fmt: skip
        uow.commit()
    return result
