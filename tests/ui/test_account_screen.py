"""The account screen and the call note, driven by keys on the demo practice.

Each test reads the database afterwards with plain SQL (not through the services), so
what the screen claims to have saved is checked against what is really there.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import time
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, OptionList, TextArea

import billing_tui.screens.call_note as call_note_module
from billing_tui.app import BillingApp
from billing_tui.domain.money import Money
from billing_tui.screens.account import AccountScreen, ConfirmDialog, StatusDialog
from billing_tui.screens.call_note import CallNoteScreen
from billing_tui.screens.help import HelpScreen
from billing_tui.widgets.status import StatusLine

from .conftest import TODAY, log_in, settle

SIZE = (120, 36)


def _rows(db_path: Path, sql: str, *args: object) -> list[tuple]:
    with sqlite3.connect(db_path) as conn:
        return conn.execute(sql, args).fetchall()


def _open_claim(db_path: Path, status: str = "accepted") -> tuple[int, int, str]:
    """(patient id, claim id, claim number) of a demo claim in ``status`` with money open."""
    row = _rows(
        db_path,
        "SELECT patient_id, id, claim_number FROM claims WHERE status = ? "
        "AND ins_balance_cents > 0 ORDER BY id LIMIT 1",
        status,
    )[0]
    return row[0], row[1], row[2]


def _claim(db_path: Path, claim_id: int) -> dict:
    with sqlite3.connect(db_path) as conn:
        conn.row_factory = sqlite3.Row
        return dict(conn.execute("SELECT * FROM claims WHERE id = ?", (claim_id,)).fetchone())


def _audit(db_path: Path, number: str, action: str) -> list[tuple[int, dict]]:
    return [
        (user_id, json.loads(detail) if detail else {})
        for user_id, detail in _rows(
            db_path,
            "SELECT user_id, detail FROM audit_events WHERE entity_type = 'claim' "
            "AND entity_id = ? AND action = ? ORDER BY seq",
            number,
            action,
        )
    ]


def _rep_id(db_path: Path) -> int:
    return _rows(db_path, "SELECT id FROM users WHERE username = 'rep'")[0][0]


async def _open_account(pilot: Pilot, patient_id: int, **kw: object) -> AccountScreen:
    await log_in(pilot, "rep", "rep")
    screen = AccountScreen(patient_id, **kw)  # type: ignore[arg-type]
    await pilot.app.push_screen(screen)
    await settle(pilot)
    assert pilot.app.screen is screen and screen.view is not None
    return screen


async def _select_claim(pilot: Pilot, screen: AccountScreen, claim_id: int) -> None:
    table = screen.query_one("#claims", DataTable)
    table.focus()
    target = table.get_row_index(str(claim_id))
    while table.cursor_row != target:
        await pilot.press("down" if table.cursor_row < target else "up")
    await settle(pilot)
    assert screen.selected_claim_id == claim_id


def _assert_detail_shows(screen: AccountScreen, claim) -> None:
    """The lines and ledger panels list exactly the selected claim's lines and entries."""
    lines = screen.texts["lines"].plain.splitlines()[1:]
    ledger = screen.texts["ledger"].plain.splitlines()[1:]
    assert [ln.split()[0] for ln in lines] == [str(x.line_no) for x in claim.lines]
    assert len(ledger) == len(claim.ledger)
    for row, entry in zip(ledger, claim.ledger, strict=True):
        assert Money(entry.amount_cents).format() in row
        assert row.startswith(entry.posted_at.strftime("%Y-%m-%d"))


def _freeze_timer(monkeypatch: pytest.MonkeyPatch, seconds: list[float]) -> None:
    """The call timer reads call_note.monotonic: let the test move the clock."""
    monkeypatch.setattr(call_note_module, "monotonic", lambda: seconds[0])


# --- the account ----------------------------------------------------------------------------


