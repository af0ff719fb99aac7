"""`billing-tui report denials`: every format says the same numbers as the service."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

from click.testing import CliRunner
from openpyxl import load_workbook
from svc_helpers import TODAY

from billing_tui.cli import main
from billing_tui.services.demo import build_demo
from billing_tui.services.denial_report import denial_trends, report_json

RANGE = ("--from", "2026-01-01", "--to", TODAY.isoformat())


def _run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_report_denials_in_every_format(db, tmp_path):
    build_demo(db, claims=300, seed=4, today=TODAY)
    expected = report_json(denial_trends(db, dt.date(2026, 1, 1), TODAY))
    assert expected["total"]["denied_claims"] > 0

    res = _run("report", "denials", "--db", db.url, *RANGE, "--format", "json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.output) == expected

    res = _run("report", "denials", "--db", db.url, *RANGE, "--format", "csv")
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader(io.StringIO(res.output)))
    total = next(r for r in rows if r["dimension"] == "total")
    assert int(total["denied_claims"]) == expected["total"]["denied_claims"]
    assert total["denied_dollars"] == f"{expected['total']['denied_cents'] / 100:.2f}"
    assert sum(r["dimension"] == "month" for r in rows) == 11
    carcs = [r["key"] for r in rows if r["dimension"] == "carc"]
    assert carcs == [r["key"] for r in expected["by_carc"]]

    res = _run("report", "denials", "--db", db.url, *RANGE)  # table is the default
    assert res.exit_code == 0, res.output
    assert "By CARC" in res.output and "By payer" in res.output
    assert f"{expected['total']['adjudicated_claims']:,}" in res.output

    out = tmp_path / "denials.xlsx"
    res = _run("report", "denials", "--db", db.url, *RANGE, "--format", "xlsx", "--out", str(out))
    assert res.exit_code == 0, res.output
    wb = load_workbook(out)
    assert wb.sheetnames == ["total", "month", "carc", "category", "payer"]
    row = [c.value for c in wb["total"][2]]
    assert row[2:4] == [expected["total"]["denied_claims"], expected["total"]["adjudicated_claims"]]
    assert round(row[5] * 100) == expected["total"]["denied_cents"]
    assert wb["carc"].max_row == len(expected["by_carc"]) + 1

    text_out = tmp_path / "denials.csv"
    res = _run("report", "denials", "--db", db.url, *RANGE, "--format", "csv", "--out",
               str(text_out))  # fmt: skip
    assert res.exit_code == 0 and text_out.read_text().startswith("dimension,key,label")


def test_report_denials_default_range_and_bad_input(db):
    res = _run("report", "denials", "--db", db.url, "--to", "2026-06-30", "--format", "json")
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert (data["from"], data["to"]) == ("2025-07-01", "2026-06-30")  # twelve months
    assert [r["key"] for r in data["by_month"]][::11] == ["2025-07", "2026-06"]
    res = _run("report", "denials", "--db", db.url, "--format", "xlsx")
    assert res.exit_code == 1
    assert "--out" in res.output
    res = _run("report", "denials", "--db", db.url, "--from", "2026-05-01", "--to", "2026-01-01")
    assert res.exit_code == 1
    assert "after it ends" in res.output
