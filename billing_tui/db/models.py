"""SQLAlchemy 2.x typed models for every object in DESIGN.md section 3.

Money columns are BigInteger cents. Financial rows (ledger entries, audit
events) are append-only: the services never update or delete them, and
`billing-tui check` verifies their hash chains. The schema only changes by an
Alembic migration (see alembic/).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    event,
    false,
    text,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Integer primary keys: BIGINT on PostgreSQL, INTEGER (rowid alias) on SQLite.
PK = BigInteger().with_variant(Integer(), "sqlite")
Cents = BigInteger


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def _pk() -> Mapped[int]:
    return mapped_column(PK, primary_key=True, autoincrement=True)


def _fk(target: str, *, nullable: bool = False, index: bool = False) -> Mapped:
    return mapped_column(PK, ForeignKey(target), nullable=nullable, index=index)


# --- people and organisations -------------------------------------------------


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = _pk()
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(16))  # rep / senior / supervisor / admin
    approval_limit_cents: Mapped[int | None] = mapped_column(Cents)  # None = unlimited
    password_hash: Mapped[str] = mapped_column(String(255))
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    __table_args__ = (
        CheckConstraint("role in ('rep','senior','supervisor','admin')", name="role"),
    )


class Practice(Base):
    __tablename__ = "practices"
    id: Mapped[int] = _pk()
    name: Mapped[str] = mapped_column(String(120))
    billing_npi: Mapped[str] = mapped_column(String(10))
    ein: Mapped[str] = mapped_column(String(10))
    taxonomy: Mapped[str | None] = mapped_column(String(10))
    address1: Mapped[str] = mapped_column(String(80))
    city: Mapped[str] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(2))
    zip: Mapped[str] = mapped_column(String(10))
    phone: Mapped[str | None] = mapped_column(String(20))


class Provider(Base):
    __tablename__ = "providers"
    id: Mapped[int] = _pk()
    practice_id: Mapped[int] = _fk("practices.id")
    last_name: Mapped[str] = mapped_column(String(60))
    first_name: Mapped[str] = mapped_column(String(40))
    credential: Mapped[str | None] = mapped_column(String(10))
    npi: Mapped[str] = mapped_column(String(10), unique=True)
    taxonomy: Mapped[str | None] = mapped_column(String(10))


class Patient(Base):
    __tablename__ = "patients"
    id: Mapped[int] = _pk()
    account_no: Mapped[str] = mapped_column(String(20), unique=True)
    last_name: Mapped[str] = mapped_column(String(60))
    first_name: Mapped[str] = mapped_column(String(40))
    middle_name: Mapped[str | None] = mapped_column(String(40))
    dob: Mapped[dt.date] = mapped_column(Date)
    sex: Mapped[str] = mapped_column(String(1))  # M / F / U
    address1: Mapped[str | None] = mapped_column(String(80))
    city: Mapped[str | None] = mapped_column(String(40))
    state: Mapped[str | None] = mapped_column(String(2))
    zip: Mapped[str | None] = mapped_column(String(10))
    phone: Mapped[str | None] = mapped_column(String(20))
    guarantor_name: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    __table_args__ = (
        CheckConstraint("sex in ('M','F','U')", name="sex"),
        Index("ix_patients_name", "last_name", "first_name"),
        Index("ix_patients_dob", "dob"),
    )


class LookupNameKey(Base):
    """Typo index over the vocabulary of name words (see domain/lookup.py): each word is
    stored under itself and under every one-letter deletion of it."""

    __tablename__ = "lookup_name_keys"
    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    word: Mapped[str] = mapped_column(String(60), primary_key=True)
    __table_args__ = {"sqlite_with_rowid": False}


class LookupNamePair(Base):
    """Every ordered pair of each patient's name words (services/lookup.py keeps them in
    step): "first last" typed in either order is a direct probe of this key."""

    __tablename__ = "lookup_name_pairs"
    a: Mapped[str] = mapped_column(String(60), primary_key=True)
    b: Mapped[str] = mapped_column(String(60), primary_key=True)
    patient_id: Mapped[int] = mapped_column(
        PK, ForeignKey("patients.id"), primary_key=True, autoincrement=False
    )
    __table_args__ = (
        Index("ix_lookup_name_pairs_patient", "patient_id"),
        {"sqlite_with_rowid": False},
    )


class Payer(Base):
    __tablename__ = "payers"
    id: Mapped[int] = _pk()
    name: Mapped[str] = mapped_column(String(120))
    edi_payer_id: Mapped[str] = mapped_column(String(20), unique=True)
    payer_type: Mapped[str] = mapped_column(String(16))
    claim_filing_indicator: Mapped[str] = mapped_column(String(2))  # SBR09: MB, MC, CI, BL, HM...
    timely_filing_days: Mapped[int] = mapped_column(Integer, default=365)
    appeal_window_days: Mapped[int] = mapped_column(Integer, default=180)
    requires_authorization: Mapped[bool] = mapped_column(Boolean, default=False)
    phone: Mapped[str | None] = mapped_column(String(20))
    portal_url: Mapped[str | None] = mapped_column(String(200))
    __table_args__ = (
        CheckConstraint(
            "payer_type in ('commercial','medicare','medicaid','self_pay','other')", name="type"
        ),
        Index("ix_payers_name", "name"),
    )


class Coverage(Base):
    __tablename__ = "coverages"
    id: Mapped[int] = _pk()
    patient_id: Mapped[int] = _fk("patients.id", index=True)
    payer_id: Mapped[int] = _fk("payers.id", index=True)
    rank: Mapped[int] = mapped_column(SmallInteger)  # 1 primary, 2 secondary, 3 tertiary
    member_id: Mapped[str] = mapped_column(String(40))
    group_number: Mapped[str | None] = mapped_column(String(40))
    relation: Mapped[str] = mapped_column(String(10), default="self")
    effective_date: Mapped[dt.date] = mapped_column(Date)
    term_date: Mapped[dt.date | None] = mapped_column(Date)
    eligibility_verified_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    eligibility_verified_by: Mapped[int | None] = _fk("users.id", nullable=True)
    eligibility_result: Mapped[str | None] = mapped_column(String(20))
    __table_args__ = (
        CheckConstraint("rank between 1 and 3", name="rank"),
        Index("ix_coverages_member_id", "member_id"),
    )


class Authorization(Base):
    __tablename__ = "authorizations"
    id: Mapped[int] = _pk()
    patient_id: Mapped[int] = _fk("patients.id", index=True)
    payer_id: Mapped[int] = _fk("payers.id")
    auth_number: Mapped[str] = mapped_column(String(40))
    procedure_codes: Mapped[str | None] = mapped_column(String(200))  # colon-separated
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date] = mapped_column(Date)
    visits_allowed: Mapped[int | None] = mapped_column(Integer)
    visits_used: Mapped[int] = mapped_column(Integer, default=0)


class FeeSchedule(Base):
    __tablename__ = "fee_schedules"
    id: Mapped[int] = _pk()
    payer_id: Mapped[int] = _fk("payers.id")
    procedure_code: Mapped[str] = mapped_column(String(5))
    modifier: Mapped[str] = mapped_column(String(2), default="")
    allowed_cents: Mapped[int] = mapped_column(Cents)
    __table_args__ = (UniqueConstraint("payer_id", "procedure_code", "modifier", name="uq_fee"),)


# --- claims and the ledger -----------------------------------------------------


# The claim columns a work-queue rule can test (see ix_claims_work).
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


class Claim(Base):
    __tablename__ = "claims"
    id: Mapped[int] = _pk()
    claim_number: Mapped[str] = mapped_column(String(38), unique=True)  # CLM01 / 835 CLP01
    patient_id: Mapped[int] = _fk("patients.id", index=True)
    coverage_id: Mapped[int | None] = _fk("coverages.id", nullable=True)
    payer_id: Mapped[int | None] = _fk("payers.id", nullable=True)
    provider_id: Mapped[int | None] = _fk("providers.id", nullable=True)
    frequency_code: Mapped[str] = mapped_column(String(1), default="1")
    original_claim_id: Mapped[int | None] = _fk("claims.id", nullable=True)
    payer_claim_number: Mapped[str | None] = mapped_column(String(50))
    status: Mapped[str] = mapped_column(String(16))
    place_of_service: Mapped[str] = mapped_column(String(2), default="11")
    diagnoses: Mapped[str] = mapped_column(String(120))  # up to 12 ICD-10-CM, colon-separated
    service_date: Mapped[dt.date] = mapped_column(Date)  # first date of service
    service_date_to: Mapped[dt.date | None] = mapped_column(Date)
    total_charge_cents: Mapped[int] = mapped_column(Cents)
    # Cached balances, proven equal to the ledger by `billing-tui check`.
    ins_balance_cents: Mapped[int] = mapped_column(Cents, default=0)
    pat_balance_cents: Mapped[int] = mapped_column(Cents, default=0)
    responsibility: Mapped[int] = mapped_column(SmallInteger, default=1)  # who is billed now
    submitted_at: Mapped[dt.date | None] = mapped_column(Date)
    last_activity_at: Mapped[dt.date | None] = mapped_column(Date)
    follow_up_date: Mapped[dt.date | None] = mapped_column(Date)
    owner_id: Mapped[int | None] = _fk("users.id", nullable=True)
    rebill: Mapped[bool] = mapped_column(Boolean, default=False)
    # Work queues (domain/priority.py): the score and the deadline behind it, kept in step
    # on every flush (see _claim_work_fields below) and daily by `billing-tui queues refresh`.
    priority: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    deadline_date: Mapped[dt.date | None] = mapped_column(Date)
    # "Next account" lease (services/queues.py): who works the claim now, until when, and
    # where it stood in the queue when taken. Written with Core UPDATEs, so no version bump.
    lease_user_id: Mapped[int | None] = _fk("users.id", nullable=True)
    lease_expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    lease_key: Mapped[str | None] = mapped_column(String(200))
    # Per-claim ledger chain head: writers on different claims never wait on each other.
    ledger_seq: Mapped[int] = mapped_column(Integer, default=0)
    ledger_head: Mapped[str] = mapped_column(String(64), default="0" * 64)
    # First payer adjudication (ledger.is_adjudication entry or denial, whichever is first):
    # the denominator of the denial rate by month. Kept by every ledger writer; `check`
    # proves it equal to the ledger.
    adjudicated_on: Mapped[dt.date | None] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        Index("ix_claims_status", "status"),
        Index("ix_claims_payer_service", "payer_id", "service_date"),
        Index(
            "ix_claims_open_ins",
            "service_date",
            "ins_balance_cents",
            sqlite_where=text("ins_balance_cents <> 0"),
            postgresql_where=text("ins_balance_cents <> 0"),
        ),
        Index(
            "ix_claims_open_pat",
            "service_date",
            "pat_balance_cents",
            sqlite_where=text("pat_balance_cents <> 0"),
            postgresql_where=text("pat_balance_cents <> 0"),
        ),
        # A claim's payer from a small index instead of the wide claim row: the denial
        # report joins 50k+ denials to their claims' payers (SQLite is told to use it).
        Index("ix_claims_payer_of", "id", "payer_id"),
        # The denial-rate report's denominator, read from the index alone.
        Index(
            "ix_claims_adjudicated",
            "adjudicated_on",
            "payer_id",
            "total_charge_cents",
            sqlite_where=text("adjudicated_on IS NOT NULL"),
            postgresql_where=text("adjudicated_on IS NOT NULL"),
        ),
        Index(
            "ix_claims_follow_up",
            "follow_up_date",
            "owner_id",
            sqlite_where=text("follow_up_date IS NOT NULL"),
            postgresql_where=text("follow_up_date IS NOT NULL"),
        ),
        # Work queues walk this in priority order and test their rule on its columns
        # without reading claim rows (services/queues.py); priority > 0 = money on it.
        Index(
            "ix_claims_work",
            "priority",
            "id",
            *WORK_INDEX_COLUMNS,
            sqlite_where=text("priority > 0"),
            postgresql_where=text("priority > 0"),
        ),
        # ... and the aging-bucket queues read one window of service dates from this one.
        Index(
            "ix_claims_work_dos",
            "service_date",
            "priority",
            "id",
            "ins_balance_cents",
            "pat_balance_cents",
            "payer_id",
            "status",
            sqlite_where=text("priority > 0"),
            postgresql_where=text("priority > 0"),
        ),
        Index(
            "ix_claims_lease",
            "lease_user_id",
            sqlite_where=text("lease_user_id IS NOT NULL"),
            postgresql_where=text("lease_user_id IS NOT NULL"),
        ),
    )


class ClaimLine(Base):
    __tablename__ = "claim_lines"
    id: Mapped[int] = _pk()
    claim_id: Mapped[int] = _fk("claims.id")
    line_no: Mapped[int] = mapped_column(SmallInteger)
    service_date: Mapped[dt.date] = mapped_column(Date)
    procedure_code: Mapped[str] = mapped_column(String(5))
    modifier1: Mapped[str | None] = mapped_column(String(2))
    modifier2: Mapped[str | None] = mapped_column(String(2))
    modifier3: Mapped[str | None] = mapped_column(String(2))
    modifier4: Mapped[str | None] = mapped_column(String(2))
    units: Mapped[Decimal] = mapped_column(Numeric(9, 3))
    charge_cents: Mapped[int] = mapped_column(Cents)
    dx_pointers: Mapped[str] = mapped_column(String(8), default="1")  # "1:2:3:4"
    line_control_number: Mapped[str | None] = mapped_column(String(30))  # REF*6R
    # A line taken off a claim before it was sent (its charge reversed); kept for the ledger.
    removed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    ins_balance_cents: Mapped[int] = mapped_column(Cents, default=0)
    pat_balance_cents: Mapped[int] = mapped_column(Cents, default=0)
    __table_args__ = (UniqueConstraint("claim_id", "line_no", name="uq_line_no"),)


class LedgerEntry(Base):
    """One immutable money movement on a claim line (see domain/ledger.py for signs)."""

    __tablename__ = "ledger_entries"
    id: Mapped[int] = _pk()
    claim_id: Mapped[int] = _fk("claims.id")
    claim_line_id: Mapped[int | None] = _fk("claim_lines.id", nullable=True, index=True)
    seq: Mapped[int] = mapped_column(Integer)  # position in the claim's chain
    kind: Mapped[str] = mapped_column(String(20))
    responsibility: Mapped[int] = mapped_column(SmallInteger)
    to_responsibility: Mapped[int | None] = mapped_column(SmallInteger)
    amount_cents: Mapped[int] = mapped_column(Cents)
    group_code: Mapped[str | None] = mapped_column(String(2))
    carc: Mapped[str | None] = mapped_column(String(5))
    rarc: Mapped[str | None] = mapped_column(String(60))
    batch_id: Mapped[int | None] = _fk("payment_batches.id", nullable=True, index=True)
    reverses_id: Mapped[int | None] = _fk("ledger_entries.id", nullable=True)
    posting_id: Mapped[str | None] = mapped_column(String(32))  # groups one posting's entries
    memo: Mapped[str | None] = mapped_column(String(200))
    posted_at: Mapped[dt.datetime] = mapped_column(DateTime)
    posted_by: Mapped[int] = _fk("users.id")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    __table_args__ = (
        UniqueConstraint("claim_id", "seq", name="uq_ledger_claim_seq"),
        Index(
            "ix_ledger_reverses",
            "reverses_id",
            sqlite_where=text("reverses_id IS NOT NULL"),
            postgresql_where=text("reverses_id IS NOT NULL"),
        ),
        # issue 4: reverse_posting finds a posting's entries by its id
        Index(
            "ix_ledger_posting",
            "posting_id",
            sqlite_where=text("posting_id IS NOT NULL"),
            postgresql_where=text("posting_id IS NOT NULL"),
        ),
    )


# --- payments and remittances --------------------------------------------------


class RemittanceFile(Base):
    __tablename__ = "remittance_files"
    id: Mapped[int] = _pk()
    file_name: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    isa_control_number: Mapped[str | None] = mapped_column(String(9))
    gs_control_number: Mapped[str | None] = mapped_column(String(9))
    status: Mapped[str] = mapped_column(String(16))
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime)
    imported_by: Mapped[int] = _fk("users.id")


class PaymentBatch(Base):
    __tablename__ = "payment_batches"
    id: Mapped[int] = _pk()
    payer_id: Mapped[int | None] = _fk("payers.id", nullable=True)
    patient_id: Mapped[int | None] = _fk("patients.id", nullable=True)
    method: Mapped[str] = mapped_column(String(8))  # check / eft / card / cash
    trace_number: Mapped[str] = mapped_column(String(50))
    amount_cents: Mapped[int] = mapped_column(Cents)
    deposit_date: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="open")  # open/balanced/closed
    source: Mapped[str] = mapped_column(String(8), default="manual")  # manual / 835
    remittance_file_id: Mapped[int | None] = _fk("remittance_files.id", nullable=True)
    opened_by: Mapped[int] = _fk("users.id")
    opened_at: Mapped[dt.datetime] = mapped_column(DateTime)
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        UniqueConstraint("payer_id", "trace_number", name="uq_batch_payer_trace"),
        CheckConstraint("method in ('check','eft','card','cash')", name="method"),
        CheckConstraint("status in ('open','balanced','closed')", name="status"),
    )


class ProviderAdjustment(Base):
    """PLB: money on the check that belongs to no claim (interest, recoupments)."""

    __tablename__ = "provider_adjustments"
    id: Mapped[int] = _pk()
    batch_id: Mapped[int] = _fk("payment_batches.id", index=True)
    reason_code: Mapped[str] = mapped_column(String(2))
    reference: Mapped[str | None] = mapped_column(String(50))
    amount_cents: Mapped[int] = mapped_column(Cents)  # as in the PLB: positive reduces the check
    claim_id: Mapped[int | None] = _fk("claims.id", nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)


# --- denials, appeals, follow-up -------------------------------------------------


class Denial(Base):
    __tablename__ = "denials"
    id: Mapped[int] = _pk()
    claim_id: Mapped[int] = _fk("claims.id", index=True)
    claim_line_id: Mapped[int | None] = _fk("claim_lines.id", nullable=True)
    group_code: Mapped[str] = mapped_column(String(2))
    carc: Mapped[str] = mapped_column(String(5))
    rarc: Mapped[str | None] = mapped_column(String(60))
    amount_cents: Mapped[int] = mapped_column(Cents)
    category: Mapped[str] = mapped_column(String(20))
    root_cause: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(16), default="open")
    owner_id: Mapped[int | None] = _fk("users.id", nullable=True)
    denied_on: Mapped[dt.date] = mapped_column(Date)
    due_date: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    # Issue 7: denial work (services/denials.py). reason_known False = a CARC not in
    # domain/reason_codes.py, stored as received and flagged. action = what the rep did.
    reason_known: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    root_cause_note: Mapped[str | None] = mapped_column(String(400))
    action: Mapped[str | None] = mapped_column(String(20))
    worked_by: Mapped[int | None] = _fk("users.id", nullable=True)
    worked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    replacement_claim_id: Mapped[int | None] = _fk("claims.id", nullable=True)
    request_id: Mapped[int | None] = _fk("adjustment_requests.id", nullable=True)
    __table_args__ = (
        # The denial work list groups open denials by category and CARC from this index
        # alone (counts, dollars, age) without reading the rows. status is a column too:
        # SQLite counts a partial index as covering only when it holds every column used.
        Index(
            "ix_denials_open",
            "category",
            "carc",
            "denied_on",
            "amount_cents",
            "status",
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
        # The denial-rate report aggregates a date range of denials from this index alone.
        Index("ix_denials_trend", "denied_on", "claim_id", "carc", "category", "amount_cents"),
        # Write-off requests waiting for a supervisor (settled by services/approvals.py).
        Index(
            "ix_denials_write_off_pending",
            "request_id",
            sqlite_where=text("status = 'approval_pending'"),
            postgresql_where=text("status = 'approval_pending'"),
        ),
    )


class Appeal(Base):
    __tablename__ = "appeals"
    id: Mapped[int] = _pk()
    denial_id: Mapped[int] = _fk("denials.id", index=True)
    claim_id: Mapped[int] = _fk("claims.id")
    level: Mapped[int] = mapped_column(SmallInteger, default=1)
    deadline: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    outcome: Mapped[str | None] = mapped_column(String(10))
    letter_text: Mapped[str | None] = mapped_column(Text)
    filed_on: Mapped[dt.date | None] = mapped_column(Date)
    created_by: Mapped[int] = _fk("users.id")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    # Issue 7: the rep's argument, where the letter was exported, the decision.
    argument: Mapped[str | None] = mapped_column(Text)
    template: Mapped[str | None] = mapped_column(String(60))
    letter_txt_path: Mapped[str | None] = mapped_column(String(500))
    letter_pdf_path: Mapped[str | None] = mapped_column(String(500))
    decided_on: Mapped[dt.date | None] = mapped_column(Date)
    outcome_note: Mapped[str | None] = mapped_column(String(400))
    __table_args__ = (Index("ix_appeals_open_deadline", "status", "deadline"),)


def _denial_reason_flag(_mapper, _connection, denial: Denial) -> None:
    """A denial whose CARC is not in domain/reason_codes.py is stored as received and
    flagged (issue 7), whichever service writes it."""
    from billing_tui.domain.reason_codes import is_known

    denial.reason_known = is_known(denial.carc)


event.listen(Denial, "before_insert", _denial_reason_flag)


class PayerAppealWindow(Base):
    """A payer's own appeal window for one level (1 first, 2 second, 3 external); when
    absent, domain/appeals.py's rules apply (Medicare 120/180/60 days)."""

    __tablename__ = "payer_appeal_windows"
    payer_id: Mapped[int] = mapped_column(
        PK, ForeignKey("payers.id"), primary_key=True, autoincrement=False
    )
    level: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    days: Mapped[int] = mapped_column(Integer)


