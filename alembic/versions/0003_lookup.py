"""fuzzy look-up index (issue 3)

Two tables behind `billing-tui find` and the `/` look-up (see billing_tui/domain/lookup.py):
the typo index over the vocabulary of name words (each word under itself and under each
one-letter deletion of it) and every ordered pair of each patient's name words. Existing
patients are indexed here, in chunks.

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CHUNK = 20_000


def upgrade() -> None:
    op.create_table(
        "lookup_name_keys",
        sa.Column("key", sa.String(length=60), nullable=False),
        sa.Column("word", sa.String(length=60), nullable=False),
        sa.PrimaryKeyConstraint("key", "word", name=op.f("pk_lookup_name_keys")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "lookup_name_pairs",
        sa.Column("a", sa.String(length=60), nullable=False),
        sa.Column("b", sa.String(length=60), nullable=False),
        sa.Column(
            "patient_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_lookup_name_pairs_patient_id_patients"),
        ),
        sa.PrimaryKeyConstraint("a", "b", "patient_id", name=op.f("pk_lookup_name_pairs")),
        sqlite_with_rowid=False,
    )
    op.create_index(
        "ix_lookup_name_pairs_patient", "lookup_name_pairs", ["patient_id"], unique=False
    )
    _backfill()


def _backfill() -> None:
    """Index the patients already in the database (the same rules as new ones)."""
    from billing_tui.domain.lookup import index_entries, vocabulary_keys

    conn = op.get_bind()
    patients = sa.table(
        "patients",
        sa.column("id"),
        sa.column("first_name"),
        sa.column("middle_name"),
        sa.column("last_name"),
    )
    pairs_t = sa.table("lookup_name_pairs", sa.column("a"), sa.column("b"), sa.column("patient_id"))
    keys_t = sa.table("lookup_name_keys", sa.column("key"), sa.column("word"))
    vocabulary: set[str] = set()
    last_id = 0
    while True:
        people = conn.execute(
            sa.select(
                patients.c.id,
                patients.c.first_name,
                patients.c.middle_name,
                patients.c.last_name,
            )
            .where(patients.c.id > last_id)
            .order_by(patients.c.id)
            .limit(_CHUNK)
        ).all()
        if not people:
            break
        last_id = people[-1][0]
        rows, words = index_entries(tuple(p) for p in people)
        vocabulary |= words
        conn.execute(pairs_t.insert(), [{"a": a, "b": b, "patient_id": pid} for a, b, pid in rows])
    keys = vocabulary_keys(vocabulary)
    for i in range(0, len(keys), _CHUNK):
        conn.execute(keys_t.insert(), [{"key": k, "word": w} for k, w in keys[i : i + _CHUNK]])


def downgrade() -> None:
    op.drop_index("ix_lookup_name_pairs_patient", table_name="lookup_name_pairs")
    op.drop_table("lookup_name_pairs")
    op.drop_table("lookup_name_keys")