async def test_account_shows_patient_claims_ledger_and_audits_the_view(
    app: BillingApp, db_path: Path
) -> None:
    patient_id, claim_id, number = _open_claim(db_path)
    account_no = _rows(db_path, "SELECT account_no FROM patients WHERE id = ?", patient_id)[0][0]
    claims = _rows(
        db_path,
        "SELECT id FROM claims WHERE patient_id = ? ORDER BY service_date DESC, id DESC",
        patient_id,
    )
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_account(pilot, patient_id, focus_claim_id=claim_id)
        table = screen.query_one("#claims", DataTable)
        assert [int(str(k.value)) for k in table.rows] == [c[0] for c in claims]
        assert screen.selected_claim_id == claim_id  # the cursor starts on the focus claim
        assert app.focused is table
        claim = screen.selected_claim()
        _assert_detail_shows(screen, claim)
        assert account_no in screen.title
        # Member ids are masked to the last 4 everywhere on the screen.
        full_ids = _rows(
            db_path, "SELECT member_id FROM coverages WHERE patient_id = ?", patient_id
        )
        shown = screen.texts["coverages"].plain
        for (member_id,) in full_ids:
            assert member_id not in shown
            assert "*" * (len(member_id) - 4) + member_id[-4:] in shown
        # Moving the cursor shows the other claim's detail at once (no database call).
        if len(claims) > 1:
            other = next(c[0] for c in claims if c[0] != claim_id)
            await _select_claim(pilot, screen, other)
            assert screen.selected_claim().claim_id == other
            _assert_detail_shows(screen, screen.selected_claim())
    viewed = _rows(
        db_path,
        "SELECT user_id FROM audit_events WHERE action = 'account_viewed' AND patient_id = ?",
        patient_id,
    )
    assert viewed == [(_rep_id(db_path),)]


async def test_enter_on_a_home_follow_up_opens_its_account(app: BillingApp) -> None:
    from billing_tui.screens.home import HomeScreen

    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "rep", "rep")
        home = app.screen
        assert isinstance(home, HomeScreen) and home.summary.follow_ups
        first = home.summary.follow_ups[0]
        table = home.query_one("#follow-ups", DataTable)
        table.focus()
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, AccountScreen)
        assert (screen.patient_id, screen.selected_claim_id) == (first.patient_id, first.claim_id)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is home


async def test_f1_lists_the_account_keys_and_escape_goes_back(
    app: BillingApp, db_path: Path
) -> None:
    patient_id, claim_id, _ = _open_claim(db_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_account(pilot, patient_id, focus_claim_id=claim_id)
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        keys = {(k.key, k.description) for k in app.screen.keys if k.group == "Account"}
        assert {
            ("c", "Call note"),
            ("f", "Follow-up"),
            ("s", "Status"),
            ("t", "Next payer"),
            ("p", "To patient"),
            ("b", "Rebill"),
            ("r", "Reload"),
        } <= keys
        assert ("n", "Next account") not in keys  # not opened from a queue
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, AccountScreen)


# --- the call note --------------------------------------------------------------------------


async def test_rep_logs_a_call_note_by_keys(
    app: BillingApp, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = [1000.0]
    _freeze_timer(monkeypatch, clock)
    patient_id, claim_id, number = _open_claim(db_path)
    before = _claim(db_path, claim_id)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_account(pilot, patient_id, focus_claim_id=claim_id)
        table = screen.query_one("#claims", DataTable)
        row_before = table.cursor_row
        await pilot.press("c")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, CallNoteScreen)
        assert app.focused is form.query_one("#note-contact", Input)
        await pilot.press(*"Tina Lopez", "enter")
        assert app.focused is form.query_one("#note-phone", Input)
        await pilot.press("enter")  # the payer's phone is filled in already
        await pilot.press(*"REF-77812", "enter")
        await pilot.press("enter")  # follow-up empty: the outcome will propose it
        assert app.focused is form.query_one("#note-outcome", OptionList)
        await pilot.press("down", "enter")  # check pending -> in process
        assert app.focused is form.query_one("#note-text", TextArea)
        await pilot.press(*"Claim in process, allow 14 days.")
        assert form.query_one("#note-follow-up", Input).value == "2026-12-11"
        clock[0] += 185  # a 3:05 call
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        assert screen.loads == 2  # reloaded in place ...
        assert table.cursor_row == row_before and screen.selected_claim_id == claim_id  # same place
        status = screen.query_one("#acct-status", StatusLine)
        assert "Call note saved" in status.message and "2026-12-11" in status.message
        assert screen.view.activities[0].payer_contact == "Tina Lopez"  # newest first
    (note,) = _rows(
        db_path,
        "SELECT kind, payer_contact, contact_phone, call_reference, outcome, text, "
        "next_follow_up, duration_seconds, user_id FROM activities WHERE claim_id = ? "
        "AND payer_contact = 'Tina Lopez'",
        claim_id,
    )
    payer_phone = _rows(
        db_path,
        "SELECT p.phone FROM claims c JOIN payers p ON p.id = c.payer_id WHERE c.id = ?",
        claim_id,
    )[0][0]
    assert note == (
        "call",
        "Tina Lopez",
        payer_phone,
        "REF-77812",
        "in_process",
        "Claim in process, allow 14 days.",
        "2026-12-11",
        185,
        _rep_id(db_path),
    )
    after = _claim(db_path, claim_id)
    assert after["follow_up_date"] == "2026-12-11"
    assert after["version"] == before["version"] + 1
    ((user_id, detail),) = _audit(db_path, number, "call_logged")
    assert user_id == _rep_id(db_path)
    assert detail["outcome"] == "in_process" and detail["duration"] == 185