class Activity(Base):
    """A call, portal check, letter or internal note on an account."""

    __tablename__ = "activities"
    id: Mapped[int] = _pk()
    patient_id: Mapped[int] = _fk("patients.id")
    claim_id: Mapped[int | None] = _fk("claims.id", nullable=True, index=True)
    kind: Mapped[str] = mapped_column(String(10))  # call / portal / letter / note
    payer_contact: Mapped[str | None] = mapped_column(String(80))
    contact_phone: Mapped[str | None] = mapped_column(String(20))
    call_reference: Mapped[str | None] = mapped_column(String(40))
    outcome: Mapped[str | None] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text, default="")
    next_follow_up: Mapped[dt.date | None] = mapped_column(Date)
    duration_seconds: Mapped[int | None] = mapped_column(Integer)
    user_id: Mapped[int] = _fk("users.id")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    __table_args__ = (Index("ix_activities_patient_time", "patient_id", "created_at"),)


class WorkQueue(Base):
    """A stored, structured filter + sort over claims (rule is JSON, never SQL; see
    domain/queue_rules.py). Leases live on the claims, so one claim is never handed to
    two reps even when it sits in several queues."""

    __tablename__ = "work_queues"
    id: Mapped[int] = _pk()
    name: Mapped[str] = mapped_column(String(80), unique=True)
    rule_json: Mapped[str] = mapped_column(Text)
    sort: Mapped[str] = mapped_column(String(40), default="priority")
    owner_id: Mapped[int | None] = _fk("users.id", nullable=True)
    created_by: Mapped[int | None] = _fk("users.id", nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    position: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))


