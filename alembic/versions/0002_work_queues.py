"""work queues, priority, leases (issue 3)

- claims.priority / claims.deadline_date: the stored priority score (domain/priority.py)
  and the filing or appeal deadline behind it; indexed for queue pages; existing claims
  are scored here, as of the day the migration runs.
- claims.lease_user_id / lease_expires_at / lease_key: the short "next account" lease
  (compare-and-set on SQLite, FOR UPDATE SKIP LOCKED on PostgreSQL).
- work_queues.position (display order) and work_queue_members (queue assigned to reps),
  replacing the unused per-queue work_queue_items.
- the seeded queues (domain/queue_rules.py SEED_QUEUES).

Revision ID: 0002
Revises: 0001
"""

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
# Frozen copy of models.WORK_INDEX_COLUMNS as of this revision.
WORK_INDEX_COLUMNS = (
    "payer_id",
    "status",
    "service_date",
    "ins_balance_cents",
    "pat_balance_cents",
    "follow_up_date",
    "deadline_date",
    "owner_id",
    "submitted_at",
    "last_activity_at",
)


def upgrade() -> None:
    with op.batch_alter_table("claims") as batch:
        batch.add_column(
            sa.Column("priority", sa.Integer(), server_default=sa.text("0"), nullable=False)
        )
        batch.add_column(sa.Column("deadline_date", sa.Date(), nullable=True))
        batch.add_column(sa.Column("lease_expires_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("lease_key", sa.String(length=200), nullable=True))
    # A plain ALTER TABLE ... ADD COLUMN ... REFERENCES on SQLite: a batch "move and copy"
    # of a million claims (with foreign keys pointing at them) is neither fast nor safe.
    fk = sa.ForeignKey("users.id", name=op.f("fk_claims_lease_user_id_users"))
    if op.get_bind().dialect.name == "sqlite":
        op.add_column("claims", sa.Column("lease_user_id", ID, fk), inline_references=True)
    else:
        op.add_column("claims", sa.Column("lease_user_id", ID, nullable=True))
        op.create_foreign_key(
            op.f("fk_claims_lease_user_id_users"), "claims", "users", ["lease_user_id"], ["id"]
        )
    _score_existing_claims()
    op.create_index(
        "ix_claims_work",
        "claims",
        ["priority", "id", *WORK_INDEX_COLUMNS],
        sqlite_where=sa.text("priority > 0"),
        postgresql_where=sa.text("priority > 0"),
    )
    op.create_index(
        "ix_claims_work_dos",
        "claims",
        [
            "service_date",
            "priority",
            "id",
            "ins_balance_cents",
            "pat_balance_cents",
            "payer_id",
            "status",
        ],
        sqlite_where=sa.text("priority > 0"),
        postgresql_where=sa.text("priority > 0"),
    )
    op.create_index(
        "ix_claims_lease",
        "claims",
        ["lease_user_id"],
        sqlite_where=sa.text("lease_user_id IS NOT NULL"),
        postgresql_where=sa.text("lease_user_id IS NOT NULL"),
    )

    with op.batch_alter_table("work_queues") as batch:
        batch.add_column(
            sa.Column("position", sa.Integer(), server_default=sa.text("0"), nullable=False)
        )
    op.drop_table("work_queue_items")
    op.create_table(
        "work_queue_members",
        sa.Column("queue_id", ID, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["queue_id"],
            ["work_queues.id"],
            name=op.f("fk_work_queue_members_queue_id_work_queues"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_work_queue_members_user_id_users")
        ),
        sa.PrimaryKeyConstraint("queue_id", "user_id", name=op.f("pk_work_queue_members")),
    )
    op.create_index("ix_work_queue_members_user", "work_queue_members", ["user_id"])
    _seed_queues()


def _seed_queues() -> None:
    from billing_tui.domain.queue_rules import SEED_QUEUES

    queues = sa.table(
        "work_queues",
        sa.column("name", sa.String),
        sa.column("rule_json", sa.Text),
        sa.column("sort", sa.String),
        sa.column("position", sa.Integer),
        sa.column("created_at", sa.DateTime),
    )
    conn = op.get_bind()
    have = {r[0] for r in conn.execute(sa.text("SELECT name FROM work_queues"))}
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    rows = [
        {
            "name": q.name,
            "rule_json": q.rule.to_json(),
            "sort": q.sort.to_text(),
            "position": (i + 1) * 10,
            "created_at": now,
        }
        for i, q in enumerate(SEED_QUEUES)
        if q.name not in have
    ]
    if rows:
        op.bulk_insert(queues, rows)


def _score_existing_claims() -> None:
    """Score the claims already in the database (the same recipe as `queues refresh`)."""
    from billing_tui.domain.priority import APPEAL_STATUSES, claim_work_fields

    conn = op.get_bind()
    if not conn.execute(sa.text("SELECT 1 FROM claims LIMIT 1")).first():
        return
    today = dt.date.today()
    payers = {
        r.id: r
        for r in conn.execute(
            sa.text("SELECT id, timely_filing_days, appeal_window_days, payer_type FROM payers")
        )
    }
    update = sa.text("UPDATE claims SET priority = :p, deadline_date = :d WHERE id = :id")
    last = 0
    while True:
        rows = conn.execute(
            sa.text(
                "SELECT id, status, service_date, ins_balance_cents, pat_balance_cents, "
                "last_activity_at, payer_id FROM claims WHERE id > :last ORDER BY id LIMIT 20000"
            ),
            {"last": last},
        ).all()
        if not rows:
            return
        last = rows[-1].id
        dues: dict[int, dt.date] = {}
        denied = [r.id for r in rows if r.status in APPEAL_STATUSES]
        for i in range(0, len(denied), 500):
            for d in conn.execute(
                sa.text(
                    "SELECT d.claim_id, d.due_date, d.denied_on, p.appeal_window_days "
                    "FROM denials d JOIN claims c ON c.id = d.claim_id "
                    "LEFT JOIN payers p ON p.id = c.payer_id "
                    "WHERE d.status = 'open' AND d.claim_id IN :ids"
                ).bindparams(sa.bindparam("ids", expanding=True)),
                {"ids": denied[i : i + 500]},
            ):
                due = _date(d.due_date) or _date(d.denied_on) + dt.timedelta(
                    days=d.appeal_window_days or 0
                )
                dues[d.claim_id] = min(due, dues.get(d.claim_id, due))
        params = []
        for r in rows:
            payer = payers.get(r.payer_id)
            filing = payer.timely_filing_days if payer and payer.payer_type != "self_pay" else None
            f = claim_work_fields(
                status=r.status,
                service_date=_date(r.service_date),
                ins_balance_cents=r.ins_balance_cents,
                pat_balance_cents=r.pat_balance_cents,
                last_activity=_date(r.last_activity_at),
                filing_days=filing,
                appeal_due=dues.get(r.id),
                today=today,
            )
            params.append({"p": f.priority, "d": f.deadline, "id": r.id})
        conn.execute(update, params)


def _date(value) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def downgrade() -> None:
    op.drop_index("ix_work_queue_members_user", table_name="work_queue_members")
    op.drop_table("work_queue_members")
    op.create_table(
        "work_queue_items",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("queue_id", ID, nullable=False),
        sa.Column("claim_id", ID, nullable=False),
        sa.Column("assigned_to", ID, nullable=True),
        sa.Column("lease_owner", ID, nullable=True),
        sa.Column("lease_expires_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["assigned_to"], ["users.id"]),
        sa.ForeignKeyConstraint(["claim_id"], ["claims.id"]),
        sa.ForeignKeyConstraint(["lease_owner"], ["users.id"]),
        sa.ForeignKeyConstraint(["queue_id"], ["work_queues.id"]),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_queue_items")),
        sa.UniqueConstraint("queue_id", "claim_id", name="uq_queue_claim"),
    )
    with op.batch_alter_table("work_queues") as batch:
        batch.drop_column("position")
    op.drop_index("ix_claims_lease", table_name="claims")
    op.drop_index("ix_claims_work_dos", table_name="claims")
    op.drop_index("ix_claims_work", table_name="claims")
    with op.batch_alter_table("claims") as batch:
        batch.drop_constraint(op.f("fk_claims_lease_user_id_users"), type_="foreignkey")
        batch.drop_column("lease_key")
        batch.drop_column("lease_expires_at")
        batch.drop_column("lease_user_id")
        batch.drop_column("deadline_date")
        batch.drop_column("priority")
