"""PostgreSQL: two reps post the same EOB to the same claim at the same moment.

Each thread has its own connection; the claim row lock (FOR UPDATE) queues the second
one, which then sees the new version and gets the conflict message: exactly one posting,
nothing lost or doubled.
"""

from __future__ import annotations

import threading

import pytest
from posting_helpers import claim_row, claim_version, new_batch, sent_claim

from billing_tui.db.uow import UnitOfWork
from billing_tui.domain.adjudication import Cas
from billing_tui.domain.errors import ConflictError
from billing_tui.services.batches import get_batch
from billing_tui.services.check import run_check
from billing_tui.services.eob_posting import EobLine, post_claim, reverse_posting

EX1 = EobLine(1, 12000, 9600, coinsurance_cents=2400, adjustments=(Cas("CO", "45", 8000),))


@pytest.mark.parametrize("db", ["postgresql"], indirect=True)  # row locks between connections
def test_two_reps_post_the_same_claim_at_once(db, users, tmp_path):
    claim = sent_claim(db, users["admin"], tmp_path)
    batch = new_batch(db, users["admin"], 2 * 9600)  # room for both, so only the lock decides
    reps = [users["rep"], users["senior"]]
    seen: set[str] = set()
    for _round in range(3):
        version = claim_version(db, claim)
        barrier = threading.Barrier(2)
        results: list[object] = [None, None]

        def work(i: int, barrier=barrier, results=results, version=version) -> None:
            try:
                barrier.wait()
                results[i] = post_claim(
                    db,
                    reps[i],
                    claim_id=claim,
                    expected_version=version,
                    lines=[EX1],
                    batch_id=batch.id,
                )
            except BaseException as exc:  # noqa: BLE001 - inspected in the main thread
                results[i] = exc

        threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        conflicts = [r for r in results if isinstance(r, ConflictError)]
        posted = [r for r in results if not isinstance(r, BaseException)]
        assert len(posted) == 1 and len(conflicts) == 1, results
        assert "changed by someone else" in str(conflicts[0])
        with UnitOfWork(db, write=False) as uow:
            postings = {e.posting_id for e in uow.ledger.for_claim(claim) if e.posting_id}
        assert postings - seen == {posted[0].posting_id}  # one new posting, not two
        row = claim_row(db, claim)
        assert (row["ins"], row["pat"]) == (0, 2400)
        assert get_batch(db, batch.id).posted_cents == 9600
        # undo for the next round, so both reps race again on a fresh version
        rev = reverse_posting(db, users["admin"], posted[0].posting_id, "next round")
        seen |= postings | {rev.posting_id}
    report = run_check(db)
    assert report.ok, report.problems