class WorkQueueMember(Base):
    """A rep a queue is assigned to; a queue with no members is shared by everyone."""

    __tablename__ = "work_queue_members"
    queue_id: Mapped[int] = mapped_column(PK, ForeignKey("work_queues.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(PK, ForeignKey("users.id"), primary_key=True)
    __table_args__ = (Index("ix_work_queue_members_user", "user_id"),)


class Statement(Base):
    __tablename__ = "statements"
    id: Mapped[int] = _pk()
    patient_id: Mapped[int] = _fk("patients.id", index=True)
    statement_date: Mapped[dt.date] = mapped_column(Date)
    amount_due_cents: Mapped[int] = mapped_column(Cents)
    sent_via: Mapped[str] = mapped_column(String(10), default="mail")
    created_by: Mapped[int] = _fk("users.id")


class PaymentPlan(Base):
    __tablename__ = "payment_plans"
    id: Mapped[int] = _pk()
    patient_id: Mapped[int] = _fk("patients.id", index=True)
    total_cents: Mapped[int] = mapped_column(Cents)
    installment_cents: Mapped[int] = mapped_column(Cents)
    frequency: Mapped[str] = mapped_column(String(10), default="monthly")
    start_date: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="active")
    created_by: Mapped[int] = _fk("users.id")


class CollectionsTransfer(Base):
    __tablename__ = "collections_transfers"
    id: Mapped[int] = _pk()
    patient_id: Mapped[int] = _fk("patients.id", index=True)
    agency: Mapped[str] = mapped_column(String(80))
    amount_cents: Mapped[int] = mapped_column(Cents)
    transferred_on: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="sent")
    created_by: Mapped[int] = _fk("users.id")


