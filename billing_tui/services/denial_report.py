"""Denial trends: denial rate by claims and by dollars, by month, CARC, category and payer.

Definitions (the report is exact against the tables, and tests recompute it from them):

- A **denial** counts in the period when its ``denials.denied_on`` falls in it, whatever its
  status now (open, appealed, resolved, written off): a denial that was later won was still
  a denial. **Denied dollars** = the sum of those rows' ``amount_cents``. **Denied claims**
  = the distinct claims among them (a claim denied for two CARCs counts once in the totals
  and once in each CARC's row).
- A claim's **first payer adjudication** (``claims.adjudicated_on``, kept by the ledger
  writers and proven by ``check``) is the earliest date among its ledger entries of kind
  ``insurance_payment``, ``adjustment``, or ``transfer`` carrying a CAS group code (a PR
  amount moved to the patient or the next payer: manual transfers have no group code), by
  the date of ``posted_at``, and its ``denials.denied_on`` dates. Reversals and write-offs
  are rep actions, not adjudications, and do not count.
- **Adjudicated claims** of a period = the claims whose first payer adjudication falls in
  it; **adjudicated dollars** = the sum of their ``claims.total_charge_cents``. A claim
  counts in one month only, ever, so the months add up to the range.
- **Denial rate by claims** = denied claims / adjudicated claims; **by dollars** = denied
  dollars / adjudicated dollars. A claim's payer is ``claims.payer_id`` (the payer billed);
  CARC and category rows share the period's adjudicated totals as their denominator; a
  payer's row has that payer's adjudicated claims. Categories are read from the denial
  rows, never from a fixed list.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, literal, select

from billing_tui.db import models as m
from billing_tui.db.engine import Database
from billing_tui.db.uow import UnitOfWork
from billing_tui.domain.errors import ValidationError
from billing_tui.domain.money import Money
from billing_tui.domain.reason_codes import lookup

DIMENSIONS = ("month", "carc", "category", "payer")
SELF_PAY = "Self-pay"


@dataclass(frozen=True, slots=True)
class DenialTrendRow:
    """One row of a dimension: what was denied against what was adjudicated."""

    key: str
    label: str
    denied_claims: int
    denied_cents: int
    adjudicated_claims: int
    adjudicated_cents: int

    @property
    def claim_rate(self) -> float | None:
        """Denied / adjudicated claims; None when nothing was adjudicated."""
        return self.denied_claims / self.adjudicated_claims if self.adjudicated_claims else None

    @property
    def dollar_rate(self) -> float | None:
        return self.denied_cents / self.adjudicated_cents if self.adjudicated_cents else None


@dataclass(frozen=True, slots=True)
class DenialTrendReport:
    date_from: dt.date
    date_to: dt.date
    total: DenialTrendRow
    by_month: list[DenialTrendRow] = field(default_factory=list)
    by_carc: list[DenialTrendRow] = field(default_factory=list)
    by_category: list[DenialTrendRow] = field(default_factory=list)
    by_payer: list[DenialTrendRow] = field(default_factory=list)

    def rows(self, dimension: str) -> list[DenialTrendRow]:
        if dimension not in DIMENSIONS:
            raise ValidationError(
                f"dimension must be one of {', '.join(DIMENSIONS)}, not {dimension!r}",
                field="dimension",
            )
        return getattr(self, f"by_{dimension}")


def default_range(today: dt.date, months: int = 12) -> tuple[dt.date, dt.date]:
    """The last ``months`` months, this one included (from the 1st): what a supervisor asks
    for first."""
    index = today.year * 12 + today.month - 1 - (months - 1)
    return dt.date(index // 12, index % 12 + 1, 1), today


def _months(date_from: dt.date, date_to: dt.date) -> list[str]:
    out, y, mth = [], date_from.year, date_from.month
    while (y, mth) <= (date_to.year, date_to.month):
        out.append(f"{y:04d}-{mth:02d}")
        y, mth = (y + 1, 1) if mth == 12 else (y, mth + 1)
    return out


def _denied(d):
    """(denied claims, denied cents) of a group of denial rows."""
    return func.count(func.distinct(d.claim_id)), func.coalesce(func.sum(d.amount_cents), 0)


def _read(db: Database, queries: dict) -> dict[str, list]:
    """Run ``queries`` in one read transaction: Core rows, no ORM loading."""
    with UnitOfWork(db, write=False) as uow:
        conn = uow.session.connection()
        return {name: conn.execute(q).all() for name, q in queries.items()}


def _row(key, label, denied: dict, adjudicated: dict) -> DenialTrendRow:
    claims, cents = denied.get(key, (0, 0))
    a_claims, a_cents = adjudicated.get(key, (0, 0))
    return DenialTrendRow(str(key), label, claims, cents, a_claims, a_cents)


def denial_trends(db: Database, date_from: dt.date, date_to: dt.date) -> DenialTrendReport:
    """The denial trend report for ``date_from``..``date_to`` (both days included)."""
    if date_from > date_to:
        raise ValidationError(
            f"the range starts {date_from:%m/%d/%Y}, after it ends {date_to:%m/%d/%Y}",
            field="date_from",
        )
    d, c = m.Denial, m.Claim
    in_range = (d.denied_on >= date_from, d.denied_on <= date_to)
    month = func.substr(d.denied_on, 1, 7) if db.is_sqlite else func.to_char(d.denied_on, "YYYY-MM")
    # Each dimension is one aggregate over ix_denials_trend (distinct claims per key can't
    # be summed from a finer grouping); the payer's needs the claim.
    keyed = {
        "total": select(literal("total"), *_denied(d)).where(*in_range),
        "month": select(month, *_denied(d)).where(*in_range).group_by(month),
        "carc": select(d.carc, *_denied(d)).where(*in_range).group_by(d.carc),
        "category": select(d.category, *_denied(d)).where(*in_range).group_by(d.category),
        "payer": select(c.payer_id, *_denied(d))
        .join(c, c.id == d.claim_id)
        .with_hint(c, "INDEXED BY ix_claims_payer_of", "sqlite")  # not the wide rows
        .where(*in_range)
        .group_by(c.payer_id),
    }
    # Grouped by day, not month: the scan walks ix_claims_adjudicated in order and never
    # formats a date per claim; days fold into months below.
    adjudicated = (
        select(
            c.adjudicated_on,
            c.payer_id,
            func.count(),
            func.coalesce(func.sum(c.total_charge_cents), 0),
        )
        .where(c.adjudicated_on >= date_from, c.adjudicated_on <= date_to)
        .group_by(c.adjudicated_on, c.payer_id)
    )
    # Two halves of about equal cost, read side by side on two connections (each query is
    # one long scan inside the database, which runs without Python's lock): the report
    # takes the longer half, not the sum. Each half is one read transaction; a posting
    # committed between their starts can show in one half only (rates, not balances).
    halves = (
        {"adjudicated": adjudicated, "payer": keyed["payer"]},
        {k: keyed[k] for k in ("total", "month", "carc", "category")},
    )
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="denial-report") as pool:
        results: dict[str, list] = {}
        for part in pool.map(lambda queries: _read(db, queries), halves):
            results.update(part)
    adj_rows = results.pop("adjudicated")
    den: dict[str, dict] = {
        dim: {
            ("" if key is None else str(key)) if dim == "payer" else key: (int(n), int(cents))
            for key, n, cents in rows
            if n
        }
        for dim, rows in results.items()
    }
    payer_ids = {int(p) for p in den["payer"] if p} | {r[1] for r in adj_rows}
    with UnitOfWork(db, write=False) as uow:
        payer_names = dict(
            uow.session.execute(
                select(m.Payer.id, m.Payer.name).where(
                    m.Payer.id.in_([p for p in payer_ids if p is not None])
                )
            ).all()
        )

    # Denominators: adjudicated claims and their charges by month and payer.
    adj_month: dict[str, tuple[int, int]] = {}
    adj_payer: dict[str, tuple[int, int]] = {}
    adj_total = (0, 0)
    for day, payer_id, n, cents in adj_rows:
        n, cents, mon = int(n), int(cents), f"{day:%Y-%m}"
        payer_id = "" if payer_id is None else str(payer_id)
        a = adj_month.get(mon, (0, 0))
        adj_month[mon] = (a[0] + n, a[1] + cents)
        a = adj_payer.get(payer_id, (0, 0))
        adj_payer[payer_id] = (a[0] + n, a[1] + cents)
        adj_total = (adj_total[0] + n, adj_total[1] + cents)

    everything = {k: adj_total for k in (*den["carc"], *den["category"], "total")}
    by_month = [_row(mon, mon, den["month"], adj_month) for mon in _months(date_from, date_to)]

    def ranked(rows: list[DenialTrendRow]) -> list[DenialTrendRow]:
        return sorted(rows, key=lambda r: (-r.denied_cents, -r.denied_claims, r.key))

    by_carc = ranked(
        [_row(k, f"{k} {lookup(k).description}", den["carc"], everything) for k in den["carc"]]
    )
    by_category = ranked([_row(k, k, den["category"], everything) for k in den["category"]])
    payers = set(den["payer"]) | set(adj_payer)
    by_payer = ranked(
        [
            _row(p, payer_names.get(int(p), SELF_PAY) if p else SELF_PAY, den["payer"], adj_payer)
            for p in payers
        ]
    )
    return DenialTrendReport(
        date_from=date_from,
        date_to=date_to,
        total=_row("total", "All", den["total"], everything),
        by_month=by_month,
        by_carc=by_carc,
        by_category=by_category,
        by_payer=by_payer,
    )


# --- output formats (the CLI and the screen share them) ---------------------------------

COLUMNS = (
    "key",
    "label",
    "denied_claims",
    "adjudicated_claims",
    "claim_rate_pct",
    "denied_cents",
    "adjudicated_cents",
    "dollar_rate_pct",
)


def percent(rate: float | None) -> str:
    """A rate as the report prints it: '12.34%', or '-' when nothing was adjudicated."""
    return "-" if rate is None else f"{rate * 100:.2f}%"


def _pct_value(rate: float | None) -> float | None:
    return None if rate is None else round(rate * 100, 2)


def row_json(r: DenialTrendRow) -> dict:
    return {
        "key": r.key,
        "label": r.label,
        "denied_claims": r.denied_claims,
        "adjudicated_claims": r.adjudicated_claims,
        "claim_rate_pct": _pct_value(r.claim_rate),
        "denied_cents": r.denied_cents,
        "adjudicated_cents": r.adjudicated_cents,
        "dollar_rate_pct": _pct_value(r.dollar_rate),
    }


def report_json(report: DenialTrendReport) -> dict:
    """JSON: {"from", "to", "total": row, "by_month"|"by_carc"|"by_category"|"by_payer":
    [row]}; a row is {"key", "label", "denied_claims", "adjudicated_claims",
    "claim_rate_pct", "denied_cents", "adjudicated_cents", "dollar_rate_pct"} (rates in
    percent with 2 decimals, null when nothing was adjudicated; money in int cents)."""
    out: dict = {
        "from": report.date_from.isoformat(),
        "to": report.date_to.isoformat(),
        "total": row_json(report.total),
    }
    for dim in DIMENSIONS:
        out[f"by_{dim}"] = [row_json(r) for r in report.rows(dim)]
    return out


def report_csv(report: DenialTrendReport) -> str:
    """One CSV: a ``dimension`` column first (total, month, carc, category, payer); money in
    plain dollars ("1234.50") so a spreadsheet reads it as a number."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(("dimension", *(c.replace("_cents", "_dollars") for c in COLUMNS)))
    for dim, rows in (("total", [report.total]), *((d, report.rows(d)) for d in DIMENSIONS)):
        for r in rows:
            j = row_json(r)
            w.writerow(
                (
                    dim,
                    *(
                        str(Money(j[c]).to_decimal())
                        if c.endswith("_cents")
                        else ("" if j[c] is None else j[c])
                        for c in COLUMNS
                    ),
                )
            )
    return buf.getvalue()


