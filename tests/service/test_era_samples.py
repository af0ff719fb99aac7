"""Every 5010 835 sample under ../shared/x12/835 (read in place; skipped when absent):
its claims are created through `import-charges`, the file imports by the money rules,
`billing-tui check` passes, and a second import posts nothing. The file with no ISA and
the 4010 file are refused with a clear message and post nothing."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from era_helpers import mark_sent
from sqlalchemy import func, select
from x12_helpers import SHARED_X12

from billing_tui.cli import main
from billing_tui.db import models as m
from billing_tui.db.uow import UnitOfWork
from billing_tui.services.charges import CLAIM_NO_RE, COLUMNS, MODIFIER_RE, PROCEDURE_RE
from billing_tui.services.check import run_check
from billing_tui.x12.remit835 import Remittance, read_835

SAMPLES = SHARED_X12 / "835"
REFUSED = {
    "keiron__blue_cross_nc_sample.txt": "does not start with an ISA",
    "pyx12hist__835_simple_4010.txt": "4010",
}
CLAIM_NO, CODE, MOD = CLAIM_NO_RE, PROCEDURE_RE, MODIFIER_RE


def _samples() -> list[str]:
    if not SAMPLES.is_dir():
        return []
    return sorted(p.name for p in SAMPLES.iterdir() if p.name not in REFUSED)


def _run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def _charge_rows(path: Path) -> list[dict]:
    """One charge row per SVC (or one per claim with no SVC) of every claim the file pays,
    so the claims exist as the payer answers them."""
    rows, seen = [], set()
    for n, rem in enumerate(read_835(path.read_bytes())):
        if not isinstance(rem, Remittance):
            continue
        for i, cp in enumerate(rem.claims):
            if cp.claim_number in seen or not CLAIM_NO.match(cp.claim_number):
                continue
            if cp.status_code == "22" or cp.problems:
                continue
            lines = [
                (s.procedure_code, s.modifiers, s.billed_cents, s.service_date) for s in cp.services
            ] or [("99213", (), cp.billed_cents, None)]
            if any(
                not CODE.match(code) or c <= 0 or not all(MOD.match(x) for x in mods)
                for code, mods, c, _d in lines
            ):
                continue
            seen.add(cp.claim_number)
            for code, mods, cents, dos in lines:
                day = dos or cp.statement_from or rem.payment_date
                rows.append(
                    {
                        "claim_number": cp.claim_number,
                        "patient_account": f"{abs(hash(path.name)) % 10**6}-{n}-{i}",
                        "patient_last": cp.patient_last or "DOE",
                        "patient_first": cp.patient_first or "JO",
                        "patient_dob": "1950-01-01",
                        "patient_sex": "U",
                        "payer_id": rem.payer_identifier[:20] or "UNKNOWN",
                        "payer_name": rem.payer_name or "Payer",
                        "member_id": cp.patient_id or "M1",
                        "service_date": (day.isoformat() if day else "2020-01-01"),
                        "procedure": code,
                        "modifiers": ":".join(mods),
                        "units": "1",
                        "charge": f"{cents // 100}.{cents % 100:02d}",
                        "diagnoses": "I10",
                        "rendering_npi": "",
                        "place_of_service": "11",
                    }
                )
    return rows


def _count(db, model) -> int:
    with UnitOfWork(db, write=False) as uow:
        return uow.session.scalar(select(func.count()).select_from(model))


@pytest.mark.skipif(not SAMPLES.is_dir(), reason="../shared/x12/835 is not here")
@pytest.mark.parametrize("name", _samples())
def test_sample_imports_by_the_money_rules(db, admin, tmp_path, name):
    path = SAMPLES / name
    rows = _charge_rows(path)
    if rows:
        charges = tmp_path / "charges.csv"
        with charges.open("w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=COLUMNS)
            w.writeheader()
            w.writerows(rows)
        res = _run("import-charges", str(charges), "--db", db.url, "--json")
        assert res.exit_code == 0, res.output
        mark_sent(db)  # the claims were sent: the 835 answers them
    res = _run("import-835", str(path), "--db", db.url, "--json")
    assert res.exit_code == 0, res.output
    r = json.loads(res.output)
    assert r["files"] == 1 and r["duplicates_skipped"] == 0
    assert r["posted_paid_cents"] + r["exception_paid_cents"] == r["paid_cents"]
    assert r["check_amount_cents"] == r["paid_cents"] - r["plb_cents"]
    assert r["claims"] == r["claims_posted"] + r["claims_exceptions"]
    assert r["transactions"] + r["transactions_rejected"] >= 1
    report = run_check(db)
    assert report.problems == []
    # Every claim the file answers is either posted or on the exceptions list.
    with UnitOfWork(db, write=False) as uow:
        s = uow.session
        open_ex = s.scalar(
            select(func.count()).select_from(m.EraException).where(m.EraException.status == "open")
        )
        assert open_ex >= r["claims_exceptions"]
    entries = _count(db, m.LedgerEntry)
    res = _run("import-835", str(path), "--db", db.url, "--json")
    again = json.loads(res.output)
    assert again["duplicates_skipped"] == 1 and again["claims_posted"] == 0
    assert _count(db, m.LedgerEntry) == entries
    assert run_check(db).ok


@pytest.mark.skipif(not SAMPLES.is_dir(), reason="../shared/x12/835 is not here")
@pytest.mark.parametrize("name", sorted(REFUSED))
def test_no_isa_and_4010_samples_are_refused(db, admin, name):
    res = CliRunner().invoke(main, ["import-835", str(SAMPLES / name), "--db", db.url])
    assert res.exit_code == 1
    assert REFUSED[name] in res.output and "nothing was posted" in res.output
    assert _count(db, m.RemittanceFile) == 0 and _count(db, m.LedgerEntry) == 0


@pytest.mark.skipif(not SAMPLES.is_dir(), reason="../shared/x12/835 is not here")
def test_what_the_samples_post(db, admin, tmp_path):
    """The samples that balance post their claims: lfh demo (claim-level Medicare Part A
    with PLB CV), emedny (10 lines), UHC (`>` components, multi-reason CAS)."""
    expected = {
        "lfh__demo.835": (2, 2),
        # CLP01 is "PATIENT ACCOUNT NUMBER": no claim of ours, so all three are exceptions.
        "keiron__emedny_sample.txt": (3, 0),
        "keiron__united_healthcare_legacy_sample.txt": (2, 2),
        "pyx12__835_mult_loops.txt": (1, 1),
    }
    for name, (claims, posted) in expected.items():
        rows = _charge_rows(SAMPLES / name)
        if rows:
            charges = tmp_path / f"{name}.csv"
            with charges.open("w", newline="") as fh:
                w = csv.DictWriter(fh, fieldnames=COLUMNS)
                w.writeheader()
                w.writerows(rows)
            res = _run("import-charges", str(charges), "--db", db.url)
            assert res.exit_code == 0, res.output
            mark_sent(db)
        r = json.loads(_run("import-835", str(SAMPLES / name), "--db", db.url, "--json").output)
        assert (r["claims"], r["claims_posted"]) == (claims, posted), (name, r)
    assert run_check(db).ok
