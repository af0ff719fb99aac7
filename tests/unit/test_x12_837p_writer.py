"""Our 837P writer: structure, envelopes, COB and corrected claims, and pyx12's verdict
on every modifier/diagnosis edge the scrubber allows; the 999 reader."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from x12_helpers import pyx12_findings

from billing_tui.domain.errors import ValidationError
from billing_tui.x12 import writer_837p as W
from billing_tui.x12.ack999 import parse_999
from billing_tui.x12.envelope import Party, X12SyntaxError, amount, read_segments

NOW = dt.datetime(2026, 11, 27, 10, 30)
HOME = W.Address("12 Main St", "Springfield", "IL", "62701")
PATIENT = W.Person("Rivera", "Ana", "M", dt.date(1962, 3, 14), "F", HOME)
UHC = W.PayerRef("UnitedHealthcare", "87726")
AETNA = W.PayerRef("Aetna", "60054")
PROVIDER = W.BillingProvider(
    "Riverside Family Medicine",
    "1234567893",
    "741234567",
    W.Address("1200 Riverside Pkwy", "Springfield", "IL", "627011234"),
    "207Q00000X",
)
DOC = W.RenderingProvider("Chen", "Laura", "1245319599", "207Q00000X")


def line(code="99214", mods=(), ptrs=(1,), cents=20000, ctl="T1-1", **kw) -> W.Line837:
    return W.Line837(
        dt.date(2026, 10, 1), code, tuple(mods), kw.pop("units", Decimal("1")), cents,
        tuple(ptrs), ctl, **kw,
    )  # fmt: skip


def claim(number="T1", lines=None, dx=("I10",), **kw) -> W.Claim837:
    lines = lines or (line(),)
    base = dict(
        claim_number=number,
        total_charge_cents=sum(ln.charge_cents for ln in lines),
        place_of_service="11",
        frequency_code="1",
        diagnoses=dx,
        subscriber=PATIENT,
        member_id="UHC123456789",
        rank=1,
        claim_filing_indicator="CI",
        payer=UHC,
        rendering=DOC,
        lines=tuple(lines),
    )
    base.update(kw)
    return W.Claim837(**base)


def write(*batches: W.PayerBatch, isa=7, gs=8) -> W.Written837:
    return W.write_837p(
        submitter=W.Submitter("Riverside Family Medicine", "741234567", "Billing", "217-555-0100"),
        receiver=W.Receiver("Clearinghouse", "CLEARINGHOUSE"),
        provider=PROVIDER,
        batches=list(batches),
        sender=Party("ZZ", "741234567"),
        receiver_party=Party("ZZ", "CLEARINGHOUSE"),
        interchange_control_number=isa,
        group_control_number=gs,
        created=NOW,
        reference="B7",
        usage="T",
    )


def segs(text: str) -> list[list[str]]:
    return list(read_segments(text)[1])


def test_amounts_are_x12_decimals():
    assert [amount(c) for c in (20000, 20050, 20005, 1, -1234, 0)] == [
        "200", "200.5", "200.05", "0.01", "-12.34", "0"
    ]  # fmt: skip
    with pytest.raises(TypeError):
        amount(1.5)  # type: ignore[arg-type]


def test_envelope_control_numbers_and_counts():
    w = write(
        W.PayerBatch("000000031", UHC, [claim()]), W.PayerBatch("000000032", AETNA, [claim("T2")])
    )
    s = segs(w.text)
    isa = s[0]
    assert (
        isa[13] == "000000007"
        and isa[15] == "T"
        and isa[16] == ":"
        and len(w.text.split("~")[0]) == 105
    )
    assert s[1][:2] == ["GS", "HC"] and s[1][6] == "8" and s[1][8] == "005010X222A1"
    sts = [x for x in s if x[0] == "ST"]
    ses = [x for x in s if x[0] == "SE"]
    assert [x[2] for x in sts] == ["000000031", "000000032"]
    assert [x[2] for x in ses] == ["000000031", "000000032"]
    # SE01 counts ST..SE inclusive.
    first_st = s.index(sts[0])
    assert int(ses[0][1]) == s.index(ses[0]) - first_st + 1
    assert s[-2] == ["GE", "2", "8"] and s[-1] == ["IEA", "1", "000000007"]
    assert w.claims == 2 and w.lines == 2 and w.charge_cents == 40000
    # Claim positions are counted from ST = 1 and cover HL..last line segment.
    pos = w.sets[0].claims[0]
    body = s[first_st:]
    assert body[pos.first_segment - 1][0] == "HL" and body[pos.last_segment - 1][0] == "REF"


def test_claim_segments():
    c = claim(
        lines=(
            line(mods=("25", "59"), ptrs=(1, 2)),
            line("36415", ptrs=(2,), cents=2500, ctl="T1-2"),
        ),
        dx=("I10", "E11.9"),
        prior_authorization="AUTH1",
    )
    s = segs(write(W.PayerBatch("0001", UHC, [c])).text)
    get = {x[0] + (x[1] if x[0] in ("NM1", "REF", "DTP", "HL") else ""): x for x in s}
    assert get["SBR"][1] == "P" and get["SBR"][2] == "18" and get["SBR"][9] == "CI"
    assert get["NM1IL"][9] == "UHC123456789" and get["NM1PR"][9] == "87726"
    clm = next(x for x in s if x[0] == "CLM")
    assert clm[1:3] == ["T1", "225"] and clm[5] == "11:B:1"
    assert next(x for x in s if x[0] == "HI")[1:] == ["ABK:I10", "ABF:E119"]
    assert get["NM182"][9] == "1245319599"
    sv1 = [x for x in s if x[0] == "SV1"]
    assert sv1[0][1] == "HC:99214:25:59" and sv1[0][7] == "1:2" and sv1[1][1] == "HC:36415"
    assert [x[2] for x in s if x[:2] == ["REF", "6R"]] == ["T1-1", "T1-2"]
    assert ["REF", "G1", "AUTH1"] in s
    assert all(x[1:3] == ["472", "D8"] for x in s if x[0] == "DTP")


def test_secondary_claim_carries_the_primary_adjudication():
    adj = W.LineAdjudication(
        "87726",
        9600,
        (("CO", "45", 8000), ("PR", "2", 2400), ("PR", "1", 0)),
        dt.date(2026, 10, 20),
    )
    c = claim(
        lines=(line(adjudications=(adj,)),),
        rank=2,
        payer=AETNA,
        member_id="SEC998877",
        other_coverages=(W.OtherCoverage(1, UHC, "UHC123456789", "CI", "G1", paid_cents=9600),),
    )
    text = write(W.PayerBatch("0001", AETNA, [c])).text
    s = segs(text)
    sbr = [x for x in s if x[0] == "SBR"]
    assert [x[1] for x in sbr] == ["S", "P"]
    assert ["AMT", "D", "96"] in s
    assert ["SVD", "87726", "96", "HC:99214", "", "1"] in s
    assert ["CAS", "CO", "45", "80"] in s and ["CAS", "PR", "2", "24"] in s
    assert ["DTP", "573", "D8", "20261020"] in s
    ok, findings = pyx12_findings(text)
    assert ok and findings == []


def test_corrected_and_void_claims_carry_ref_f8():
    c7 = claim("T7", frequency_code="7", payer_claim_number="PCN-1")
    c8 = claim("T8", frequency_code="8", payer_claim_number="PCN-2")
    text = write(W.PayerBatch("0001", UHC, [c7, c8])).text
    s = segs(text)
    assert [x[5] for x in s if x[0] == "CLM"] == ["11:B:7", "11:B:8"]
    assert [x[2] for x in s if x[:2] == ["REF", "F8"]] == ["PCN-1", "PCN-2"]
    assert pyx12_findings(text) == (True, [])
    with pytest.raises(ValidationError, match="payer's claim number"):
        write(W.PayerBatch("0001", UHC, [claim(frequency_code="7")]))


def test_every_modifier_and_diagnosis_edge_the_scrubber_allows_passes_pyx12():
    twelve = ("I10", "E11.9", "E11.65", "E78.5", "J45.909", "S93.401A", "M54.50", "Z00.00",
              "F32.A", "T36.0X1A", "R05.9", "Z79.4")  # fmt: skip
    lines = [
        line("99214", ("25", "59", "76", "77"), (1, 2, 3, 4), ctl="E-1"),  # 4 modifiers, 4 pointers
        line(
            "J3420", ("JZ",), (12,), cents=3000, ctl="E-2", units=Decimal("2.5")
        ),  # HCPCS, decimal units
        line("0001U", (), (5, 6), cents=100, ctl="E-3"),  # CPT PLA code, 1-cent charge
        line("3074F", ("1P",), (7,), cents=1, ctl="E-4", units=Decimal("0.001")),  # Cat II
        line("99213", ("GT", "95"), (8, 9, 10, 11), cents=999999, ctl="E-5"),
    ]
    lines += [
        line("97110", ("GP",), (1,), cents=8500, ctl=f"E-{n}") for n in range(6, 51)
    ]  # 50 lines
    c = claim("EDGE", lines=tuple(lines), dx=twelve, place_of_service="02",
              other_coverages=(W.OtherCoverage(2, AETNA, "SEC998877", "CI"),))  # fmt: skip
    other = claim(
        "OTHER",
        subscriber=W.Person("O'Brien-Smith", "Mary Jo", None, dt.date(1990, 1, 1), "U", HOME),
    )
    text = write(W.PayerBatch("0001", UHC, [c, other])).text
    assert text.count("LX*") == 51
    ok, findings = pyx12_findings(text)
    assert findings == [] and ok


def test_writer_refuses_what_cannot_be_sent():
    with pytest.raises(ValidationError, match="no claims"):
        write(W.PayerBatch("0001", UHC, []))
    with pytest.raises(ValidationError, match="1-12 diagnoses"):
        write(W.PayerBatch("0001", UHC, [claim(dx=())]))
    with pytest.raises(ValidationError, match="4-9 characters"):
        write(W.PayerBatch("1", UHC, [claim()]))
    with pytest.raises(ValidationError, match="1-4 diagnosis pointers"):
        write(W.PayerBatch("0001", UHC, [claim(lines=(line(ptrs=(1, 2, 3, 4, 5)),))]))


def test_element_text_is_cleaned_of_delimiters():
    p = W.Person("Ri*ve~ra", "A:n^a", None, dt.date(1962, 3, 14), "F", HOME)
    s = segs(write(W.PayerBatch("0001", UHC, [claim(subscriber=p)])).text)
    nm1 = next(x for x in s if x[:2] == ["NM1", "IL"])
    assert nm1[3:5] == ["Ri ve ra", "A n a"]


# --- the 999 reader -----------------------------------------------------------------

ACK = (
    "ISA*00*          *00*          *ZZ*CLEARINGHOUSE  *ZZ*741234567      *261128*0900*^*00501*000000451*0*P*:~"
    "GS*FA*CLEARINGHOUSE*741234567*20261128*0900*451*X*005010X231A1~"
    "ST*999*0001*005010X231A1~AK1*HC*8*005010X222A1~"
    "AK2*837*000000031*005010X222A1~IK5*A~"
    "AK2*837*000000032*005010X222A1~IK3*CLM*19*2300*8~CTX*CLM01:T2~IK4*5:1*1331*7*99~IK3*NM1*5**3~IK5*R*5~"
    "AK9*P*2*2*1~SE*12*0001~GE*1*451~IEA*1*000000451~"
)


def test_999_reader():
    ack = parse_999(ACK.encode())
    (g,) = ack.groups
    assert (g.functional_code, g.group_control_number, g.status) == ("HC", "8", "P")
    assert (g.sets_included, g.sets_received, g.sets_accepted) == (2, 2, 1)
    a, r = g.sets
    assert a.accepted and not r.accepted
    assert r.control_number == "000000032" and r.set_error_codes == ["5"]
    e1, e2 = r.errors
    assert (e1.segment_id, e1.position, e1.loop, e1.code) == ("CLM", 19, "2300", "8")
    assert e1.context == ["CLM01:T2"]
    assert "CLM segment #19 in loop 2300" in e1.text and "invalid code value ('99')" in e1.text
    assert e1.elements[0].position == "5:1"
    assert "required segment missing" in e2.text


def test_999_reader_refuses_other_files():
    with pytest.raises(X12SyntaxError, match="ISA"):
        parse_999(b"hello")
    with pytest.raises(X12SyntaxError, match="not a 999"):
        parse_999(ACK.replace("ST*999", "ST*835").encode())
    with pytest.raises(X12SyntaxError, match="no IK5"):
        parse_999(ACK.replace("IK5*A~", "").encode())
    bom = b"\xef\xbb\xbf" + ACK.replace("~", "~\r\n").encode()
    assert parse_999(bom).groups[0].sets[0].accepted
