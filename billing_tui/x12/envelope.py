"""X12 envelopes: delimiters, the ISA/GS/ST ... SE/GE/IEA wrappers, and a small reader.

Writing: ``Interchange`` collects transaction sets and renders the whole file; the
control numbers (ISA13, GS06, ST02) are handed in by the caller, who takes them from
the database so they are unique and increasing. Reading: ``read_segments`` takes the
delimiters from the ISA (element separator at byte 4, repetition ISA11, component
ISA16, segment terminator after ISA16), tolerates a UTF-8 BOM, CR/LF and indentation,
and yields each segment as a list of elements.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field

from billing_tui.domain.errors import ValidationError

ELEMENT = "*"
COMPONENT = ":"
REPETITION = "^"
SEGMENT = "~"

_BAD_CHARS = re.compile(r"[*:^~\r\n]")
_NON_BASIC = re.compile(r"[^A-Za-z0-9 !\"&'()+,\-./;?=%@\[\]_{}\\|<>#$]")


_SAFE = re.compile(
    r"[A-Za-z0-9!\"&'()+,\-./;?=%@\[\]_{}\\|<>#$]+( [A-Za-z0-9!\"&'()+,\-./;?=%@\[\]_{}\\|<>#$]+)*"
)


def clean(value: object) -> str:
    """Text fit for an element: no delimiters, printable ASCII only, trimmed."""
    text = "" if value is None else str(value)
    if _SAFE.fullmatch(text):
        return text  # the usual case: nothing to remove
    text = _BAD_CHARS.sub(" ", text)
    # Müller -> Muller: letters keep their base letter, other non-ASCII goes.
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    text = _NON_BASIC.sub("", text)
    return " ".join(text.split())


def segment(*elements: object) -> str:
    """One segment: trailing empty elements dropped (X12 forbids them)."""
    parts = ["" if e is None else str(e) for e in elements]
    while len(parts) > 1 and parts[-1] == "":
        parts.pop()
    return ELEMENT.join(parts) + SEGMENT


def composite(*parts: object) -> str:
    values = ["" if p is None else str(p) for p in parts]
    while len(values) > 1 and values[-1] == "":
        values.pop()
    return COMPONENT.join(values)


def amount(cents: int) -> str:
    """Cents as an X12 decimal: 20000 -> '200', 20050 -> '200.5', -1234 -> '-12.34'."""
    if type(cents) is not int:
        raise TypeError("amounts are int cents")
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), 100)
    if frac == 0:
        return f"{sign}{whole}"
    return f"{sign}{whole}.{frac:02d}".rstrip("0")


def decimal_text(value: object) -> str:
    """Units as an X12 decimal without trailing zeros: Decimal('1.000') -> '1'."""
    from decimal import Decimal

    d = Decimal(str(value)).normalize()
    text = format(d, "f")
    return text


@dataclass(frozen=True, slots=True)
class Party:
    qualifier: str  # ISA05/07: ZZ (mutually defined), 30 (federal tax id), ...
    id: str


@dataclass
class TransactionSet:
    control_number: str  # ST02 / SE02
    body: list[str] = field(default_factory=list)  # segments between ST and SE
    implementation: str = "005010X222A1"
    code: str = "837"

    def render(self) -> list[str]:
        st = segment("ST", self.code, self.control_number, self.implementation)
        se = segment("SE", len(self.body) + 2, self.control_number)
        return [st, *self.body, se]


@dataclass
class Interchange:
    sender: Party
    receiver: Party
    interchange_control_number: int  # ISA13
    group_control_number: int  # GS06
    created: dt.datetime
    usage: str = "P"  # ISA15: P production, T test
    functional_code: str = "HC"  # GS01: HC = health care claim
    version: str = "005010X222A1"
    sets: list[TransactionSet] = field(default_factory=list)

    def isa(self) -> str:
        def pad(text: str, n: int) -> str:
            return clean(text)[:n].ljust(n)

        return segment(
            "ISA",
            "00",
            " " * 10,
            "00",
            " " * 10,
            self.sender.qualifier,
            pad(self.sender.id, 15),
            self.receiver.qualifier,
            pad(self.receiver.id, 15),
            self.created.strftime("%y%m%d"),
            self.created.strftime("%H%M"),
            REPETITION,
            "00501",
            f"{self.interchange_control_number:09d}",
            "0",
            self.usage,
            COMPONENT,
        )

    def render(self) -> str:
        if not 0 < self.interchange_control_number <= 999_999_999:
            raise ValidationError("interchange control number must be 1-999999999")
        lines = [
            self.isa(),
            segment(
                "GS",
                self.functional_code,
                clean(self.sender.id),
                clean(self.receiver.id),
                self.created.strftime("%Y%m%d"),
                self.created.strftime("%H%M"),
                self.group_control_number,
                "X",
                self.version,
            ),
        ]
        for ts in self.sets:
            lines.extend(ts.render())
        lines.append(segment("GE", len(self.sets), self.group_control_number))
        lines.append(segment("IEA", 1, f"{self.interchange_control_number:09d}"))
        return "\n".join(lines) + "\n"


# --- reading ------------------------------------------------------------------------


class X12SyntaxError(ValidationError):
    """The file is not a readable X12 interchange; the message says where."""


@dataclass(frozen=True, slots=True)
class Delimiters:
    element: str
    component: str
    repetition: str
    segment: str


def decode(data: bytes) -> str:
    """Bytes to text: strip a UTF-8 BOM; UTF-8, falling back to latin-1."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def delimiters(text: str) -> Delimiters:
    body = text.lstrip()
    if not body.startswith("ISA") or len(body) < 106:
        raise X12SyntaxError("not an X12 file: it does not start with an ISA segment")
    element = body[3]
    fields = body.split(element, 16)
    if len(fields) < 17:
        raise X12SyntaxError("the ISA segment is cut short")
    component = fields[16][0]
    seg_term = fields[16][1] if len(fields[16]) > 1 else "~"
    if seg_term in "\r\n":
        # Some senders end segments with a newline only.
        seg_term = "\n"
    return Delimiters(element, component, fields[11], seg_term)


def read_segments(data: bytes | str) -> tuple[Delimiters, Iterator[list[str]]]:
    text = decode(data) if isinstance(data, bytes) else data
    d = delimiters(text)

    def gen() -> Iterator[list[str]]:
        for raw in text.lstrip().split(d.segment):
            seg = raw.strip()
            if seg:
                yield seg.split(d.element)

    return d, gen()
