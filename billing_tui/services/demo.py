"""`billing-tui demo`: a believable practice, deterministic per seed and `today`.

Built with bulk inserts (SQLite executemany on the raw driver, PostgreSQL
COPY), not the ORM unit of work, so a million claims load in minutes. The
ledger rows are real: every amount is a signed ledger entry chained per claim
exactly as the posting service would write it, and the cached balances are
the ledger's sums, so `billing-tui check` passes on the result.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

from sqlalchemy import delete, func, select, text, update

from billing_tui.db import models as m
from billing_tui.db.chains import ledger_hash_values
from billing_tui.db.engine import Database
from billing_tui.db.repositories import backfill_adjudicated_on
from billing_tui.db.uow import UnitOfWork
from billing_tui.domain.chain import GENESIS
from billing_tui.domain.errors import ValidationError
from billing_tui.domain.priority import claim_work_fields
from billing_tui.domain.users import Role
from billing_tui.services import demo_data as D
from billing_tui.services.auth import actor_of, create_user
from billing_tui.services.lookup import bulk_index

DEMO_USERS = [
    ("admin", "admin", Role.ADMIN, "Alex Admin"),
    ("rep", "rep", Role.REP, "Riley Rep"),
    ("senior", "senior", Role.SENIOR, "Sam Senior"),
    ("supervisor", "supervisor", Role.SUPERVISOR, "Sky Supervisor"),
]
CHUNK_CLAIMS = 20_000
HISTORY_DAYS = 540  # 18 months of dates of service


@dataclass
class DemoResult:
    patients: int = 0
    payers: int = 0
    claims: int = 0
    lines: int = 0
    ledger_entries: int = 0
    denials: int = 0
    activities: int = 0
    batches: int = 0
    seconds: float = 0.0
    users: tuple[str, ...] = ()

    def as_json(self) -> dict:
        return asdict(self)


def npi_with_check_digit(base9: str) -> str:
    """Luhn check digit over '80840' + the first 9 digits (the NPI rule)."""
    digits = [int(c) for c in "80840" + base9]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return base9 + str((10 - total % 10) % 10)


class _Bulk:
    """Append rows fast: executemany on SQLite, COPY on PostgreSQL."""

    def __init__(self, conn) -> None:
        self.conn = conn
        self.pg = conn.dialect.name == "postgresql"
        self.raw = conn.connection.driver_connection

    def insert(self, table: str, cols: tuple[str, ...], rows: list[tuple]) -> None:
        if not rows:
            return
        if self.pg:
            with (
                self.raw.cursor() as cur,
                cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as cp,
            ):
                for r in rows:
                    cp.write_row(r)
        else:
            marks = ",".join("?" * len(cols))
            self.raw.executemany(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({marks})", rows)


def _dt_str(d: dt.datetime) -> str:
    """The text SQLAlchemy stores for a DateTime on SQLite (PostgreSQL parses it too)."""
    return d.isoformat(" ", "microseconds")


def _reset(db: Database) -> None:
    with db.engine.begin() as conn:
        m.Base.metadata.drop_all(conn)
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    from billing_tui.db import migrate

    migrate.upgrade(db.engine)


def build_demo(
    url: str | Database | None = None,
    *,
    claims: int = 20_000,
    seed: int = 7,
    today: dt.date | None = None,
    reset: bool = False,
    progress: Callable[[str], None] | None = None,
) -> DemoResult:
    """Build the demo practice into an empty database (or rebuild it with reset)."""
    if claims < 1:
        raise ValidationError("--claims must be at least 1")
    started = time.perf_counter()
    today = today or dt.date.today()
    say = progress or (lambda _msg: None)
    db = url if isinstance(url, Database) else Database.open(url)
    if reset:
        _reset(db)
    with db.engine.connect() as conn:
        existing = conn.scalar(select(func.count()).select_from(m.Claim)) or 0
        has_users = conn.scalar(select(func.count()).select_from(m.User)) or 0
    if existing or has_users:
        raise ValidationError(
            f"the database already holds {existing} claims and {has_users} users; "
            "use --reset to rebuild it as a demo"
        )
    rng = random.Random(seed)
    result = DemoResult()
    admin = create_user(db, None, "admin", "admin", Role.ADMIN, "Alex Admin")
    for username, password, role, name in DEMO_USERS[1:]:
        create_user(db, admin, username, password, role, name)
    result.users = tuple(u[0] for u in DEMO_USERS)
    gen = _Generator(rng, today, claims, admin_id=admin.user_id)
    with db.engine.begin() as conn:
        gen.tune_for_bulk_load(conn)
        bulk = _Bulk(conn)
        gen.reference_data(bulk)
        say(f"{len(gen.payers)} payers, {gen.n_patients} patients")
        gen.patients(bulk)
        gen.pre_create_batches(bulk)
    result.payers = len(gen.payers)
    result.patients = gen.n_patients
    # Secondary indexes in random key order (batch, patient, status...) cost a third of
    # the load; building them once at the end is several times cheaper.
    bulk_indexes = [
        idx
        for name in ("claims", "claim_lines", "ledger_entries", "activities", "denials")
        for idx in m.Base.metadata.tables[name].indexes
        if not idx.unique
    ]
    with db.engine.begin() as conn:
        for idx in bulk_indexes:
            idx.drop(conn)
    # One transaction per chunk of claims keeps the WAL small. A forked process owns the
    # generator and makes chunks in order (same data for a seed) while this process
    # writes the previous one: the two halves overlap on two cores.
    for tables in _chunks_from_worker(gen, claims):
        with db.engine.begin() as conn:
            gen.tune_for_bulk_load(conn)
            bulk = _Bulk(conn)
            for table, cols, rows in tables:
                bulk.insert(table, cols, rows)
        done = next(r for t, _c, r in tables if t == "claims")[-1][0]
        say(f"claims {done:,}/{claims:,}")
    say("indexing")
    with db.engine.begin() as conn:
        gen.tune_for_bulk_load(conn)
        backfill_adjudicated_on(conn)
        for idx in bulk_indexes:
            idx.create(conn)
    with db.engine.begin() as conn:
        gen.finish_batches(conn)
        if conn.dialect.name == "postgresql":
            for table in m.Base.metadata.sorted_tables:
                if "id" in table.c and table.name not in ("audit_head",):
                    conn.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                            f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"
                        )
                    )
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if db.is_sqlite:
            conn.exec_driver_sql("PRAGMA analysis_limit=1000")  # sampled statistics suffice
            conn.exec_driver_sql("ANALYZE")
        else:
            # After COPY nothing is in the visibility map yet: without VACUUM every
            # index-only scan (aging, queues) would visit the heap row by row.
            conn.exec_driver_sql("VACUUM (ANALYZE)")
    db.engine.dispose()  # drop the build connections and their large page cache
    result.claims = claims
    result.lines = gen.line_id
    result.ledger_entries = gen.ledger_id
    result.denials = gen.denial_id
    result.activities = gen.activity_id
    result.batches = gen.batches_used
    from billing_tui.services.demo_claims_out import seed_claims_out  # unsent claims (issue 5)

    seed_claims_out(db, today=today, seed=seed, claims=claims)
    result.seconds = round(time.perf_counter() - started, 1)
    with UnitOfWork(db) as uow:
        uow.audit(
            actor_of(uow.users.by_username("admin")),
            "demo_built",
            "database",
            None,
            claims=claims,
            seed=seed,
            today=today.isoformat(),
        )
        uow.commit()
    if not isinstance(url, Database):
        db.dispose()
    return result


_COUNTERS = ("line_id", "ledger_id", "denial_id", "activity_id", "appeal_id", "batch_totals")


def _generate_all(gen: _Generator, claims: int, queue) -> None:
    """Worker process: every chunk in order, then the generator's counters."""
    try:
        for begin in range(0, claims, CHUNK_CLAIMS):
            queue.put(gen.generate_chunk(begin, min(CHUNK_CLAIMS, claims - begin)))
        queue.put({name: getattr(gen, name) for name in _COUNTERS})
    except BaseException as exc:  # noqa: BLE001 - report any failure to the writer
        queue.put(RuntimeError(f"demo generator failed: {exc!r}"))


