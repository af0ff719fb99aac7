"""scrubber, 837P submissions, 999 acknowledgments (issue 5)

- claim_lines.removed: a line taken off a claim before it was sent (its charge is
  reversed in the ledger; the row stays because ledger entries point at it).
- claim_scrubs / scrub_findings: each claim's latest scrub and its messages (the
  scrubber work list); a 999 rejection writes here too.
- submission_batches / submission_sets / submitted_claims: every 837P file, its
  transaction sets (one per payer) and the claims in each, with their segment positions
  so a 999's IK3 names the claim it is about.
- acknowledgments: imported 999 files (sha256 unique: never imported twice).

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _id() -> sa.Column:
    return sa.Column("id", ID, autoincrement=True, nullable=False)


def upgrade() -> None:
    with op.batch_alter_table("claim_lines") as batch:
        batch.add_column(
            sa.Column("removed", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    op.create_table(
        "claim_scrubs",
        sa.Column("claim_id", ID, autoincrement=False, nullable=False),
        sa.Column("result", sa.String(length=8), nullable=False),
        sa.Column("rank", sa.SmallInteger(), nullable=False),
        sa.Column("claim_version", sa.Integer(), nullable=False),
        sa.Column("finding_count", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("scrubbed_at", sa.DateTime(), nullable=False),
        sa.Column("scrubbed_by", ID, nullable=True),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["claims.id"], name=op.f("fk_claim_scrubs_claim_id_claims")
        ),
        sa.ForeignKeyConstraint(
            ["scrubbed_by"], ["users.id"], name=op.f("fk_claim_scrubs_scrubbed_by_users")
        ),
        sa.PrimaryKeyConstraint("claim_id", name=op.f("pk_claim_scrubs")),
    )
    op.create_index("ix_claim_scrubs_result", "claim_scrubs", ["result", "claim_id"])
    op.create_table(
        "scrub_findings",
        _id(),
        sa.Column("claim_id", ID, nullable=False),
        sa.Column("edit", sa.String(length=20), nullable=False),
        sa.Column("line_no", sa.SmallInteger(), nullable=True),
        sa.Column("message", sa.String(length=400), nullable=False),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["claims.id"], name=op.f("fk_scrub_findings_claim_id_claims")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scrub_findings")),
    )
    op.create_index(op.f("ix_scrub_findings_claim_id"), "scrub_findings", ["claim_id"])
    op.create_table(
        "submission_batches",
        _id(),
        sa.Column("interchange_control_number", sa.BigInteger(), nullable=False),
        sa.Column("group_control_number", sa.BigInteger(), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("payer_id", ID, nullable=True),
        sa.Column("claim_count", sa.Integer(), nullable=False),
        sa.Column("line_count", sa.Integer(), nullable=False),
        sa.Column("charge_cents", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["payer_id"], ["payers.id"], name=op.f("fk_submission_batches_payer_id_payers")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_submission_batches_created_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_submission_batches")),
        sa.UniqueConstraint(
            "interchange_control_number",
            name=op.f("uq_submission_batches_interchange_control_number"),
        ),
        sa.UniqueConstraint(
            "group_control_number", name=op.f("uq_submission_batches_group_control_number")
        ),
    )
    op.create_table(
        "acknowledgments",
        _id(),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("isa_control_number", sa.String(length=9), nullable=True),
        sa.Column("group_control_number", sa.String(length=9), nullable=False),
        sa.Column("batch_id", ID, nullable=True),
        sa.Column("status", sa.String(length=1), nullable=False),
        sa.Column("sets_accepted", sa.Integer(), nullable=False),
        sa.Column("sets_rejected", sa.Integer(), nullable=False),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
        sa.Column("imported_by", ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["submission_batches.id"],
            name=op.f("fk_acknowledgments_batch_id_submission_batches"),
        ),
        sa.ForeignKeyConstraint(
            ["imported_by"], ["users.id"], name=op.f("fk_acknowledgments_imported_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_acknowledgments")),
        sa.UniqueConstraint("sha256", name=op.f("uq_acknowledgments_sha256")),
    )
    op.create_table(
        "submission_sets",
        _id(),
        sa.Column("batch_id", ID, nullable=False),
        sa.Column("payer_id", ID, nullable=True),
        sa.Column("control_number", sa.String(length=9), nullable=False),
        sa.Column("claim_count", sa.Integer(), nullable=False),
        sa.Column("charge_cents", sa.BigInteger(), nullable=False),
        sa.Column("ack_status", sa.String(length=1), nullable=True),
        sa.Column("acknowledgment_id", ID, nullable=True),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["submission_batches.id"],
            name=op.f("fk_submission_sets_batch_id_submission_batches"),
        ),
        sa.ForeignKeyConstraint(
            ["payer_id"], ["payers.id"], name=op.f("fk_submission_sets_payer_id_payers")
        ),
        sa.ForeignKeyConstraint(
            ["acknowledgment_id"],
            ["acknowledgments.id"],
            name=op.f("fk_submission_sets_acknowledgment_id_acknowledgments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_submission_sets")),
        sa.UniqueConstraint("batch_id", "control_number", name="uq_submission_set"),
    )
    op.create_index(op.f("ix_submission_sets_batch_id"), "submission_sets", ["batch_id"])
    op.create_table(
        "submitted_claims",
        _id(),
        sa.Column("batch_id", ID, nullable=False),
        sa.Column("set_id", ID, nullable=False),
        sa.Column("claim_id", ID, nullable=False),
        sa.Column("claim_version", sa.Integer(), nullable=False),
        sa.Column("rank", sa.SmallInteger(), nullable=False),
        sa.Column("frequency_code", sa.String(length=1), nullable=False),
        sa.Column("charge_cents", sa.BigInteger(), nullable=False),
        sa.Column("first_segment", sa.Integer(), nullable=False),
        sa.Column("last_segment", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["submission_batches.id"],
            name=op.f("fk_submitted_claims_batch_id_submission_batches"),
        ),
        sa.ForeignKeyConstraint(
            ["set_id"],
            ["submission_sets.id"],
            name=op.f("fk_submitted_claims_set_id_submission_sets"),
        ),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["claims.id"], name=op.f("fk_submitted_claims_claim_id_claims")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_submitted_claims")),
    )
    op.create_index(op.f("ix_submitted_claims_set_id"), "submitted_claims", ["set_id"])
    op.create_index(op.f("ix_submitted_claims_claim_id"), "submitted_claims", ["claim_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_submitted_claims_claim_id"), table_name="submitted_claims")
    op.drop_index(op.f("ix_submitted_claims_set_id"), table_name="submitted_claims")
    op.drop_table("submitted_claims")
    op.drop_index(op.f("ix_submission_sets_batch_id"), table_name="submission_sets")
    op.drop_table("submission_sets")
    op.drop_table("acknowledgments")
    op.drop_table("submission_batches")
    op.drop_index(op.f("ix_scrub_findings_claim_id"), table_name="scrub_findings")
    op.drop_table("scrub_findings")
    op.drop_index("ix_claim_scrubs_result", table_name="claim_scrubs")
    op.drop_table("claim_scrubs")
    with op.batch_alter_table("claim_lines") as batch:
        batch.drop_column("removed")
