"""Command line: `billing-tui` opens the workstation; subcommands do batch work.

Every subcommand prints human-readable text, or JSON with --json, and exits
non-zero with a one-line reason on bad input (2 when the database cannot be
reached or the URL is malformed). Heavy imports happen inside the commands so
`billing-tui` itself starts fast.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Callable

import click

from billing_tui.domain.money import Money

DB_HELP = "Database URL (sqlite:///file.db or postgresql://user@host/db); default $BILLING_TUI_DB or a SQLite file in your data directory."


def _fail(message: str, code: int = 1) -> None:
    click.echo(f"billing-tui: {message}", err=True)
    sys.exit(code)


def _guard(fn: Callable[[], object]) -> object:
    """Run a command body, turning domain errors into one line and an exit code."""
    from billing_tui.db.engine import DatabaseUnavailable
    from billing_tui.domain.errors import DomainError

    try:
        return fn()
    except DatabaseUnavailable as exc:
        _fail(str(exc), 2)
    except DomainError as exc:
        _fail(str(exc), 1)
    return None


def _open(db_url: str | None):
    from billing_tui.db.engine import Database

    return Database.open(db_url)


def _cli_actor(db, username: str):
    from billing_tui.db.uow import UnitOfWork
    from billing_tui.domain.errors import AuthError
    from billing_tui.services.auth import actor_of

    with UnitOfWork(db, write=False) as uow:
        user = uow.users.by_username(username)
        if user is None:
            raise AuthError(f"no user named {username!r} in this database (use --user)")
        return actor_of(user)


def _echo_json(data: object) -> None:
    click.echo(json.dumps(data, indent=2, default=str))


@click.group(invoke_without_command=True)
@click.option("--db", "db_url", envvar="BILLING_TUI_DB", help=DB_HELP)
@click.version_option(package_name="billing-tui")
@click.pass_context
def main(ctx: click.Context, db_url: str | None) -> None:
    """billing_tui: a keyboard-driven workstation for medical billing reps.

    Without a subcommand it opens the workstation."""
    ctx.ensure_object(dict)
    ctx.obj["db_url"] = db_url
    if ctx.invoked_subcommand is None:

        def reachable():
            from billing_tui.db.engine import Database

            Database.connect(db_url).dispose()  # bad URL / server down: one line, exit 2

        _guard(reachable)
        from billing_tui.app import BillingApp

        BillingApp(db_url=db_url).run()


def _db_option(f):
    return click.option("--db", "db_url", envvar="BILLING_TUI_DB", help=DB_HELP)(f)


def _url(ctx: click.Context, db_url: str | None) -> str | None:
    return db_url or (ctx.obj or {}).get("db_url")


@main.group()
def db() -> None:
    """Database schema commands."""


@db.command("upgrade")
@_db_option
@click.pass_context
def db_upgrade(ctx: click.Context, db_url: str | None) -> None:
    """Bring the database schema up to this release (safe to run twice)."""

    def run():
        from billing_tui.db.engine import Database, redact
        from billing_tui.db.migrate import upgrade

        database = Database.connect(_url(ctx, db_url))
        head = upgrade(database.engine)
        click.echo(f"{redact(database.url)} is at schema revision {head}")

    _guard(run)


@main.command()
@_db_option
@click.option("--claims", default=20_000, show_default=True, type=click.IntRange(min=1))
@click.option("--seed", default=7, show_default=True, type=int)
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]), help="Build as of this date.")
@click.option("--reset", is_flag=True, help="Drop everything in the database first.")
@click.option("--keep-existing", is_flag=True, help="Do nothing if the database has data.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def demo(ctx, db_url, claims, seed, today, reset, keep_existing, as_json) -> None:
    """Build a believable demo practice (deterministic per seed)."""

    def run():
        from sqlalchemy import func, select

        from billing_tui.db import models as m
        from billing_tui.services.demo import DEMO_USERS, build_demo

        database = _open(_url(ctx, db_url))
        if keep_existing and not reset:
            with database.engine.connect() as conn:
                if conn.scalar(select(func.count()).select_from(m.User)):
                    if not as_json:
                        click.echo("demo database already present; keeping it")
                    return
        progress = None if as_json else (lambda msg: click.echo(f"  {msg}", err=True))
        result = build_demo(
            database,
            claims=claims,
            seed=seed,
            today=today.date() if today else None,
            reset=reset,
            progress=progress,
        )
        if as_json:
            _echo_json(result.as_json())
            return
        click.echo(
            f"demo practice built in {result.seconds}s: {result.patients:,} patients, "
            f"{result.payers} payers, {result.claims:,} claims, {result.lines:,} lines, "
            f"{result.ledger_entries:,} ledger entries, {result.denials:,} denials"
        )
        click.echo("log in as: " + ", ".join(f"{u}/{p}" for u, p, _r, _n in DEMO_USERS))

    _guard(run)


@main.command()
@_db_option
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def check(ctx, db_url, as_json) -> None:
    """Verify balances against the ledger, both hash chains, and batch balancing."""

    def run():
        from billing_tui.services.check import run_check

        report = run_check(_open(_url(ctx, db_url)))
        if as_json:
            _echo_json(report.as_json())
        else:
            click.echo(
                f"checked {report.claims_checked:,} claims, "
                f"{report.ledger_entries_verified:,} ledger entries, "
                f"{report.audit_events_verified:,} audit events, "
                f"{report.batches_checked:,} payment batches"
            )
            for p in report.problems:
                click.echo(f"PROBLEM: {p}")
            click.echo("OK" if report.ok else f"FAILED: {report.problems[0]}")
        if not report.ok:
            sys.exit(1)

    _guard(run)


@main.command("import-charges")
@click.argument("file", type=click.Path(dir_okay=False))
@_db_option
@click.option("--user", default="admin", show_default=True, help="User the import is audited as.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def import_charges_cmd(ctx, file, db_url, user, as_json) -> None:
    """Import an EHR charge CSV; any bad row rejects the whole file."""

    def run():
        from billing_tui.services.charges import import_charges

        database = _open(_url(ctx, db_url))
        result = import_charges(database, _cli_actor(database, user), file)
        if as_json:
            _echo_json(result.as_json())
        else:
            click.echo(
                f"{result.rows} rows: {result.claims_created} claims and "
                f"{result.lines_created} lines created, {result.patients_created} new "
                f"patients, {result.payers_created} new payers, "
                f"{result.duplicates_skipped} duplicate claims skipped, charges "
                f"{Money(result.charge_cents).format(symbol=True)}"
            )

    _guard(run)


@main.command()
@_db_option
@click.option("--claims", default=1_000_000, show_default=True, type=click.IntRange(min=100))
@click.option("--seed", default=7, show_default=True, type=int)
@click.option("--repeat", default=50, show_default=True, type=click.IntRange(min=5))
@click.option("--only", multiple=True, help="Run only these operations.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def bench(ctx, db_url, claims, seed, repeat, only, as_json) -> None:
    """Build (or reuse) a large database and time each operation: median and p95 ms."""

    def run():
        from billing_tui.benchmarks import run_bench

        results = run_bench(
            _url(ctx, db_url),
            claims=claims,
            seed=seed,
            repeat=repeat,
            only=set(only) or None,
            progress=None if as_json else (lambda msg: click.echo(f"  {msg}", err=True)),
        )
        if as_json:
            _echo_json(results)
            return
        click.echo(f"{'operation':<28}{'median ms':>12}{'p95 ms':>12}{'budget ms':>12}")
        for name, r in results["operations"].items():
            budget = "" if r.get("budget_ms") is None else f"{r['budget_ms']:g}"
            click.echo(f"{name:<28}{r['median_ms']:>12.2f}{r['p95_ms']:>12.2f}{budget:>12}")
        for k, v in results.get("facts", {}).items():
            click.echo(f"{k}: {v}")

    _guard(run)


@main.command("find")
@click.argument("query")
@_db_option
@click.option("--kind", type=click.Choice(["patient", "payer", "claim"]), help="Only this kind.")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 200))
@click.option("--user", default="admin", show_default=True, help="User the search is audited as.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def find_cmd(ctx, query, db_url, kind, limit, user, as_json) -> None:
    """Fuzzy look-up of patients (name with typos, DOB, account no., member id), payers
    (name or EDI id) and claims (number), best first. Each search is audited."""

    def run():
        from billing_tui.services.lookup import find

        if not query.strip():
            _fail("type a name, date of birth, account number, member id, claim number or payer")
        database = _open(_url(ctx, db_url))
        matches = find(
            database, _cli_actor(database, user), query, kind=kind, limit=limit, audit=True
        )
        if as_json:
            _echo_json([mt.as_json() for mt in matches])
            return
        if not matches:
            click.echo(f"no matches for {query.strip()!r}")
            return
        click.echo(
            f"{'score':>5}  {'kind':<8}{'name':<42}{'DOB / DOS':<12}{'account':<12}matched on"
        )
        for mt in matches:
            day = mt.dob or mt.service_date
            dob = day.strftime("%m/%d/%Y") if day else ""
            label = mt.label if len(mt.label) <= 40 else mt.label[:39] + "…"
            click.echo(
                f"{mt.score:>5.1f}  {mt.kind:<8}{label:<42}{dob:<12}{mt.account_no or '':<12}"
                f"{mt.matched_on}{' · ' + mt.detail if mt.detail else ''}"
            )

    _guard(run)


@main.group()
def queues() -> None:
    """Work queues: list them with counts, re-score the claims."""


@queues.command("list")
@_db_option
@click.option("--user", default="admin", show_default=True, help="List the queues this user sees.")
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]), help="Count as of this date.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def queues_list(ctx, db_url, user, today, as_json) -> None:
    """Each queue with its claim count and open dollars."""

    def run():
        from billing_tui.services.queues import list_queues

        database = _open(_url(ctx, db_url))
        rows = list_queues(database, _cli_actor(database, user), _today_option(today))
        if as_json:
            _echo_json(
                [
                    {
                        "id": q.queue_id,
                        "name": q.name,
                        "claims": q.items,
                        "balance_cents": q.balance_cents,
                        "rule": q.description,
                        "sort": q.sort.to_text(),
                        "members": list(q.members),
                    }
                    for q in rows
                ]
            )
            return
        for q in rows:
            click.echo(
                f"{q.queue_id:>4}  {q.name:<32}{q.items:>10,}  {Money(q.balance_cents).format(symbol=True):>15}"
            )

    _guard(run)


@queues.command("refresh")
@_db_option
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]), help="Score as of this date.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def queues_refresh(ctx, db_url, today, as_json) -> None:
    """Re-score every claim's priority and deadline as of today (run it daily)."""

    def run():
        from billing_tui.services.queues import refresh_priorities

        result = refresh_priorities(
            _open(_url(ctx, db_url)),
            _today_option(today),
            progress=None if as_json else (lambda msg: click.echo(f"  {msg}", err=True)),
        )
        if as_json:
            _echo_json(
                {
                    "claims_scored": result.claims_scored,
                    "claims_changed": result.claims_changed,
                    "seconds": result.seconds,
                }
            )
        else:
            click.echo(
                f"scored {result.claims_scored:,} claims, {result.claims_changed:,} "
                f"changed, in {result.seconds}s"
            )

    _guard(run)