class AdjustmentRequest(Base):
    """A write-off, adjustment or refund above the requester's limit waits here."""

    __tablename__ = "adjustment_requests"
    id: Mapped[int] = _pk()
    claim_id: Mapped[int] = _fk("claims.id", index=True)
    claim_line_id: Mapped[int | None] = _fk("claim_lines.id", nullable=True)
    kind: Mapped[str] = mapped_column(String(12))  # write_off / adjustment / refund
    amount_cents: Mapped[int] = mapped_column(Cents)
    carc: Mapped[str | None] = mapped_column(String(5))
    reason: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(10), default="pending")
    requested_by: Mapped[int] = _fk("users.id")
    requested_at: Mapped[dt.datetime] = mapped_column(DateTime)
    decided_by: Mapped[int | None] = _fk("users.id", nullable=True)
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    decision_reason: Mapped[str | None] = mapped_column(String(200))
    # issue 4: whose balance a write-off/adjustment lowers (None = whoever owes it), where a
    # refund goes (payer / patient), and the ledger posting made when it was approved.
    responsibility: Mapped[int | None] = mapped_column(SmallInteger)
    refund_to: Mapped[str | None] = mapped_column(String(8))
    posting_id: Mapped[str | None] = mapped_column(String(32))


# --- audit and counters ---------------------------------------------------------


