"""An 835 builder for tests: from claims in the database (or an exported 837P) write the
835 a payer would send: paid with coinsurance, denied, reversed, with PLB, dropped
modifiers, SVC06 code changes, other delimiters, a BOM, CR/LF and indentation.

Amounts are int cents; the builder keeps every 835 balancing rule (SVC02 = SVC03 +
CAS, CLP03 = CLP04 + CAS, BPR02 = sum(CLP04) - sum(PLB)) unless a test breaks one on
purpose.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

from sqlalchemy import select, update

from billing_tui.db import models as m
from billing_tui.db.uow import UnitOfWork
from billing_tui.x12.envelope import read_segments

PAYER_EDI = "87726"  # svc_helpers' default payer (UnitedHealthcare)
PAYER_NAME = "UnitedHealthcare"


@dataclass(frozen=True)
class LineFacts:
    line_no: int
    code: str
    modifiers: tuple[str, ...]
    service_date: dt.date
    charge_cents: int
    control_number: str | None
    open_cents: int


@dataclass(frozen=True)
class ClaimFacts:
    claim_number: str
    lines: tuple[LineFacts, ...]


@dataclass
class LinePlan:
    facts: LineFacts
    paid_cents: int
    cas: list[tuple[str, str, int]] = field(default_factory=list)  # (group, carc, cents)
    allowed_cents: int | None = None
    billed_cents: int | None = None  # default: the line's open amount
    send_6r: bool = True
    drop_modifiers: bool = False
    changed_code: str | None = None  # the payer's code; SVC06 carries ours
    remarks: tuple[str, ...] = ()

    @property
    def billed(self) -> int:
        return self.facts.open_cents if self.billed_cents is None else self.billed_cents


@dataclass
class ClaimPlan:
    claim_number: str
    status_code: str
    lines: list[LinePlan]
    payer_claim_number: str = "PCN0001"
    claim_cas: list[tuple[str, str, int]] = field(default_factory=list)
    patient: tuple[str, str] = ("RIVERA", "ANA")

    @property
    def billed_cents(self) -> int:
        return sum(ln.billed for ln in self.lines) if self.lines else 0

    @property
    def paid_cents(self) -> int:
        return sum(ln.paid_cents for ln in self.lines)

    @property
    def patient_resp_cents(self) -> int:
        return sum(a for ln in self.lines for g, _c, a in ln.cas if g == "PR")


@dataclass
class RemitPlan:
    claims: list[ClaimPlan]
    trace: str = "TRACE0001"
    payer_name: str = PAYER_NAME
    payer_id: str = PAYER_EDI
    plb: list[tuple[str, str, int]] = field(default_factory=list)  # (code, reference, cents)
    method: str = "ACH"
    paid_on: dt.date = dt.date(2026, 11, 20)
    check_cents: int | None = None  # default: balances

    @property
    def check_amount_cents(self) -> int:
        if self.check_cents is not None:
            return self.check_cents
        return sum(c.paid_cents for c in self.claims) - sum(a for _c, _r, a in self.plb)


# --- claims ---------------------------------------------------------------------------


def mark_sent(db, when: dt.date = dt.date(2026, 10, 5)) -> None:
    """Every draft/ready claim becomes submitted, as export-837 would leave it (an 835
    answers only claims that were sent): test setup outside the services."""
    with UnitOfWork(db) as uow:
        uow.session.execute(
            update(m.Claim)
            .where(m.Claim.status.in_(("draft", "ready")))
            .values(status="submitted", submitted_at=when)
            .execution_options(synchronize_session=False)
        )
        uow.commit()


def sent_claim(db, actor, tmp_path, **kw) -> int:
    """svc_helpers.make_claim, then sent to the payer (submitted)."""
    from svc_helpers import make_claim

    claim_id = make_claim(db, actor, tmp_path, **kw)
    mark_sent(db)
    return claim_id


# --- facts ---------------------------------------------------------------------------


def claim_facts(db, numbers: list[str]) -> list[ClaimFacts]:
    """The claims' lines as the payer would answer them (open balance = what is billed)."""
    out = []
    with UnitOfWork(db, write=False) as uow:
        for number in numbers:
            claim = uow.session.scalar(select(m.Claim).where(m.Claim.claim_number == number))
            lines = tuple(
                LineFacts(
                    ln.line_no,
                    ln.procedure_code,
                    tuple(x for x in (ln.modifier1, ln.modifier2, ln.modifier3, ln.modifier4) if x),
                    ln.service_date,
                    ln.charge_cents,
                    ln.line_control_number,
                    ln.ins_balance_cents,
                )
                for ln in uow.claims.lines(claim.id)
                if not ln.removed
            )
            out.append(ClaimFacts(number, lines))
    return out


