"""Claim entry and edit: the claim's coverage, provider, diagnoses and lines, by keyboard.

A new claim starts from the patient's account number; an existing one opens by id (from
the scrubber work list). Lines are rows of inputs in the order of a paper CMS-1500 line:
date of service, code, modifiers, units, charge, diagnosis pointers. ``f4`` opens the
diagnosis picker (fuzzy ICD-10-CM search by code or words; its index is built once, in
a worker). ``ctrl+s`` saves, ``ctrl+r`` saves and scrubs; the service's one-line message
is shown and everything typed stays, with the cursor on the field at fault.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widgets import Input, Label, OptionList, Select, Static
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState, get_current_worker

from billing_tui.domain.errors import DomainError, ValidationError
from billing_tui.domain.money import Money
from billing_tui.widgets.keys_footer import KeysFooter
from billing_tui.widgets.status import StatusLine
from billing_tui.widgets.title_bar import TitleBar

if TYPE_CHECKING:
    from billing_tui.app import BillingApp
    from billing_tui.domain.icd10_search import Icd10Hit
    from billing_tui.services.claim_entry import ClaimForm
    from billing_tui.services.scrubber import ClaimScrubResult

LINE_FIELDS = ("dos", "code", "modifiers", "units", "charge", "pointers")
LINE_WIDTHS = {"dos": 12, "code": 8, "modifiers": 14, "units": 8, "charge": 12, "pointers": 10}


# --- the diagnosis picker ----------------------------------------------------------------


class DiagnosisPicker(ModalScreen["str | None"]):
    """Fuzzy ICD-10-CM search: type a code or words; enter picks the highlighted code."""

    BINDING_GROUP_TITLE = "Diagnosis picker"
    AUTO_FOCUS = "#dx-query"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "pick", "Pick", priority=True, id="dx_picker.pick"),
        Binding("down", "cursor_down", "Next", show=False, priority=True, id="dx_picker.down"),
        Binding("up", "cursor_up", "Previous", show=False, priority=True, id="dx_picker.up"),
        Binding("escape", "close", "Close", id="dx_picker.close"),
    ]
    DEFAULT_CSS = """
    DiagnosisPicker { align: center middle; }
    #dx-box {
        width: 100; max-width: 100%; height: 26; padding: 0 1;
        border: round $primary; background: $surface; border-title-style: bold;
    }
    #dx-results { height: 1fr; border: none; }
    #dx-note { color: $text-muted; height: 1; }
    """

    class Ready(Message):
        pass

    class Results(Message):
        def __init__(self, query: str, hits: list[Icd10Hit]) -> None:
            super().__init__()
            self.query = query
            self.hits = hits

    def __init__(self, query: str = "") -> None:
        super().__init__()
        self.initial = query
        self.index_ready = False
        self.hits: list[Icd10Hit] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="dx-box") as box:
            box.border_title = "Diagnosis (ICD-10-CM): code or words"
            yield Input(value=self.initial, placeholder="e.g. e11.9, low back pain", id="dx-query")
            yield Static("Loading the ICD-10-CM code set...", id="dx-note")
            yield OptionList(id="dx-results")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.load_index()

    @work(thread=True, exclusive=True, exit_on_error=False, group="icd10-index")
    def load_index(self) -> None:
        from billing_tui.domain.icd10_search import shipped_index

        shipped_index()
        self.post_message(self.Ready())

    @on(Ready)
    def _ready(self) -> None:
        self.index_ready = True
        self.query_one("#dx-note", Static).update("")
        self.search(self.query_one("#dx-query", Input).value)

    @on(Input.Changed, "#dx-query")
    def _typed(self, event: Input.Changed) -> None:
        if self.index_ready:
            self.search(event.value)

    @work(thread=True, exclusive=True, exit_on_error=False, group="icd10-search")
    def search(self, query: str) -> None:
        from billing_tui.domain.icd10_search import shipped_index

        hits = shipped_index().search(query, limit=40)
        if not get_current_worker().is_cancelled:
            self.post_message(self.Results(query, hits))

    @on(Results)
    def _results(self, message: Results) -> None:
        if message.query != self.query_one("#dx-query", Input).value:
            return  # an older keystroke's answer
        self.hits = message.hits
        options = self.query_one("#dx-results", OptionList)
        options.clear_options()
        options.add_options(
            [
                Option(Text.assemble((f"{h.code:<9}", "bold"), h.description), id=h.code)
                for h in self.hits
            ]
        )
        if self.hits:
            options.highlighted = 0
        note = "" if self.hits or not message.query.strip() else "no code matches; try other words"
        self.query_one("#dx-note", Static).update(note)

    def action_cursor_down(self) -> None:
        self.query_one("#dx-results", OptionList).action_cursor_down()

    def action_cursor_up(self) -> None:
        self.query_one("#dx-results", OptionList).action_cursor_up()

    def action_pick(self) -> None:
        options = self.query_one("#dx-results", OptionList)
        if options.highlighted is None or not self.hits:
            return
        self.dismiss(self.hits[options.highlighted].code)

    def action_close(self) -> None:
        self.dismiss(None)


# --- the claim form ----------------------------------------------------------------------


class LineRow(Horizontal):
    """One service line: six inputs; ``line_id`` for a line already saved."""

    DEFAULT_CSS = """
    LineRow { height: 1; }
    LineRow .line-no { width: 4; color: $text-muted; }
    LineRow Input { margin-right: 1; }
    """

    def __init__(self, n: int, values: dict[str, str] | None = None, line_id: int | None = None):
        super().__init__(classes="line-row")
        self.n = n
        self.line_id = line_id
        self.values = values or {}

    def compose(self) -> ComposeResult:
        yield Label(f"{self.n:>2}.", classes="line-no")
        for f in LINE_FIELDS:
            inp = Input(self.values.get(f, ""), compact=True, classes=f"line-{f}")
            inp.styles.width = LINE_WIDTHS[f]
            yield inp

    def field(self, name: str) -> Input:
        return self.query_one(f".line-{name}", Input)

    def read(self) -> dict[str, str]:
        return {f: self.field(f).value for f in LINE_FIELDS}


class ClaimEntryScreen(Screen[None]):
    BINDING_GROUP_TITLE = "Claim entry"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", priority=True, id="claim_entry.save"),
        Binding(
            "ctrl+r", "save_scrub", "Save and scrub", priority=True, id="claim_entry.save_scrub"
        ),
        Binding("ctrl+n", "add_line", "Add line", priority=True, id="claim_entry.add_line"),
        Binding(
            "ctrl+k", "remove_line", "Remove line", priority=True, id="claim_entry.remove_line"
        ),
        Binding("f4", "pick_diagnosis", "Diagnosis picker", id="claim_entry.pick_diagnosis"),
    ]
    DEFAULT_CSS = """
    #ce-body { padding: 0 1; height: 1fr; }
    #ce-title { height: 1; text-style: bold; }
    .ce-row { height: 1; margin-top: 1; }
    .ce-row Label { width: 14; color: $text-muted; }
    #ce-account { width: 16; }
    #ce-coverage { width: 60; }
    #ce-provider { width: 60; }
    #ce-pos { width: 4; }
    #ce-dx { width: 1fr; }
    #ce-dx-desc { color: $text-muted; height: auto; padding-left: 14; }
    #ce-pcn { width: 30; }
    #ce-lines-head { color: $text-muted; height: 1; margin-top: 1; padding-left: 4; }
    #ce-lines { height: auto; max-height: 10; }
    #ce-total { height: 1; margin-top: 1; }
    #ce-findings { height: auto; color: $text-warning; margin-top: 1; }
    """

    class Loaded(Message):
        def __init__(self, form: ClaimForm, note: str = "") -> None:
            super().__init__()
            self.form = form
            self.note = note

    class Scrubbed(Message):
        def __init__(self, form: ClaimForm, result: ClaimScrubResult) -> None:
            super().__init__()
            self.form = form
            self.result = result

    class Failed(Message):
        def __init__(self, reason: str, field: str | None) -> None:
            super().__init__()
            self.reason = reason
            self.field = field

    def __init__(self, claim_id: int | None = None, account_no: str | None = None) -> None:
        super().__init__()
        self.claim_id = claim_id
        self.account_no = account_no
        self.form: ClaimForm | None = None
        self.busy = False
        self.dx_descriptions: dict[str, str] = {}

    @property
    def billing_app(self) -> BillingApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield TitleBar()
        with Vertical(id="ce-body"):
            # markup=False: these show patient names, codes and scrubber messages as typed.
            yield Static("New claim", id="ce-title", markup=False)
            with Horizontal(classes="ce-row"):
                yield Label("Account no.")
                yield Input(
                    self.account_no or "",
                    placeholder="A0001234, enter",
                    id="ce-account",
                    compact=True,
                )
                yield Label("  Place of svc")
                yield Input("11", id="ce-pos", max_length=2, compact=True)
            with Horizontal(classes="ce-row"):
                yield Label("Coverage")
                yield Select[int](
                    [], prompt="self-pay (no coverage)", id="ce-coverage", compact=True
                )
            with Horizontal(classes="ce-row"):
                yield Label("Provider")
                yield Select[int]([], prompt="rendering provider", id="ce-provider", compact=True)
            with Horizontal(classes="ce-row"):
                yield Label("Diagnoses")
                yield Input(placeholder="I10 E11.9 (f4: pick by words)", id="ce-dx", compact=True)
            yield Static("", id="ce-dx-desc", markup=False)
            with Horizontal(classes="ce-row", id="ce-pcn-row"):
                yield Label("Payer claim no")
                yield Input(
                    placeholder="the payer's claim number (REF*F8)", id="ce-pcn", compact=True
                )
            yield Static(
                "DOS          Code     Modifiers      Units    Charge       Dx pointers",
                id="ce-lines-head",
            )
            yield VerticalScroll(id="ce-lines")
            yield Static("", id="ce-total")
            yield Static("", id="ce-findings", markup=False)
            yield StatusLine(id="ce-status")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#ce-pcn-row").display = False
        if self.claim_id is not None:
            self.query_one("#ce-account", Input).disabled = True
            self.load(claim_id=self.claim_id)
        elif self.account_no:
            self.load(account_no=self.account_no)
        else:
            self.query_one("#ce-account", Input).focus()

    # --- loading --------------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="claim-entry")
    def load(self, claim_id: int | None = None, account_no: str | None = None) -> None:
        from billing_tui.services import claim_entry as CE

        app = self.billing_app
        try:
            if claim_id is not None:
                form = CE.load_claim(app.database(), app.actor, claim_id)
            else:
                form = CE.new_claim_form(app.database(), app.actor, account_no or "")
        except DomainError as exc:
            self.post_message(self.Failed(str(exc), getattr(exc, "field", None) or "account"))
            return
        self.post_message(self.Loaded(form))

    @on(Input.Submitted, "#ce-account")
    def _account_entered(self, event: Input.Submitted) -> None:
        if self.claim_id is None and not self.busy:
            self.load(account_no=event.value)

    @on(Loaded)
    async def _loaded(self, message: Loaded) -> None:
        self.busy = False
        await self._show(message.form)
        status = self.query_one("#ce-status", StatusLine)
        if message.note:
            status.show_info(message.note)
        else:
            status.clear()

    async def _show(self, form: ClaimForm) -> None:
        self.form = form
        self.claim_id = form.claim_id
        title = (
            f"Claim {form.claim_number} · {form.status.replace('_', ' ')}"
            + (f" · frequency {form.frequency_code}" if form.frequency_code != "1" else "")
            if form.claim_number
            else "New claim"
        )
        self.query_one("#ce-title", Static).update(
            f"{title} · {form.patient_name} ({form.account_no}, born {form.patient_dob})"
        )
        account = self.query_one("#ce-account", Input)
        account.value = form.account_no
        account.disabled = form.claim_id is not None
        cov = self.query_one("#ce-coverage", Select)
        cov.set_options([(Text(c.label), c.id) for c in form.coverages])  # payer names
        if form.coverage_id is not None:
            cov.value = form.coverage_id
        prov = self.query_one("#ce-provider", Select)
        prov.set_options([(Text(p.label), p.id) for p in form.providers])
        if form.provider_id is not None:
            prov.value = form.provider_id
        self.query_one("#ce-pos", Input).value = form.place_of_service
        self.query_one("#ce-dx", Input).value = " ".join(form.diagnoses)
        pcn_row = self.query_one("#ce-pcn-row")
        pcn_row.display = form.frequency_code in ("7", "8")
        self.query_one("#ce-pcn", Input).value = form.payer_claim_number or ""
        lines = self.query_one("#ce-lines", VerticalScroll)
        await lines.remove_children()
        rows = [
            LineRow(
                i,
                {
                    "dos": ln.service_date.strftime("%m/%d/%Y"),
                    "code": ln.procedure,
                    "modifiers": " ".join(ln.modifiers),
                    "units": format(ln.units.normalize(), "f"),
                    "charge": Money(ln.charge_cents).format(),
                    "pointers": " ".join(ln.pointers.split(":")),
                },
                ln.line_id,
            )
            for i, ln in enumerate(form.lines, start=1)
        ]
        if not rows:
            rows = [
                LineRow(
                    1,
                    {
                        "dos": self.billing_app.today.strftime("%m/%d/%Y"),
                        "units": "1",
                        "pointers": "1",
                    },
                )
            ]
        await lines.mount_all(rows)
        self._update_total()
        self.describe_diagnoses(form.diagnoses)
        for w in self.query(Input):
            w.disabled = (not form.editable) or (w.id == "ce-account" and form.claim_id is not None)
        if form.editable:
            self.call_after_refresh(self._focus_first)

    def _focus_first(self) -> None:
        if self.form is not None and self.form.claim_id is None:
            self.query_one("#ce-coverage", Select).focus()
        else:
            self.query_one("#ce-dx", Input).focus()

    @work(thread=True, exclusive=True, exit_on_error=False, group="claim-entry-dx")
    def describe_diagnoses(self, codes: tuple[str, ...] | list[str]) -> None:
        from billing_tui.domain.icd10_search import shipped_index

        index = shipped_index()
        text = " · ".join(f"{c}: {index.describe(c) or 'not an ICD-10-CM code'}" for c in codes)
        self.app.call_from_thread(self.query_one("#ce-dx-desc", Static).update, text)

    @on(Input.Blurred, "#ce-dx")
    def _dx_left(self, event: Input.Blurred) -> None:
        codes = [c for c in event.value.replace(",", " ").split() if c]
        if codes:
            self.describe_diagnoses(codes)

    @on(Input.Changed, ".line-charge")
    def _charge_typed(self) -> None:
        self._update_total()

    def _update_total(self) -> None:
        from billing_tui.domain.money import parse_money

        total, bad = 0, False
        for row in self.query(LineRow):
            text = row.field("charge").value.strip()
            if not text:
                continue
            try:
                total += parse_money(text).cents
            except DomainError:
                bad = True
        n = len(self.query(LineRow))
        note = " (a charge does not read as money yet)" if bad else ""
        self.query_one("#ce-total", Static).update(
            f"{n} line(s) · total {Money(total).format(symbol=True)}{note}"
        )

    # --- lines ------------------------------------------------------------------------

    def _focused_row(self) -> LineRow | None:
        node = self.focused
        while node is not None and not isinstance(node, LineRow):
            node = node.parent  # type: ignore[assignment]
        return node

    async def action_add_line(self) -> None:
        if self.form is None or not self.form.editable:
            return
        rows = list(self.query(LineRow))
        prev = rows[-1].read() if rows else {}
        row = LineRow(
            len(rows) + 1,
            {"dos": prev.get("dos", ""), "units": "1", "pointers": prev.get("pointers", "1")},
        )
        await self.query_one("#ce-lines", VerticalScroll).mount(row)
        row.field("code").focus()
        self._update_total()

    async def action_remove_line(self) -> None:
        row = self._focused_row()
        rows = list(self.query(LineRow))
        if row is None or self.form is None or not self.form.editable or len(rows) < 2:
            self.query_one("#ce-status", StatusLine).show_info(
                "put the cursor on a line to remove it (a claim keeps at least one)"
            )
            return
        i = rows.index(row)
        await row.remove()
        for n, r in enumerate([r for r in rows if r is not row], start=1):
            r.n = n
            r.query_one(".line-no", Label).update(f"{n:>2}.")
        target = rows[i - 1] if i > 0 else rows[1]
        target.field("code").focus()
        self._update_total()

    def action_pick_diagnosis(self) -> None:
        if self.form is None or not self.form.editable:
            return

        def picked(code: str | None) -> None:
            if code:
                dx = self.query_one("#ce-dx", Input)
                codes = dx.value.split()
                if code not in codes:
                    codes.append(code)
                dx.value = " ".join(codes)
                self.describe_diagnoses(codes)
            self.query_one("#ce-dx", Input).focus()

        self.app.push_screen(DiagnosisPicker(), picked)

    # --- saving -----------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("save", "save_scrub", "add_line", "remove_line", "pick_diagnosis"):
            if self.form is None:
                return False
            return None if (not self.form.editable or self.busy) else True
        return True

    def _input(self):
        from billing_tui.services.claim_entry import ClaimInput, LineInput

        cov = self.query_one("#ce-coverage", Select).value
        prov = self.query_one("#ce-provider", Select).value
        lines = tuple(
            LineInput(
                service_date=v["dos"],
                procedure=v["code"],
                modifiers=v["modifiers"],
                units=v["units"],
                charge=v["charge"],
                pointers=v["pointers"],
                line_id=row.line_id,
            )
            for row in self.query(LineRow)
            for v in (row.read(),)
            if any(x.strip() for k, x in v.items() if k not in ("dos", "units", "pointers"))
        )
        return ClaimInput(
            coverage_id=cov if isinstance(cov, int) else None,
            provider_id=prov if isinstance(prov, int) else None,
            place_of_service=self.query_one("#ce-pos", Input).value,
            diagnoses=self.query_one("#ce-dx", Input).value,
            lines=lines,
            payer_claim_number=self.query_one("#ce-pcn", Input).value,
        )

    def action_save(self) -> None:
        self._start_save(scrub=False)

    def action_save_scrub(self) -> None:
        self._start_save(scrub=True)

    def _start_save(self, *, scrub: bool) -> None:
        if self.form is None or not self.form.editable or self.busy:
            return
        self.busy = True
        self.query_one("#ce-status", StatusLine).show_info("saving...")
        self.save(self._input(), self.form, scrub)

    @work(thread=True, exclusive=True, exit_on_error=False, group="claim-entry")
    def save(self, data, form: ClaimForm, scrub: bool) -> None:
        from billing_tui.services import claim_entry as CE
        from billing_tui.services.scrubber import scrub_claim

        app = self.billing_app
        try:
            if form.claim_id is None:
                saved = CE.save_claim(
                    app.database(), app.actor, data, patient_id=form.patient_id, today=app.today
                )
            else:
                saved = CE.save_claim(
                    app.database(), app.actor, data, claim_id=form.claim_id,
                    expected_version=form.version, today=app.today,
                )  # fmt: skip
            if not scrub:
                self.post_message(self.Loaded(saved, f"saved claim {saved.claim_number}"))
                return
            result = scrub_claim(
                app.database(),
                app.actor,
                saved.claim_id,
                expected_version=saved.version,
                today=app.today,
            )
            saved = CE.load_claim(app.database(), app.actor, saved.claim_id)
        except ValidationError as exc:
            self.post_message(self.Failed(str(exc), exc.field))
            return
        except DomainError as exc:
            self.post_message(self.Failed(str(exc), None))
            return
        self.post_message(self.Scrubbed(saved, result))

    @on(Scrubbed)
    async def _scrubbed(self, message: Scrubbed) -> None:
        self.busy = False
        await self._show(message.form)
        r = message.result
        findings = self.query_one("#ce-findings", Static)
        if r.result == "clean":
            findings.update("")
            self.query_one("#ce-status", StatusLine).show_info(
                f"claim {r.claim_number} is clean: {r.status.replace('_', ' ')}"
            )
        else:
            findings.update("\n".join(f"• {f.message}" for f in r.findings))
            self.query_one("#ce-status", StatusLine).show_error(
                f"claim {r.claim_number}: {len(r.findings)} problem(s) to fix before it can go out"
            )

    @on(Failed)
    def _failed(self, message: Failed) -> None:
        self.busy = False
        self.query_one("#ce-status", StatusLine).show_error(message.reason)
        self._focus_field(message.field)

    def _focus_field(self, field: str | None) -> None:
        if not field:
            return
        simple = {
            "account": "#ce-account",
            "diagnoses": "#ce-dx",
            "pos": "#ce-pos",
            "coverage": "#ce-coverage",
            "provider": "#ce-provider",
            "payer_claim_number": "#ce-pcn",
        }
        if field in simple:
            self.query_one(simple[field]).focus()
            return
        if field.startswith("line") and "." in field:
            head, name = field.split(".", 1)
            try:
                n = int(head[4:])
            except ValueError:
                return
            rows = [r for r in self.query(LineRow) if any(
                x.strip() for k, x in r.read().items() if k not in ("dos", "units", "pointers"))]  # fmt: skip
            if 1 <= n <= len(rows) and name in LINE_FIELDS:
                rows[n - 1].field(name).focus()

    @on(Worker.StateChanged)
    def _crashed(self, event: Worker.StateChanged) -> None:
        if event.worker.group.startswith("claim-entry") and event.state == WorkerState.ERROR:
            self.busy = False
            error = event.worker.error
            self.query_one("#ce-status", StatusLine).show_error(
                f"Could not finish: {type(error).__name__}: {error}"
            )