class AuditEvent(Base):
    """Append-only, hash-chained record of every change and every account view."""

    __tablename__ = "audit_events"
    id: Mapped[int] = _pk()
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    occurred_at: Mapped[dt.datetime] = mapped_column(DateTime)
    user_id: Mapped[int | None] = _fk("users.id", nullable=True)
    action: Mapped[str] = mapped_column(String(40))
    entity_type: Mapped[str] = mapped_column(String(30))
    entity_id: Mapped[str | None] = mapped_column(String(40))
    patient_id: Mapped[int | None] = mapped_column(PK)
    detail: Mapped[str] = mapped_column(Text, default="")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    __table_args__ = (
        Index("ix_audit_patient", "patient_id"),
        Index("ix_audit_user_action", "user_id", "action", "occurred_at"),
    )


class AuditHead(Base):
    """Single row holding the audit chain head; locked only for the final append."""

    __tablename__ = "audit_head"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    hash: Mapped[str] = mapped_column(String(64))


class ControlNumber(Base):
    """Increasing counters (ISA13, GS06, ST02, account numbers)."""

    __tablename__ = "control_numbers"
    name: Mapped[str] = mapped_column(String(30), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


# --- EOB posting: underpayment flags, denials opened by a posting (issue 4) --------------


class Underpayment(Base):
    """A posted line the payer allowed for less than its fee schedule (the Underpaid list)."""

    __tablename__ = "underpayments"
    id: Mapped[int] = _pk()
    claim_id: Mapped[int] = _fk("claims.id", index=True)
    claim_line_id: Mapped[int] = _fk("claim_lines.id")
    posting_id: Mapped[str] = mapped_column(String(32), index=True)
    payer_id: Mapped[int | None] = _fk("payers.id", nullable=True)
    allowed_cents: Mapped[int] = mapped_column(Cents)
    contracted_cents: Mapped[int] = mapped_column(Cents)  # fee schedule x units
    variance_cents: Mapped[int] = mapped_column(Cents)  # contracted - allowed (> 0)
    status: Mapped[str] = mapped_column(String(10), default="open")  # open / reversed
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    __table_args__ = (
        Index(
            "ix_underpayments_open",
            "created_at",
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
    )


class PostingDenial(Base):
    """Which denials a posting opened, so reversing the posting withdraws them."""

    __tablename__ = "posting_denials"
    posting_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    denial_id: Mapped[int] = mapped_column(PK, ForeignKey("denials.id"), primary_key=True)


# --- claims out: scrubber, 837P submissions, 999 acknowledgments (issue 5) ---------------


class ClaimScrub(Base):
    """The latest scrub of a claim: clean or failed, for which payer rank and version."""

    __tablename__ = "claim_scrubs"
    claim_id: Mapped[int] = mapped_column(
        PK, ForeignKey("claims.id"), primary_key=True, autoincrement=False
    )
    result: Mapped[str] = mapped_column(String(8))  # clean / failed
    rank: Mapped[int] = mapped_column(SmallInteger)
    claim_version: Mapped[int] = mapped_column(Integer)
    finding_count: Mapped[int] = mapped_column(Integer, default=0)
    source: Mapped[str] = mapped_column(String(8), default="scrubber")  # scrubber / 999
    scrubbed_at: Mapped[dt.datetime] = mapped_column(DateTime)
    scrubbed_by: Mapped[int | None] = _fk("users.id", nullable=True)
    __table_args__ = (Index("ix_claim_scrubs_result", "result", "claim_id"),)


class ScrubFinding(Base):
    """One message of a claim's latest scrub (or of the 999 that rejected it)."""

    __tablename__ = "scrub_findings"
    id: Mapped[int] = _pk()
    claim_id: Mapped[int] = _fk("claims.id", index=True)
    edit: Mapped[str] = mapped_column(String(20))
    line_no: Mapped[int | None] = mapped_column(SmallInteger)
    message: Mapped[str] = mapped_column(String(400))
    source: Mapped[str] = mapped_column(String(8), default="scrubber")


class SubmissionBatch(Base):
    """One 837P file: its interchange (ISA13) and group (GS06) control numbers."""

    __tablename__ = "submission_batches"
    id: Mapped[int] = _pk()
    interchange_control_number: Mapped[int] = mapped_column(BigInteger, unique=True)
    group_control_number: Mapped[int] = mapped_column(BigInteger, unique=True)
    file_name: Mapped[str] = mapped_column(String(255))
    payer_id: Mapped[int | None] = _fk("payers.id", nullable=True)  # the --payer filter
    claim_count: Mapped[int] = mapped_column(Integer)
    line_count: Mapped[int] = mapped_column(Integer)
    charge_cents: Mapped[int] = mapped_column(Cents)
    sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(
        String(10), default="sent"
    )  # sent/accepted/partial/rejected
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    created_by: Mapped[int] = _fk("users.id")


class SubmissionSet(Base):
    """One transaction set (ST02) of a batch: one payer's claims."""

    __tablename__ = "submission_sets"
    id: Mapped[int] = _pk()
    batch_id: Mapped[int] = _fk("submission_batches.id", index=True)
    payer_id: Mapped[int | None] = _fk("payers.id", nullable=True)
    control_number: Mapped[str] = mapped_column(String(9))
    claim_count: Mapped[int] = mapped_column(Integer)
    charge_cents: Mapped[int] = mapped_column(Cents)
    ack_status: Mapped[str | None] = mapped_column(String(1))  # IK501 of the 999
    acknowledgment_id: Mapped[int | None] = _fk("acknowledgments.id", nullable=True)
    __table_args__ = (UniqueConstraint("batch_id", "control_number", name="uq_submission_set"),)


class SubmittedClaim(Base):
    """A claim as sent in a batch: which set, at which payer rank, where its segments are."""

    __tablename__ = "submitted_claims"
    id: Mapped[int] = _pk()
    batch_id: Mapped[int] = _fk("submission_batches.id")
    set_id: Mapped[int] = _fk("submission_sets.id", index=True)
    claim_id: Mapped[int] = _fk("claims.id", index=True)
    claim_version: Mapped[int] = mapped_column(Integer)
    rank: Mapped[int] = mapped_column(SmallInteger)
    frequency_code: Mapped[str] = mapped_column(String(1))
    charge_cents: Mapped[int] = mapped_column(Cents)
    first_segment: Mapped[int] = mapped_column(Integer)
    last_segment: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10), default="sent")  # sent/accepted/rejected