@main.command()
@_db_option
@click.option("--user", default="admin", show_default=True, help="User the scrub is audited as.")
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]), help="Scrub as of this date.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def scrub(ctx, db_url, user, today, as_json) -> None:
    """Scrub every unsent claim: clean ones become ready, the rest keep their messages."""

    def run():
        from billing_tui.services.scrubber import scrub_claims

        database = _open(_url(ctx, db_url))
        s = scrub_claims(database, _cli_actor(database, user), today=_today_option(today))
        if as_json:
            _echo_json(s.as_json())
            return
        click.echo(f"{s.scrubbed:,} claims scrubbed: {s.clean:,} clean, {s.failed:,} with problems")
        for edit, n in sorted(s.by_edit.items(), key=lambda kv: -kv[1]):
            click.echo(f"  {edit:<16}{n:>8,}")

    _guard(run)


@main.command("export-837")
@_db_option
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False), help="File to write.")
@click.option("--payer", "payer", help="Only this payer's claims (its EDI payer id).")
@click.option("--user", default="admin", show_default=True, help="User the export is audited as.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def export_837_cmd(ctx, db_url, out, payer, user, as_json) -> None:
    """Write the 837P for every ready claim (or one payer's) and mark them submitted."""

    def run():
        from billing_tui.services.submission import export_837

        database = _open(_url(ctx, db_url))
        r = export_837(database, _cli_actor(database, user), out, payer_edi=payer)
        if as_json:
            _echo_json(r.as_json())
            return
        click.echo(
            f"{r.file}: {r.claims:,} claims, {r.lines:,} lines, charges "
            f"{Money(r.charge_cents).format(symbol=True)}, interchange {r.interchange_control_number:09d}"
        )

    _guard(run)


@main.command("import-999")
@click.argument("file", type=click.Path(dir_okay=False))
@_db_option
@click.option("--user", default="admin", show_default=True, help="User the import is audited as.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def import_999_cmd(ctx, file, db_url, user, as_json) -> None:
    """Import a 999 acknowledgment: rejected sets send their claims back to the scrubber."""

    def run():
        from billing_tui.services.acks import import_999

        database = _open(_url(ctx, db_url))
        r = import_999(database, _cli_actor(database, user), file)
        if as_json:
            _echo_json(r.as_json())
            return
        if r.duplicate:
            click.echo(f"{r.file} was imported before; nothing changed")
            return
        click.echo(
            f"{r.file}: batch {r.interchange_control_number:09d}: {r.sets_accepted} set(s) "
            f"accepted, {r.sets_rejected} rejected; {r.claims_accepted} claims accepted, "
            f"{r.claims_rejected} back to the scrubber work list"
        )

    _guard(run)


@main.command("import-835")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@_db_option
@click.option("--dry-run", is_flag=True, help="Report what would post; write nothing.")
@click.option("--validate", is_flag=True, help="Also check each file with pyx12 (warnings).")
@click.option("--user", default="admin", show_default=True, help="User the import is audited as.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def import_835_cmd(ctx, files, db_url, dry_run, validate, user, as_json) -> None:
    """Import 835 ERA files: post every claim that matches and balances, list the rest
    as exceptions; a file (or check trace) seen before is skipped."""

    def run():
        from billing_tui.services.era_import import import_files, summary_lines

        database = _open(_url(ctx, db_url))
        report = import_files(
            database, _cli_actor(database, user), list(files), validate=validate,
            dry_run=dry_run,
        )  # fmt: skip
        if as_json:
            _echo_json(report.as_json())
            return
        for line in summary_lines(report):
            click.echo(line)

    _guard(run)


def _today_option(value: dt.datetime | None) -> dt.date:
    return value.date() if value else dt.date.today()


@main.group()
def report() -> None:
    """Reports for supervisors."""


@report.command("denials")
@_db_option
@click.option(
    "--from",
    "date_from",
    type=click.DateTime(["%Y-%m-%d"]),
    help="First day (default: the 1st of the month 11 months before --to).",
)
@click.option(
    "--to", "date_to", type=click.DateTime(["%Y-%m-%d"]), help="Last day (default: today)."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "xlsx", "json"]),
    default="table",
    show_default=True,
)
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False),
    help="Write to this file (xlsx needs it; text formats default to stdout).",
)
@click.pass_context
def report_denials(ctx, db_url, date_from, date_to, fmt, out) -> None:
    """Denial rate by claims and dollars, by month, CARC, category and payer."""

    def run():
        from pathlib import Path

        from billing_tui.services import denial_report as dr

        if fmt == "xlsx" and not out:
            _fail("--format xlsx writes a workbook: name it with --out FILE")
        end = date_to.date() if date_to else dt.date.today()
        start = date_from.date() if date_from else dr.default_range(end)[0]
        rep = dr.denial_trends(_open(_url(ctx, db_url)), start, end)
        if fmt == "xlsx":
            dr.write_xlsx(rep, Path(out))
            click.echo(f"wrote {out}")
            return
        if fmt == "json":
            text = json.dumps(dr.report_json(rep), indent=2) + "\n"
        elif fmt == "csv":
            text = dr.report_csv(rep)
        else:
            text = dr.report_table(rep)
        if out:
            Path(out).write_text(text, encoding="utf-8")
            click.echo(f"wrote {out}")
        else:
            click.echo(text, nl=False)

    _guard(run)


if __name__ == "__main__":
    main()
