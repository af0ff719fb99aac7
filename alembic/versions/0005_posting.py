"""EOB posting: underpayment flags, refunds (issue 4)

- underpayments: posted lines allowed below the fee schedule (the Underpaid list);
- posting_denials: the denials a posting opened (a reversal withdraws them);
- adjustment_requests.responsibility / refund_to / posting_id: who a write-off or
  refund applies to, and the ledger posting made on approval;
- ix_ledger_posting: a posting's entries by posting id (reverse_posting).

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "underpayments",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("claim_id", ID, nullable=False),
        sa.Column("claim_line_id", ID, nullable=False),
        sa.Column("posting_id", sa.String(length=32), nullable=False),
        sa.Column("payer_id", ID, nullable=True),
        sa.Column("allowed_cents", sa.BigInteger(), nullable=False),
        sa.Column("contracted_cents", sa.BigInteger(), nullable=False),
        sa.Column("variance_cents", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["claims.id"], name=op.f("fk_underpayments_claim_id_claims")
        ),
        sa.ForeignKeyConstraint(
            ["claim_line_id"],
            ["claim_lines.id"],
            name=op.f("fk_underpayments_claim_line_id_claim_lines"),
        ),
        sa.ForeignKeyConstraint(
            ["payer_id"], ["payers.id"], name=op.f("fk_underpayments_payer_id_payers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_underpayments")),
    )
    op.create_index(op.f("ix_underpayments_claim_id"), "underpayments", ["claim_id"])
    op.create_index(op.f("ix_underpayments_posting_id"), "underpayments", ["posting_id"])
    op.create_index(
        "ix_underpayments_open",
        "underpayments",
        ["created_at"],
        sqlite_where=sa.text("status = 'open'"),
        postgresql_where=sa.text("status = 'open'"),
    )
    op.create_table(
        "posting_denials",
        sa.Column("posting_id", sa.String(length=32), nullable=False),
        sa.Column("denial_id", ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["denial_id"], ["denials.id"], name=op.f("fk_posting_denials_denial_id_denials")
        ),
        sa.PrimaryKeyConstraint("posting_id", "denial_id", name=op.f("pk_posting_denials")),
    )
    with op.batch_alter_table("adjustment_requests") as batch:
        batch.add_column(sa.Column("responsibility", sa.SmallInteger(), nullable=True))
        batch.add_column(sa.Column("refund_to", sa.String(length=8), nullable=True))
        batch.add_column(sa.Column("posting_id", sa.String(length=32), nullable=True))
    op.create_index(
        "ix_ledger_posting",
        "ledger_entries",
        ["posting_id"],
        sqlite_where=sa.text("posting_id IS NOT NULL"),
        postgresql_where=sa.text("posting_id IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_ledger_posting", table_name="ledger_entries")
    with op.batch_alter_table("adjustment_requests") as batch:
        batch.drop_column("posting_id")
        batch.drop_column("refund_to")
        batch.drop_column("responsibility")
    op.drop_table("posting_denials")
    op.drop_index("ix_underpayments_open", table_name="underpayments")
    op.drop_index(op.f("ix_underpayments_posting_id"), table_name="underpayments")
    op.drop_index(op.f("ix_underpayments_claim_id"), table_name="underpayments")
    op.drop_table("underpayments")
