"""Settle denials whose write-off request was decided before decisions settled them

Until this release a denial waiting on a write-off request (status approval_pending)
followed the supervisor's decision lazily, the next time a denial list was loaded. The
decision now settles its denials in the same transaction, and the lists no longer write,
so a denial whose request was decided in between would wait forever and drop off the
work list. This settles them once, as the old code would have: approved or posted ->
written_off; denied -> open again with action write_off_denied. Only the denials'
status changes (their write-off was posted, or not, by the decision itself).

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "UPDATE denials SET status = 'written_off', worked_at = CURRENT_TIMESTAMP "
        "WHERE status = 'approval_pending' AND request_id IN ("
        " SELECT id FROM adjustment_requests WHERE status IN ('approved', 'posted'))"
    )
    op.execute(
        "UPDATE denials SET status = 'open', action = 'write_off_denied', "
        "worked_at = CURRENT_TIMESTAMP "
        "WHERE status = 'approval_pending' AND request_id IN ("
        " SELECT id FROM adjustment_requests WHERE status = 'denied')"
    )


def downgrade() -> None:
    """Nothing to undo: the settled statuses are what the old code would have written."""
