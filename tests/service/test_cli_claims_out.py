"""`scrub`, `export-837` and `import-999` on the command line: text, --json, exit codes."""

from __future__ import annotations

import json

from claims_out_helpers import give_addresses, setup_practice
from click.testing import CliRunner
from svc_helpers import TODAY, make_claim
from x12_helpers import pyx12_findings

from billing_tui.cli import main


def _run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_scrub_export_and_999(db, admin, tmp_path):
    setup_practice(db)
    make_claim(db, admin, tmp_path)
    make_claim(db, admin, tmp_path, patient_account="A0000002", diagnoses="E11")
    give_addresses(db)
    url = db.url
    res = _run("scrub", "--db", url, "--today", TODAY.isoformat(), "--json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.output) == {
        "scrubbed": 2, "clean": 1, "failed": 1, "by_edit": {"diagnoses": 1}
    }  # fmt: skip
    out = tmp_path / "claims.837"
    res = _run("export-837", "--db", url, "--out", str(out), "--json")
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data == {
        "claims": 1, "lines": 1, "charge_cents": 20000, "file": str(out),
        "interchange_control_number": 1,
    }  # fmt: skip
    assert pyx12_findings(out.read_text()) == (True, [])
    # Nothing left to send: one line, exit 1, no file.
    res = _run("export-837", "--db", url, "--out", str(tmp_path / "again.837"))
    assert res.exit_code == 1 and "no claims are ready" in res.output
    assert len(res.output.strip().splitlines()) == 1
    res = _run("export-837", "--db", url, "--out", str(tmp_path / "x.837"), "--payer", "NOPE")
    assert res.exit_code == 1 and "no payer with EDI id 'NOPE'" in res.output
    gs06 = out.read_text().split("GS*", 1)[1].split("*")[5]
    st02 = out.read_text().split("ST*837*", 1)[1].split("*")[0]
    ack = tmp_path / "a.999"
    ack.write_text(
        "ISA*00*          *00*          *ZZ*CLEARINGHOUSE  *ZZ*741234567      *261128*0900*^*00501*000000451*0*P*:~"
        "GS*FA*CLEARINGHOUSE*741234567*20261128*0900*451*X*005010X231A1~ST*999*0001*005010X231A1~"
        f"AK1*HC*{gs06}*005010X222A1~AK2*837*{st02}*005010X222A1~IK5*A~AK9*A*1*1*1~SE*6*0001~"
        "GE*1*451~IEA*1*000000451~"
    )
    res = _run("import-999", str(ack), "--db", url, "--json")
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert (data["sets_accepted"], data["claims_accepted"], data["duplicate"]) == (1, 1, False)
    res = _run("import-999", str(ack), "--db", url)
    assert res.exit_code == 0 and "imported before" in res.output
    res = _run("import-999", str(tmp_path / "claims.837"), "--db", url)
    assert res.exit_code == 1 and "not a 999" in res.output
    res = _run("scrub", "--db", url)
    assert res.exit_code == 0 and "claims scrubbed" in res.output