class Acknowledgment(Base):
    """An imported 999 file (never imported twice: sha256)."""

    __tablename__ = "acknowledgments"
    id: Mapped[int] = _pk()
    file_name: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    isa_control_number: Mapped[str | None] = mapped_column(String(9))
    group_control_number: Mapped[str] = mapped_column(String(9))
    batch_id: Mapped[int | None] = _fk("submission_batches.id", nullable=True)
    status: Mapped[str] = mapped_column(String(1))  # AK901
    sets_accepted: Mapped[int] = mapped_column(Integer)
    sets_rejected: Mapped[int] = mapped_column(Integer)
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime)
    imported_by: Mapped[int] = _fk("users.id")


# --- 835 ERA import: remittances as received, exceptions (issue 6) -----------------------


class Remittance(Base):
    """One 835 transaction set (ST..SE) of an imported file: the payer's check or EFT.

    A set the reader could not read is kept with status "rejected" and its error; the
    others become payment batches (source "835") whose amount is BPR02."""

    __tablename__ = "remittances"
    id: Mapped[int] = _pk()
    remittance_file_id: Mapped[int] = _fk("remittance_files.id", index=True)
    st_control_number: Mapped[str] = mapped_column(String(9))
    status: Mapped[str] = mapped_column(String(10))  # posted / exceptions / rejected
    error: Mapped[str | None] = mapped_column(String(400))
    payer_id: Mapped[int | None] = _fk("payers.id", nullable=True)
    payer_name: Mapped[str | None] = mapped_column(String(120))
    payer_identifier: Mapped[str | None] = mapped_column(String(50))  # N1*PR id/REF*2U/TRN03
    trace_number: Mapped[str | None] = mapped_column(String(50))  # TRN02
    handling_code: Mapped[str | None] = mapped_column(String(2))  # BPR01
    payment_method: Mapped[str | None] = mapped_column(String(3))  # BPR04: CHK / ACH / NON...
    payment_date: Mapped[dt.date | None] = mapped_column(Date)  # BPR16
    check_amount_cents: Mapped[int] = mapped_column(Cents, default=0)  # BPR02 (signed)
    paid_cents: Mapped[int] = mapped_column(Cents, default=0)  # sum of CLP04
    plb_cents: Mapped[int] = mapped_column(Cents, default=0)  # sum of PLB amounts
    claim_count: Mapped[int] = mapped_column(Integer, default=0)
    claims_posted: Mapped[int] = mapped_column(Integer, default=0)
    claims_exceptions: Mapped[int] = mapped_column(Integer, default=0)
    batch_id: Mapped[int | None] = _fk("payment_batches.id", nullable=True)
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime)
    __table_args__ = (Index("ix_remittances_trace", "payer_identifier", "trace_number"),)