def facts_from_837(text: str) -> list[ClaimFacts]:
    """The claims of an exported 837P (CLM01, SV1, DTP*472, REF*6R)."""
    _d, segs = read_segments(text)
    claims: list[ClaimFacts] = []
    number = None
    lines: list[LineFacts] = []
    cur: dict | None = None

    def close_line():
        nonlocal cur
        if cur is not None:
            lines.append(LineFacts(**cur))
            cur = None

    def close_claim():
        nonlocal lines
        close_line()
        if number is not None:
            claims.append(ClaimFacts(number, tuple(lines)))
        lines = []

    for seg in segs:
        sid = seg[0]
        if sid == "CLM":
            close_claim()
            number = seg[1]
        elif sid == "LX":
            close_line()
        elif sid == "SV1":
            comp = seg[1].split(":")
            cents = _cents(seg[2])
            cur = {
                "line_no": len(lines) + 1,
                "code": comp[1],
                "modifiers": tuple(x for x in comp[2:6] if x),
                "service_date": None,
                "charge_cents": cents,
                "control_number": None,
                "open_cents": cents,
            }
        elif sid == "DTP" and seg[1] == "472" and cur is not None:
            v = seg[3].split("-")[0]
            cur["service_date"] = dt.date(int(v[:4]), int(v[4:6]), int(v[6:8]))
        elif sid == "REF" and seg[1] == "6R" and cur is not None:
            cur["control_number"] = seg[2]
        elif sid in ("SE", "HL") and sid == "SE":
            close_claim()
            number = None
    return claims


def _cents(text: str) -> int:
    whole, _, frac = text.partition(".")
    sign = -1 if whole.startswith("-") else 1
    return sign * (abs(int(whole or "0")) * 100 + int((frac + "00")[:2]))


# --- plans ---------------------------------------------------------------------------


def pay(facts: ClaimFacts, *, status: str = "1", allowed_pct: int = 60, coins_pct: int = 20,
        pcn: str = "PCN0001") -> ClaimPlan:  # fmt: skip
    """DESIGN example 1 on every line: allowed = pct of billed, payer pays the rest of
    the allowed after coinsurance (PR-2), CO-45 takes the difference."""
    plans = []
    for ln in facts.lines:
        billed = ln.open_cents
        allowed = billed * allowed_pct // 100
        patient = allowed * coins_pct // 100
        paid = allowed - patient
        cas = [("CO", "45", billed - allowed)] if billed != allowed else []
        if patient:
            cas.append(("PR", "2", patient))
        plans.append(LinePlan(ln, paid, cas, allowed_cents=allowed))
    return ClaimPlan(facts.claim_number, status, plans, payer_claim_number=pcn)


def deny(facts: ClaimFacts, *, carc: str = "197", pcn: str = "PCN0001") -> ClaimPlan:
    """DESIGN example 3: nothing paid, the whole charge under a non-contractual CO CARC."""
    return ClaimPlan(
        facts.claim_number,
        "4",
        [LinePlan(ln, 0, [("CO", carc, ln.open_cents)]) for ln in facts.lines],
        payer_claim_number=pcn,
    )


def reverse(plan: ClaimPlan) -> ClaimPlan:
    """CLP02 22: every amount of an earlier payment negated (DESIGN example 5)."""
    return ClaimPlan(
        plan.claim_number,
        "22",
        [
            replace(
                ln,
                paid_cents=-ln.paid_cents,
                cas=[(g, c, -a) for g, c, a in ln.cas],
                billed_cents=-ln.billed,
                allowed_cents=None if ln.allowed_cents is None else -ln.allowed_cents,
            )
            for ln in plan.lines
        ],
        payer_claim_number=plan.payer_claim_number,
    )


# --- rendering ------------------------------------------------------------------------


def amount(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), 100)
    return f"{sign}{whole}.{frac:02d}"


