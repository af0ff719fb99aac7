"""Denial trends: the denial rate by month as a terminal chart, and the table behind it.

The report (``services.denial_report.denial_trends``) loads in a thread worker for the
range chosen; ``d`` switches the table between CARC, category, payer and month, ``g``
the range (last 12 / 6 / 3 / 24 months), ``c`` the chart between the rate by claims and
by dollars. The chart draws only what the report holds, so a snapshot of it is stable.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Static
from textual.worker import get_current_worker
from textual_plotext import PlotextPlot

from billing_tui.domain.errors import DomainError
from billing_tui.domain.money import Money
from billing_tui.widgets.cells import count_cell, money_cell, right, text_cell
from billing_tui.widgets.keys_footer import KeysFooter
from billing_tui.widgets.status import StatusLine
from billing_tui.widgets.title_bar import TitleBar
from billing_tui.widgets.worker_failures import ReportsWorkerFailures

if TYPE_CHECKING:
    from billing_tui.app import BillingApp
    from billing_tui.services.denial_report import DenialTrendReport

DIMENSION_TITLES = {
    "carc": "By CARC",
    "category": "By category",
    "payer": "By payer",
    "month": "By month",
}
RANGES = (12, 6, 3, 24)  # months back, this one included


def _pct(rate: float | None) -> Text:
    return right("-" if rate is None else f"{rate * 100:.2f}%")


class DenialTrendsScreen(ReportsWorkerFailures, Screen[None]):
    WORKER_FAILURES: ClassVar[dict[str, str]] = {"trends": "load the denial trends"}
    FAILURE_STATUS = "#trend-status"
    BINDING_GROUP_TITLE = "Denial trends"
    AUTO_FOCUS = "#trend-table"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("d", "next_dimension", "CARC/category/payer/month", id="trends.dimension"),
        Binding("g", "next_range", "Range", id="trends.range"),
        Binding("c", "toggle_measure", "Claims / dollars", id="trends.measure"),
        Binding("r", "refresh", "Refresh", id="trends.refresh"),
    ]
    DEFAULT_CSS = """
    #trend-body { padding: 0 1; height: 1fr; }
    #trend-summary { height: 2; }
    #trend-chart { height: 14; }
    #trend-table-title { height: 1; text-style: bold; }
    #trend-table { height: 1fr; }
    """

    class Loaded(Message):
        def __init__(self, report: DenialTrendReport) -> None:
            super().__init__()
            self.report = report

    class Failed(Message):
        def __init__(self, reason: str) -> None:
            super().__init__()
            self.reason = reason

    def __init__(self) -> None:
        super().__init__()
        self.report: DenialTrendReport | None = None
        self.dimension = "carc"
        self.range_index = 0
        self.measure = "claims"

    @property
    def billing_app(self) -> BillingApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield TitleBar()
        with Vertical(id="trend-body"):
            yield Static("", id="trend-summary")
            yield PlotextPlot(id="trend-chart")
            yield Static("", id="trend-table-title")
            yield DataTable(id="trend-table", cursor_type="row", zebra_stripes=True)
            yield StatusLine(id="trend-status")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.sub_title = "Denial trends"
        self.action_refresh()

    # --- loading ---------------------------------------------------------------------

    def action_refresh(self) -> None:
        from billing_tui.services.denial_report import default_range

        date_from, date_to = default_range(self.billing_app.today, RANGES[self.range_index])
        self.query_one("#trend-body").loading = True
        self.load_report(date_from, date_to)

    @work(thread=True, exclusive=True, exit_on_error=False, group="trends")
    def load_report(self, date_from: dt.date, date_to: dt.date) -> None:
        from billing_tui.services.denial_report import denial_trends

        worker = get_current_worker()
        try:
            report = denial_trends(self.billing_app.database(), date_from, date_to)
        except DomainError as exc:
            if not worker.is_cancelled:
                self.post_message(self.Failed(str(exc)))
            return
        if not worker.is_cancelled:
            self.post_message(self.Loaded(report))

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        self.report = message.report
        self.query_one("#trend-body").loading = False
        self.query_one("#trend-status", StatusLine).clear()
        self.show()

    @on(Failed)
    def _failed(self, message: Failed) -> None:
        self.query_one("#trend-body").loading = False
        self.query_one("#trend-status", StatusLine).show_error(message.reason)

    def worker_failed(self, group: str) -> None:
        self.query_one("#trend-body").loading = False

    # --- painting --------------------------------------------------------------------

    def show(self) -> None:
        report = self.report
        if report is None:
            return
        t = report.total
        from billing_tui.services.denial_report import percent

        self.query_one("#trend-summary", Static).update(
            Text.assemble(
                (f"{report.date_from:%m/%d/%Y} - {report.date_to:%m/%d/%Y}", "bold"),
                f"  (last {RANGES[self.range_index]} months)\n",
                f"Denied {t.denied_claims:,} of {t.adjudicated_claims:,} claims adjudicated: ",
                (percent(t.claim_rate), "bold"),
                f"  ·  {Money(t.denied_cents).format(symbol=True)} of "
                f"{Money(t.adjudicated_cents).format(symbol=True)}: ",
                (percent(t.dollar_rate), "bold"),
            )
        )
        self._chart(report)
        self._table(report)

    def _chart(self, report: DenialTrendReport) -> None:
        chart = self.query_one("#trend-chart", PlotextPlot)
        plt = chart.plt
        plt.clear_data()
        plt.clear_figure()
        by_claims = self.measure == "claims"
        labels = [r.key[2:] for r in report.by_month]  # "25-12": fits 24 bars
        rates = [
            round(((r.claim_rate if by_claims else r.dollar_rate) or 0.0) * 100, 2)
            for r in report.by_month
        ]
        plt.bar(labels, rates, width=0.6)
        plt.title(
            "Denial rate by month, % of claims adjudicated"
            if by_claims
            else "Denial rate by month, % of dollars adjudicated"
        )
        plt.ylim(0, max([*rates, 1.0]) * 1.15)
        chart.refresh()

    def _table(self, report: DenialTrendReport) -> None:
        rows = report.rows(self.dimension)
        self.query_one("#trend-table-title", Static).update(
            f"{DIMENSION_TITLES[self.dimension]}  ({len(rows)} rows; d: next)"
        )
        table = self.query_one("#trend-table", DataTable)
        table.clear(columns=True)
        table.add_column({"carc": "CARC", "category": "Category", "payer": "Payer",
                          "month": "Month"}[self.dimension], key="label")  # fmt: skip
        table.add_column(right("Denied"), key="denied")
        table.add_column(right("Adjudicated"), key="adjudicated")
        table.add_column(right("Rate"), key="rate")
        table.add_column(right("Denied $"), key="denied_cents")
        table.add_column(right("Adjudicated $"), key="adjudicated_cents")
        table.add_column(right("Rate $"), key="dollar_rate")
        for r in rows:
            table.add_row(
                text_cell(r.label[:40]),  # payer names are database text
                count_cell(r.denied_claims),
                count_cell(r.adjudicated_claims),
                _pct(r.claim_rate),
                money_cell(r.denied_cents),
                money_cell(r.adjudicated_cents),
                _pct(r.dollar_rate),
                key=f"{self.dimension}:{r.key}",
            )

    # --- keys ------------------------------------------------------------------------

    def action_next_dimension(self) -> None:
        order = list(DIMENSION_TITLES)
        self.dimension = order[(order.index(self.dimension) + 1) % len(order)]
        if self.report is not None:
            self._table(self.report)

    def action_next_range(self) -> None:
        self.range_index = (self.range_index + 1) % len(RANGES)
        self.action_refresh()

    def action_toggle_measure(self) -> None:
        self.measure = "dollars" if self.measure == "claims" else "claims"
        if self.report is not None:
            self._chart(self.report)
