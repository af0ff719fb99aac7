"""EOB posting: one payment batch, claim after claim, from a paper EOB.

The header always shows the batch's check amount, what is posted and what remains.
The rep finds a claim (claim number, or a fuzzy look-up of claim numbers and patients),
copies the EOB into the grid (widgets/eob_grid.py: every line's difference is shown as
it is typed) and posts the whole claim with ``ctrl+s`` (or f10): one service call in a
worker, one transaction. A stale claim or a line that does not balance leaves
everything typed in place with the message; after a post the header updates and the
cursor goes back to the claim search for the next claim. ``ctrl+b`` closes the batch
once nothing remains.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState, get_current_worker

from billing_tui.domain.errors import ConflictError, DomainError, NotFoundError
from billing_tui.domain.money import Money
from billing_tui.widgets.eob_grid import FIELDS, EobGrid, EobLineRow
from billing_tui.widgets.keys_footer import KeysFooter
from billing_tui.widgets.status import StatusLine
from billing_tui.widgets.title_bar import TitleBar

if TYPE_CHECKING:
    from billing_tui.app import BillingApp
    from billing_tui.domain.users import Actor
    from billing_tui.services.batches import BatchSummary
    from billing_tui.services.eob_posting import ClaimPostResult, PostingClaim

METHOD_LABELS = {"check": "Check", "eft": "EFT", "card": "Card", "cash": "Cash"}


def batch_header(batch: BatchSummary) -> Text:
    """Two lines: who paid, how and when; then check amount, posted and remaining."""
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(f"Batch #{batch.id}", style="bold")
    text.append(
        f" · {batch.payer_name} · {METHOD_LABELS.get(batch.method, batch.method)} "
        f"{batch.trace_number} · deposited {batch.deposit_date.isoformat()} · {batch.status}\n"
    )
    text.append("Check amount ")
    text.append(Money(batch.amount_cents).format(symbol=True), style="bold")
    text.append("   Posted ")
    text.append(Money(batch.posted_cents).format(symbol=True), style="bold")
    text.append("   Remaining ")
    remaining_style = "bold green" if batch.remaining_cents == 0 else "bold yellow"
    if batch.remaining_cents < 0:
        remaining_style = "bold red"
    text.append(Money(batch.remaining_cents).format(symbol=True), style=remaining_style)
    text.append(f"   Claims {batch.claim_count}")
    return text


def claim_header(claim: PostingClaim) -> Text:
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(f"Claim {claim.claim_number}", style="bold")
    dates = sorted({ln.service_date for ln in claim.lines})
    dos = dates[0].isoformat() if dates else ""
    if len(dates) > 1:
        dos = f"{dos} to {dates[-1].isoformat()}"
    text.append(
        f" · {claim.patient_name} · DOS {dos} · billed to {claim.payer_name}"
        f" · {claim.status.replace('_', ' ')}"
    )
    if claim.next_payer_name:
        text.append(f" · then {claim.next_payer_name}", style="cyan")
    open_cents = sum(ln.open_cents for ln in claim.lines)
    text.append(" · open ")
    text.append(Money(open_cents).format(symbol=True), style="bold")
    return text


class PostingScreen(Screen[None]):
    BINDING_GROUP_TITLE = "EOB posting"
    AUTO_FOCUS = "#claim-query"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "post", "Post claim", priority=True, id="posting.post"),
        Binding("f10", "post", "Post claim", show=False, priority=True, id="posting.post_f10"),
        Binding("ctrl+b", "close_batch", "Close batch", priority=True, id="posting.close_batch"),
        Binding("ctrl+f", "find_claim", "Find claim", priority=True, id="posting.find_claim"),
        Binding("down", "pick_down", "Next match", show=False, id="posting.pick_down"),
        Binding("up", "pick_up", "Previous match", show=False, id="posting.pick_up"),
    ]
    DEFAULT_CSS = """
    #posting-body { padding: 0 1; height: 1fr; }
    #batch-header {
        height: 4; border: round $primary; padding: 0 1;
        border-title-style: bold;
    }
    #find-row { height: 1; margin-top: 1; }
    #find-row Label { width: 12; color: $text-muted; }
    #claim-query { width: 40; }
    #find-hint { color: $text-muted; width: 1fr; padding-left: 2; }
    #claim-matches { height: auto; max-height: 8; margin-top: 1; }
    #claim-header { height: 1; margin-top: 1; }
    #eob-scroll { height: auto; max-height: 14; margin-top: 1; scrollbar-size-vertical: 1; }
    #posting-totals { height: 1; margin-top: 1; color: $text-muted; }
    #patient-pay-row { height: 1; margin-top: 1; }
    #patient-pay-row Label { width: 14; color: $text-muted; }
    #patient-amount { width: 20; }
    #posting-status { height: 1; margin-top: 1; }
    """

    class BatchLoaded(Message):
        def __init__(self, batch: BatchSummary) -> None:
            super().__init__()
            self.batch = batch

    class ClaimLoaded(Message):
        def __init__(self, claim: PostingClaim) -> None:
            super().__init__()
            self.claim = claim

    class Matches(Message):
        def __init__(self, query: str, options: list[tuple[str, str]], note: str) -> None:
            super().__init__()
            self.query = query
            self.options = options  # (option id "claim:7" / "patient:3", label)
            self.note = note

    class Posted(Message):
        def __init__(self, result: ClaimPostResult) -> None:
            super().__init__()
            self.result = result

    class Failed(Message):
        def __init__(self, reason: str, field: str | None = None, conflict: bool = False):
            super().__init__()
            self.reason = reason
            self.field = field
            self.conflict = conflict

    def __init__(self, batch_id: int) -> None:
        super().__init__()
        self.batch_id = batch_id
        self.batch: BatchSummary | None = None
        self.claim: PostingClaim | None = None
        self.busy = False
        self.posted_claims = 0  # claims posted on this screen (tests wait on it)
        self._keep_typed: dict[int, dict[str, str]] = {}  # line_no -> cell texts

    @property
    def billing_app(self) -> BillingApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield TitleBar()
        with Vertical(id="posting-body"):
            header = Static("Loading the batch…", id="batch-header")
            header.border_title = "Payment batch"
            yield header
            with Horizontal(id="find-row"):
                yield Label("Find claim")
                yield Input(placeholder="claim no. or patient name", id="claim-query", compact=True)
                yield Static("enter finds · ↑↓ choose · enter opens", id="find-hint")
            yield OptionList(id="claim-matches")
            yield Static("", id="claim-header")
            with VerticalScroll(id="eob-scroll"):
                yield EobGrid(id="eob-grid")
            with Horizontal(id="patient-pay-row"):
                yield Label("Patient paid")
                yield Input(placeholder="amount, e.g. 25 or 1,234.56", id="patient-amount",
                            compact=True)  # fmt: skip
            yield Static("", id="posting-totals")
            yield StatusLine(id="posting-status")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#claim-matches").display = False
        self.query_one("#eob-scroll").display = False
        self.query_one("#patient-pay-row").display = False
        self.query_one("#claim-matches", OptionList).can_focus = False
        actor = self.billing_app.actor
        self.sub_title = f"{actor.display_name} ({actor.role})" if actor else ""
        self.load_batch()

    @property
    def status(self) -> StatusLine:
        return self.query_one("#posting-status", StatusLine)

    @property
    def grid(self) -> EobGrid:
        return self.query_one("#eob-grid", EobGrid)

    # --- the batch ------------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="posting-batch")
    def load_batch(self) -> None:
        from billing_tui.services.batches import get_batch

        try:
            batch = get_batch(self.billing_app.database(), self.batch_id)
        except DomainError as exc:
            self.post_message(self.Failed(str(exc)))
            return
        self.post_message(self.BatchLoaded(batch))

    @property
    def patient_batch(self) -> bool:
        """A patient's payment (cash, card, check): applied to claims' patient balances."""
        return self.batch is not None and self.batch.patient_id is not None

    @on(BatchLoaded)
    def _batch_loaded(self, message: BatchLoaded) -> None:
        self.show_batch(message.batch)
        if message.batch.patient_id is not None and message.batch.status != "closed":
            self.status.show_info("Listing the patient's claims with a balance…")
            self.patient_claims(message.batch.patient_id, "")

    def show_batch(self, batch: BatchSummary) -> None:
        self.batch = batch
        self.title = f"Posting · batch #{batch.id}"
        self.query_one("#batch-header", Static).update(batch_header(batch))
        if batch.status == "closed" and not self.posted_claims:
            self.status.show_info(
                f"Batch #{batch.id} is closed: nothing more posts to it (a reversal of one of "
                "its postings reopens it)."
            )
        self.refresh_bindings()

    # --- finding the claim ----------------------------------------------------------

    def action_find_claim(self) -> None:
        self.query_one("#claim-query", Input).focus()

    @on(Input.Submitted, "#claim-query")
    def _query_entered(self, event: Input.Submitted) -> None:
        event.stop()
        matches = self.query_one("#claim-matches", OptionList)
        if matches.display and matches.highlighted is not None:
            option = matches.get_option_at_index(matches.highlighted)
            if option.id and self._matches_for == event.value:
                self._open_match(option.id)
                return
        text = event.value.strip()
        if not text and self.patient_batch and self.batch is not None:
            self.patient_claims(self.batch.patient_id, "")  # enter alone: the patient's claims
            return
        if not text:
            self.status.show_info("Type a claim number or a patient's name, then enter.")
            return
        self.status.show_info(f"Looking for {text!r}…")
        self.find_claim(text)

    _matches_for: str | None = None

    @work(thread=True, exclusive=True, exit_on_error=False, group="posting-find")
    def find_claim(self, text: str) -> None:
        from billing_tui.services.eob_posting import load_claim_for_posting
        from billing_tui.services.lookup import find

        app = self.billing_app
        worker = get_current_worker()
        try:
            try:
                claim = load_claim_for_posting(app.database(), text)
            except NotFoundError:
                claim = None
            if claim is not None:
                if not worker.is_cancelled:
                    self.post_message(self.ClaimLoaded(claim))
                return
            found = find(app.database(), app.actor, text, limit=20, today=app.today)
        except DomainError as exc:
            if not worker.is_cancelled:
                self.post_message(self.Failed(str(exc), "claim"))
            return
        options: list[tuple[str, str]] = []
        for mt in found:
            if mt.kind == "claim":
                dos = mt.service_date.isoformat() if mt.service_date else ""
                options.append((f"claim:{mt.id}", f"Claim   {mt.label} · DOS {dos} · {mt.detail}"))
            elif mt.kind == "patient":
                dob = mt.dob.isoformat() if mt.dob else ""
                options.append(
                    (f"patient:{mt.id}", f"Patient {mt.label} · born {dob} · {mt.account_no}")
                )
        note = (
            f"Nothing matches {text!r}."
            if not options
            else f"{len(options)} match(es): ↑↓ choose, enter opens"
        )
        if not worker.is_cancelled:
            self.post_message(self.Matches(text, options, note))

    @on(Matches)
    def _matches(self, message: Matches) -> None:
        matches = self.query_one("#claim-matches", OptionList)
        matches.clear_options()
        # Names and claim numbers are database text: Text, never read as markup.
        matches.add_options([Option(Text(label), id=oid) for oid, label in message.options])
        matches.display = bool(message.options)
        if message.options:
            matches.highlighted = 0
        self._matches_for = self.query_one("#claim-query", Input).value
        if message.options:
            self.status.show_info(message.note)
        else:
            self.status.show_error(message.note)

    def action_pick_down(self) -> None:
        matches = self.query_one("#claim-matches", OptionList)
        if matches.display:
            matches.action_cursor_down()

    def action_pick_up(self) -> None:
        matches = self.query_one("#claim-matches", OptionList)
        if matches.display:
            matches.action_cursor_up()

    def _open_match(self, option_id: str) -> None:
        kind, _, ident = option_id.partition(":")
        if kind == "claim":
            self.status.show_info("Opening the claim…")
            self.load_claim_by_id(int(ident))
        else:
            self.status.show_info("Listing the patient's claims…")
            self.patient_claims(int(ident), self.query_one("#claim-query", Input).value)

    @work(thread=True, exclusive=True, exit_on_error=False, group="posting-find")
    def load_claim_by_id(self, claim_id: int) -> None:
        from billing_tui.services.eob_posting import load_claim_for_posting_by_id

        try:
            claim = load_claim_for_posting_by_id(self.billing_app.database(), claim_id)
        except DomainError as exc:
            self.post_message(self.Failed(str(exc), "claim"))
            return
        self.post_message(self.ClaimLoaded(claim))

    @work(thread=True, exclusive=True, exit_on_error=False, group="posting-find")
    def patient_claims(self, patient_id: int, query: str) -> None:
        """A patient chosen: their claims still open with a payer, to pick from."""
        from billing_tui.services.accounts import load_account

        app = self.billing_app
        try:
            view = load_account(app.database(), app.actor, patient_id)
        except DomainError as exc:
            self.post_message(self.Failed(str(exc), "claim"))
            return
        patient_side = self.patient_batch
        options = [
            (
                f"claim:{c.claim_id}",
                f"Claim   {c.claim_number} · {view.name} · DOS {c.service_date.isoformat()}"
                f" · {c.billed_to} · "
                + (
                    f"patient owes {Money(c.pat_balance_cents).format()}"
                    if patient_side
                    else f"ins open {Money(c.ins_balance_cents).format()}"
                ),
            )
            for c in view.claims
            if (c.pat_balance_cents > 0 if patient_side else c.ins_balance_cents)
        ]
        owed = "a patient balance" if patient_side else "open with a payer"
        note = (
            f"{len(options)} claim(s) {owed}: ↑↓ choose, enter opens"
            if options
            else f"{view.name} has no claim {owed}."
        )
        self.post_message(self.Matches(query, options, note))

    @on(ClaimLoaded)
    async def _claim_loaded(self, message: ClaimLoaded) -> None:
        claim = message.claim
        kept = self._keep_typed if self.claim and self.claim.claim_id == claim.claim_id else {}
        self._keep_typed = {}
        self.claim = claim
        self.query_one("#claim-matches").display = False
        self._matches_for = None
        self.query_one("#claim-header", Static).update(claim_header(claim))
        if self.patient_batch:
            self.query_one("#patient-pay-row").display = True
            amount = self.query_one("#patient-amount", Input)
            amount.value = ""
            amount.focus()
            self.status.show_info(
                f"Claim {claim.claim_number}: type what the patient paid on it; ctrl+s posts."
            )
            self.refresh_bindings()
            return
        self.query_one("#eob-scroll").display = True
        await self.grid.show_claim(claim)
        if kept:
            self._restore(kept)
            self.status.show_error(
                f"Claim {claim.claim_number} changed since you opened it: reloaded as it is now, "
                "with what you typed. Check each line's difference, then ctrl+s."
            )
            self.refresh_bindings()
            return
        self._update_totals()
        self.status.show_info(
            f"Claim {claim.claim_number}: type the EOB line by line (tab moves along the line); "
            "ctrl+s posts."
        )
        rows = self.grid.rows
        if rows:
            rows[0].cell("allowed").focus()
        self.refresh_bindings()

    def _restore(self, kept: dict[int, dict[str, str]]) -> None:
        for row in self.grid.rows:
            values = kept.get(row.line.line_no)
            if not values:
                continue
            for f in FIELDS:  # allowed first: CO-45 follows it, then takes what was typed
                row.cell(f).value = values[f]
            row.co45_auto = False
            row.recompute()
        self._update_totals()
        rows = self.grid.rows
        if rows:
            rows[0].cell("paid").focus()

    # --- typing -----------------------------------------------------------------------

    @on(Input.Changed, "EobLineRow Input")
    def _cell_changed(self, event: Input.Changed) -> None:
        self._update_totals()

    def _update_totals(self) -> None:
        rows = self.grid.rows
        if not rows:
            self.query_one("#posting-totals", Static).update("", layout=False)
            return
        paid = sum(r.typed.paid_cents for r in rows if r.typed)
        off = [r.line.line_no for r in rows if r.typed is None or r.typed.difference_cents]
        bad = [r.line.line_no for r in rows if r.error]
        text = f"This claim: paid {Money(paid).format(symbol=True)}"
        if self.batch is not None:
            after = self.batch.remaining_cents - paid
            text += f" · batch remaining after it {Money(after).format(symbol=True)}"
        if bad:
            text += f" · bad entry on line {', '.join(map(str, bad))}"
        elif off:
            text += f" · line {', '.join(map(str, off))} not balanced"
        else:
            text += " · every line balances"
        self.query_one("#posting-totals", Static).update(text, layout=False)  # one fixed line

    # --- posting ------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "post":
            closed = self.batch is not None and self.batch.status == "closed"
            return None if (self.claim is None or self.busy or closed) else True
        if action == "close_batch":
            if self.batch is None or self.busy:
                return None
            return (
                True if self.batch.status != "closed" and not self.batch.remaining_cents else None
            )
        if action in ("pick_down", "pick_up"):
            return bool(self.query_one("#claim-matches").display)
        return True

    def _eob_lines(self) -> list | None:
        """The EOB lines to post, or None after showing what stops the post."""
        from billing_tui.domain.adjudication import Cas
        from billing_tui.services.eob_posting import EobLine

        rows = self.grid.rows
        for row in rows:
            typed = row.recompute()
            if row.error is not None:
                field, message = row.error
                self.status.show_error(f"Nothing posted: {message}")
                row.cell(field).focus()
                return None
        todo = [r for r in rows if r.typed is not None and r.typed.touched]
        if not todo:
            self.status.show_error("Nothing posted: type the EOB's figures for at least one line.")
            return None
        for row in todo:
            typed = row.typed
            assert typed is not None
            if typed.difference_cents:
                self.status.show_error(
                    f"Nothing posted: line {typed.line_no} does not balance: open "
                    f"{Money(row.line.open_cents).format()} - paid, adjustments and patient "
                    f"share leaves {Money(typed.difference_cents).format()}."
                )
                row.cell("paid").focus()
                return None
        lines = []
        for row in todo:
            t = row.typed
            assert t is not None
            cas = []
            if t.co45_cents:
                cas.append(Cas("CO", "45", t.co45_cents))
            cas.extend(Cas(g, c, a) for g, c, a in t.adjustments)
            lines.append(
                EobLine(
                    line_no=t.line_no,
                    allowed_cents=t.allowed_cents,
                    paid_cents=t.paid_cents,
                    deductible_cents=t.deductible_cents,
                    coinsurance_cents=t.coinsurance_cents,
                    copay_cents=t.copay_cents,
                    adjustments=tuple(cas),
                    remarks=t.remarks,
                )
            )
        return lines

    @on(Input.Submitted, "#patient-amount")
    def _patient_amount_entered(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_post()

    def _post_patient_payment(self, actor: Actor, claim: PostingClaim) -> None:
        from billing_tui.domain.money import parse_money

        amount = self.query_one("#patient-amount", Input)
        try:
            cents = parse_money(amount.value).cents
        except DomainError as exc:
            amount.set_class(True, "-invalid")
            self.status.show_error(f"Nothing posted: amount {exc}")
            amount.focus()
            return
        amount.set_class(False, "-invalid")
        self.busy = True
        self.refresh_bindings()
        self.status.show_info(f"Posting the patient's payment to claim {claim.claim_number}…")
        self.post_patient(actor, claim.claim_id, claim.version, cents)

    @work(thread=True, exclusive=True, exit_on_error=False, group="posting-post")
    def post_patient(self, actor: Actor, claim_id: int, version: int, cents: int) -> None:
        from billing_tui.services.eob_posting import post_patient_payment

        try:
            result = post_patient_payment(
                self.billing_app.database(),
                actor,
                batch_id=self.batch_id,
                claim_id=claim_id,
                amount_cents=cents,
                expected_version=version,
            )
        except DomainError as exc:
            self.post_message(self.Failed(f"Nothing posted: {exc}", getattr(exc, "field", None)))
            return
        self.post_message(self.Posted(result))

    def action_post(self) -> None:
        claim = self.claim
        actor = self.billing_app.actor
        if claim is None or self.busy or actor is None:
            return
        if self.patient_batch:
            self._post_patient_payment(actor, claim)
            return
        lines = self._eob_lines()
        if lines is None:
            return
        self.busy = True
        self.refresh_bindings()
        self.status.show_info(f"Posting claim {claim.claim_number}…")
        self.post_claim(actor, claim.claim_id, claim.version, lines)

    @work(thread=True, exclusive=True, exit_on_error=False, group="posting-post")
    def post_claim(self, actor: Actor, claim_id: int, version: int, lines: list) -> None:
        from billing_tui.services.eob_posting import post_claim

        try:
            result = post_claim(
                self.billing_app.database(),
                actor,
                claim_id=claim_id,
                expected_version=version,
                lines=lines,
                batch_id=self.batch_id,
            )
        except ConflictError as exc:
            self.post_message(self.Failed(f"Nothing posted: {exc}", conflict=True))
            return
        except DomainError as exc:
            self.post_message(self.Failed(f"Nothing posted: {exc}", getattr(exc, "field", None)))
            return
        self.post_message(self.Posted(result))

    @on(Posted)
    async def _posted(self, message: Posted) -> None:
        self.busy = False
        r = message.result
        if r.batch is not None:
            self.show_batch(r.batch)
        self.claim = None
        await self.grid.show_claim(None)
        self.query_one("#eob-scroll").display = False
        self.query_one("#patient-pay-row").display = False
        self.query_one("#claim-header", Static).update("")
        self._update_totals()
        query = self.query_one("#claim-query", Input)
        query.value = ""
        query.focus()
        denials = f" · {len(r.denial_ids)} denial(s) opened" if r.denial_ids else ""
        under = (
            f" · underpaid line(s) {', '.join(map(str, r.underpaid_lines))}"
            if r.underpaid_lines
            else ""
        )
        self.status.show_info(
            f"Posted claim {r.claim_number}: {r.status.replace('_', ' ')} · insurance "
            f"{Money(r.ins_balance_cents).format()} · patient {Money(r.pat_balance_cents).format()}"
            f"{denials}{under}. Next claim?"
            + (" (enter lists the patient's claims)" if self.patient_batch else "")
        )
        self.posted_claims += 1
        self.refresh_bindings()

    @on(Failed)
    def _failed(self, message: Failed) -> None:
        self.busy = False
        self.status.show_error(message.reason)
        if message.conflict and self.claim is not None and not self.patient_batch:
            # Reload the claim as it is now, with what the rep typed laid back on it.
            self._keep_typed = {
                r.line.line_no: {f: r.cell(f).value for f in FIELDS} for r in self.grid.rows
            }
            self.load_claim_by_id(self.claim.claim_id)
        field = message.field
        if field == "claim":
            self.query_one("#claim-query", Input).focus()
        elif field == "amount" and self.patient_batch:
            self.query_one("#patient-amount", Input).focus()
        self.refresh_bindings()

    # --- closing the batch --------------------------------------------------------------

    def action_close_batch(self) -> None:
        batch = self.batch
        actor = self.billing_app.actor
        if batch is None or actor is None or self.busy:
            return
        if batch.remaining_cents:
            self.status.show_error(
                f"The batch closes only when nothing remains: "
                f"{Money(batch.remaining_cents).format(symbol=True)} is left to post."
            )
            return
        self.busy = True
        self.status.show_info(f"Closing batch #{batch.id}…")
        self.close_batch(actor, batch.id, batch.version)

    @work(thread=True, exclusive=True, exit_on_error=False, group="posting-post")
    def close_batch(self, actor: Actor, batch_id: int, version: int) -> None:
        from billing_tui.services.batches import close_batch

        try:
            batch = close_batch(
                self.billing_app.database(), actor, batch_id, expected_version=version
            )
        except DomainError as exc:
            self.post_message(self.Failed(str(exc)))
            return
        self.post_message(self.BatchClosed(batch))

    class BatchClosed(Message):
        def __init__(self, batch: BatchSummary) -> None:
            super().__init__()
            self.batch = batch

    @on(BatchClosed)
    def _batch_closed(self, message: BatchClosed) -> None:
        self.busy = False
        self.show_batch(message.batch)
        self.status.show_info(
            f"Batch #{message.batch.id} closed: {Money(message.batch.amount_cents).format(symbol=True)}"
            " posted to the cent."
        )

    @on(Worker.StateChanged)
    def _crashed(self, event: Worker.StateChanged) -> None:
        if event.worker.group.startswith("posting-") and event.state == WorkerState.ERROR:
            self.busy = False
            error = event.worker.error
            self.status.show_error(f"Not done: {type(error).__name__}: {error}")
            self.refresh_bindings()


__all__ = ["EobLineRow", "PostingScreen", "batch_header", "claim_header"]
