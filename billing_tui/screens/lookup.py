"""`/` from anywhere: find a patient, claim or payer by typing, open it with enter.

Results follow the typing: each keystroke restarts a short debounce timer; when it fires
the search runs in an exclusive thread worker (a newer search cancels the older one, and
results that arrive for an older query are dropped). Up/down choose a result while the
cursor stays in the search box; enter opens a patient's or claim's account, or shows a
payer's card in the modal. Member ids are shown masked to their last 4.

No audit event per keystroke (see services/lookup.find): opening a result writes the
account screen's own `account_viewed` event.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import DataTable, Input, Static
from textual.worker import Worker, WorkerState, get_current_worker

from billing_tui.domain.errors import DomainError
from billing_tui.widgets.cells import row_at_cursor, text_cell
from billing_tui.widgets.keys_footer import KeysFooter
from billing_tui.widgets.status import StatusLine

if TYPE_CHECKING:
    from billing_tui.app import BillingApp
    from billing_tui.domain.users import Actor
    from billing_tui.services.lookup import Match, PayerCard

DEBOUNCE_SECONDS = 0.15
KIND_LABELS = {"patient": "Patient", "claim": "Claim", "payer": "Payer"}
PLACEHOLDER = "name (typos are fine), DOB, account no., member id, claim no. or payer"
# (label, key, width): widths fill the modal (each cell also gets one space either side).
COLUMNS = (
    ("Kind", "kind", 7),
    ("Name", "name", 34),
    ("DOB / DOS", "day", 10),
    ("Account", "account", 10),
    ("Matched on", "matched", 27),
)


class LookupScreen(ModalScreen[None]):
    """The look-up modal (`/` or the palette's "Find patient / payer / claim")."""

    BINDING_GROUP_TITLE = "Find"
    BINDINGS: ClassVar[list[BindingType]] = [
        # priority: before the search box's own enter, so the footer shows it too
        Binding("enter", "open", "Open", priority=True, id="lookup.open"),
        Binding("down", "cursor_down", "Next result", show=False, priority=True, id="lookup.down"),
        Binding("up", "cursor_up", "Previous result", show=False, priority=True, id="lookup.up"),
        Binding("escape", "close", "Close", id="lookup.close"),
        # A modal screen hides the app's keys: F1 is offered here again.
        Binding("f1", "help", "Help", show=False, id="lookup.help"),
    ]
    DEFAULT_CSS = """
    LookupScreen {
        align: center top;
        background: $background;  /* a page of its own: what is behind does not distract */
    }
    #lookup-box {
        width: 104;
        max-width: 96%;
        height: auto;
        max-height: 90%;
        margin-top: 2;
        padding: 0 1;
        border: round $primary;
        border-title-style: bold;
        background: $surface;
    }
    #lookup-query {
        margin-bottom: 0;
    }
    #lookup-status {
        height: 1;
        padding: 0 1;
    }
    #lookup-results {
        height: auto;
        max-height: 22;
        overflow-x: hidden;
    }
    #payer-card {
        height: auto;
        margin-top: 1;
        padding: 0 1;
        border: round $secondary;
        border-title-style: bold;
    }
    """

    class Results(Message):
        def __init__(self, query: str, matches: list[Match]) -> None:
            super().__init__()
            self.query = query
            self.matches = matches

    class SearchFailed(Message):
        def __init__(self, query: str, reason: str) -> None:
            super().__init__()
            self.query = query
            self.reason = reason

    class CardLoaded(Message):
        def __init__(self, card: PayerCard) -> None:
            super().__init__()
            self.card = card

    class CardFailed(Message):
        def __init__(self, reason: str) -> None:
            super().__init__()
            self.reason = reason

    def __init__(self) -> None:
        super().__init__()
        self.matches: list[Match] = []
        self.shown_query: str | None = None  # the query the table shows results for
        self._debounce: Timer | None = None
        self._open_when_shown = False  # enter came before the last keystrokes were searched
        self.card: PayerCard | None = None

    @property
    def billing_app(self) -> BillingApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        with Vertical(id="lookup-box") as box:
            box.border_title = "Find patient / payer / claim"
            box.border_subtitle = "↑↓ choose · enter opens · esc closes"
            yield Input(placeholder=PLACEHOLDER, id="lookup-query")
            yield StatusLine(id="lookup-status")
            yield DataTable(id="lookup-results", cursor_type="row", zebra_stripes=True)
            yield Static("", id="payer-card", markup=False)
        yield KeysFooter()

    def on_mount(self) -> None:
        table = self.query_one("#lookup-results", DataTable)
        table.can_focus = False  # the cursor stays in the search box; up/down move the rows
        for label, key, width in COLUMNS:
            table.add_column(label, key=key, width=width)
        table.display = False
        self.query_one("#payer-card").display = False
        self.query_one("#lookup-status", StatusLine).show_info(
            "Type a name, date of birth (03/14/1962), account, member id, claim or payer."
        )
        self.query_one(Input).focus()

    # --- searching ----------------------------------------------------------------

    @on(Input.Changed, "#lookup-query")
    def _typed(self, event: Input.Changed) -> None:
        self._hide_card()
        if self._debounce is not None:
            self._debounce.stop()
        self._debounce = self.set_timer(DEBOUNCE_SECONDS, self._search_now, name="lookup")

    def _search_now(self) -> None:
        self._debounce = None
        query = self.query_one(Input).value
        actor = self.billing_app.actor
        if actor is None:
            return
        if not query.strip():
            self.workers.cancel_group(self, "lookup")
            self._open_when_shown = False
            self._show([], query)
            return
        self.search(actor, query)

    @work(thread=True, exclusive=True, exit_on_error=False, group="lookup")
    def search(self, actor: Actor, query: str) -> None:
        from billing_tui.services.lookup import find

        worker = get_current_worker()
        app = self.billing_app
        try:
            matches = find(app.database(), actor, query, today=app.today)
        except DomainError as exc:
            if not worker.is_cancelled:
                self.post_message(self.SearchFailed(query, str(exc)))
            return
        if not worker.is_cancelled:
            self.post_message(self.Results(query, matches))

    @on(Results)
    def _results(self, message: Results) -> None:
        if message.query != self.query_one(Input).value:
            return  # the rep typed on; a newer search is coming
        self._show(message.matches, message.query)
        if self._open_when_shown:
            self._open_when_shown = False
            self.action_open()

    @on(SearchFailed)
    def _search_failed(self, message: SearchFailed) -> None:
        if message.query == self.query_one(Input).value:
            self._open_when_shown = False
            self.query_one("#lookup-status", StatusLine).show_error(message.reason)

    def _show(self, matches: list[Match], query: str) -> None:
        self.matches = matches
        self.shown_query = query
        table = self.query_one("#lookup-results", DataTable)
        table.clear()
        for i, mt in enumerate(matches):
            table.add_row(*_cells(mt), key=str(i))
        table.display = bool(matches)
        if matches:
            table.move_cursor(row=0)
        status = self.query_one("#lookup-status", StatusLine)
        if not query.strip():
            status.show_info(
                "Type a name, date of birth (03/14/1962), account, member id, claim or payer."
            )
        elif not matches:
            status.show_info(f"Nothing matches {query.strip()!r}.")
        else:
            more = " (the best shown: type more to narrow)" if len(matches) >= 20 else ""
            status.show_info(f"{len(matches)} match{'es' if len(matches) != 1 else ''}{more}")
        self.refresh_bindings()

    # --- choosing and opening --------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("open", "cursor_down", "cursor_up"):
            return bool(self.matches) or None
        return True

    def action_cursor_down(self) -> None:
        self.query_one("#lookup-results", DataTable).action_cursor_down()

    def action_cursor_up(self) -> None:
        self.query_one("#lookup-results", DataTable).action_cursor_up()

    @property
    def selected(self) -> Match | None:
        return row_at_cursor(self.query_one("#lookup-results", DataTable), self.matches)

    @on(Input.Submitted, "#lookup-query")
    def _submitted(self) -> None:
        self.action_open()

    def action_open(self) -> None:
        if self._debounce is not None or self.shown_query != self.query_one(Input).value:
            # Enter came before the last keystrokes were searched: search now, then open.
            if self._debounce is not None:
                self._debounce.stop()
            self._open_when_shown = bool(self.query_one(Input).value.strip())
            self._search_now()
            return
        mt = self.selected
        if mt is None:
            return
        if mt.kind == "payer":
            self.load_card(mt.id)
            return
        patient_id = mt.id if mt.kind == "patient" else mt.patient_id
        claim_id = mt.id if mt.kind == "claim" else None
        app = self.billing_app
        self.dismiss()
        app.open_account(patient_id, focus_claim_id=claim_id)

    # --- the payer card ------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="lookup-card")
    def load_card(self, payer_id: int) -> None:
        from billing_tui.services.lookup import payer_card

        worker = get_current_worker()
        app = self.billing_app
        try:
            card = payer_card(app.database(), app.actor, payer_id)
        except DomainError as exc:
            if not worker.is_cancelled:
                self.post_message(self.CardFailed(str(exc)))
            return
        if not worker.is_cancelled:
            self.post_message(self.CardLoaded(card))

    @on(CardLoaded)
    def _card_loaded(self, message: CardLoaded) -> None:
        self.card = message.card
        panel = self.query_one("#payer-card", Static)
        panel.border_title = Text(message.card.name)  # a str title is read as markup
        panel.update(payer_card_text(message.card))
        panel.display = True

    @on(CardFailed)
    def _card_failed(self, message: CardFailed) -> None:
        self.query_one("#lookup-status", StatusLine).show_error(message.reason)

    def _hide_card(self) -> None:
        self.card = None
        self.query_one("#payer-card").display = False

    def action_help(self) -> None:
        self.billing_app.action_help()

    def action_close(self) -> None:
        if self.card is not None:
            self._hide_card()  # escape closes the card first, then the look-up
            return
        self.dismiss()

    @on(Worker.StateChanged)
    def _worker_crashed(self, event: Worker.StateChanged) -> None:
        if event.worker.group in ("lookup", "lookup-card") and event.state == WorkerState.ERROR:
            error = event.worker.error
            self.query_one("#lookup-status", StatusLine).show_error(
                f"The look-up failed: {type(error).__name__}: {error}"
            )


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _cells(mt: Match) -> tuple[Text | str, ...]:
    day = mt.dob or mt.service_date
    matched = mt.matched_on + (f" · {mt.detail}" if mt.detail else "")
    return (
        Text(KIND_LABELS.get(mt.kind, mt.kind), style="bold" if mt.kind == "patient" else ""),
        text_cell(_fit(mt.label, COLUMNS[1][2])),
        day.strftime("%m/%d/%Y") if day else "",
        text_cell(mt.account_no or ""),
        text_cell(_fit(matched, COLUMNS[4][2])),
    )


def payer_card_text(card: PayerCard) -> str:
    kind = card.payer_type.replace("_", "-")
    lines = [
        f"EDI payer id   {card.edi_payer_id}        type  {kind} ({card.claim_filing_indicator})",
        f"Phone          {card.phone or 'not on file'}",
        f"Portal         {card.portal_url or 'not on file'}",
        f"Timely filing  {card.timely_filing_days} days from the date of service",
        f"Appeals        {card.appeal_window_days} days from the denial",
        f"Authorization  {'required for some services' if card.requires_authorization else 'not required'}",
    ]
    return "\n".join(lines)
