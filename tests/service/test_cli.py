"""The command-line contract: text or --json, one-line reasons, exit codes."""

from __future__ import annotations

import json

from click.testing import CliRunner
from sqlalchemy import text
from svc_helpers import TODAY, charge_row, write_csv

from billing_tui.cli import main


def _run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_demo_check_and_tamper(db):
    url = db.url
    res = _run(
        "demo",
        "--db",
        url,
        "--claims",
        "200",
        "--seed",
        "2",
        "--today",
        TODAY.isoformat(),
        "--json",
    )
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["claims"] == 200
    res = _run("check", "--db", url, "--json")
    data = json.loads(res.output)
    assert res.exit_code == 0 and data["ok"] and data["claims_checked"] == 200
    assert set(data) >= {
        "ok",
        "claims_checked",
        "ledger_entries_verified",
        "audit_events_verified",
        "problems",
    }
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE ledger_entries SET amount_cents = amount_cents + 1 "
                "WHERE id = (SELECT MIN(id) FROM ledger_entries)"
            )
        )
    res = _run("check", "--db", url)
    assert res.exit_code == 1 and "FAILED: claim C00000001" in res.output


def test_import_charges_cli(db, admin, tmp_path):
    good = write_csv(tmp_path / "g.csv", [charge_row("K1"), charge_row("K1", charge="10")])
    res = _run("import-charges", str(good), "--db", db.url, "--json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["charge_cents"] == 21000
    bad = write_csv(tmp_path / "b.csv", [charge_row("K2", charge="1.2.3")])
    res = _run("import-charges", str(bad), "--db", db.url)
    assert res.exit_code == 1
    assert "row 2, column charge" in res.output


def test_bad_database_url_exits_2():
    res = _run("check", "--db", "postgresql://x:pw@127.0.0.1:1/none")
    assert res.exit_code == 2
    assert res.output.count("\n") == 1 and "cannot reach database" in res.output
    assert "pw" not in res.output


def test_db_upgrade(tmp_path):
    from billing_tui.db.migrate import known_revisions

    res = _run("db", "upgrade", "--db", f"sqlite:///{tmp_path}/u.db")
    assert res.exit_code == 0 and f"schema revision {known_revisions()[1]}" in res.output