def render(
    remits: list[RemitPlan] | RemitPlan,
    *,
    element: str = "*",
    component: str = ":",
    repetition: str = "^",
    terminator: str = "~",
    bom: bool = False,
    crlf: bool = False,
    indent: bool = False,
    version: str = "005010X221A1",
    icn: int = 1,
) -> bytes:
    """The 835 file for one or more remittances (one ST set each) in one interchange."""
    if isinstance(remits, RemitPlan):
        remits = [remits]
    E, C = element, component

    def seg(*els: object, depth: int = 0) -> str:
        parts = ["" if e is None else str(e) for e in els]
        while len(parts) > 1 and parts[-1] == "":
            parts.pop()
        pad = "  " * depth if indent else ""
        return pad + E.join(parts) + terminator

    out = [
        seg("ISA", "00", " " * 10, "00", " " * 10, "ZZ", "UHC".ljust(15), "ZZ",
            "RIVERSIDE".ljust(15), "261120", "1200", repetition, "00501", f"{icn:09d}", "0",
            "T", C),
        seg("GS", "HP", "UHC", "RIVERSIDE", "20261120", "1200", str(icn), "X", version,
            depth=1),
    ]  # fmt: skip
    for n, r in enumerate(remits, start=1):
        body = [
            seg("BPR", "I" if r.check_amount_cents else "H", amount(abs(r.check_amount_cents)),
                "D" if r.check_amount_cents < 0 else "C", r.method, *[""] * 11,
                r.paid_on.strftime("%Y%m%d"), depth=2),
            seg("TRN", "1", r.trace, "1" + r.payer_id, depth=2),
            seg("DTM", "405", r.paid_on.strftime("%Y%m%d"), depth=2),
            seg("N1", "PR", r.payer_name, "XV", r.payer_id, depth=2),
            seg("N1", "PE", "RIVERSIDE FAMILY MEDICINE", "XX", "1234567893", depth=2),
            seg("LX", "1", depth=2),
        ]  # fmt: skip
        for c in r.claims:
            body.append(
                seg("CLP", c.claim_number, c.status_code, amount(c.billed_cents),
                    amount(c.paid_cents), amount(c.patient_resp_cents), "12",
                    c.payer_claim_number, "11", "1", depth=3)
            )  # fmt: skip
            for g, carc, a in c.claim_cas:
                body.append(seg("CAS", g, carc, amount(a), depth=4))
            body.append(seg("NM1", "QC", "1", c.patient[0], c.patient[1], "", "", "", "MI",
                            "UHC123456789", depth=4))  # fmt: skip
            for ln in c.lines:
                f = ln.facts
                mods = () if ln.drop_modifiers else f.modifiers
                code = ln.changed_code or f.code
                svc01 = C.join(["HC", code, *mods])
                svc06 = C.join(["HC", f.code, *f.modifiers]) if ln.changed_code else ""
                body.append(seg("SVC", svc01, amount(ln.billed), amount(ln.paid_cents), "",
                                "1", svc06, depth=4))  # fmt: skip
                body.append(seg("DTM", "472", f.service_date.strftime("%Y%m%d"), depth=5))
                by_group: dict[str, list] = {}
                for g, carc, a in ln.cas:
                    by_group.setdefault(g, []).append((carc, a))
                for g, items in by_group.items():
                    parts = [x for carc, a in items for x in (carc, amount(a), "")]
                    body.append(seg("CAS", g, *parts, depth=5))
                if ln.send_6r and f.control_number:
                    body.append(seg("REF", "6R", f.control_number, depth=5))
                if ln.allowed_cents is not None:
                    body.append(seg("AMT", "B6", amount(ln.allowed_cents), depth=5))
                for rk in ln.remarks:
                    body.append(seg("LQ", "HE", rk, depth=5))
        for code, ref, a in r.plb:
            reason = C.join([code, ref]) if ref else code
            body.append(seg("PLB", "1234567893", "20261231", reason, amount(a), depth=2))
        st = f"{n:04d}"
        out.append(seg("ST", "835", st, depth=1))
        out.extend(body)
        out.append(seg("SE", str(len(body) + 2), st, depth=1))
    out.append(seg("GE", str(len(remits)), str(icn), depth=1))
    out.append(seg("IEA", "1", f"{icn:09d}"))
    sep = "\r\n" if crlf else ("\n" if indent else "")
    text = sep.join(out) + sep
    data = text.encode()
    return (b"\xef\xbb\xbf" + data) if bom else data


def write_835(path, remits, **kw):
    """Render and write the file; returns the path."""
    path.write_bytes(render(remits, **kw))
    return path
