"""pyx12 as the reference validator in tests (it is a test dependency only).

pyx12 opens text as ASCII and logs each finding through the "pyx12" logger; we hand it
a StringIO and collect the findings, so a test can require there are none.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest

SHARED_X12 = Path(__file__).resolve().parents[3] / "shared" / "x12"


def pyx12_findings(text: str) -> tuple[bool, list[str]]:
    """(valid, findings) for an X12 document; findings are pyx12's error lines."""
    params = pytest.importorskip("pyx12.params")
    x12n = pytest.importorskip("pyx12.x12n_document")
    found: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.levelno >= logging.ERROR:
                found.append(record.getMessage())

    logger = logging.getLogger("pyx12")
    handler = Collect()
    old_level, old_propagate = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        ok = x12n.x12n_document(params.params(), io.StringIO(text), io.StringIO(), None)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
        logger.propagate = old_propagate
    return bool(ok), found


def pyx12_999(text: str) -> str:
    """The 999 pyx12 writes for an 837 (used to build realistic rejections)."""
    params = pytest.importorskip("pyx12.params")
    x12n = pytest.importorskip("pyx12.x12n_document")
    out = io.StringIO()
    logging.getLogger("pyx12").propagate = False
    x12n.x12n_document(params.params(), io.StringIO(text), out, None)
    return out.getvalue()


def ack_999(gs06: int, sets: list[tuple[str, str, str]]) -> str:
    """A 999 answering group ``gs06``: (ST02, IK5 status, extra segments) per set."""
    body = ["ST*999*0001*005010X231A1", f"AK1*HC*{gs06}*005010X222A1"]
    for st02, status, extra in sets:
        body.append(f"AK2*837*{st02}*005010X222A1")
        body.extend(x for x in extra.split("~") if x)
        body.append(f"IK5*{status}")
    accepted = sum(s[1] in "AE" for s in sets)
    body.append(
        f"AK9*{'A' if accepted == len(sets) else 'P' if accepted else 'R'}*{len(sets)}*{len(sets)}*{accepted}"
    )
    body.append(f"SE*{len(body) + 1}*0001")
    return (
        "ISA*00*          *00*          *ZZ*CLEARINGHOUSE  *ZZ*741234567      *261128*0900*^*00501*000000451*0*P*:~"
        "GS*FA*CLEARINGHOUSE*741234567*20261128*0900*451*X*005010X231A1~"
        + "~".join(body)
        + "~GE*1*451~IEA*1*000000451~"
    )
