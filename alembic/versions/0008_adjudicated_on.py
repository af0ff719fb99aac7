"""claims.adjudicated_on: each claim's first payer adjudication, kept by the ledger writers

The denial-rate report divides denials by the claims first adjudicated in each month.
Computing that from 13M ledger entries took 15 s at 1M claims; kept on the claim and
covered by an index with payer and charge, the report reads it from the index alone; the
denials of a date range likewise (ix_denials_trend).
Backfilled here from the ledger (payments, CAS adjustments, PR transfers with a group code)
and the denials.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN (no table copy): SQLite does it in place, whatever the size.
    op.add_column("claims", sa.Column("adjudicated_on", sa.Date(), nullable=True))
    bind = op.get_bind()
    day = "date(posted_at)" if bind.dialect.name == "sqlite" else "CAST(posted_at AS DATE)"
    op.execute(
        "UPDATE claims SET adjudicated_on = f.first_on FROM ("
        " SELECT claim_id, MIN(d) AS first_on FROM ("
        f"  SELECT claim_id, {day} AS d FROM ledger_entries"
        "   WHERE kind IN ('insurance_payment', 'adjustment')"
        "      OR (kind = 'transfer' AND group_code IS NOT NULL)"
        "  UNION ALL SELECT claim_id, denied_on AS d FROM denials"
        " ) AS firsts GROUP BY claim_id"
        ") AS f WHERE claims.id = f.claim_id"
    )
    op.create_index(
        "ix_claims_adjudicated",
        "claims",
        ["adjudicated_on", "payer_id", "total_charge_cents"],
        sqlite_where=sa.text("adjudicated_on IS NOT NULL"),
        postgresql_where=sa.text("adjudicated_on IS NOT NULL"),
    )
    op.create_index(
        "ix_denials_trend",
        "denials",
        ["denied_on", "claim_id", "carc", "category", "amount_cents"],
    )


def downgrade() -> None:
    op.drop_index("ix_denials_trend", table_name="denials")
    op.drop_index("ix_claims_adjudicated", table_name="claims")
    with op.batch_alter_table("claims") as batch:
        batch.drop_column("adjudicated_on")