def report_table(report: DenialTrendReport) -> str:
    """Plain-text tables for the terminal, one per dimension."""
    head = ("", "denied", "adjud.", "rate", "denied $", "adjudicated $", "rate $")
    lines = [f"Denial trends {report.date_from:%m/%d/%Y} - {report.date_to:%m/%d/%Y}"]
    for title, rows in (
        ("Total", [report.total]),
        ("By month", report.by_month),
        ("By CARC", report.by_carc),
        ("By category", report.by_category),
        ("By payer", report.by_payer),
    ):
        lines.append("")
        lines.append(title)
        lines.append(
            f"{head[0]:<32} {head[1]:>8} {head[2]:>8} {head[3]:>8} {head[4]:>14} "
            f"{head[5]:>16} {head[6]:>8}"
        )
        for r in rows:
            lines.append(
                f"{r.label[:32]:<32} {r.denied_claims:>8,} {r.adjudicated_claims:>8,} "
                f"{percent(r.claim_rate):>8} {Money(r.denied_cents).format():>14} "
                f"{Money(r.adjudicated_cents).format():>16} {percent(r.dollar_rate):>8}"
            )
    return "\n".join(lines) + "\n"


def write_xlsx(report: DenialTrendReport, path: Path) -> Path:
    """A workbook with one sheet per dimension; money as dollars with a money format."""
    from openpyxl import Workbook

    wb = Workbook()
    first = True
    headers = (
        "Key",
        "Label",
        "Denied claims",
        "Adjudicated claims",
        "Claim denial rate",
        "Denied $",
        "Adjudicated $",
        "Dollar denial rate",
    )
    for dim, rows in (("total", [report.total]), *((d, report.rows(d)) for d in DIMENSIONS)):
        ws = wb.active if first else wb.create_sheet()
        first = False
        ws.title = dim
        ws.append(headers)
        for r in rows:
            ws.append(
                (
                    r.key,
                    r.label,
                    r.denied_claims,
                    r.adjudicated_claims,
                    r.claim_rate,
                    Money(r.denied_cents).to_decimal(),
                    Money(r.adjudicated_cents).to_decimal(),
                    r.dollar_rate,
                )
            )
        for row in ws.iter_rows(min_row=2):
            row[4].number_format = row[7].number_format = "0.00%"
            row[5].number_format = row[6].number_format = "#,##0.00"
    path = Path(path)
    wb.save(path)
    return path