async def test_form_keeps_what_was_typed_on_errors(
    app: BillingApp, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _freeze_timer(monkeypatch, [50.0])
    patient_id, claim_id, number = _open_claim(db_path)
    notes_before = _rows(db_path, "SELECT COUNT(*) FROM activities")[0][0]
    async with app.run_test(size=SIZE) as pilot:
        await _open_account(pilot, patient_id, focus_claim_id=claim_id)
        await pilot.press("c")
        await settle(pilot)
        form = app.screen
        # No outcome yet: the form says so and keeps everything.
        await pilot.press("enter", "enter", *"REF1", "enter", *"13/45/2026")
        await pilot.press("ctrl+s")
        await settle(pilot)
        status = form.query_one("#note-status", StatusLine)
        assert status.is_error and "choose the call outcome" in status.message
        assert app.focused is form.query_one("#note-outcome", OptionList)
        await pilot.press("down")  # in process; the typed date is the rep's, it stays
        assert form.query_one("#note-follow-up", Input).value == "13/45/2026"
        await pilot.press("enter", *"Asked for records.")
        # A date that is not a date: the service is never called.
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert status.is_error and '"13/45/2026" is not a date' in status.message
        assert app.focused is form.query_one("#note-follow-up", Input)
        follow_up = form.query_one("#note-follow-up", Input)
        follow_up.value = ""
        await pilot.pause()
        # The service refuses a note without the payer contact: shown, focus moved, kept.
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form
        assert status.is_error and "payer representative" in status.message
        assert app.focused is form.query_one("#note-contact", Input)
        assert form.query_one("#note-reference", Input).value == "REF1"
        assert form.query_one("#note-text", TextArea).text == "Asked for records."
        assert form.outcome is not None and form.outcome.value == "in_process"
        assert _rows(db_path, "SELECT COUNT(*) FROM activities")[0][0] == notes_before
        # Fixed: it saves with the outcome's default date.
        await pilot.press(*"Sam")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, AccountScreen)
    assert _rows(db_path, "SELECT COUNT(*) FROM activities")[0][0] == notes_before + 1
    assert _claim(db_path, claim_id)["follow_up_date"] == "2026-12-11"
    assert len(_audit(db_path, number, "call_logged")) == 1


