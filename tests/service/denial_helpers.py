"""Builders for the denial and appeal service tests: a claim denied through real posting."""

from __future__ import annotations

from svc_helpers import make_claim

from billing_tui.db.uow import UnitOfWork
from billing_tui.domain.adjudication import Cas
from billing_tui.services.eob_posting import EobLine, post_claim


def denied_claim(db, actor, tmp_path, *, carc="197", charge="300.00", **over) -> tuple[int, int]:
    """DESIGN example 3: billed 300.00, paid 0.00, CO-197 300.00, CLP02 = 4.
    Returns (claim id, denial id)."""
    claim_id = make_claim(db, actor, tmp_path, charges=(charge,), **over)
    with UnitOfWork(db) as uow:
        claim = uow.claims.get(claim_id)
        claim.status = "submitted"  # sent earlier (the 837 path is not under test here)
        claim.payer_claim_number = f"ICN{claim_id:08d}"
        uow.commit()
        version = claim.version
    cents = int(charge.replace(".", ""))
    result = post_claim(
        db,
        actor,
        claim_id=claim_id,
        expected_version=version,
        lines=[
            EobLine(
                line_no=1, allowed_cents=None, paid_cents=0, adjustments=(Cas("CO", carc, cents),)
            )
        ],
        batch_id=None,
        claim_denied=True,
    )
    assert result.denial_ids, "posting made no denial"
    return claim_id, result.denial_ids[0]