class RemitClaim(Base):
    """A CLP loop as received, and what became of it (posted, or an exception)."""

    __tablename__ = "remit_claims"
    id: Mapped[int] = _pk()
    remittance_id: Mapped[int] = _fk("remittances.id", index=True)
    position: Mapped[int] = mapped_column(Integer)  # order in the set
    claim_number: Mapped[str] = mapped_column(String(38))  # CLP01
    status_code: Mapped[str] = mapped_column(String(2))  # CLP02
    billed_cents: Mapped[int] = mapped_column(Cents)
    paid_cents: Mapped[int] = mapped_column(Cents)
    patient_resp_cents: Mapped[int] = mapped_column(Cents, default=0)
    payer_claim_number: Mapped[str | None] = mapped_column(String(50))  # CLP07
    patient_name: Mapped[str | None] = mapped_column(String(120))
    cas_text: Mapped[str] = mapped_column(String(400), default="")  # claim-level CAS
    claim_id: Mapped[int | None] = _fk("claims.id", nullable=True, index=True)
    posted: Mapped[bool] = mapped_column(Boolean, default=False)
    posting_id: Mapped[str | None] = mapped_column(String(32))  # its ledger entries
    reversed_by_id: Mapped[int | None] = _fk("remit_claims.id", nullable=True)
    exception_reason: Mapped[str | None] = mapped_column(String(400))


