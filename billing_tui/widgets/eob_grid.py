"""The EOB-shaped posting grid: one row of cells per claim line, in a paper EOB's order.

Each row shows the line's code and billed amount, then the cells a rep copies from the
EOB (allowed, paid, deductible, coinsurance, copay, CO-45 contractual, other
adjustments, remark codes), then the line's difference, recomputed on every keystroke
from what is typed (no database): the rep sees at once which line does not balance.
A cell that does not read as money is marked inline and the difference says so.

The grid only reads and checks what was typed; the posting itself is the service's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.geometry import Size
from textual.reactive import Reactive
from textual.widgets import Input, Label, Static

from billing_tui.domain.errors import ValidationError
from billing_tui.domain.money import Money, parse_money

if TYPE_CHECKING:
    from billing_tui.services.eob_posting import PostingClaim, PostingLine

# (field, title, width): tab walks them left to right, as a paper EOB reads.
AMOUNT_FIELDS = ("allowed", "paid", "deductible", "coinsurance", "copay", "co45")
FIELDS = (*AMOUNT_FIELDS, "adjustments", "remarks")
TITLES = {
    "allowed": "Allowed",
    "paid": "Paid",
    "deductible": "Deduct",
    "coinsurance": "Coins",
    "copay": "Copay",
    "co45": "CO-45",
    "adjustments": "Other adj: CO-97 30",
    "remarks": "RARC",
}
WIDTHS = {
    "allowed": 9,
    "paid": 9,
    "deductible": 8,
    "coinsurance": 8,
    "copay": 7,
    "co45": 8,
    "adjustments": 20,
    "remarks": 7,
}
GROUP_CODES = ("CO", "PR", "OA", "PI", "CR")
_CAS = re.compile(
    r"^(?P<group>[A-Z]{2})\s*-?\s*(?P<carc>[A-Z0-9]{1,3})\s+(?P<amount>\S+)$", re.IGNORECASE
)
_RARC = re.compile(r"^[A-Z]{1,2}\d{1,3}$")


def parse_adjustments(text: str) -> tuple[tuple[str, str, int], ...]:
    """ "CO-197 300.00; OA-23 5" -> (("CO", "197", 30000), ("OA", "23", 500)).

    Raises ValidationError naming the piece that does not read.
    """
    out = []
    for raw in text.replace("\n", ";").split(";"):
        piece = raw.strip()
        if not piece:
            continue
        m = _CAS.match(piece)
        if m is None:
            raise ValidationError(
                f'adjustment "{piece}": write group-CARC amount, like CO-197 300.00'
            )
        group = m["group"].upper()
        if group not in GROUP_CODES:
            raise ValidationError(
                f'adjustment "{piece}": group code {group} is not one of {", ".join(GROUP_CODES)}'
            )
        try:
            cents = parse_money(m["amount"]).cents
        except ValidationError as exc:
            raise ValidationError(f'adjustment "{piece}": {exc}') from exc
        out.append((group, m["carc"].upper(), cents))
    return tuple(out)


def parse_remarks(text: str) -> tuple[str, ...]:
    """Remark codes (RARC) separated by spaces or commas: "N130 M15"."""
    codes = tuple(c for c in re.split(r"[\s,;]+", text.strip().upper()) if c)
    for c in codes:
        if not _RARC.match(c):
            raise ValidationError(f'remark code "{c}" is not a RARC (like N130 or M15)')
    return codes


@dataclass(frozen=True, slots=True)
class TypedLine:
    """What the rep typed on one line, read as cents (None: left empty)."""

    line_no: int
    allowed_cents: int | None
    paid_cents: int
    deductible_cents: int
    coinsurance_cents: int
    copay_cents: int
    co45_cents: int
    adjustments: tuple[tuple[str, str, int], ...]
    remarks: tuple[str, ...]
    difference_cents: int
    touched: bool  # anything typed on the line at all


def header_text() -> Text:
    """The grid's column titles, aligned with the rows' cells."""
    out = Text(no_wrap=True, overflow="crop", style="bold")
    out.append("Ln ".ljust(3))
    out.append("Code".ljust(10))
    out.append("Billed".rjust(9) + " ")
    for f in FIELDS:
        title = TITLES[f]
        w = WIDTHS[f]
        out.append(title.ljust(w)[:w] + " ")  # inputs show their text from the left
    out.append("Difference".rjust(10))
    return out


class EobCell(Input):
    """A compact grid cell. Its size is fixed, so the text's length (the input's virtual
    size) needs no layout pass: the stock Input asks for one on every keystroke, which
    repaints the whole screen (textual is pinned exactly in pyproject.toml, so this
    override tracks one version)."""

    virtual_size = Reactive(Size(0, 0), layout=False)

    def watch_value(self, value: str) -> None:
        # The row recomputes in the same step as the keystroke (not on the Changed
        # message, which arrives a frame later): the difference repaints with the digit.
        row = self.parent
        if isinstance(row, EobLineRow):
            row.cell_changed(self)


class EobLineRow(Horizontal):
    """One claim line: fixed facts, the EOB cells, and the live difference."""

    DEFAULT_CSS = """
    EobLineRow { height: 1; }
    EobLineRow Label { height: 1; }
    EobLineRow .eob-ln { width: 3; color: $text-muted; }
    EobLineRow .eob-code { width: 10; }
    EobLineRow .eob-billed { width: 9; text-align: right; margin-right: 1; }
    EobLineRow Input { margin-right: 1; height: 1; }
    EobLineRow .eob-diff { width: 10; height: 1; text-align: right; }
    EobLineRow .eob-diff.-balanced { color: $text-success; }
    EobLineRow .eob-diff.-off { color: $text-error; text-style: bold; }
    """

    def __init__(self, line: PostingLine) -> None:
        super().__init__(classes="eob-row")
        self.line = line
        self.co45_auto = True  # CO-45 follows billed - allowed until the rep types in it
        self._filling = False
        self.typed: TypedLine | None = None
        self.error: tuple[str, str] | None = None  # (field, message) of the first bad cell

    def compose(self) -> ComposeResult:
        ln = self.line
        code = "-".join((ln.procedure_code, *ln.modifiers))
        yield Label(f"{ln.line_no:>2}", classes="eob-ln")
        yield Label(code, classes="eob-code", markup=False)  # the claim's codes, as stored
        yield Label(Money(ln.billed_cents).format(), classes="eob-billed")
        for f in FIELDS:
            inp = EobCell(
                compact=True,
                classes=f"eob-{f}" + (" -amount" if f in AMOUNT_FIELDS else ""),
                select_on_focus=True,
            )
            inp.styles.width = WIDTHS[f]
            yield inp
        yield Static("", classes="eob-diff")

    def on_mount(self) -> None:
        self.recompute()

    def cell(self, name: str) -> Input:
        return self.query_one(f".eob-{name}", Input)

    # --- live checks ----------------------------------------------------------------

    def cell_changed(self, cell: Input) -> None:
        """A cell's text changed (typed or set): keep CO-45 in step, recompute the line."""
        if self._filling:
            return
        if cell.has_class("eob-co45"):
            self.co45_auto = not cell.value.strip()
        elif cell.has_class("eob-allowed") and self.co45_auto:
            self._fill_co45(cell.value)
        if self.is_mounted:
            self.recompute()

    def _fill_co45(self, allowed_text: str) -> None:
        """CO-45 = billed - allowed (blank while allowed is blank or does not read)."""
        try:
            allowed = parse_money(allowed_text).cents if allowed_text.strip() else None
        except ValidationError:
            allowed = None
        value = ""
        if allowed is not None and self.line.billed_cents > allowed:
            value = Money(self.line.billed_cents - allowed).format()
        self._filling = True
        try:
            self.cell("co45").value = value
        finally:
            self._filling = False

    def recompute(self) -> TypedLine | None:
        """Read every cell; mark the bad ones; show the difference (or why not)."""
        amounts: dict[str, int | None] = {}
        error: tuple[str, str] | None = None
        touched = False
        for f in AMOUNT_FIELDS:
            inp = self.cell(f)
            text = inp.value.strip()
            bad = False
            if text:
                if f != "co45":
                    touched = True
                try:
                    amounts[f] = parse_money(text).cents
                except ValidationError as exc:
                    bad = True
                    amounts[f] = None
                    error = error or (f, f"line {self.line.line_no} {TITLES[f].lower()}: {exc}")
            else:
                amounts[f] = None
            inp.set_class(bad, "-invalid")
        adjustments: tuple[tuple[str, str, int], ...] = ()
        remarks: tuple[str, ...] = ()
        for f in ("adjustments", "remarks"):
            inp = self.cell(f)
            bad = False
            if inp.value.strip():
                touched = True
                try:
                    if f == "adjustments":
                        adjustments = parse_adjustments(inp.value)
                    else:
                        remarks = parse_remarks(inp.value)
                except ValidationError as exc:
                    bad = True
                    error = error or (f, f"line {self.line.line_no}: {exc}")
            inp.set_class(bad, "-invalid")
        diff = self.query_one(".eob-diff", Static)
        self.error = error
        if error is not None:
            self.typed = None
            diff.set_classes("eob-diff -off")
            diff.update("bad entry", layout=False)  # fixed size: no layout pass per key
            return None
        explained = sum(amounts[f] or 0 for f in AMOUNT_FIELDS if f != "allowed")
        explained += sum(a for _g, _c, a in adjustments)
        difference = self.line.open_cents - explained
        self.typed = TypedLine(
            line_no=self.line.line_no,
            allowed_cents=amounts["allowed"],
            paid_cents=amounts["paid"] or 0,
            deductible_cents=amounts["deductible"] or 0,
            coinsurance_cents=amounts["coinsurance"] or 0,
            copay_cents=amounts["copay"] or 0,
            co45_cents=amounts["co45"] or 0,
            adjustments=adjustments,
            remarks=remarks,
            difference_cents=difference,
            touched=touched,
        )
        if difference == 0:
            diff.set_classes("eob-diff -balanced")
            diff.update("✓ balances", layout=False)
        else:
            diff.set_classes("eob-diff -off")
            diff.update(Money(difference).format(), layout=False)
        return self.typed


class EobGrid(Vertical):
    """The claim's lines as EOB rows, with the column titles above them."""

    DEFAULT_CSS = """
    EobGrid { height: auto; }
    EobGrid #eob-head { height: 1; color: $text-muted; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.claim: PostingClaim | None = None

    def compose(self) -> ComposeResult:
        yield Static(header_text(), id="eob-head")

    async def show_claim(self, claim: PostingClaim | None) -> None:
        """Replace the rows with ``claim``'s lines (empty cells)."""
        self.claim = claim
        await self.query(EobLineRow).remove()
        if claim is not None:
            await self.mount_all([EobLineRow(ln) for ln in claim.lines])

    @property
    def rows(self) -> list[EobLineRow]:
        return list(self.query(EobLineRow))

    def row(self, line_no: int) -> EobLineRow | None:
        return next((r for r in self.rows if r.line.line_no == line_no), None)
