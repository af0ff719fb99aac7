"""The home page's tables; each takes plain service DTOs and knows its own columns."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.text import Text
from textual.widgets import DataTable

from billing_tui.widgets.cells import count_cell, date_cell, money_cell, right, text_cell

if TYPE_CHECKING:
    from billing_tui.services.dto import AgingReport, FollowUpRow, RecentAccount

BUCKET_LABELS = ("0-30", "31-60", "61-90", "91-120", "120+")


class AgingTable(DataTable):
    """Open AR by aging bucket: insurance and patient balances and claim counts, plus totals."""

    can_focus = False

    def on_mount(self) -> None:
        self.cursor_type = "none"
        self.zebra_stripes = False
        self.add_column("Days", key="bucket")
        self.add_column(right("Insurance $"), key="ins", width=14)
        self.add_column(right("Claims"), key="ins_n", width=7)
        self.add_column(right("Patient $"), key="pat", width=14)
        self.add_column(right("Claims"), key="pat_n", width=7)

    def show(self, report: AgingReport) -> None:
        self.clear()
        by_bucket = {row.bucket: row for row in report.rows}
        ins_n = pat_n = 0
        for label in BUCKET_LABELS:
            row = by_bucket.get(label)
            ins, ins_c = (row.insurance_cents, row.insurance_claims) if row else (0, 0)
            pat, pat_c = (row.patient_cents, row.patient_claims) if row else (0, 0)
            ins_n += ins_c
            pat_n += pat_c
            self.add_row(
                label,
                money_cell(ins),
                count_cell(ins_c),
                money_cell(pat),
                count_cell(pat_c),
                key=label,
            )
        self.add_row(
            Text("Total", style="bold"),
            money_cell(report.insurance_total_cents, bold=True),
            count_cell(ins_n, bold=True),
            money_cell(report.patient_total_cents, bold=True),
            count_cell(pat_n, bold=True),
            key="total",
        )


class FollowUpTable(DataTable):
    """Follow-ups due today or earlier (overdue dates highlighted); a row per claim."""

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.zebra_stripes = True
        self.add_column("Follow-up", key="date")
        self.add_column("Claim", key="claim")
        self.add_column("Patient", key="patient")
        self.add_column("Payer", key="payer")
        self.add_column("Status", key="status")
        self.add_column(right("Balance"), key="balance", width=12)

    def show(self, rows: Sequence[FollowUpRow], today: dt.date) -> None:
        self.clear()
        for r in rows:
            self.add_row(
                date_cell(r.follow_up_date, today=today),
                text_cell(r.claim_number),
                text_cell(r.patient_name),
                text_cell(r.payer_name),
                r.status.replace("_", " "),
                money_cell(r.balance_cents),
                key=str(r.claim_id),
            )


def _local(when: dt.datetime) -> dt.datetime:
    # Audit times are stored as naive UTC; the rep reads local time.
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.astimezone()


class RecentAccountsTable(DataTable):
    """The accounts this rep opened most recently."""

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.add_column("Account", key="account")
        self.add_column("Patient", key="patient")
        self.add_column("Viewed", key="viewed")

    def show(self, rows: Sequence[RecentAccount]) -> None:
        self.clear()
        for r in rows:
            self.add_row(
                text_cell(r.account_no),
                text_cell(r.patient_name),
                _local(r.viewed_at).strftime("%Y-%m-%d %H:%M"),
                key=str(r.patient_id),
            )