class RemitLine(Base):
    """An SVC loop as received, and the claim line it matched (by REF 6R, code+DOS, SVC06)."""

    __tablename__ = "remit_lines"
    id: Mapped[int] = _pk()
    remit_claim_id: Mapped[int] = _fk("remit_claims.id", index=True)
    position: Mapped[int] = mapped_column(SmallInteger)
    procedure_code: Mapped[str] = mapped_column(String(48))
    modifiers: Mapped[str] = mapped_column(String(12), default="")  # colon-separated
    service_date: Mapped[dt.date | None] = mapped_column(Date)
    billed_cents: Mapped[int] = mapped_column(Cents)
    allowed_cents: Mapped[int | None] = mapped_column(Cents)
    paid_cents: Mapped[int] = mapped_column(Cents)
    cas_text: Mapped[str] = mapped_column(String(400), default="")  # "CO-45 80.00; PR-2 24.00"
    remarks: Mapped[str] = mapped_column(String(200), default="")
    control_number: Mapped[str | None] = mapped_column(String(50))  # REF*6R
    claim_line_id: Mapped[int | None] = _fk("claim_lines.id", nullable=True)
    matched_line_no: Mapped[int | None] = mapped_column(SmallInteger)
    match_method: Mapped[str | None] = mapped_column(String(8))  # 6R / code+dos / svc06


class EraException(Base):
    """What an 835 said that could not be posted automatically: a rep works it by hand."""

    __tablename__ = "era_exceptions"
    id: Mapped[int] = _pk()
    remittance_id: Mapped[int] = _fk("remittances.id", index=True)
    remit_claim_id: Mapped[int | None] = _fk("remit_claims.id", nullable=True)
    claim_id: Mapped[int | None] = _fk("claims.id", nullable=True)
    claim_number: Mapped[str | None] = mapped_column(String(50))
    reason: Mapped[str] = mapped_column(String(400))
    paid_cents: Mapped[int] = mapped_column(Cents, default=0)
    status: Mapped[str] = mapped_column(String(10), default="open")  # open / resolved
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    resolved_by: Mapped[int | None] = _fk("users.id", nullable=True)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    resolution_note: Mapped[str | None] = mapped_column(String(400))
    __table_args__ = (
        Index(
            "ix_era_exceptions_open",
            "created_at",
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
    )


class EraWarning(Base):
    """A finding of the implementation-guide check (pyx12) on an imported 835 file."""

    __tablename__ = "era_warnings"
    id: Mapped[int] = _pk()
    remittance_file_id: Mapped[int] = _fk("remittance_files.id", index=True)
    message: Mapped[str] = mapped_column(String(400))


# --- work-queue fields kept in step (domain/priority.py) -------------------------------

_WORK_INPUTS = (
    "ins_balance_cents",
    "pat_balance_cents",
    "status",
    "service_date",
    "payer_id",
    "last_activity_at",
    "follow_up_date",
)


def _claim_work_fields(_mapper, connection, claim: Claim) -> None:
    """Recompute a claim's priority and deadline whenever a service flushes a change to
    what they depend on (postings, status changes, call notes, new claims), in the same
    transaction. Reads the payer's windows and the open denials on ``connection``."""
    from sqlalchemy import inspect as sa_inspect
    from sqlalchemy import select

    from billing_tui.domain import priority as P

    state = sa_inspect(claim)
    if state.persistent and not any(
        state.attrs[name].history.has_changes() for name in _WORK_INPUTS
    ):
        return
    today = dt.date.today()
    filing_days = appeal_days = None
    if claim.payer_id is not None:
        row = connection.execute(
            select(Payer.timely_filing_days, Payer.appeal_window_days, Payer.payer_type).where(
                Payer.id == claim.payer_id
            )
        ).first()
        if row is not None and row.payer_type != "self_pay":
            filing_days, appeal_days = row.timely_filing_days, row.appeal_window_days
    appeal_due = None
    if claim.status in P.APPEAL_STATUSES and claim.id is not None:
        dues = [
            r.due_date or r.denied_on + dt.timedelta(days=appeal_days or 0)
            for r in connection.execute(
                select(Denial.due_date, Denial.denied_on).where(
                    Denial.claim_id == claim.id, Denial.status == "open"
                )
            )
        ]
        appeal_due = min(dues) if dues else None
    if appeal_due is None and claim.status == "denied" and appeal_days:
        # Denied in this very flush: its denial row is not written yet.
        appeal_due = (claim.last_activity_at or today) + dt.timedelta(days=appeal_days)
    fields = P.claim_work_fields(
        status=claim.status,
        service_date=claim.service_date,
        ins_balance_cents=claim.ins_balance_cents or 0,
        pat_balance_cents=claim.pat_balance_cents or 0,
        last_activity=claim.last_activity_at,
        filing_days=filing_days,
        appeal_due=appeal_due,
        today=today,
    )
    claim.priority = fields.priority
    claim.deadline_date = fields.deadline


event.listen(Claim, "before_insert", _claim_work_fields)
event.listen(Claim, "before_update", _claim_work_fields)
