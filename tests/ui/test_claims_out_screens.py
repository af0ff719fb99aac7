"""Claim entry, the scrubber work list and the submit screen, driven by keys (Pilot),
with snapshots (120x36, fixed today, the demo practice)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import DataTable, Input
from x12_helpers import ack_999

from billing_tui.app import BillingApp
from billing_tui.screens.claim_entry import ClaimEntryScreen, DiagnosisPicker, LineRow
from billing_tui.screens.scrubber import ScrubberScreen
from billing_tui.screens.submit import AckImportDialog, SubmitScreen
from billing_tui.widgets.status import StatusLine

from .conftest import TODAY, log_in, settle

SIZE = (120, 36)


def _q(db_path: Path, sql: str, *args):
    with sqlite3.connect(db_path) as conn:
        return conn.execute(sql, args).fetchall()


async def _open(pilot: Pilot, key: str) -> None:
    await log_in(pilot, "rep", "rep")
    await pilot.press(key)
    await settle(pilot)


async def test_scrubber_work_list_fix_and_rescrub(app: BillingApp, db_path: Path) -> None:
    needs_work = _q(
        db_path, "SELECT COUNT(*) FROM claims WHERE status IN ('draft','corrected','rejected')"
    )[0][0]
    async with app.run_test(size=SIZE) as pilot:
        await _open(pilot, "f6")
        screen = app.screen
        assert isinstance(screen, ScrubberScreen)
        table = screen.query_one("#scrub-table", DataTable)
        assert table.row_count == min(50, screen.page.total) and screen.page.total >= needs_work
        first = screen.page.items[0]
        assert first.first_message
        # Open the first failing claim, fix nothing, come back: it is scrubbed again.
        failing = next(i for i, it in enumerate(screen.page.items) if it.result == "failed")
        table.move_cursor(row=failing)
        item = screen.page.items[failing]
        await pilot.press("enter")
        await settle(pilot)
        assert (
            isinstance(app.screen, ClaimEntryScreen) and app.screen.form.claim_id == item.claim_id
        )
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen
        assert item.claim_number in screen.query_one("#scrub-status", StatusLine).message
        assert screen._current().claim_id == item.claim_id  # the cursor stayed on it
        # Scrub everything: no claim is left unscrubbed.
        await pilot.press("a")
        await settle(pilot)
        assert "scrubbed" in screen.query_one("#scrub-status", StatusLine).message
        assert all(it.result is not None for it in screen.page.items)
        before = screen.page.counts["ready"]
        await pilot.press("v")
        await settle(pilot)
        assert screen.page.view == "ready" and screen.page.total == before
    assert (
        _q(
            db_path,
            "SELECT COUNT(*) FROM claim_scrubs WHERE scrubbed_by = (SELECT id FROM users WHERE username='rep')",
        )[0][0]
        > 0
    )


async def test_new_claim_by_keyboard_with_the_diagnosis_picker(
    app: BillingApp, db_path: Path
) -> None:
    account = _q(db_path, "SELECT account_no FROM patients p JOIN coverages c ON c.patient_id = p.id "
                          "WHERE c.rank = 1 ORDER BY p.id LIMIT 1")[0][0]  # fmt: skip
    async with app.run_test(size=SIZE) as pilot:
        await _open(pilot, "f5")
        screen = app.screen
        assert isinstance(screen, ClaimEntryScreen)
        await pilot.press(*account.lower(), "enter")
        await settle(pilot)
        assert screen.form is not None and screen.form.account_no == account
        screen.query_one("#ce-dx", Input).focus()
        await pilot.press(*"i10")
        await pilot.press("f4")
        await settle(pilot)
        assert isinstance(app.screen, DiagnosisPicker)
        await pilot.press(*"type 2 diabetes without complications")
        await settle(pilot)
        assert app.screen.hits[0].code == "E11.9"
        await pilot.press("enter")
        await settle(pilot)
        assert screen.query_one("#ce-dx", Input).value == "i10 E11.9"
        row = screen.query_one(LineRow)
        row.field("code").focus()
        await pilot.press(*"99213", "tab", *"25", "tab", "tab", *"abc", "tab", "backspace", *"1 2")
        await pilot.press("ctrl+s")
        await settle(pilot)
        status = screen.query_one("#ce-status", StatusLine)
        assert status.is_error and "line 1" in status.message
        assert app.focused is row.field("charge") and row.field("charge").value == "abc"
        row.field("charge").value = "145.00"
        await pilot.press("ctrl+n")
        await settle(pilot)
        second = list(screen.query(LineRow))[1]
        assert app.focused is second.field("code")
        await pilot.press(*"36415", "tab", "tab", "tab", *"25", "tab", "backspace", "2")
        await pilot.press("ctrl+r")  # save and scrub
        await settle(pilot)
        form = screen.form
        assert form.claim_number and form.claim_number.startswith("E")
        assert [ln.procedure for ln in form.lines] == ["99213", "36415"]
        assert form.total_charge_cents == 17000
        assert "clean" in status.message or "problem" in status.message
    rows = _q(
        db_path,
        "SELECT status, total_charge_cents, diagnoses FROM claims WHERE claim_number = ?",
        form.claim_number,
    )
    assert rows[0][1:] == (17000, "I10:E11.9") and rows[0][0] in ("ready", "draft")
    kinds = _q(db_path, "SELECT kind FROM ledger_entries le JOIN claims c ON c.id = le.claim_id "
                        "WHERE c.claim_number = ? ORDER BY seq", form.claim_number)  # fmt: skip
    assert kinds == [("charge",), ("charge",)]


async def test_submit_shows_the_batch_then_writes_it(
    app: BillingApp, db_path: Path, tmp_path: Path
) -> None:
    ready = _q(db_path, "SELECT COUNT(*) FROM claims WHERE status = 'ready'")[0][0]
    assert ready > 0
    async with app.run_test(size=SIZE) as pilot:
        await _open(pilot, "f7")
        screen = app.screen
        assert isinstance(screen, SubmitScreen)
        assert screen.preview.claims >= ready
        table = screen.query_one("#submit-table", DataTable)
        assert table.row_count == len(screen.preview.payers) + 1  # + the total row
        # Only the first payer, then back to all.
        first = screen.preview.payers[0]
        await pilot.press("enter")
        await settle(pilot)
        assert screen.payer_edi == first.edi_payer_id and screen.preview.claims == first.claims
        await pilot.press("a")
        await settle(pilot)
        assert screen.payer_edi is None
        target = tmp_path / "out.837"
        screen.query_one("#submit-file", Input).value = str(target)
        total = screen.preview.claims
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert target.is_file() and target.read_text().startswith("ISA*")
        assert "Written" in str(screen.query_one("#submit-result").render())
        assert screen.preview.claims == 0
        # Writing again is greyed out (nothing ready), and the same name is refused anyway.
        assert screen.check_action("write", ()) is None
    assert _q(db_path, "SELECT claim_count FROM submission_batches")[0][0] == total
    assert _q(db_path, "SELECT COUNT(*) FROM claims WHERE status = 'ready'")[0][0] == 0


async def test_import_999_from_the_submit_screen(
    app: BillingApp, db_path: Path, tmp_path: Path
) -> None:
    """After the batch is sent, the clearinghouse's 999 comes back: i, the file name,
    enter. The first set's claims are accepted, the others' go back to the scrubber; a
    wrong file name keeps the dialog open with the name typed; the same 999 twice
    changes nothing."""
    async with app.run_test(size=SIZE) as pilot:
        await _open(pilot, "f7")
        screen = app.screen
        assert isinstance(screen, SubmitScreen)
        screen.query_one("#submit-file", Input).value = str(tmp_path / "out.837")
        await pilot.press("ctrl+s")
        await settle(pilot)
        (gs06,) = _q(db_path, "SELECT group_control_number FROM submission_batches")[0]
        sets = [r[0] for r in _q(db_path, "SELECT control_number FROM submission_sets ORDER BY id")]
        assert len(sets) > 1
        ack = ack_999(gs06, [(sets[0], "A", ""), *((st02, "R", "") for st02 in sets[1:])])
        (tmp_path / "out.999").write_text(ack)

        await pilot.press("i")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, AckImportDialog)
        field = dialog.query_one("#ack-file", Input)
        assert field.value == f"{tmp_path}/"  # where the 837P went
        await pilot.press(*"missing.999", "enter")
        await settle(pilot)
        assert app.screen is dialog and field.value == f"{tmp_path}/missing.999"
        assert "no such file" in str(dialog.query_one("#dialog-status").render())
        field.value = str(tmp_path / "out.999")
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen
        result = str(screen.query_one("#submit-result").render())
        assert "999 imported" in result and f"{len(sets) - 1} rejected" in result
        assert "Back on the scrubber work list" in result

        await pilot.press("i")
        await settle(pilot)
        app.screen.query_one("#ack-file", Input).value = str(tmp_path / "out.999")
        await pilot.press("enter")
        await settle(pilot)
        assert "imported before; nothing changed" in str(
            screen.query_one("#submit-result").render()
        )
    statuses = dict(
        _q(
            db_path,
            "SELECT ss.control_number, group_concat(DISTINCT c.status) FROM submitted_claims sc"
            " JOIN submission_sets ss ON ss.id = sc.set_id JOIN claims c ON c.id = sc.claim_id"
            " GROUP BY ss.control_number",
        )
    )
    assert statuses[sets[0]] == "accepted"
    assert all(statuses[st02] == "rejected" for st02 in sets[1:])


# --- snapshots -----------------------------------------------------------------------------


def test_scrubber_snapshot(snap_compare, db_url: str) -> None:
    async def run_before(pilot: Pilot) -> None:
        await _open(pilot, "f6")

    assert snap_compare(BillingApp(db_url, today=TODAY), terminal_size=SIZE, run_before=run_before)


def test_claim_entry_snapshot(snap_compare, db_url: str, db_path: Path) -> None:
    claim_id = _q(
        db_path,
        "SELECT claim_id FROM scrub_findings WHERE edit = 'pointers' ORDER BY claim_id LIMIT 1",
    )[0][0]

    async def run_before(pilot: Pilot) -> None:
        await log_in(pilot, "rep", "rep")
        await pilot.app.push_screen(ClaimEntryScreen(claim_id=claim_id))
        await settle(pilot)
        await pilot.press("ctrl+r")
        await settle(pilot)

    assert snap_compare(BillingApp(db_url, today=TODAY), terminal_size=SIZE, run_before=run_before)


def test_diagnosis_picker_snapshot(snap_compare, db_url: str, db_path: Path) -> None:
    claim_id = _q(db_path, "SELECT id FROM claims WHERE status = 'draft' ORDER BY id LIMIT 1")[0][0]

    async def run_before(pilot: Pilot) -> None:
        # Over claim entry (not home, whose panels other features change).
        await log_in(pilot, "rep", "rep")
        await pilot.app.push_screen(ClaimEntryScreen(claim_id=claim_id))
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)
        await pilot.press(*"low back pain")
        await settle(pilot)

    assert snap_compare(BillingApp(db_url, today=TODAY), terminal_size=SIZE, run_before=run_before)


def test_submit_snapshot(snap_compare, db_url: str) -> None:
    async def run_before(pilot: Pilot) -> None:
        await _open(pilot, "f7")
        pilot.app.screen.query_one(
            "#submit-file", Input
        ).value = "/home/rep/outbox/837P-20261127.txt"
        await settle(pilot)

    assert snap_compare(BillingApp(db_url, today=TODAY), terminal_size=SIZE, run_before=run_before)
