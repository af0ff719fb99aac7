"""Denials and appeals: reason codes, root causes, appeal letters (issue 7)

- denials: reason_known (a CARC not in our table is stored and flagged), the rep's
  root-cause note, the action taken (by whom, when), the replacement claim of a corrected
  claim and the approval request of a write-off; ix_denials_open now covers denied_on,
  amount_cents and status so the work list groups from the index alone. Categories
  renamed by the reason-code table: missing_info -> documentation (rows and stored queue
  rules).
- appeals: the rep's argument, the template used, exported letter paths, decision date
  and note; an index for the appeals work list (by deadline).
- payer_appeal_windows: a payer's own window per appeal level.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("denials") as batch:
        batch.add_column(
            sa.Column("reason_known", sa.Boolean(), server_default=sa.true(), nullable=False)
        )
        batch.add_column(sa.Column("root_cause_note", sa.String(length=400), nullable=True))
        batch.add_column(sa.Column("action", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("worked_by", ID, nullable=True))
        batch.add_column(sa.Column("worked_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("replacement_claim_id", ID, nullable=True))
        batch.add_column(sa.Column("request_id", ID, nullable=True))
        batch.create_foreign_key(op.f("fk_denials_worked_by_users"), "users", ["worked_by"], ["id"])
        batch.create_foreign_key(
            op.f("fk_denials_replacement_claim_id_claims"),
            "claims",
            ["replacement_claim_id"],
            ["id"],
        )
        batch.create_foreign_key(
            op.f("fk_denials_request_id_adjustment_requests"),
            "adjustment_requests",
            ["request_id"],
            ["id"],
        )
    op.drop_index("ix_denials_open", table_name="denials")
    op.create_index(
        "ix_denials_open",
        "denials",
        ["category", "carc", "denied_on", "amount_cents", "status"],
        sqlite_where=sa.text("status = 'open'"),
        postgresql_where=sa.text("status = 'open'"),
    )
    op.create_index(
        "ix_denials_write_off_pending",
        "denials",
        ["request_id"],
        sqlite_where=sa.text("status = 'approval_pending'"),
        postgresql_where=sa.text("status = 'approval_pending'"),
    )
    op.execute("UPDATE denials SET category = 'documentation' WHERE category = 'missing_info'")
    op.execute(
        "UPDATE work_queues SET rule_json = REPLACE(rule_json, '\"missing_info\"', "
        "'\"documentation\"') WHERE rule_json LIKE '%missing_info%'"
    )
    with op.batch_alter_table("appeals") as batch:
        batch.add_column(sa.Column("argument", sa.Text(), nullable=True))
        batch.add_column(sa.Column("template", sa.String(length=60), nullable=True))
        batch.add_column(sa.Column("letter_txt_path", sa.String(length=500), nullable=True))
        batch.add_column(sa.Column("letter_pdf_path", sa.String(length=500), nullable=True))
        batch.add_column(sa.Column("decided_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("outcome_note", sa.String(length=400), nullable=True))
    op.create_index("ix_appeals_open_deadline", "appeals", ["status", "deadline"])
    op.create_table(
        "payer_appeal_windows",
        sa.Column("payer_id", ID, autoincrement=False, nullable=False),
        sa.Column("level", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["payer_id"], ["payers.id"], name=op.f("fk_payer_appeal_windows_payer_id_payers")
        ),
        sa.PrimaryKeyConstraint("payer_id", "level", name=op.f("pk_payer_appeal_windows")),
    )


def downgrade() -> None:
    op.drop_table("payer_appeal_windows")
    op.drop_index("ix_appeals_open_deadline", table_name="appeals")
    with op.batch_alter_table("appeals") as batch:
        for name in (
            "outcome_note",
            "decided_on",
            "letter_pdf_path",
            "letter_txt_path",
            "template",
            "argument",
        ):
            batch.drop_column(name)
    op.drop_index("ix_denials_write_off_pending", table_name="denials")
    op.drop_index("ix_denials_open", table_name="denials")
    op.create_index(
        "ix_denials_open",
        "denials",
        ["category", "carc"],
        sqlite_where=sa.text("status = 'open'"),
        postgresql_where=sa.text("status = 'open'"),
    )
    with op.batch_alter_table("denials") as batch:
        batch.drop_constraint(op.f("fk_denials_request_id_adjustment_requests"), type_="foreignkey")
        batch.drop_constraint(op.f("fk_denials_replacement_claim_id_claims"), type_="foreignkey")
        batch.drop_constraint(op.f("fk_denials_worked_by_users"), type_="foreignkey")
        for name in (
            "request_id",
            "replacement_claim_id",
            "worked_at",
            "worked_by",
            "action",
            "root_cause_note",
            "reason_known",
        ):
            batch.drop_column(name)
