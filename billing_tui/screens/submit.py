"""Submit claims: the 837P batch shown before it is written, then written.

The table lists, per payer, the claims ready to send (secondary claims counted apart),
their lines and charges, with the total. ``enter`` on a payer limits the batch to that
payer, ``a`` goes back to all payers. ``ctrl+s`` writes exactly the claims shown to the
file named (a claim changed since the preview stops the write with a message); after
writing, the screen shows the interchange control number and the file, and the preview
is empty until more claims are ready.

``i`` imports the clearinghouse's 999 for a batch sent: accepted sets' claims become
accepted, a rejected set's claims go back to the scrubber work list with the 999's error
text (the same service as ``billing-tui import-999``); the same file twice changes
nothing.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Input, Label, Static
from textual.worker import Worker, WorkerState

from billing_tui.domain.errors import DomainError
from billing_tui.widgets.cells import count_cell, money_cell, text_cell
from billing_tui.widgets.fast_table import FastTable
from billing_tui.widgets.keys_footer import KeysFooter
from billing_tui.widgets.service_dialog import ServiceDialog
from billing_tui.widgets.status import StatusLine
from billing_tui.widgets.title_bar import TitleBar

if TYPE_CHECKING:
    from billing_tui.app import BillingApp
    from billing_tui.services.acks import AckResult
    from billing_tui.services.submission import ExportResult, SubmissionPreview

SHOWN_REJECTS = 8  # rejected claim numbers named in the result line


def ack_summary(r: AckResult) -> Text:
    """What a 999 did, in one or two lines for the screen."""
    if r.duplicate:
        return Text(f"{r.file}: this 999 was imported before; nothing changed.")
    icn = f"{r.interchange_control_number:09d}" if r.interchange_control_number else "?"
    text = Text.assemble(
        ("999 imported: ", "bold"),
        f"interchange {icn}: {r.sets_accepted} set(s) accepted, {r.sets_rejected} rejected; "
        f"{r.claims_accepted:,} claim(s) accepted, {r.claims_rejected:,} rejected",
    )
    if r.rejected_claims:
        named = ", ".join(r.rejected_claims[:SHOWN_REJECTS])
        more = len(r.rejected_claims) - SHOWN_REJECTS
        text.append(
            f"\nBack on the scrubber work list (f6): {named}"
            + (f" and {more} more" if more > 0 else "")
        )
    return text


class AckImportDialog(ServiceDialog["AckResult | None"]):
    """The 999 file to import; enter imports it. A file that is not a 999, answers no
    batch we sent, or is missing keeps the dialog open with the reason."""

    BINDING_GROUP_TITLE = "Import 999"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="ack_import.cancel"),
    ]
    AUTO_FOCUS = "#ack-file"
    DEFAULT_CSS = """
    AckImportDialog > Vertical { width: 84; }
    AckImportDialog .dialog-hint { color: $text-muted; height: auto; margin-top: 1; }
    """

    def __init__(self, folder: str = "") -> None:
        super().__init__("Import a 999 acknowledgment")
        self.folder = folder

    def body(self) -> ComposeResult:
        yield Label("999 file")
        # The folder the 837P went to, cursor at its end: type the 999's name.
        yield Input(
            value=self.folder,
            placeholder="/path/to/file.999",
            id="ack-file",
            select_on_focus=False,
        )
        yield Static(
            "enter imports it; the claims of rejected sets go back to the scrubber",
            classes="dialog-hint",
        )

    @on(Input.Submitted, "#ack-file")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        path = event.value.strip()
        if not path:
            self.status.show_error("name the 999 file")
            return
        from billing_tui.services.acks import import_999

        db = self.billing_app.database()
        self.start(lambda actor, _today: import_999(db, actor, path))


class SubmitScreen(Screen[None]):
    BINDING_GROUP_TITLE = "Submit claims"
    AUTO_FOCUS = "#submit-table"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "write", "Write 837P file", priority=True, id="submit.write"),
        Binding("enter", "only_payer", "Only this payer", id="submit.only_payer"),
        Binding("a", "all_payers", "All payers", id="submit.all_payers"),
        Binding("f", "edit_file", "File name", id="submit.edit_file"),
        Binding("i", "import_ack", "Import 999", id="submit.import_ack"),
        Binding("r", "refresh", "Refresh", show=False, id="submit.refresh"),
    ]
    DEFAULT_CSS = """
    #submit-body { padding: 0 1; height: 1fr; }
    #submit-summary { height: 1; text-style: bold; }
    #submit-table { height: 1fr; }
    #submit-file-row { height: 1; margin-top: 1; }
    #submit-file-row Label { width: 10; color: $text-muted; }
    #submit-file { width: 1fr; }
    #submit-result { height: auto; margin-top: 1; }
    """

    class Previewed(Message):
        def __init__(self, preview: SubmissionPreview, file: str | None, note: str = "") -> None:
            super().__init__()
            self.preview = preview
            self.file = file
            self.note = note

    class Written(Message):
        def __init__(self, result: ExportResult, preview: SubmissionPreview) -> None:
            super().__init__()
            self.result = result
            self.preview = preview

    class Failed(Message):
        def __init__(self, reason: str) -> None:
            super().__init__()
            self.reason = reason

    def __init__(self) -> None:
        super().__init__()
        self.preview: SubmissionPreview | None = None
        self.payer_edi: str | None = None
        self.busy = False

    @property
    def billing_app(self) -> BillingApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield TitleBar()
        with Vertical(id="submit-body"):
            yield Static("", id="submit-summary", markup=False)  # names a payer id
            # Fixed widths: the table never paints at header width and then jumps.
            table = FastTable(id="submit-table", cursor_type="row")
            table.add_column("Payer", key="payer", width=38)
            table.add_column("EDI id", key="edi", width=6)
            table.add_column(Text("Claims", justify="right"), key="claims", width=6)
            table.add_column(Text("Secondary", justify="right"), key="secondary", width=9)
            table.add_column(Text("Lines", justify="right"), key="lines", width=5)
            table.add_column(Text("Charges", justify="right"), key="charges", width=8)
            yield table
            with Horizontal(id="submit-file-row"):
                yield Label("File")
                yield Input(id="submit-file", compact=True)
            yield Static("", id="submit-result")
            yield StatusLine(id="submit-status")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.sub_title = "837P batch"
        self.refresh_preview(with_file=True)

    def refresh_preview(self, *, with_file: bool = False, note: str = "") -> None:
        self.busy = True
        self.load_preview(self.payer_edi, with_file, note)

    @work(thread=True, exclusive=True, exit_on_error=False, group="submit")
    def load_preview(self, payer_edi: str | None, with_file: bool, note: str) -> None:
        from billing_tui.services.submission import preview_submission, suggested_file

        try:
            preview = preview_submission(self.billing_app.database(), payer_edi=payer_edi)
            file = suggested_file() if with_file else None
        except (DomainError, OSError) as exc:
            self.post_message(self.Failed(str(exc)))
            return
        self.post_message(self.Previewed(preview, file, note))

    @on(Previewed)
    def _previewed(self, message: Previewed) -> None:
        self.busy = False
        self._show(message.preview)
        if message.file:
            self.query_one("#submit-file", Input).value = message.file
        status = self.query_one("#submit-status", StatusLine)
        if message.note:
            status.show_info(message.note)
        else:
            status.clear()

    def _show(self, preview: SubmissionPreview) -> None:
        self.preview = preview
        scope = f"payer {self.payer_edi} only" if self.payer_edi else "all payers"
        if preview.claims:
            summary = (
                f"{preview.claims:,} claims, {preview.lines:,} lines, "
                f"{money_cell(preview.charge_cents, symbol=True).plain} ready to send ({scope})"
            )
        else:
            summary = f"No claim is ready to send ({scope}): scrub the drafts first."
        self.query_one("#submit-summary", Static).update(summary)
        table = self.query_one("#submit-table", DataTable)
        table.clear()
        for p in preview.payers:
            table.add_row(
                text_cell(p.payer_name[:40]),
                text_cell(p.edi_payer_id),
                count_cell(p.claims),
                count_cell(p.secondary_claims),
                count_cell(p.lines),
                money_cell(p.charge_cents),
                key=p.edi_payer_id,
            )
        if preview.payers:
            table.add_row(
                Text("total", style="bold"),
                "",
                count_cell(preview.claims, bold=True),
                count_cell(sum(p.secondary_claims for p in preview.payers), bold=True),
                count_cell(preview.lines, bold=True),
                money_cell(preview.charge_cents, bold=True),
                key="__total__",
            )
        self.refresh_bindings()

    # --- actions ---------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "write":
            return None if (self.busy or not self.preview or not self.preview.claims) else True
        if action == "all_payers":
            return None if self.payer_edi is None else True
        if action == "only_payer":
            return None if (self.busy or not self.preview or not self.preview.payers) else True
        return True

    def action_refresh(self) -> None:
        self.refresh_preview()

    def action_only_payer(self) -> None:
        table = self.query_one("#submit-table", DataTable)
        if self.preview is None or not self.preview.payers or table.cursor_row is None:
            return
        if table.cursor_row >= len(self.preview.payers):
            return
        self.payer_edi = self.preview.payers[table.cursor_row].edi_payer_id
        self.refresh_preview()

    @on(DataTable.RowSelected, "#submit-table")
    def _selected(self) -> None:
        # The table takes enter itself (select the row): it means "only this payer".
        self.action_only_payer()

    def action_all_payers(self) -> None:
        self.payer_edi = None
        self.refresh_preview()

    def action_edit_file(self) -> None:
        self.query_one("#submit-file", Input).focus()

    @on(Input.Submitted, "#submit-file")
    def _file_entered(self) -> None:
        self.query_one("#submit-table", DataTable).focus()

    def action_write(self) -> None:
        if self.busy or self.preview is None or not self.preview.claims:
            return
        path = self.query_one("#submit-file", Input).value.strip()
        if not path:
            self.query_one("#submit-status", StatusLine).show_error("name the file to write")
            self.query_one("#submit-file", Input).focus()
            return
        self.busy = True
        self.query_one("#submit-status", StatusLine).show_info("writing the 837P file...")
        self.write(path, self.payer_edi, self.preview.claim_ids)

    @work(thread=True, exclusive=True, exit_on_error=False, group="submit")
    def write(self, path: str, payer_edi: str | None, claim_ids: tuple[int, ...]) -> None:
        from billing_tui.services.submission import export_837, preview_submission

        app = self.billing_app
        try:
            now = dt.datetime.combine(app.today, dt.datetime.now().time().replace(microsecond=0))
            result = export_837(
                app.database(), app.actor, path, payer_edi=payer_edi, claim_ids=claim_ids, now=now
            )
            preview = preview_submission(app.database(), payer_edi=payer_edi)
        except DomainError as exc:
            self.post_message(self.Failed(str(exc)))
            return
        self.post_message(self.Written(result, preview))

    @on(Written)
    def _written(self, message: Written) -> None:
        self.busy = False
        r = message.result
        self.query_one("#submit-result", Static).update(
            Text.assemble(
                ("Written: ", "bold"),
                f"{r.claims:,} claims, {r.lines:,} lines, "
                f"{money_cell(r.charge_cents, symbol=True).plain}, interchange "
                f"{r.interchange_control_number:09d}, {len(r.sets)} transaction set(s)\n{r.file}",
            )
        )
        self._show(message.preview)
        self.query_one("#submit-status", StatusLine).show_info(
            "the claims are marked submitted; upload the file to the clearinghouse"
        )

    def action_import_ack(self) -> None:
        written = self.query_one("#submit-file", Input).value.strip()
        folder = str(Path(written).parent) + "/" if written else ""

        def imported(result: AckResult | None) -> None:
            if result is None:
                return
            self.query_one("#submit-result", Static).update(ack_summary(result))
            self.refresh_preview(note="" if result.duplicate else "999 imported")

        self.app.push_screen(AckImportDialog(folder), imported)

    @on(Failed)
    def _failed(self, message: Failed) -> None:
        self.busy = False
        self.refresh_bindings()
        self.query_one("#submit-status", StatusLine).show_error(message.reason)

    @on(Worker.StateChanged)
    def _crashed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "submit" and event.state == WorkerState.ERROR:
            self.busy = False
            error = event.worker.error
            self.query_one("#submit-status", StatusLine).show_error(
                f"Could not finish: {type(error).__name__}: {error}"
            )
