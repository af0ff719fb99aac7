"""Our 835 reader: typed objects, delimiters from the ISA, envelopes, and errors that name
the segment; a broken transaction set is rejected alone."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from billing_tui.x12.envelope import X12SyntaxError
from billing_tui.x12.remit835 import (
    CasAdjustment,
    RejectedSet,
    Remittance,
    UnsupportedVersion,
    read_835,
)

ISA = (
    "ISA*00*          *00*          *ZZ*UHC            *ZZ*RIVERSIDE      *261120*1200*^*"
    "00501*000000007*0*T*:~"
)


def _file(*sets: str, isa: str = ISA, gs08: str = "005010X221A1") -> str:
    body = "".join(sets)
    return (
        f"{isa}GS*HP*UHC*RIVERSIDE*20261120*1200*7*X*{gs08}~{body}GE*{len(sets)}*7~IEA*1*000000007~"
    )


def _set(st02: str, *segs: str, count: int | None = None) -> str:
    n = len(segs) + 2 if count is None else count
    return f"ST*835*{st02}*005010X221A1~" + "".join(s + "~" for s in segs) + f"SE*{n}*{st02}~"


HEADER = (
    "BPR*I*96.5*C*ACH*CCP*01*999999992*DA*123456*1512345678**01*999988880*DA*98765*20261120",
    "TRN*1*EFT0001*1512345678",
    "DTM*405*20261119",
    "N1*PR*UNITEDHEALTHCARE*XV*87726",
    "REF*2U*87726",
    "N1*PE*RIVERSIDE FAMILY MEDICINE*XX*1234567893",
    "LX*1",
)
CLAIM = (
    "CLP*T000001*1*200*96.5*24*12*ICN555*11*1",
    "CAS*OA*23*0",
    "NM1*QC*1*RIVERA*ANA****MI*UHC123456789",
    "NM1*74*1*RIVERA-DIAZ*ANA",
    "MOA***MA01",
    "DTM*232*20261001",
    "DTM*233*20261002",
    "SVC*HC:99214:25:59*200*96.5**1.5*HC:99215:25",
    "DTM*472*20261001",
    "CAS*CO*45*79.5**253*0",
    "CAS*PR*2*24",
    "REF*6R*T000001-1",
    "AMT*B6*120.5",
    "LQ*HE*N130",
)


def test_a_full_remittance_reads_into_typed_objects():
    (rem,) = read_835(_file(_set("0001", *HEADER, *CLAIM)))
    assert isinstance(rem, Remittance)
    assert (rem.handling_code, rem.check_amount_cents, rem.payment_method) == ("I", 9650, "ACH")
    assert rem.payment_date == dt.date(2026, 11, 20)
    assert (rem.trace_number, rem.trace_originator) == ("EFT0001", "1512345678")
    assert (rem.payer_name, rem.payer_id, rem.payer_ref_2u) == (
        "UNITEDHEALTHCARE",
        "87726",
        "87726",
    )
    assert (rem.payee_name, rem.payee_id) == ("RIVERSIDE FAMILY MEDICINE", "1234567893")
    assert (rem.isa_control_number, rem.gs_control_number, rem.st_control_number) == (
        "000000007", "7", "0001",
    )  # fmt: skip
    (c,) = rem.claims
    assert (c.claim_number, c.status_code, c.billed_cents, c.paid_cents) == (
        "T000001", "1", 20000, 9650,
    )  # fmt: skip
    assert (c.patient_resp_cents, c.filing_indicator, c.payer_claim_number) == (
        2400,
        "12",
        "ICN555",
    )
    assert (c.facility_code, c.frequency_code) == ("11", "1")
    assert c.patient_name == "RIVERA-DIAZ, ANA" and c.patient_id == "UHC123456789"
    assert c.outpatient == ("", "", "MA01") and c.inpatient is None
    assert (c.statement_from, c.statement_to) == (dt.date(2026, 10, 1), dt.date(2026, 10, 2))
    assert c.adjustments == [CasAdjustment("OA", "23", 0, "")]
    (s,) = c.services
    assert (s.qualifier, s.procedure_code, s.modifiers) == ("HC", "99214", ("25", "59"))
    assert (s.billed_cents, s.paid_cents, s.units) == (20000, 9650, Decimal("1.5"))
    assert (s.original_code, s.original_modifiers) == ("99215", ("25",))
    assert s.service_date == dt.date(2026, 10, 1)
    assert s.adjustments == [
        CasAdjustment("CO", "45", 7950, ""),
        CasAdjustment("CO", "253", 0, ""),
        CasAdjustment("PR", "2", 2400, ""),
    ]
    assert (s.control_number, s.allowed_cents, s.remarks) == ("T000001-1", 12050, ["N130"])
    assert c.billed_cents == c.paid_cents + c.all_adjustments_cents


@pytest.mark.parametrize("status", ["1", "2", "3", "4", "19", "20", "21", "22", "25"])
def test_every_claim_status_reads(status):
    sign = "-" if status == "22" else ""
    (rem,) = read_835(
        _file(_set("0001", *HEADER[:-1], "LX*1", f"CLP*C1*{status}*{sign}100*{sign}80**12*P1",
                   f"SVC*HC:99213*{sign}100*{sign}80", f"CAS*CO*45*{sign}20"))
    )  # fmt: skip
    c = rem.claims[0]
    assert c.status_code == status
    assert c.paid_cents == (-8000 if status == "22" else 8000)
    assert c.services[0].adjustments[0].amount_cents == (-2000 if status == "22" else 2000)


def test_provider_adjustments_every_pair():
    (rem,) = read_835(
        _file(_set("0001", *HEADER, "PLB*1234567893*20261231*L6*-12.34*WO:T000009*50*FB:X1*1",
                   "PLB*1234567893*20261231*CV:CP*-1.27"))
    )  # fmt: skip
    pairs = [(p.reason_code, p.reference, p.amount_cents) for p in rem.provider_adjustments]
    assert pairs == [("L6", "", -1234), ("WO", "T000009", 5000), ("FB", "X1", 100),
                     ("CV", "CP", -127)]  # fmt: skip
    assert rem.provider_adjustments[0].fiscal_date == dt.date(2026, 12, 31)
    assert rem.plb_cents == -1234 + 5000 + 100 - 127


def test_debit_and_no_payment():
    debit = HEADER[0].replace("*C*ACH", "*D*ACH")
    (rem,) = read_835(_file(_set("0001", debit, *HEADER[1:])))
    assert rem.check_amount_cents == -9650
    (rem,) = read_835(_file(_set("0001", "BPR*H*0*C*NON************20261120", *HEADER[1:])))
    assert (rem.handling_code, rem.check_amount_cents, rem.payment_method) == ("H", 0, "NON")


def test_several_interchanges_groups_and_sets():
    one = _file(_set("0001", *HEADER), _set("0002", *HEADER))
    two = _file(_set("0009", *HEADER), isa=ISA.replace("000000007", "000000008"))
    sets = read_835(one + "\r\n" + two)
    assert [s.st_control_number for s in sets] == ["0001", "0002", "0009"]
    assert [s.isa_control_number for s in sets] == ["000000007"] * 2 + ["000000008"]


def test_other_delimiters_bom_crlf_and_indentation():
    text = _file(_set("0001", *HEADER, *CLAIM))
    text = text.replace("*", "|").replace(":", ">")
    text = text.replace("|^|00501", "|^|00501")  # repetition stays ^
    pretty = "\ufeff" + text.replace("~", "~\r\n    ")
    (rem,) = read_835(pretty.encode())
    s = rem.claims[0].services[0]
    assert (s.procedure_code, s.modifiers, s.original_code) == ("99214", ("25", "59"), "99215")
    assert rem.payment_date == dt.date(2026, 11, 20)


def test_newline_as_segment_terminator():
    text = _file(_set("0001", *HEADER, *CLAIM)).replace("~", "\n")
    (rem,) = read_835(text)
    assert rem.claims[0].services[0].control_number == "T000001-1"


def test_wrong_se_count_rejects_that_set_alone():
    sets = read_835(_file(_set("0001", *HEADER, *CLAIM, count=5), _set("0002", *HEADER, *CLAIM)))
    bad, good = sets
    assert isinstance(bad, RejectedSet) and isinstance(good, Remittance)
    assert bad.st_control_number == "0001"
    assert "SE01 says 5" in bad.error and "segment 25" in bad.error


def test_bad_amount_names_the_segment_and_element():
    broken = tuple(s.replace("*96.5*24", "*9X.5*24") for s in CLAIM)
    bad, good = read_835(_file(_set("0001", *HEADER, *broken), _set("0002", *HEADER)))
    assert isinstance(bad, RejectedSet) and isinstance(good, Remittance)
    assert bad.error == "segment 11: CLP04 '9X.5' is not an amount"


def test_truncated_file_rejects_the_cut_set():
    text = _file(_set("0001", *HEADER), _set("0002", *HEADER, *CLAIM))
    cut = text[: text.index("SVC*")]
    first, second = read_835(cut)
    assert isinstance(first, Remittance)
    assert isinstance(second, RejectedSet) and "cut short" in second.error


def test_missing_amounts_are_claim_problems_not_set_errors():
    (rem,) = read_835(_file(_set("0001", *HEADER, "CLP*C1*22", "SVC*HC*100*80")))
    c = rem.claims[0]
    assert any("CLP03" in p for p in c.problems) and any("SVC01" in p for p in c.problems)


def test_no_isa_is_refused():
    with pytest.raises(X12SyntaxError, match="does not start with an ISA"):
        read_835(_set("0001", *HEADER))


def test_4010_is_refused():
    with pytest.raises(UnsupportedVersion, match="segment 2 .*004010X091A1"):
        read_835(_file(_set("0001", *HEADER), gs08="004010X091A1"))


def test_not_an_835_is_refused():
    text = _file(_set("0001", *HEADER)).replace("ST*835", "ST*837")
    with pytest.raises(X12SyntaxError, match="segment 3 .*not an 835"):
        read_835(text)


def test_reads_a_bench_sized_set_completely():
    """2,000 claims x 3 lines in one set: every claim and line comes out, in order.
    (Speed is measured by `billing-tui bench --only parse_835_10k`, not here.)"""
    claims = []
    for i in range(2000):
        claims.append(f"CLP*C{i}*1*300*240**12*P{i}")
        for j in range(3):
            claims += ["SVC*HC:99213*100*80**1", "DTM*472*20261001", "CAS*CO*45*20",
                       f"REF*6R*C{i}-{j + 1}"]  # fmt: skip
    (rem,) = read_835(_file(_set("0001", *HEADER, *claims)))
    assert [c.claim_number for c in rem.claims] == [f"C{i}" for i in range(2000)]
    assert [s.control_number for s in rem.claims[-1].services] == [
        "C1999-1",
        "C1999-2",
        "C1999-3",
    ]


def test_check_envelope_refuses_without_reading_claims():
    from billing_tui.x12.remit835 import check_envelope

    check_envelope(_file(_set("0001", *HEADER, *CLAIM)))  # a good file: no error
    with pytest.raises(UnsupportedVersion, match="segment 2 .*4010"):
        check_envelope(_file(_set("0001", *HEADER), gs08="004010X091A1"))
    with pytest.raises(X12SyntaxError, match="segment 3 .*not an 835"):
        check_envelope(_file(_set("0001", *HEADER)).replace("ST*835", "ST*837"))
    with pytest.raises(X12SyntaxError, match="does not start with an ISA"):
        check_envelope(b"\xef\xbb\xbf" + _set("0001", *HEADER).encode())


def test_a_broken_set_names_its_first_problem():
    """A bad CLP amount in the second claim rejects the set with that segment, not with a
    later broken CAS of the same set."""
    second = ("CLP*T000002*1*200*9X*24*12*ICN556", "SVC*HC:99213*200*96.5", "CAS*ZZ*45*10")
    bad, good = read_835(_file(_set("0001", *HEADER, *CLAIM, *second), _set("0002", *HEADER)))
    assert isinstance(bad, RejectedSet) and isinstance(good, Remittance)
    assert bad.error == "segment 25: CLP04 '9X' is not an amount"


def test_claim_segments_after_a_set_cut_short_are_outside_any_set():
    """A set with no SE ends at GE; a service line's segments after it belong to no claim."""
    text = (
        f"{ISA}GS*HP*UHC*RIVERSIDE*20261120*1200*7*X*005010X221A1~"
        + "ST*835*0001*005010X221A1~"
        + "".join(s + "~" for s in (*HEADER, *CLAIM[:8]))
        + "GE*1*7~DTM*472*20261001~IEA*1*000000007~"
    )
    with pytest.raises(X12SyntaxError, match=r"segment 20 \(DTM\): segment outside a transaction"):
        read_835(text)
