"""835 ERA: import a file, see what it posted, drill into claims and lines, work exceptions.

One table, five views: remittances (newest first), a remittance's claims, a claim's
lines (CAS, remarks, how each matched our claim line), the exceptions work list, and a
file's validation warnings.
``enter`` drills down; ``escape`` goes up a level, then back. ``i`` picks a file (a
path typed with completion, or a tree of .835/.txt/.edi files) and imports it in a
worker (validated with pyx12 as it goes), showing progress and then the summary.
``enter`` on an exception opens the posting screen on that payment batch and claim;
``m`` marks an exception resolved with a note. ``w`` lists a file's validation warnings.
All reading and writing goes through services (era_queries, era_import) in workers.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, DirectoryTree, Input, ProgressBar, Static
from textual.worker import Worker, WorkerState, get_current_worker

from billing_tui.domain.errors import DomainError
from billing_tui.domain.money import Money
from billing_tui.widgets.cells import count_cell, money_cell, right, text_cell
from billing_tui.widgets.keys_footer import KeysFooter
from billing_tui.widgets.status import StatusLine
from billing_tui.widgets.title_bar import TitleBar

if TYPE_CHECKING:
    from billing_tui.app import BillingApp
    from billing_tui.domain.users import Actor
    from billing_tui.services.era_import import ImportReport
    from billing_tui.services.era_queries import (
        EraExceptionRow,
        RemitClaimRow,
        RemittanceRow,
    )

ERA_SUFFIXES = frozenset({".835", ".txt", ".edi"})
VIEW_TITLES = {
    "remittances": "Remittances",
    "claims": "Claims of the remittance",
    "lines": "Service lines of the claim",
    "exceptions": "Exceptions to post by hand",
    "warnings": "Validation warnings",
}

# What "posted" meant for a claim, by CLP02 (the rest: payments and adjustments posted).
POSTED_WORDS = {"4": "denial recorded", "22": "reversed", "25": "no money (predetermination)"}


def is_era_file(path: Path) -> bool:
    return path.suffix.lower() in ERA_SUFFIXES


def complete_path(text: str) -> str | None:
    """The path completed as far as it is unambiguous (a shell's tab): the one folder or
    ERA file it can only be, or the longest common beginning; None when nothing fits."""
    typed = Path(text).expanduser()
    folder, stem = (typed, "") if text.endswith(os.sep) else (typed.parent, typed.name)
    try:
        names = [
            p.name + (os.sep if p.is_dir() else "")
            for p in folder.iterdir()
            if p.name.startswith(stem)
            and not p.name.startswith(".")
            and (p.is_dir() or is_era_file(p))
        ]
    except OSError:
        return None
    if not names:
        return None
    return os.path.join(str(folder), os.path.commonprefix(names))


class EraFileTree(DirectoryTree):
    """Folders and ERA files only (.835, .txt, .edi)."""

    def filter_paths(self, paths: Iterable[Path]) -> Iterable[Path]:
        return [p for p in paths if not p.name.startswith(".") and (p.is_dir() or is_era_file(p))]


class ImportFileScreen(ModalScreen["Path | None"]):
    """Pick the 835 to import: type a path (tab completes) or choose it in the tree."""

    BINDING_GROUP_TITLE = "Import an 835"
    AUTO_FOCUS = "#era-path"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="era_import.cancel"),
        Binding("tab", "complete", "Complete path", priority=True, id="era_import.complete"),
        Binding("ctrl+o", "tree", "Tree / path", priority=True, id="era_import.tree"),
    ]
    DEFAULT_CSS = """
    ImportFileScreen { align: center middle; }
    #era-pick {
        width: 100; max-width: 100%; height: auto; max-height: 30; padding: 0 1;
        border: round $primary; background: $surface; border-title-style: bold;
    }
    #era-path { margin-top: 1; }
    #era-tree { height: 20; margin-top: 1; }
    #era-pick-hint { color: $text-muted; height: 1; }
    """

    def __init__(self, start: Path) -> None:
        super().__init__()
        self.start = start

    def compose(self) -> ComposeResult:
        with Vertical(id="era-pick") as box:
            box.border_title = "Import an 835 ERA file"
            yield Input(
                value=str(self.start) + "/", placeholder="path of the .835 file", id="era-path"
            )
            yield Static(
                "enter imports · tab completes · ctrl+o the file tree · escape cancels",
                id="era-pick-hint",
            )
            yield StatusLine(id="era-pick-status")

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_complete(self) -> None:
        field = self.query_one("#era-path", Input)
        if not field.has_focus:
            self.focus_next()
            return
        done = complete_path(field.value)
        if done is None:
            self.query_one("#era-pick-status", StatusLine).show_error(
                f"No folder or .835/.txt/.edi file starts with {field.value!r}"
            )
            return
        field.value = done
        field.cursor_position = len(done)

    def action_tree(self) -> None:
        # The tree is mounted on demand: its loader worker runs for as long as it lives.
        trees = self.query(EraFileTree)
        if not trees:
            tree = EraFileTree(self.start, id="era-tree")
            self.query_one("#era-pick").mount(tree, before="#era-pick-status")
            tree.focus()
        elif trees.first().has_focus:
            self.query_one("#era-path", Input).focus()
        else:
            trees.first().focus()

    @on(Input.Submitted, "#era-path")
    def _typed(self, event: Input.Submitted) -> None:
        event.stop()
        path = Path(event.value.strip()).expanduser()
        if not path.is_file():
            self.query_one("#era-pick-status", StatusLine).show_error(
                f"{path} is not a file; type the path of an 835 (tab completes)"
            )
            return
        self.dismiss(path)

    @on(DirectoryTree.FileSelected, "#era-tree")
    def _chosen(self, event: DirectoryTree.FileSelected) -> None:
        event.stop()
        self.dismiss(Path(event.path))


class ResolveExceptionScreen(ModalScreen["str | None"]):
    """The note that says how an exception was worked (required)."""

    BINDING_GROUP_TITLE = "Resolve exception"
    AUTO_FOCUS = "#era-note"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="era_resolve.cancel"),
    ]
    DEFAULT_CSS = """
    ResolveExceptionScreen { align: center middle; }
    #era-resolve {
        width: 90; max-width: 100%; height: auto; padding: 0 1;
        border: round $primary; background: $surface; border-title-style: bold;
    }
    #era-note { margin-top: 1; }
    """

    def __init__(self, what: str) -> None:
        super().__init__()
        self.what = what

    def compose(self) -> ComposeResult:
        with Vertical(id="era-resolve") as box:
            box.border_title = "Resolve exception"
            yield Static(self.what, markup=False)  # the remit's claim no. and reason
            yield Input(placeholder="how it was worked (posted by hand, refund requested, ...)",
                        id="era-note")  # fmt: skip
            yield StatusLine(id="era-resolve-status")

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Input.Submitted, "#era-note")
    def _save(self, event: Input.Submitted) -> None:
        event.stop()
        note = event.value.strip()
        if not note:
            self.query_one("#era-resolve-status", StatusLine).show_error(
                "Write how the exception was worked, then enter"
            )
            return
        self.dismiss(note)


class EraScreen(Screen[None]):
    BINDING_GROUP_TITLE = "835 ERA"
    AUTO_FOCUS = "#era-table"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open", "Open", id="era.open"),
        Binding("i", "import_file", "Import 835", id="era.import"),
        Binding("x", "exceptions", "Exceptions", id="era.exceptions"),
        Binding("l", "remittances", "Remittances", id="era.remittances"),
        Binding("w", "warnings", "Warnings", id="era.warnings"),
        Binding("m", "resolve", "Resolve", id="era.resolve"),
        Binding("r", "refresh", "Refresh", id="era.refresh"),
        Binding("escape", "up", "Up / back", id="era.up"),
    ]
    DEFAULT_CSS = """
    #era-body { padding: 0 1; height: 1fr; }
    #era-result { height: auto; max-height: 3; }
    #era-progress { height: 1; }
    #era-title { height: 1; text-style: bold; }
    #era-table { height: 1fr; }
    #era-detail {
        height: 6; border: round $primary 60%; padding: 0 1;
        border-title-color: $text-primary; border-title-style: bold;
    }
    """

    class Loaded(Message):
        def __init__(self, view: str, rows: list, context: dict) -> None:
            super().__init__()
            self.view = view
            self.rows = rows
            self.context = context

    class Imported(Message):
        def __init__(self, path: Path, report: ImportReport) -> None:
            super().__init__()
            self.path = path
            self.report = report

    class Resolved(Message):
        def __init__(self, exception_id: int) -> None:
            super().__init__()
            self.exception_id = exception_id

    class Failed(Message):
        def __init__(self, reason: str) -> None:
            super().__init__()
            self.reason = reason

    def __init__(self, start_dir: Path | None = None) -> None:
        super().__init__()
        self.start_dir = start_dir or Path.cwd()
        self.view = "remittances"
        self.rows: list = []
        self.remittance: RemittanceRow | None = None  # drilled into
        self.remit_claim: RemitClaimRow | None = None
        self.batches: dict[int, int | None] = {}  # remittance id -> payment batch id
        self.importing = False
        self.last_import: ImportReport | None = None

    @property
    def billing_app(self) -> BillingApp:
        return self.app  # type: ignore[return-value]

    @property
    def status(self) -> StatusLine:
        return self.query_one("#era-status", StatusLine)

    def compose(self) -> ComposeResult:
        yield TitleBar()
        with Vertical(id="era-body"):
            yield Static("", id="era-result")
            yield ProgressBar(total=None, show_eta=False, id="era-progress")
            # markup=False: titles and details quote the remit (payer, trace, names).
            yield Static("", id="era-title", markup=False)
            yield DataTable(id="era-table", cursor_type="row", zebra_stripes=True)
            detail = Static("", id="era-detail", markup=False)
            detail.border_title = "Details"
            yield detail
            yield StatusLine(id="era-status")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.sub_title = "835 ERA"
        self.query_one("#era-progress").display = False
        self.query_one("#era-result").display = False
        self.load("remittances")

    # --- loading ---------------------------------------------------------------------

    def load(self, view: str, note: str = "") -> None:
        context = {"note": note}
        if view == "claims" and self.remittance is not None:
            context["remittance_id"] = self.remittance.id
        if view == "lines" and self.remit_claim is not None:
            context["remit_claim_id"] = self.remit_claim.id
        if view == "warnings" and self.remittance is not None:
            context["remittance_file_id"] = self.remittance.remittance_file_id
        self.load_rows(view, context)

    @work(thread=True, exclusive=True, exit_on_error=False, group="era-load")
    def load_rows(self, view: str, context: dict) -> None:
        from billing_tui.services import era_queries as q

        db = self.billing_app.database()
        worker = get_current_worker()
        try:
            if view == "claims":
                rows: list = q.remittance_claims(db, context["remittance_id"])
            elif view == "lines":
                rows = q.remit_claim_lines(db, context["remit_claim_id"])
            elif view == "exceptions":
                rows = q.open_exceptions(db)
                context["batches"] = {r.id: r.batch_id for r in q.list_remittances(db)}
            elif view == "warnings":
                rows = q.validation_warnings(db, context["remittance_file_id"])
            else:
                rows = q.list_remittances(db)
        except DomainError as exc:
            if not worker.is_cancelled:
                self.post_message(self.Failed(str(exc)))
            return
        if not worker.is_cancelled:
            self.post_message(self.Loaded(view, rows, context))

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        self.view = message.view
        self.rows = message.rows
        if "batches" in message.context:
            self.batches = message.context["batches"]
        if message.view == "remittances":
            self.batches = {r.id: r.batch_id for r in message.rows}
        self._paint()
        if message.context.get("note"):
            self.status.show_info(message.context["note"])
        elif not self.status.is_error:
            self.status.clear()

    @on(Failed)
    def _failed(self, message: Failed) -> None:
        self.importing = False
        self.query_one("#era-progress").display = False
        self.status.show_error(message.reason)

    @on(Worker.StateChanged)
    def _crashed(self, event: Worker.StateChanged) -> None:
        if event.worker.group.startswith("era-") and event.state == WorkerState.ERROR:
            error = event.worker.error
            self.importing = False
            self.query_one("#era-progress").display = False
            self.status.show_error(f"Something went wrong: {type(error).__name__}: {error}")

    # --- painting --------------------------------------------------------------------

    def _title(self) -> str:
        title = VIEW_TITLES[self.view]
        if self.view in ("claims", "warnings") and self.remittance is not None:
            r = self.remittance
            title += f" · {r.payer_name} · trace {r.trace_number} · {r.file_name}"
        if self.view == "lines" and self.remit_claim is not None:
            c = self.remit_claim
            title += f" · claim {c.claim_number} · {c.status_label}"
        return f"{title}  ({len(self.rows):,})"

    def _paint(self) -> None:
        self.query_one("#era-title", Static).update(self._title())
        table = self.query_one("#era-table", DataTable)
        table.clear(columns=True)
        painter = {
            "remittances": self._paint_remittances,
            "claims": self._paint_claims,
            "lines": self._paint_lines,
            "exceptions": self._paint_exceptions,
            "warnings": self._paint_warnings,
        }[self.view]
        painter(table)
        if self.rows:
            table.move_cursor(row=0)
        self.show_detail()
        self.refresh_bindings()

    def _paint_remittances(self, table: DataTable) -> None:
        for label, key in (("Imported", "at"), ("Payer", "payer"), ("Trace", "trace")):
            table.add_column(label, key=key)
        table.add_column(right("Check"), key="check")
        table.add_column(right("Paid"), key="paid")
        table.add_column(right("PLB"), key="plb")
        table.add_column(right("Claims"), key="claims")
        table.add_column(right("Posted"), key="posted")
        table.add_column(right("Exc."), key="exc")
        table.add_column("Status", key="status")
        table.add_column(right("Warn."), key="warn")
        for r in self.rows:
            table.add_row(
                f"{r.imported_at:%m/%d/%Y %H:%M}",
                text_cell(r.payer_name[:24]),
                text_cell(r.trace_number[:16]),
                money_cell(r.check_amount_cents),
                money_cell(r.paid_cents),
                money_cell(r.plb_cents),
                count_cell(r.claims),
                count_cell(r.claims_posted),
                count_cell(r.claims_exceptions),
                r.status,
                count_cell(r.warnings_count),
                key=str(r.id),
            )

    def _paint_claims(self, table: DataTable) -> None:
        table.add_column("Claim", key="claim")
        table.add_column("Patient", key="patient")
        table.add_column("CLP02", key="status")
        table.add_column(right("Billed"), key="billed")
        table.add_column(right("Paid"), key="paid")
        table.add_column(right("Patient"), key="pr")
        table.add_column("Payer claim no.", key="icn")
        table.add_column("Result", key="result")
        for c in self.rows:
            result = (
                Text(POSTED_WORDS.get(c.status_code, "posted"), style="green")
                if c.posted
                else Text(f"exception: {c.exception_reason or 'not posted'}"[:40], style="yellow")
            )
            table.add_row(
                text_cell(c.claim_number),
                text_cell((c.patient_name or "")[:22]),
                text_cell(f"{c.status_code} {c.status_label}"[:24]),
                money_cell(c.billed_cents),
                money_cell(c.paid_cents),
                money_cell(c.patient_resp_cents),
                text_cell((c.payer_claim_number or "")[:18]),
                result,
                key=str(c.id),
            )

    def _paint_lines(self, table: DataTable) -> None:
        table.add_column("Code", key="code")
        table.add_column("DOS", key="dos")
        table.add_column(right("Billed"), key="billed")
        table.add_column(right("Allowed"), key="allowed")
        table.add_column(right("Paid"), key="paid")
        table.add_column("Adjustments (CAS)", key="cas")
        table.add_column("Remarks", key="remarks")
        table.add_column("Matched", key="match")
        for ln in self.rows:
            matched = (
                Text(f"line {ln.matched_line_no} by {ln.match_method}", style="green")
                if ln.matched_line_no is not None
                else Text("not matched", style="yellow")
            )
            table.add_row(
                text_cell(ln.code),
                f"{ln.service_date:%m/%d/%Y}" if ln.service_date else "",
                money_cell(ln.billed_cents),
                money_cell(ln.allowed_cents) if ln.allowed_cents is not None else right("-"),
                money_cell(ln.paid_cents),
                text_cell(ln.cas_text[:34]),
                text_cell(ln.remarks[:14]),
                matched,
                key=str(ln.id),
            )

    def _paint_exceptions(self, table: DataTable) -> None:
        table.add_column("Since", key="at")
        table.add_column("Claim", key="claim")
        table.add_column("Patient", key="patient")
        table.add_column("Payer", key="payer")
        table.add_column(right("Paid"), key="paid")
        table.add_column("Reason", key="reason")
        for e in self.rows:
            table.add_row(
                f"{e.created_at:%m/%d/%Y}",
                text_cell(e.claim_number or "-"),
                text_cell((e.patient_name or "")[:20]),
                text_cell(e.payer_name[:20]),
                money_cell(e.paid_cents),
                text_cell(e.reason[:50]),
                key=str(e.id),
            )

    def _paint_warnings(self, table: DataTable) -> None:
        table.add_column("#", key="n")
        table.add_column("Finding (005010X221A1)", key="text")
        for n, text in enumerate(self.rows, start=1):
            table.add_row(right(str(n)), text_cell(text[:108]), key=str(n))

    def _current(self):
        table = self.query_one("#era-table", DataTable)
        row = table.cursor_row
        if not self.rows or row is None or not 0 <= row < len(self.rows):
            return None
        return self.rows[row]

    @on(DataTable.RowHighlighted, "#era-table")
    def _highlighted(self) -> None:
        self.show_detail()

    @on(DataTable.RowSelected, "#era-table")
    def _selected(self) -> None:
        self.action_open()  # the table takes enter itself: it means "open" here

    def show_detail(self) -> None:
        detail = self.query_one("#era-detail", Static)
        item = self._current()
        if item is None:
            empty = {
                "remittances": "No remittance yet: press i to import an 835 file.",
                "exceptions": "No open exception: every claim of every ERA posted.",
                "warnings": "No validation warnings for this file.",
            }
            detail.update(empty.get(self.view, "Nothing here."))
            return
        if self.view == "remittances":
            r = item
            text = (
                f"{r.file_name} · payer {r.payer_name} · trace {r.trace_number} · "
                f"payment batch {'#' + str(r.batch_id) if r.batch_id else 'none'}\n"
                f"Check {Money(r.check_amount_cents).format(symbol=True)} = paid "
                f"{Money(r.paid_cents).format(symbol=True)} - PLB "
                f"{Money(r.plb_cents).format(symbol=True)} · {r.claims_posted} of {r.claims} "
                f"claims posted, {r.claims_exceptions} exceptions · {r.warnings_count} warnings"
            )
            if r.error:
                text += f"\nRejected: {r.error}"
            text += "\nenter: its claims · w: its validation warnings"
        elif self.view == "claims":
            c = item
            text = (
                f"Claim {c.claim_number} · {c.status_label} · payer claim no. "
                f"{c.payer_claim_number or '-'}\nClaim adjustments: {c.cas_text or 'none'}\n"
                + ("Posted." if c.posted else f"Exception: {c.exception_reason or 'not posted'}")
                + "\nenter: its service lines"
            )
        elif self.view == "lines":
            ln = item
            text = (
                f"{ln.code} · billed {Money(ln.billed_cents).format(symbol=True)} · paid "
                f"{Money(ln.paid_cents).format(symbol=True)}\nCAS: {ln.cas_text or 'none'}\n"
                f"Remarks: {ln.remarks or 'none'}\n"
                + (
                    f"Matched our line {ln.matched_line_no} by {ln.match_method}"
                    if ln.matched_line_no is not None
                    else "Not matched to a line of ours"
                )
            )
        elif self.view == "exceptions":
            e = item
            text = (
                f"Claim {e.claim_number or '(unknown)'} · {e.payer_name} · trace "
                f"{e.trace_number} · paid {Money(e.paid_cents).format(symbol=True)}\n"
                f"{e.reason}\nenter: post it by hand on the posting screen · m: resolve with a note"
            )
        else:
            text = item
        detail.update(text)

    # --- keys ------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "resolve":
            return self.view == "exceptions"
        if action == "warnings":
            return self.view in ("remittances", "claims")
        if action == "import_file":
            return not self.importing
        return True

    def action_refresh(self) -> None:
        self.load(self.view)

    def action_remittances(self) -> None:
        self.remittance = self.remit_claim = None
        self.load("remittances")

    def action_exceptions(self) -> None:
        self.load("exceptions")

    def action_warnings(self) -> None:
        if self.view == "remittances":
            self.remittance = self._current()
        if self.remittance is not None:
            self.load("warnings")

    def action_open(self) -> None:
        item = self._current()
        if item is None:
            return
        if self.view == "remittances":
            self.remittance = item
            self.load("claims")
        elif self.view == "claims":
            self.remit_claim = item
            self.load("lines")
        elif self.view == "exceptions":
            self.open_posting(item)

    async def action_up(self) -> None:
        parent = {"lines": "claims", "claims": "remittances", "warnings": "remittances"}
        if self.view in parent:
            if self.view == "lines":
                self.remit_claim = None
            self.load(parent[self.view])
        elif self.view == "exceptions":
            self.load("remittances")
        else:
            await self.app.run_action("back")

    def open_posting(self, exc: EraExceptionRow) -> None:
        """The posting screen on the remittance's payment batch, the claim loaded when we
        know it (else its number typed in the claim search)."""
        from billing_tui.screens.posting import PostingScreen

        batch_id = self.batches.get(exc.remittance_id)
        if batch_id is None:
            self.status.show_error(
                "This remittance has no payment batch to post to; open a batch with f8"
            )
            return
        screen = PostingScreen(batch_id)
        self.app.push_screen(screen)

        def loaded() -> None:
            if exc.claim_id is not None:
                screen.load_claim_by_id(exc.claim_id)
            elif exc.claim_number:
                screen.query_one("#claim-query", Input).value = exc.claim_number

        screen.call_after_refresh(loaded)

    def on_screen_resume(self) -> None:
        if self.view == "exceptions":
            self.load("exceptions")  # a claim posted by hand may have closed one

    # --- import ----------------------------------------------------------------------

    def action_import_file(self) -> None:
        if self.importing:
            return

        def chosen(path: Path | None) -> None:
            if path is None:
                return
            actor = self.billing_app.actor
            if actor is None:
                return
            self.importing = True
            self.refresh_bindings()
            self.query_one("#era-progress").display = True
            self.status.show_info(f"Importing {path.name} and validating it…")
            self.import_file(actor, path)

        self.app.push_screen(ImportFileScreen(self.start_dir), chosen)

    @work(thread=True, exclusive=True, exit_on_error=False, group="era-import")
    def import_file(self, actor: Actor, path: Path) -> None:
        from billing_tui.services.era_import import import_files

        try:
            report = import_files(
                self.billing_app.database(), actor, [path], validate=True, dry_run=False
            )
        except DomainError as exc:
            self.post_message(self.Failed(f"{path.name}: {exc}"))
            return
        self.post_message(self.Imported(path, report))

    @on(Imported)
    def _imported(self, message: Imported) -> None:
        self.importing = False
        self.last_import = message.report
        self.query_one("#era-progress").display = False
        result = self.query_one("#era-result", Static)
        result.display = True
        result.update(import_summary(message.path, message.report))
        self.remittance = self.remit_claim = None
        self.load("remittances", note=f"Imported {message.path.name}")

    # --- exceptions ------------------------------------------------------------------

    def action_resolve(self) -> None:
        item = self._current()
        if self.view != "exceptions" or item is None:
            return
        actor = self.billing_app.actor

        def noted(note: str | None) -> None:
            if note and actor is not None:
                self.status.show_info("Resolving…")
                self.resolve(actor, item.id, note)

        what = f"Claim {item.claim_number or '(unknown)'}: {item.reason}"
        self.app.push_screen(ResolveExceptionScreen(what), noted)

    @work(thread=True, exclusive=True, exit_on_error=False, group="era-resolve")
    def resolve(self, actor: Actor, exception_id: int, note: str) -> None:
        from billing_tui.services.era_import import resolve_exception

        try:
            resolve_exception(self.billing_app.database(), actor, exception_id, note)
        except DomainError as exc:
            self.post_message(self.Failed(str(exc)))
            return
        self.post_message(self.Resolved(exception_id))

    @on(Resolved)
    def _resolved(self, message: Resolved) -> None:
        self.load("exceptions", note="Exception resolved")


def import_summary(path: Path, report: ImportReport) -> Text:
    """What an import did, in a rep's words: posted, exceptions, duplicates, warnings."""
    text = Text()
    text.append(f"{path.name}: ", style="bold")
    if report.duplicates_skipped:
        duplicate = next((r.message for r in report.results if r.status == "duplicate"), "")
        text.append(
            f"a duplicate, nothing posted ({duplicate})" if duplicate else "a duplicate",
            style="yellow",
        )
    else:
        text.append(
            f"{report.claims_posted:,} of {report.claims:,} claims posted · "
            f"{Money(report.posted_paid_cents).format(symbol=True)} paid · "
        )
        text.append(
            f"{report.claims_exceptions:,} exceptions",
            style="bold yellow" if report.claims_exceptions else "",
        )
        text.append(
            f" ({Money(report.exception_paid_cents).format(symbol=True)}) · "
            f"{report.reversals:,} reversals · {report.denials:,} denials · "
            f"{report.transactions:,} remittances"
        )
        if report.transactions_rejected:
            text.append(f", {report.transactions_rejected:,} rejected", style="bold red")
    text.append(f" · {report.validation_warnings:,} validation warnings")
    return text