def _chunks_from_worker(gen: _Generator, claims: int):
    """Yield generated chunks from a forked worker; copy its counters back at the end.
    Falls back to generating in this process where fork is unavailable."""
    import multiprocessing as mp

    if "fork" not in mp.get_all_start_methods():
        for begin in range(0, claims, CHUNK_CLAIMS):
            yield gen.generate_chunk(begin, min(CHUNK_CLAIMS, claims - begin))
        return
    ctx = mp.get_context("fork")
    queue = ctx.Queue(maxsize=2)
    worker = ctx.Process(target=_generate_all, args=(gen, claims, queue), daemon=True)
    worker.start()
    try:
        while True:
            item = queue.get()
            if isinstance(item, Exception):
                raise item
            if isinstance(item, dict):
                for name, value in item.items():
                    setattr(gen, name, value)
                return
            yield item
    finally:
        worker.join(timeout=5)
        if worker.is_alive():
            worker.terminate()


class _Generator:
    def __init__(self, rng: random.Random, today: dt.date, n_claims: int, admin_id: int):
        self.rng = rng
        self.today = today
        self.n_claims = n_claims
        self.n_patients = max(50, n_claims // 10)
        self.admin_id = admin_id
        self.line_id = 0
        self.ledger_id = 0
        self.denial_id = 0
        self.activity_id = 0
        self.appeal_id = 0
        self.batch_totals: dict[int, int] = {}
        self.batches_used = 0
        self.day_str = {
            o: (today - dt.timedelta(days=o)).isoformat() for o in range(-60, HISTORY_DAYS + 200)
        }

    def tune_for_bulk_load(self, conn) -> None:
        """Per-transaction settings for the bulk build only (the build connections are
        disposed at the end of build_demo, so the app never inherits them)."""
        if conn.dialect.name == "sqlite":
            # Index builds at a million claims want more than a 64 MB page cache.
            conn.exec_driver_sql("PRAGMA cache_size=-1048576")
        else:
            conn.exec_driver_sql("SET LOCAL synchronous_commit = off")

    # --- reference data ----------------------------------------------------------

    def reference_data(self, bulk: _Bulk) -> None:
        rng = self.rng
        bulk.insert(
            "practices",
            (
                "id",
                "name",
                "billing_npi",
                "ein",
                "taxonomy",
                "address1",
                "city",
                "state",
                "zip",
                "phone",
            ),
            [
                (
                    1,
                    "Riverside Family Medicine",
                    npi_with_check_digit("123456789"),
                    "741234567",
                    "207Q00000X",
                    "1200 Riverside Pkwy",
                    "Springfield",
                    "IL",
                    "627011234",
                    "217-555-0100",
                )
            ],
        )
        providers = []
        names = [
            ("Chen", "Laura", "MD"),
            ("Okafor", "Daniel", "MD"),
            ("Patel", "Anika", "DO"),
            ("Morales", "Elena", "MD"),
            ("Hughes", "Thomas", "MD"),
            ("Kim", "Grace", "NP"),
            ("Novak", "Peter", "PA-C"),
            ("Reyes", "Maria", "MD"),
        ]
        for i, (last, first, cred) in enumerate(names, start=1):
            providers.append(
                (
                    i,
                    1,
                    last,
                    first,
                    cred,
                    npi_with_check_digit(f"{158230000 + i * 1013:09d}"),
                    "207Q00000X",
                )
            )
        bulk.insert(
            "providers",
            ("id", "practice_id", "last_name", "first_name", "credential", "npi", "taxonomy"),
            providers,
        )
        self.provider_ids = [p[0] for p in providers]
        payers = []
        for i, (name, edi, ptype, sbr09, filing, appeal, auth, phone) in enumerate(
            D.PAYERS, start=1
        ):
            payers.append(
                (
                    i,
                    name,
                    edi,
                    ptype,
                    sbr09,
                    filing,
                    appeal,
                    auth,
                    phone or None,
                    None if ptype == "self_pay" else f"https://provider.{edi.lower()}.example",
                )
            )
        bulk.insert(
            "payers",
            (
                "id",
                "name",
                "edi_payer_id",
                "payer_type",
                "claim_filing_indicator",
                "timely_filing_days",
                "appeal_window_days",
                "requires_authorization",
                "phone",
                "portal_url",
            ),
            payers,
        )
        self.payers = payers
        self.self_pay_id = next(p[0] for p in payers if p[3] == "self_pay")
        self.insurers = [p for p in payers if p[3] != "self_pay"]
        # Allowed amount as a share of charge, per payer type (Medicaid pays least).
        factor = {
            "medicare": (40, 50),
            "medicaid": (30, 40),
            "commercial": (55, 85),
            "other": (60, 80),
        }
        self.allowed: dict[tuple[int, str], int] = {}
        fees = []
        fid = 0
        for p in self.insurers:
            lo, hi = factor[p[3]]
            pct = rng.randint(lo, hi)
            for code, charge, _kind in D.PROCEDURES:
                allowed = charge * pct // 100
                self.allowed[(p[0], code)] = allowed
                fid += 1
                fees.append((fid, p[0], code, "", allowed))
        bulk.insert(
            "fee_schedules", ("id", "payer_id", "procedure_code", "modifier", "allowed_cents"), fees
        )

    def patients(self, bulk: _Bulk) -> None:
        rng = self.rng
        rows, covs = [], []
        self.patient_cov: list[tuple[int, int | None, int | None]] = [(0, None, None)]
        created = _dt_str(
            dt.datetime.combine(self.today - dt.timedelta(days=HISTORY_DAYS), dt.time(8, 0))
        )
        medicare = [p for p in self.insurers if p[3] == "medicare"]
        medicaid = [p for p in self.insurers if p[3] == "medicaid"]
        commercial = [p for p in self.insurers if p[3] in ("commercial", "other")]
        cov_id = 0
        eff = (self.today - dt.timedelta(days=HISTORY_DAYS + 30)).isoformat()
        for pid in range(1, self.n_patients + 1):
            first = rng.choice(D.FIRST_NAMES)
            last = rng.choice(D.LAST_NAMES)
            age = rng.randint(1, 92)
            dob = (self.today - dt.timedelta(days=age * 365 + rng.randint(0, 364))).isoformat()
            sex = rng.choice("MF") if rng.random() < 0.98 else "U"
            city, state, zipc = rng.choice(D.CITIES)
            rows.append(
                (
                    pid,
                    f"A{pid:07d}",
                    last,
                    first,
                    None,
                    dob,
                    sex,
                    f"{rng.randint(10, 9999)} {rng.choice(D.STREETS)}",
                    city,
                    state,
                    zipc,
                    f"{rng.randint(201, 989)}-555-{rng.randint(0, 9999):04d}",
                    f"{first} {last}" if age >= 18 else f"Parent of {first} {last}",
                    created,
                )
            )
            r = rng.random()
            if r < 0.07:
                self.patient_cov.append((pid, None, None))  # self-pay
                continue
            if age >= 65:
                primary = rng.choice(medicare)
            elif r < 0.25:
                primary = rng.choice(medicaid)
            else:
                primary = rng.choice(commercial)
            cov_id += 1
            covs.append(
                (
                    cov_id,
                    pid,
                    primary[0],
                    1,
                    f"{primary[2][:3].upper()}{rng.randint(10**8, 10**9 - 1)}",
                    f"G{rng.randint(1000, 99999)}" if primary[3] != "medicare" else None,
                    "self",
                    eff,
                    None,
                    None,
                    None,
                    "active",
                )
            )
            primary_cov = cov_id
            secondary_cov = None
            if (age >= 65 and rng.random() < 0.45) or rng.random() < 0.08:
                sec = rng.choice([p for p in commercial if p[0] != primary[0]])
                cov_id += 1
                covs.append(
                    (
                        cov_id,
                        pid,
                        sec[0],
                        2,
                        f"{sec[2][:3].upper()}{rng.randint(10**8, 10**9 - 1)}",
                        f"G{rng.randint(1000, 99999)}",
                        "self",
                        eff,
                        None,
                        None,
                        None,
                        "active",
                    )
                )
                secondary_cov = cov_id
            self.patient_cov.append((pid, primary_cov, secondary_cov))
        bulk.insert(
            "patients",
            (
                "id",
                "account_no",
                "last_name",
                "first_name",
                "middle_name",
                "dob",
                "sex",
                "address1",
                "city",
                "state",
                "zip",
                "phone",
                "guarantor_name",
                "created_at",
            ),
            rows,
        )
        bulk.insert(
            "coverages",
            (
                "id",
                "patient_id",
                "payer_id",
                "rank",
                "member_id",
                "group_number",
                "relation",
                "effective_date",
                "term_date",
                "eligibility_verified_at",
                "eligibility_verified_by",
                "eligibility_result",
            ),
            covs,
        )
        self.cov_payer = {c[0]: c[2] for c in covs}
        # The look-up index (services/lookup.py): patients' name words and their typo keys.
        bulk_index(bulk.insert, ((r[0], r[3], r[4], r[2]) for r in rows))

    def pre_create_batches(self, bulk: _Bulk) -> None:
        """One batch per payer per week: ids known up front so ledger rows can point at
        them; amounts are filled in (and unused weeks removed) once the claims are in."""
        self.n_weeks = (HISTORY_DAYS + 70) // 7 + 2
        rows = []
        opened = _dt_str(dt.datetime.combine(self.today, dt.time(7, 0)))
        for p in self.insurers:
            for w in range(self.n_weeks):
                bid = (p[0] - 1) * self.n_weeks + w + 1
                deposit = self.today - dt.timedelta(days=w * 7)
                method = "eft" if (p[0] + w) % 3 else "check"
                trace = f"{'EFT' if method == 'eft' else 'CHK'}{p[0]:02d}{deposit:%y%m%d}{bid:05d}"
                rows.append(
                    (
                        bid,
                        p[0],
                        None,
                        method,
                        trace,
                        0,
                        deposit.isoformat(),
                        "closed",
                        "manual",
                        None,
                        self.admin_id,
                        opened,
                        opened,
                        1,
                    )
                )
        bulk.insert(
            "payment_batches",
            (
                "id",
                "payer_id",
                "patient_id",
                "method",
                "trace_number",
                "amount_cents",
                "deposit_date",
                "status",
                "source",
                "remittance_file_id",
                "opened_by",
                "opened_at",
                "closed_at",
                "version",
            ),
            rows,
        )

    def _batch_for(self, payer_id: int, days_ago: int) -> int:
        w = max(0, days_ago) // 7
        return (payer_id - 1) * self.n_weeks + w + 1

    def finish_batches(self, conn) -> None:
        for bid, total in self.batch_totals.items():
            conn.execute(
                update(m.PaymentBatch).where(m.PaymentBatch.id == bid).values(amount_cents=total)
            )
        used = set(self.batch_totals)
        unused = [b for b in range(1, len(self.insurers) * self.n_weeks + 1) if b not in used]
        for i in range(0, len(unused), 500):
            conn.execute(delete(m.PaymentBatch).where(m.PaymentBatch.id.in_(unused[i : i + 500])))
        self.batches_used = len(used)

    def _work_fields(self, status, age_days, c_ins, c_pat, last_act, payer_id, appeal_due):
        """The work-queue score and deadline the services keep on a claim (queues.py)."""
        payer = self.payers[payer_id - 1]
        work = claim_work_fields(
            status=status,
            service_date=self.today - dt.timedelta(days=age_days),
            ins_balance_cents=c_ins,
            pat_balance_cents=c_pat,
            last_activity=dt.date.fromisoformat(last_act) if last_act else None,
            filing_days=None if payer[3] == "self_pay" else payer[5],
            appeal_due=appeal_due,
            today=self.today,
        )
        return work.priority, work.deadline.isoformat() if work.deadline else None

    # --- claims ------------------------------------------------------------------

    def generate_chunk(  # noqa: C901
        self, start: int, n: int
    ) -> list[tuple[str, tuple[str, ...], list[tuple]]]:
        """Rows for claims start+1..start+n, as (table, columns, rows) in insert order."""
        rng = self.rng
        rand = rng.random
        randint = rng.randint
        today = self.today
        day_str = self.day_str
        admin = self.admin_id
        allowed_tbl = self.allowed
        procs = D.PROCEDURES
        em = [p for p in procs if p[2] == "em"]
        other = [p for p in procs if p[2] != "em"]
        dx_all = D.DIAGNOSES
        carc_choices = [c for c in D.DENIAL_CARCS for _ in range(c[1])]
        claims, lines, ledger, denials, acts, appeals = [], [], [], [], [], []
        batch_totals = self.batch_totals
        line_id = self.line_id
        led_id = self.ledger_id
        seq = 0
        head = GENESIS

        def emit(
            claim_id,
            line_id,
            kind_,
            resp_,
            to_,
            amount,
            group=None,
            carc=None,
            batch_id=None,
            when_iso="",
            when_db="",
        ):
            """Append one chained ledger row (the same digest the posting service writes)."""
            nonlocal led_id, seq, head
            if batch_id is not None and batch_id not in batch_totals:
                batch_totals[batch_id] = 0
            led_id += 1
            seq += 1
            h = ledger_hash_values(
                head,
                claim_id,
                line_id,
                seq,
                kind_,
                resp_,
                to_,
                amount,
                group,
                carc,
                None,
                batch_id,
                None,
                when_iso,
                admin,
            )
            ledger.append(
                (
                    led_id,
                    claim_id,
                    line_id,
                    seq,
                    kind_,
                    resp_,
                    to_,
                    amount,
                    group,
                    carc,
                    None,
                    batch_id,
                    None,
                    None,
                    None,
                    when_db,
                    admin,
                    head,
                    h,
                )
            )
            head = h

        for i in range(start + 1, start + n + 1):
            claim_id = i
            pid, prim_cov, sec_cov = self.patient_cov[randint(1, self.n_patients)]
            age_days = randint(1, HISTORY_DAYS)
            dos = day_str[age_days]
            payer_id = self.cov_payer[prim_cov] if prim_cov else self.self_pay_id
            sec_payer = self.cov_payer[sec_cov] if sec_cov else None
            resp = 1 if prim_cov else 0
            nlines = randint(1, 5)
            chosen = [rng.choice(em)] + [rng.choice(other) for _ in range(nlines - 1)]
            ndx = randint(1, 4)
            dxs = rng.sample(dx_all, ndx)
            # outcome of this claim
            if age_days < 5:
                outcome = "draft" if rand() < 0.5 else "ready"
            elif age_days < 21 and rand() < 0.6:
                outcome = "submitted"
            else:
                r = rand()
                outcome = (
                    "paid"
                    if r < 0.80
                    else "denied"
                    if r < 0.89
                    else "no_response"
                    if r < 0.97
                    else "underpaid"
                )
                if resp == 0:
                    outcome = "selfpay"
            # A worked AR: most old denials were appealed and paid, most old silences
            # were chased and paid; what stays open is recent or stubborn.
            won_appeal = outcome == "denied" and age_days > 150 and rand() < 0.6
            if won_appeal or (outcome == "no_response" and age_days > 120 and rand() < 0.65):
                outcome = "paid"
            paid_days_ago = age_days - randint(14, 35) if age_days > 40 else max(0, age_days - 10)
            posted_dt = dt.datetime.combine(
                today - dt.timedelta(days=max(0, paid_days_ago)),
                dt.time(9 + (i % 8), (i * 7) % 60, (i * 13) % 60),
            )
            posted_iso = posted_dt.isoformat(timespec="microseconds")
            posted_db = _dt_str(posted_dt)
            charge_dt = dt.datetime.combine(
                today - dt.timedelta(days=age_days), dt.time(17, (i * 11) % 60)
            )
            charge_iso = charge_dt.isoformat(timespec="microseconds")
            charge_db = _dt_str(charge_dt)
            batch = self._batch_for(payer_id, paid_days_ago) if resp else None
            seq = 0
            head = GENESIS
            c_ins = c_pat = 0
            total = 0
            denial_carc = None
            if outcome == "denied" or won_appeal:
                denial_carc = rng.choice(carc_choices)
            sec_posted = sec_cov is not None and outcome in ("paid", "underpaid") and age_days > 60
            pat_paid = age_days > 45 and rand() < 0.88  # statements get paid, mostly
            for ln_no, (code, charge, kind) in enumerate(chosen, start=1):
                line_id += 1
                units = 1
                l_ins = l_pat = 0

                emit(
                    claim_id,
                    line_id,
                    "charge",
                    resp,
                    None,
                    charge,
                    when_iso=charge_iso,
                    when_db=charge_db,
                )
                total += charge
                if resp:
                    l_ins += charge
                else:
                    l_pat += charge
                if outcome in ("paid", "underpaid"):
                    allowed = allowed_tbl[(payer_id, code)]
                    if outcome == "underpaid" and ln_no == 1:
                        allowed = allowed * 85 // 100
                    co45 = charge - allowed
                    if kind == "em" and ln_no == 1 and rand() < 0.35:
                        pr_carc, pr = "3", min(allowed, randint(2, 5) * 500)  # copay
                    elif rand() < 0.15:
                        pr_carc, pr = "1", min(allowed, randint(20, 150) * 100)  # deductible
                    else:
                        pr_carc, pr = "2", allowed // 5  # 20% coinsurance
                    paid = allowed - pr
                    if paid:
                        emit(
                            claim_id,
                            line_id,
                            "insurance_payment",
                            1,
                            None,
                            -paid,
                            batch_id=batch,
                            when_iso=posted_iso,
                            when_db=posted_db,
                        )
                        batch_totals[batch] = batch_totals.get(batch, 0) + paid
                    if co45:
                        emit(
                            claim_id,
                            line_id,
                            "adjustment",
                            1,
                            None,
                            -co45,
                            "CO",
                            "45",
                            batch_id=batch,
                            when_iso=posted_iso,
                            when_db=posted_db,
                        )
                    l_ins -= paid + co45
                    if pr:
                        to = 2 if sec_cov else 0
                        emit(
                            claim_id,
                            line_id,
                            "transfer",
                            1,
                            to,
                            pr,
                            "PR",
                            pr_carc,
                            batch_id=batch,
                            when_iso=posted_iso,
                            when_db=posted_db,
                        )
                        l_ins -= pr
                        if to == 0:
                            l_pat += pr
                        else:
                            l_ins += pr
                            if sec_posted:
                                sbatch = self._batch_for(sec_payer, max(0, paid_days_ago - 21))
                                spaid = pr * 4 // 5
                                if spaid:
                                    emit(
                                        claim_id,
                                        line_id,
                                        "insurance_payment",
                                        2,
                                        None,
                                        -spaid,
                                        batch_id=sbatch,
                                        when_iso=posted_iso,
                                        when_db=posted_db,
                                    )
                                    batch_totals[sbatch] = batch_totals.get(sbatch, 0) + spaid
                                if pr - spaid:
                                    emit(
                                        claim_id,
                                        line_id,
                                        "transfer",
                                        2,
                                        0,
                                        pr - spaid,
                                        "PR",
                                        "2",
                                        batch_id=sbatch,
                                        when_iso=posted_iso,
                                        when_db=posted_db,
                                    )
                                l_ins -= pr
                                l_pat += pr - spaid
                    if l_pat and pat_paid:
                        emit(
                            claim_id,
                            line_id,
                            "patient_payment",
                            0,
                            None,
                            -l_pat,
                            when_iso=posted_iso,
                            when_db=posted_db,
                        )
                        l_pat = 0
                elif outcome == "selfpay" and age_days > 30 and rand() < 0.5:
                    emit(
                        claim_id,
                        line_id,
                        "patient_payment",
                        0,
                        None,
                        -l_pat,
                        when_iso=posted_iso,
                        when_db=posted_db,
                    )
                    l_pat = 0
                c_ins += l_ins
                c_pat += l_pat
                mods = (
                    ("25", None) if kind == "em" and nlines > 2 and rand() < 0.3 else (None, None)
                )
                lines.append(
                    (
                        line_id,
                        claim_id,
                        ln_no,
                        dos,
                        code,
                        mods[0],
                        mods[1],
                        None,
                        None,
                        units,
                        charge,
                        "1" if ndx == 1 else f"1:{min(ndx, 2)}"[:3],
                        f"{claim_id}-{ln_no}",
                        l_ins,
                        l_pat,
                    )
                )
            # status and follow-up
            follow_up = None
            last_act = None
            submitted = day_str[max(0, age_days - 2)] if outcome not in ("draft", "ready") else None
            if outcome in ("draft", "ready"):
                status = outcome
            elif outcome in ("submitted", "no_response"):
                status = "submitted" if rand() < 0.6 else "accepted"
            elif outcome == "denied":
                status = "denied"
            elif outcome == "selfpay":
                status = "transferred" if c_pat else "closed"
            elif c_ins == 0 and c_pat == 0:
                status = "closed"
            elif sec_cov and not sec_posted and c_ins:
                status = "transferred"
            else:
                status = "partially_paid" if outcome == "underpaid" else "paid"
            if outcome == "denied" or won_appeal:
                self.denial_id += 1
                carc, _w, group = denial_carc
                due = (
                    today
                    - dt.timedelta(days=paid_days_ago)
                    + dt.timedelta(days=self.payers[payer_id - 1][6] or 90)
                )
                denials.append(
                    (
                        self.denial_id,
                        claim_id,
                        None,
                        group,
                        carc,
                        None,
                        total,
                        D.DENIAL_CATEGORY[carc],
                        None,
                        "resolved" if won_appeal else "appealed" if rand() < 0.25 else "open",
                        None,
                        day_str[max(0, paid_days_ago)],
                        due.isoformat(),
                        posted_db,
                    )
                )
                if denials[-1][9] in ("appealed", "resolved"):
                    self.appeal_id += 1
                    appeals.append(
                        (
                            self.appeal_id,
                            self.denial_id,
                            claim_id,
                            1,
                            due.isoformat(),
                            "decided" if won_appeal else "filed",
                            "won" if won_appeal else None,
                            None,
                            day_str[max(0, paid_days_ago - 10)],
                            admin,
                            posted_db,
                        )
                    )
            if outcome in ("no_response", "denied", "underpaid") or (
                outcome == "submitted" and age_days > 14
            ):
                for k in range(randint(0, 2)):
                    self.activity_id += 1
                    oc, note = rng.choice(D.CALL_OUTCOMES)
                    days_ago = max(0, paid_days_ago - 7 * k - randint(0, 5))
                    when = dt.datetime.combine(
                        today - dt.timedelta(days=days_ago), dt.time(10 + k, (i * 3) % 60)
                    )
                    fu = day_str[days_ago - 14]
                    acts.append(
                        (
                            self.activity_id,
                            pid,
                            claim_id,
                            "call",
                            rng.choice(("Tina", "Marcus", "Priya", "Dave", "Rosa")),
                            self.payers[payer_id - 1][8],
                            f"REF{claim_id:07d}{k}",
                            oc,
                            note,
                            fu,
                            randint(120, 1500),
                            admin,
                            _dt_str(when),
                        )
                    )
                    last_act = day_str[days_ago]
                    follow_up = fu if follow_up is None or fu > follow_up else follow_up
                if follow_up is None or follow_up < day_str[21]:
                    # A worked queue: follow-ups fall in the last 3 weeks or the next 10 days.
                    follow_up = day_str[randint(-10, 20)]
            claims.append(
                (
                    claim_id,
                    f"C{claim_id:08d}",
                    pid,
                    prim_cov,
                    payer_id,
                    self.provider_ids[i % len(self.provider_ids)],
                    "1",
                    None,
                    f"{payer_id:02d}{claim_id:011d}"
                    if outcome in ("paid", "denied", "underpaid")
                    else None,
                    status,
                    "11",
                    ":".join(dxs),
                    dos,
                    dos,
                    total,
                    c_ins,
                    c_pat,
                    resp if not (sec_cov and c_ins and status == "transferred") else 2,
                    submitted,
                    last_act,
                    follow_up if status != "closed" else None,
                    None,
                    False,
                    seq,
                    head,
                    1,
                    _dt_str(charge_dt),
                    *self._work_fields(
                        status,
                        age_days,
                        c_ins,
                        c_pat,
                        last_act,
                        payer_id,
                        due if outcome == "denied" and denials[-1][9] == "open" else None,
                    ),
                )
            )
        out: list[tuple[str, tuple[str, ...], list[tuple]]] = []

        def add(table: str, cols: tuple[str, ...], rows: list[tuple]) -> None:
            out.append((table, cols, rows))

        add(
            "claims",
            (
                "id",
                "claim_number",
                "patient_id",
                "coverage_id",
                "payer_id",
                "provider_id",
                "frequency_code",
                "original_claim_id",
                "payer_claim_number",
                "status",
                "place_of_service",
                "diagnoses",
                "service_date",
                "service_date_to",
                "total_charge_cents",
                "ins_balance_cents",
                "pat_balance_cents",
                "responsibility",
                "submitted_at",
                "last_activity_at",
                "follow_up_date",
                "owner_id",
                "rebill",
                "ledger_seq",
                "ledger_head",
                "version",
                "created_at",
                "priority",
                "deadline_date",
            ),
            claims,
        )
        add(
            "claim_lines",
            (
                "id",
                "claim_id",
                "line_no",
                "service_date",
                "procedure_code",
                "modifier1",
                "modifier2",
                "modifier3",
                "modifier4",
                "units",
                "charge_cents",
                "dx_pointers",
                "line_control_number",
                "ins_balance_cents",
                "pat_balance_cents",
            ),
            lines,
        )
        add(
            "ledger_entries",
            (
                "id",
                "claim_id",
                "claim_line_id",
                "seq",
                "kind",
                "responsibility",
                "to_responsibility",
                "amount_cents",
                "group_code",
                "carc",
                "rarc",
                "batch_id",
                "reverses_id",
                "posting_id",
                "memo",
                "posted_at",
                "posted_by",
                "prev_hash",
                "hash",
            ),
            ledger,
        )
        add(
            "denials",
            (
                "id",
                "claim_id",
                "claim_line_id",
                "group_code",
                "carc",
                "rarc",
                "amount_cents",
                "category",
                "root_cause",
                "status",
                "owner_id",
                "denied_on",
                "due_date",
                "created_at",
            ),
            denials,
        )
        add(
            "appeals",
            (
                "id",
                "denial_id",
                "claim_id",
                "level",
                "deadline",
                "status",
                "outcome",
                "letter_text",
                "filed_on",
                "created_by",
                "created_at",
            ),
            appeals,
        )
        add(
            "activities",
            (
                "id",
                "patient_id",
                "claim_id",
                "kind",
                "payer_contact",
                "contact_phone",
                "call_reference",
                "outcome",
                "text",
                "next_follow_up",
                "duration_seconds",
                "user_id",
                "created_at",
            ),
            acts,
        )
        self.line_id = line_id
        self.ledger_id = led_id
        return out