async def test_a_conflict_keeps_the_note_and_the_second_save_goes_through(
    app: BillingApp, db_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from billing_tui.db.engine import Database
    from billing_tui.services import account_actions, auth

    _freeze_timer(monkeypatch, [0.0])
    patient_id, claim_id, number = _open_claim(db_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_account(pilot, patient_id, focus_claim_id=claim_id)
        await pilot.press("c")
        await settle(pilot)
        form = app.screen
        await pilot.press(*"Dana", "enter", "enter", "enter", "enter", "enter")
        await pilot.press(*"Check mailed.")
        # Another rep changes the claim while this one is on the phone.
        other = Database.open(db_url)
        senior = auth.login(other, "senior", "senior")
        account_actions.set_follow_up(
            other,
            senior,
            claim_id,
            TODAY + dt.timedelta(days=1),
            expected_version=screen.selected_claim().version,
            today=TODAY,
        )
        other.dispose()
        await pilot.press("ctrl+s")
        await settle(pilot)
        status = form.query_one("#note-status", StatusLine)
        assert app.screen is form and status.is_error
        assert f"Claim {number} was changed by someone else" in status.message
        assert form.query_one("#note-text", TextArea).text == "Check mailed."
        await pilot.press("ctrl+s")  # the form fetched the new version: this one saves
        await settle(pilot)
        assert app.screen is screen
    assert _claim(db_path, claim_id)["follow_up_date"] == "2026-12-07"  # check pending +10


async def test_escape_cancels_the_note_and_writes_nothing(app: BillingApp, db_path: Path) -> None:
    patient_id, claim_id, _ = _open_claim(db_path)
    before = _rows(db_path, "SELECT COUNT(*) FROM activities")[0][0]
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_account(pilot, patient_id, focus_claim_id=claim_id)
        await pilot.press("c", *"Tina", "escape")
        await settle(pilot)
        assert app.screen is screen and screen.loads == 1
    assert _rows(db_path, "SELECT COUNT(*) FROM activities")[0][0] == before


# --- the other actions ----------------------------------------------------------------------


async def test_follow_up_key_accepts_relative_dates(app: BillingApp, db_path: Path) -> None:
    patient_id, claim_id, number = _open_claim(db_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_account(pilot, patient_id, focus_claim_id=claim_id)
        await pilot.press("f")
        await settle(pilot)
        dialog = app.screen
        await pilot.press(*["backspace"] * 12, *"12/32/26", "enter")
        await settle(pilot)
        assert app.screen is dialog
        assert dialog.query_one("#dialog-status", StatusLine).is_error
        assert dialog.query_one(Input).value == "12/32/26"  # kept
        await pilot.press(*["backspace"] * 8, *"+3", "enter")
        await settle(pilot)
        assert app.screen is screen
        assert screen.selected_claim().follow_up_date == TODAY + dt.timedelta(days=3)
    assert _claim(db_path, claim_id)["follow_up_date"] == "2026-11-30"
    assert _audit(db_path, number, "follow_up_set")[-1][1]["after"] == "2026-11-30"


async def test_status_picker_offers_only_allowed_transitions(
    app: BillingApp, db_path: Path
) -> None:
    from billing_tui.services.account_actions import status_choices

    patient_id, claim_id, number = _open_claim(db_path, "denied")
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_account(pilot, patient_id, focus_claim_id=claim_id)
        await pilot.press("s")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, StatusDialog)
        options = dialog.query_one(OptionList)
        offered = [options.get_option_at_index(i).id for i in range(options.option_count)]
        assert offered == status_choices("denied")
        assert "transferred" not in offered and "submitted" not in offered
        closed = options.get_option_at_index(offered.index("closed"))
        assert closed.disabled  # money is still open
        # Pick "appealed" by keys.
        while options.highlighted is None or offered[options.highlighted] != "appealed":
            await pilot.press("down")
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen
        assert screen.selected_claim().status == "appealed"
    assert _claim(db_path, claim_id)["status"] == "appealed"
    assert _audit(db_path, number, "status_changed")[-1][1] == {
        "before": "denied",
        "after": "appealed",
    }


async def test_transfer_to_the_patient_by_keys(app: BillingApp, db_path: Path) -> None:
    patient_id, claim_id, number = _open_claim(db_path, "denied")
    before = _claim(db_path, claim_id)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_account(pilot, patient_id, focus_claim_id=claim_id)
        await pilot.press("p")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        assert "Move " in app.screen.text and "to the patient" in app.screen.text
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen
        claim = screen.selected_claim()
        assert (claim.responsibility, claim.billed_to, claim.status) == (
            0,
            "Patient",
            "transferred",
        )
        # Nothing more to move: both transfer keys are greyed out now.
        assert screen.check_action("transfer_patient", ()) is None
        assert screen.check_action("transfer_payer", ()) is None
    after = _claim(db_path, claim_id)
    assert (after["ins_balance_cents"], after["pat_balance_cents"]) == (
        0,
        before["ins_balance_cents"] + before["pat_balance_cents"],
    )
    assert _audit(db_path, number, "balance_transferred")[-1][1]["to_resp"] == 0


async def test_rebill_key_marks_and_unmarks(app: BillingApp, db_path: Path) -> None:
    patient_id, claim_id, number = _open_claim(db_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_account(pilot, patient_id, focus_claim_id=claim_id)
        await pilot.press("b", *"not on file", "enter")
        await settle(pilot)
        assert screen.selected_claim().rebill
        await pilot.press("b", "enter")
        await settle(pilot)
        assert not screen.selected_claim().rebill
    assert not _claim(db_path, claim_id)["rebill"]
    assert [a for a in ("rebill_marked", "rebill_cleared") if _audit(db_path, number, a)] == [
        "rebill_marked",
        "rebill_cleared",
    ]
    assert _audit(db_path, number, "rebill_marked")[0][1] == {"reason": "not on file"}


# --- save and next --------------------------------------------------------------------------


async def test_save_and_next_opens_the_next_account_of_the_queue(
    app: BillingApp, db_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    queues = pytest.importorskip("billing_tui.services.queues")
    from billing_tui.db.engine import Database
    from billing_tui.services import auth

    _freeze_timer(monkeypatch, [0.0])
    (queue_id,) = _rows(db_path, "SELECT id FROM work_queues WHERE name = 'Insurance 120+'")[0]
    db = Database.open(db_url)
    first = queues.take_next(db, auth.login(db, "rep", "rep"), queue_id, today=TODAY)
    db.dispose()
    assert first is not None
    first_number = _claim(db_path, first.claim_id)["claim_number"]
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_account(
            pilot, first.patient_id, focus_claim_id=first.claim_id, queue_id=queue_id
        )
        assert screen.check_action("next_account", ()) is True
        await pilot.press("c")
        await settle(pilot)
        await pilot.press(*"Ray", "enter", "enter", "enter", "enter", "down", "down", "enter")
        await pilot.press(*"Denied for auth; appeal.", "ctrl+n")
        await settle(pilot)
        nxt = app.screen
        assert isinstance(nxt, AccountScreen) and nxt is not screen, screen.query_one(
            "#acct-status", StatusLine
        ).message
        assert nxt.queue_id == queue_id and nxt.focus_claim_id != first.claim_id
        assert nxt.selected_claim_id == nxt.focus_claim_id
        assert "Call note saved" in nxt.query_one("#acct-status", StatusLine).message
        # n moves on without a note; the one left behind is free for the team again.
        await pilot.press("n")
        await settle(pilot)
        third = app.screen
        assert isinstance(third, AccountScreen) and third is not nxt
        assert third.focus_claim_id not in (first.claim_id, nxt.focus_claim_id)
        assert _claim(db_path, nxt.focus_claim_id)["lease_user_id"] is None
        nxt = third
    (note,) = _rows(db_path, "SELECT outcome, user_id FROM activities WHERE payer_contact = 'Ray'")
    assert note == ("denied", _rep_id(db_path))
    assert _audit(db_path, first_number, "call_logged")
    lease = _claim(db_path, nxt.focus_claim_id)
    assert lease["lease_user_id"] == _rep_id(db_path)


# --- snapshots --------------------------------------------------------------------------------


@pytest.fixture
def utc(monkeypatch: pytest.MonkeyPatch):
    """Notes show local times: pin the zone so snapshots match on every machine."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


SNAP_PATIENT = 47  # two coverages, a denial, notes: a busy account


def test_account_screen_snapshot(snap_compare, db_url: str, utc) -> None:
    async def run_before(pilot: Pilot) -> None:
        await log_in(pilot, "rep", "rep")
        await pilot.app.push_screen(AccountScreen(SNAP_PATIENT))
        await settle(pilot)

    assert snap_compare(BillingApp(db_url, today=TODAY), terminal_size=SIZE, run_before=run_before)


def test_call_note_snapshot(snap_compare, db_url: str, utc, monkeypatch) -> None:
    _freeze_timer(monkeypatch, [0.0])

    async def run_before(pilot: Pilot) -> None:
        await log_in(pilot, "rep", "rep")
        await pilot.app.push_screen(AccountScreen(SNAP_PATIENT))
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        await pilot.press(*"Tina", "enter", "enter", *"REF-1", "enter", "enter", "down")
        await settle(pilot)

    assert snap_compare(BillingApp(db_url, today=TODAY), terminal_size=SIZE, run_before=run_before)


# --- the whole loop, on SQLite and on PostgreSQL ---------------------------------------------


@pytest.fixture(scope="module")
def pg_demo_url() -> str:
    """A demo practice in a PostgreSQL database of its own (dropped afterwards)."""
    import os
    import uuid

    from sqlalchemy.engine import make_url

    from billing_tui.db.engine import Database
    from billing_tui.services.demo import build_demo

    base = os.environ.get("BILLING_TUI_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
    try:
        admin = Database.connect(base)
    except Exception as exc:  # noqa: BLE001 - unreachable decides the same way whatever it is
        if os.environ.get("BILLING_TUI_REQUIRE_PG") or os.environ.get("CI"):
            pytest.fail(f"PostgreSQL not reachable at {base}: {exc}")
        pytest.skip(f"PostgreSQL not reachable at {base}: {exc}")
    name = f"billing_ui_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with admin.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = make_url(admin.url).set(database=name).render_as_string(hide_password=False)
    try:
        build_demo(url, claims=300, seed=7, today=TODAY)
        yield url
    finally:
        with admin.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def loop_url(request: pytest.FixtureRequest, db_url: str) -> str:
    return db_url if request.param == "sqlite" else request.getfixturevalue("pg_demo_url")


async def test_the_whole_loop_by_keys(loop_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Log in as rep, open a queue from home, open its first account, log a call note,
    save and next; then find the note and its audit event in the database."""
    from sqlalchemy import text

    from billing_tui.db.engine import Database
    from billing_tui.screens.queue import QueueScreen

    _freeze_timer(monkeypatch, [0.0])
    app = BillingApp(loop_url, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "rep", "rep", typing=True)
        queue_list = app.screen.query_one("#queue-list", DataTable)
        names = [str(queue_list.get_row_at(i)[0]) for i in range(queue_list.row_count)]
        while app.focused is not queue_list:
            await pilot.press("tab")
        for _ in range(names.index("Insurance 120+")):
            await pilot.press("down")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        await pilot.press("enter")  # the first account of the queue
        await settle(pilot)
        first = app.screen
        assert isinstance(first, AccountScreen) and first.queue_id is not None
        worked = first.focus_claim_id
        assert first.selected_claim_id == worked
        await pilot.press("c")
        await settle(pilot)
        await pilot.press(*"Morgan", "enter", "enter", *"LOOP-42", "enter", "enter")
        await pilot.press("down", "enter", *"Reprocessing; call back in two weeks.", "ctrl+n")
        await settle(pilot)
        nxt = app.screen
        assert isinstance(nxt, AccountScreen) and nxt is not first
        assert nxt.focus_claim_id not in (None, worked)
        await pilot.press("escape")  # back to the queue, same place
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
    db = Database.open(loop_url)
    try:
        with db.engine.connect() as conn:
            rep = conn.execute(text("SELECT id FROM users WHERE username = 'rep'")).scalar()
            note = conn.execute(
                text(
                    "SELECT claim_id, outcome, next_follow_up, user_id FROM activities "
                    "WHERE call_reference = 'LOOP-42'"
                )
            ).one()
            number = conn.execute(
                text("SELECT claim_number FROM claims WHERE id = :id"), {"id": worked}
            ).scalar()
            events = conn.execute(
                text(
                    "SELECT action, user_id FROM audit_events WHERE entity_id = :n "
                    "AND action = 'call_logged'"
                ),
                {"n": number},
            ).all()
    finally:
        db.dispose()
    assert (note[0], note[1], str(note[2]), note[3]) == (worked, "in_process", "2026-12-11", rep)
    assert [tuple(e) for e in events] == [("call_logged", rep)]
