"""ERA 835 import: remittances, exceptions (issue 6)

- remittances: one row per 835 transaction set (ST..SE) of an imported file: payer,
  TRN trace, BPR amount/method/date, totals, status (posted / exceptions / rejected) and
  the payment batch it became.
- remit_claims / remit_lines: the CLP and SVC loops as received, for the drill-down,
  with the claim and line each matched and how.
- era_exceptions: what could not post automatically, with the reason (a rep works it).
- era_warnings: implementation-guide findings (pyx12) for a file; never block posting.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _id() -> sa.Column:
    return sa.Column("id", ID, autoincrement=True, nullable=False)


def _fk(table: str, col: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([col], [f"{target}.id"], name=op.f(f"fk_{table}_{col}_{target}"))


def upgrade() -> None:
    op.create_table(
        "remittances",
        _id(),
        sa.Column("remittance_file_id", ID, nullable=False),
        sa.Column("st_control_number", sa.String(length=9), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("error", sa.String(length=400), nullable=True),
        sa.Column("payer_id", ID, nullable=True),
        sa.Column("payer_name", sa.String(length=120), nullable=True),
        sa.Column("payer_identifier", sa.String(length=50), nullable=True),
        sa.Column("trace_number", sa.String(length=50), nullable=True),
        sa.Column("handling_code", sa.String(length=2), nullable=True),
        sa.Column("payment_method", sa.String(length=3), nullable=True),
        sa.Column("payment_date", sa.Date(), nullable=True),
        sa.Column("check_amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("paid_cents", sa.BigInteger(), nullable=False),
        sa.Column("plb_cents", sa.BigInteger(), nullable=False),
        sa.Column("claim_count", sa.Integer(), nullable=False),
        sa.Column("claims_posted", sa.Integer(), nullable=False),
        sa.Column("claims_exceptions", sa.Integer(), nullable=False),
        sa.Column("batch_id", ID, nullable=True),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
        _fk("remittances", "remittance_file_id", "remittance_files"),
        _fk("remittances", "payer_id", "payers"),
        _fk("remittances", "batch_id", "payment_batches"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_remittances")),
    )
    op.create_index(
        op.f("ix_remittances_remittance_file_id"), "remittances", ["remittance_file_id"]
    )
    op.create_index("ix_remittances_trace", "remittances", ["payer_identifier", "trace_number"])
    op.create_table(
        "remit_claims",
        _id(),
        sa.Column("remittance_id", ID, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("claim_number", sa.String(length=38), nullable=False),
        sa.Column("status_code", sa.String(length=2), nullable=False),
        sa.Column("billed_cents", sa.BigInteger(), nullable=False),
        sa.Column("paid_cents", sa.BigInteger(), nullable=False),
        sa.Column("patient_resp_cents", sa.BigInteger(), nullable=False),
        sa.Column("payer_claim_number", sa.String(length=50), nullable=True),
        sa.Column("patient_name", sa.String(length=120), nullable=True),
        sa.Column("cas_text", sa.String(length=400), nullable=False),
        sa.Column("claim_id", ID, nullable=True),
        sa.Column("posted", sa.Boolean(), nullable=False),
        sa.Column("posting_id", sa.String(length=32), nullable=True),
        sa.Column("reversed_by_id", ID, nullable=True),
        sa.Column("exception_reason", sa.String(length=400), nullable=True),
        _fk("remit_claims", "remittance_id", "remittances"),
        _fk("remit_claims", "claim_id", "claims"),
        _fk("remit_claims", "reversed_by_id", "remit_claims"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_remit_claims")),
    )
    op.create_index(op.f("ix_remit_claims_remittance_id"), "remit_claims", ["remittance_id"])
    op.create_index(op.f("ix_remit_claims_claim_id"), "remit_claims", ["claim_id"])
    op.create_table(
        "remit_lines",
        _id(),
        sa.Column("remit_claim_id", ID, nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("procedure_code", sa.String(length=48), nullable=False),
        sa.Column("modifiers", sa.String(length=12), nullable=False),
        sa.Column("service_date", sa.Date(), nullable=True),
        sa.Column("billed_cents", sa.BigInteger(), nullable=False),
        sa.Column("allowed_cents", sa.BigInteger(), nullable=True),
        sa.Column("paid_cents", sa.BigInteger(), nullable=False),
        sa.Column("cas_text", sa.String(length=400), nullable=False),
        sa.Column("remarks", sa.String(length=200), nullable=False),
        sa.Column("control_number", sa.String(length=50), nullable=True),
        sa.Column("claim_line_id", ID, nullable=True),
        sa.Column("matched_line_no", sa.SmallInteger(), nullable=True),
        sa.Column("match_method", sa.String(length=8), nullable=True),
        _fk("remit_lines", "remit_claim_id", "remit_claims"),
        _fk("remit_lines", "claim_line_id", "claim_lines"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_remit_lines")),
    )
    op.create_index(op.f("ix_remit_lines_remit_claim_id"), "remit_lines", ["remit_claim_id"])
    op.create_table(
        "era_exceptions",
        _id(),
        sa.Column("remittance_id", ID, nullable=False),
        sa.Column("remit_claim_id", ID, nullable=True),
        sa.Column("claim_id", ID, nullable=True),
        sa.Column("claim_number", sa.String(length=50), nullable=True),
        sa.Column("reason", sa.String(length=400), nullable=False),
        sa.Column("paid_cents", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("resolved_by", ID, nullable=True),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.Column("resolution_note", sa.String(length=400), nullable=True),
        _fk("era_exceptions", "remittance_id", "remittances"),
        _fk("era_exceptions", "remit_claim_id", "remit_claims"),
        _fk("era_exceptions", "claim_id", "claims"),
        _fk("era_exceptions", "resolved_by", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_era_exceptions")),
    )
    op.create_index(op.f("ix_era_exceptions_remittance_id"), "era_exceptions", ["remittance_id"])
    op.create_index(
        "ix_era_exceptions_open",
        "era_exceptions",
        ["created_at"],
        sqlite_where=sa.text("status = 'open'"),
        postgresql_where=sa.text("status = 'open'"),
    )
    op.create_table(
        "era_warnings",
        _id(),
        sa.Column("remittance_file_id", ID, nullable=False),
        sa.Column("message", sa.String(length=400), nullable=False),
        _fk("era_warnings", "remittance_file_id", "remittance_files"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_era_warnings")),
    )
    op.create_index(
        op.f("ix_era_warnings_remittance_file_id"), "era_warnings", ["remittance_file_id"]
    )


def downgrade() -> None:
    op.drop_table("era_warnings")
    op.drop_index("ix_era_exceptions_open", table_name="era_exceptions")
    op.drop_table("era_exceptions")
    op.drop_table("remit_lines")
    op.drop_table("remit_claims")
    op.drop_table("remittances")
