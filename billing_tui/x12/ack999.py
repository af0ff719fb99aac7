"""Reading 999 implementation acknowledgments (005010X231A1).

A 999 answers one functional group we sent (AK1: our GS06) with one AK2 per
transaction set (our ST02) and its verdict in IK5 (A accepted, E accepted with errors,
R/M/W/X rejected). IK3 names a segment in error (its position counted from ST = 1)
and IK4 an element in it; ``SegmentError.text`` says both in words a rep can act on.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from billing_tui.x12.envelope import X12SyntaxError, read_segments

ACCEPTED_CODES = frozenset({"A", "E"})

IK3_CODES = {
    "1": "unrecognized segment",
    "2": "unexpected segment",
    "3": "required segment missing",
    "4": "loop occurs over maximum times",
    "5": "segment exceeds maximum use",
    "6": "segment not in defined transaction set",
    "7": "segment not in proper sequence",
    "8": "segment has data element errors",
    "I4": "implementation 'not used' segment present",
    "I6": "implementation dependent segment missing",
    "I7": "implementation loop occurs under minimum times",
    "I8": "implementation segment below minimum use",
    "I9": "implementation dependent 'not used' segment present",
}

IK4_CODES = {
    "1": "required element missing",
    "2": "conditional required element missing",
    "3": "too many data elements",
    "4": "too short",
    "5": "too long",
    "6": "invalid character",
    "7": "invalid code value",
    "8": "invalid date",
    "9": "invalid time",
    "10": "exclusion condition violated",
    "12": "too many repetitions",
    "13": "too many components",
    "I6": "code value not used in implementation",
    "I9": "implementation dependent element missing",
    "I10": "implementation 'not used' element present",
    "I11": "implementation too few repetitions",
    "I12": "implementation pattern match failure",
    "I13": "implementation dependent 'not used' element present",
}

SET_STATUS = {
    "A": "accepted",
    "E": "accepted with errors",
    "M": "rejected: message authentication code failed",
    "R": "rejected",
    "W": "rejected: assurance failed validity tests",
    "X": "rejected: content could not be analyzed",
}


@dataclass
class ElementError:
    position: str  # "5" or "5:1" (element:component)
    reference: str
    code: str
    bad_value: str = ""

    @property
    def text(self) -> str:
        what = IK4_CODES.get(self.code, f"error {self.code}")
        value = f" ({self.bad_value!r})" if self.bad_value else ""
        ref = f" [{self.reference}]" if self.reference else ""
        return f"element {self.position}{ref}: {what}{value}"


@dataclass
class SegmentError:
    segment_id: str
    position: int
    loop: str
    code: str
    elements: list[ElementError] = field(default_factory=list)
    context: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        loop = f" in loop {self.loop}" if self.loop else ""
        head = f"{self.segment_id} segment #{self.position}{loop}: " + IK3_CODES.get(
            self.code, f"error {self.code}"
        )
        if self.elements:
            head += "; " + "; ".join(e.text for e in self.elements)
        return head


@dataclass
class SetAck:
    set_code: str  # AK201: 837
    control_number: str  # AK202: our ST02
    status: str = ""  # IK501
    errors: list[SegmentError] = field(default_factory=list)
    set_error_codes: list[str] = field(default_factory=list)  # IK502..

    @property
    def accepted(self) -> bool:
        return self.status in ACCEPTED_CODES


@dataclass
class GroupAck:
    functional_code: str  # AK101: HC
    group_control_number: str  # AK102: our GS06
    sets: list[SetAck] = field(default_factory=list)
    status: str = ""  # AK901
    sets_included: int = 0
    sets_received: int = 0
    sets_accepted: int = 0


@dataclass
class Ack999:
    interchange_control_number: str
    groups: list[GroupAck] = field(default_factory=list)


def _int(value: str, what: str, n: int) -> int:
    try:
        return int(value)
    except ValueError:
        raise X12SyntaxError(f"segment {n}: {what} {value!r} is not a number") from None


def parse_999(data: bytes | str) -> Ack999:
    """Parse a 999 file; raise X12SyntaxError naming the segment when it is malformed."""
    delims, segments = read_segments(data)
    ack: Ack999 | None = None
    group: GroupAck | None = None
    st: SetAck | None = None
    seg_err: SegmentError | None = None
    saw_999 = False
    for n, el in enumerate(segments, start=1):
        tag = el[0].strip().upper()

        def get(i: int, el: list[str] = el) -> str:
            return el[i].strip() if len(el) > i else ""

        if tag == "ISA":
            ack = Ack999(get(13))
        elif ack is None:
            raise X12SyntaxError(f"segment {n}: {tag} before the ISA")
        elif tag == "ST":
            if get(1) != "999":
                raise X12SyntaxError(
                    f"segment {n}: transaction set {get(1)!r} is not a 999 acknowledgment"
                )
            saw_999 = True
        elif tag == "AK1":
            group = GroupAck(get(1), get(2))
            ack.groups.append(group)
        elif tag == "AK2":
            if group is None:
                raise X12SyntaxError(f"segment {n}: AK2 before AK1")
            st = SetAck(get(1), get(2))
            group.sets.append(st)
            seg_err = None
        elif tag == "IK3":
            if st is None:
                raise X12SyntaxError(f"segment {n}: IK3 outside an AK2 set response")
            seg_err = SegmentError(get(1), _int(get(2) or "0", "IK302", n), get(3), get(4))
            st.errors.append(seg_err)
        elif tag == "CTX":
            if seg_err is not None:
                seg_err.context.append(delims.element.join(el[1:]))
        elif tag == "IK4":
            if seg_err is None:
                raise X12SyntaxError(f"segment {n}: IK4 without an IK3")
            pos = get(1).replace(delims.component, ":")
            seg_err.elements.append(ElementError(pos, get(2), get(3), get(4)))
        elif tag == "IK5":
            if st is None:
                raise X12SyntaxError(f"segment {n}: IK5 outside an AK2 set response")
            st.status = get(1)
            st.set_error_codes = [e.strip() for e in el[2:] if e.strip()]
            st = None
            seg_err = None
        elif tag == "AK9":
            if group is None:
                raise X12SyntaxError(f"segment {n}: AK9 before AK1")
            group.status = get(1)
            group.sets_included = _int(get(2) or "0", "AK902", n)
            group.sets_received = _int(get(3) or "0", "AK903", n)
            group.sets_accepted = _int(get(4) or "0", "AK904", n)
    if ack is None or not saw_999:
        raise X12SyntaxError("no 999 transaction set in the file")
    if not ack.groups:
        raise X12SyntaxError("the 999 acknowledges no functional group (no AK1)")
    for g in ack.groups:
        for s in g.sets:
            if not s.status:
                raise X12SyntaxError(f"set {s.control_number} has no IK5 verdict")
    return ack
