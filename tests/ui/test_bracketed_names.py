"""Names, memos and notes come from charge files, remits and reps' typing: "[/x]" or "[b]"
in one is text. Each screen a rep works must show it as typed, never read it as markup
(a stray closing tag crashed the table; an opening one silently ate the brackets).

One demo patient (a filed appeal, a draft the scrubber failed, a balance), its payer and
a note on its claim get bracket-laden values in the copied demo database; each test walks
screens that show them and reads what the screen shows.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import pytest
from era_helpers import ClaimFacts, LineFacts, RemitPlan, pay, write_835
from textual.app import App
from textual.widgets import DataTable, Input

from billing_tui.app import BillingApp
from billing_tui.db.engine import Database
from billing_tui.screens.account import AccountScreen, ConfirmDialog
from billing_tui.screens.appeals import AppealsScreen, OutcomeDialog
from billing_tui.screens.approvals import ApprovalsScreen
from billing_tui.screens.batches import BatchesScreen
from billing_tui.screens.call_note import CallNoteScreen
from billing_tui.screens.claim_entry import ClaimEntryScreen
from billing_tui.screens.era import EraScreen
from billing_tui.screens.home import HomeScreen
from billing_tui.screens.lookup import DEBOUNCE_SECONDS, LookupScreen
from billing_tui.screens.posting import PostingScreen
from billing_tui.screens.queue import FILTER_DELAY, QueueScreen
from billing_tui.screens.scrubber import ScrubberScreen

from .conftest import TODAY, log_in, settle

SIZE = (120, 36)
PATIENT_LAST = "Smith [/x]"
PATIENT_FIRST = "Ann [b]"
PATIENT = f"{PATIENT_LAST}, {PATIENT_FIRST}"  # as every list writes a patient
PAYER = "Acme [Dental] [/x]"
NOTE = "[b]Denied[/b] [/x] per [i]EOB"
MEMO = "[b]ok[/]"  # the ledger's memo column shows 8 characters on screen


@dataclass(frozen=True)
class Bracketed:
    patient_id: int
    account_no: str
    claim_id: int  # the patient's appealed claim: a balance, due for follow-up
    claim_number: str
    payer_id: int
    edi_payer_id: str


@pytest.fixture
def bracketed(db_path: Path) -> Bracketed:
    """Pick the patient by what the screens need (never by id) and rename it, its payer,
    a ledger memo and a note on its claim."""
    with sqlite3.connect(db_path) as conn:
        row = conn.execute(
            """
            SELECT c.patient_id, p.account_no, c.id, c.claim_number, c.payer_id, y.edi_payer_id
            FROM appeals a
            JOIN claims c ON c.id = a.claim_id
            JOIN patients p ON p.id = c.patient_id
            JOIN payers y ON y.id = c.payer_id
            WHERE a.status = 'filed' AND c.owner_id IS NULL
              AND c.ins_balance_cents + c.pat_balance_cents > 10000
              AND EXISTS (
                SELECT 1 FROM claims d JOIN claim_scrubs s ON s.claim_id = d.id
                WHERE d.patient_id = c.patient_id AND d.payer_id = c.payer_id
                  AND d.status = 'draft' AND s.result = 'failed')
              AND NOT EXISTS (
                SELECT 1 FROM coverages v WHERE v.patient_id = c.patient_id AND v.rank > 1)
            ORDER BY c.id
            LIMIT 1
            """
        ).fetchone()
        assert row, "the demo should hold a patient with an appeal and a failed draft"
        b = Bracketed(*row)
        rep_id = conn.execute("SELECT id FROM users WHERE username = 'rep'").fetchone()[0]
        conn.execute(
            "UPDATE patients SET last_name = ?, first_name = ? WHERE id = ?",
            (PATIENT_LAST, PATIENT_FIRST, b.patient_id),
        )
        conn.execute("UPDATE payers SET name = ? WHERE id = ?", (PAYER, b.payer_id))
        # Long overdue: the first of the home page's follow-ups.
        conn.execute("UPDATE claims SET follow_up_date = '2026-01-02' WHERE id = ?", (b.claim_id,))
        conn.execute(
            "UPDATE ledger_entries SET memo = ? WHERE id = "
            "(SELECT MAX(id) FROM ledger_entries WHERE claim_id = ?)",
            (MEMO, b.claim_id),
        )
        conn.execute(
            "INSERT INTO activities (patient_id, claim_id, kind, text, user_id, created_at) "
            "VALUES (?, ?, 'call', ?, ?, ?)",
            (b.patient_id, b.claim_id, NOTE, rep_id, f"{TODAY.isoformat()} 09:00:00.000000"),
        )
    return b


def shown(app: App) -> str:
    """The current screen as the rep sees it, in plain text (the compositor's strips:
    textual is pinned, so this private door stays put)."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def column(table: DataTable, key: str) -> list[str]:
    return [str(c) for c in table.get_column(key)]


async def test_home_account_and_look_up(app: BillingApp, bracketed: Bracketed) -> None:
    b = bracketed
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "rep", "rep")
        home = app.screen
        assert isinstance(home, HomeScreen)
        follow_ups = home.query_one("#follow-ups", DataTable)
        assert column(follow_ups, "patient")[0] == PATIENT
        assert column(follow_ups, "payer")[0] == PAYER
        assert PATIENT in shown(app) and PAYER in shown(app)

        await pilot.press("enter")  # the follow-up's account
        await settle(pilot)
        account = app.screen
        assert isinstance(account, AccountScreen) and account.view is not None
        text = shown(app)
        assert f"{PATIENT} · {b.account_no}" in text  # the header
        assert f"{PATIENT}\nDOB" in str(account.query_one("#patient").render())
        assert PAYER in account.texts["coverages"].plain and PAYER in text
        assert f"Pri {PAYER}" in column(account.query_one("#claims", DataTable), "billed_to")
        assert f"{b.claim_number} · denied · {PAYER}" in text  # the lines panel's title
        assert MEMO in account.texts["ledger"].plain and MEMO in text
        assert NOTE in text

        await pilot.press("p")  # transfer to the patient: the dialog names the payer
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        assert f"open with {PAYER} on claim {b.claim_number}" in shown(app)
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("c")  # the call note's title names the patient
        await settle(pilot)
        assert isinstance(app.screen, CallNoteScreen)
        assert f"Call note · {b.claim_number} · {PATIENT}" in shown(app)
        assert f"Calling {PAYER}" in shown(app)
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("escape")  # home; refreshed, it lists the account as recent
        await settle(pilot)
        assert app.screen is home
        await pilot.press("r")
        await settle(pilot)
        recent = home.query_one("#recent", DataTable)
        assert column(recent, "patient")[0] == PATIENT

        await pilot.press("slash")
        lookup = app.screen
        assert isinstance(lookup, LookupScreen)
        lookup.query_one(Input).value = b.account_no
        await pilot.pause(DEBOUNCE_SECONDS + 0.1)
        await settle(pilot)
        assert PATIENT in column(lookup.query_one("#lookup-results", DataTable), "name")
        assert PATIENT in shown(app)
        lookup.query_one(Input).value = b.edi_payer_id
        await pilot.pause(DEBOUNCE_SECONDS + 0.1)
        await settle(pilot)
        names = column(lookup.query_one("#lookup-results", DataTable), "name")
        assert PAYER in names
        lookup.query_one("#lookup-results", DataTable).move_cursor(row=names.index(PAYER))
        await pilot.press("enter")  # the payer's card, titled with its name
        await settle(pilot)
        assert lookup.card is not None and lookup.card.name == PAYER
        assert shown(app).count(PAYER) >= 2


async def test_queue_page(app: BillingApp, bracketed: Bracketed) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "rep", "rep")
        home = app.screen
        queue_list = home.query_one("#queue-list", DataTable)
        names = column(queue_list, "name")
        queue_list.focus()
        queue_list.move_cursor(row=names.index("Follow-ups due today"))
        await pilot.press("enter")
        await settle(pilot)
        queue = app.screen
        assert isinstance(queue, QueueScreen)
        queue.query_one("#queue-filter", Input).value = bracketed.account_no
        await pilot.pause(FILTER_DELAY + 0.1)
        await settle(pilot)
        table = queue.query_one("#queue-table", DataTable)
        assert table.row_count >= 1
        assert bracketed.claim_id in queue.row_ids
        text = shown(app)
        # Columns are narrow: the cells are clipped, with the brackets still as typed.
        assert "Smith [/x], Ann …" in column(table, "patient") and "Smith [/x], Ann" in text
        assert "Acme [Denta…" in column(table, "payer") and "Acme [Denta…" in text
        assert "11-27 [b]D…" in column(table, "note") and "[b]D" in text


async def test_claim_entry_and_scrubber(app: BillingApp, bracketed: Bracketed) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "rep", "rep")
        await pilot.press("f6")
        await settle(pilot)
        scrubber = app.screen
        assert isinstance(scrubber, ScrubberScreen)
        table = scrubber.query_one("#scrub-table", DataTable)
        patients = column(table, "patient")
        assert PATIENT in patients
        table.move_cursor(row=patients.index(PATIENT))
        await settle(pilot)
        assert PATIENT in shown(app) and PAYER in shown(app)

        await pilot.press("enter")  # the draft in claim entry
        await settle(pilot)
        entry = app.screen
        assert isinstance(entry, ClaimEntryScreen) and entry.form is not None
        text = shown(app)
        assert f"{PATIENT} ({bracketed.account_no}, born" in text
        assert f"{PAYER} (primary)" in text  # the coverage picked


async def test_appeals_list(app: BillingApp, bracketed: Bracketed) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "rep", "rep")
        await pilot.press("f11")
        await settle(pilot)
        appeals = app.screen
        assert isinstance(appeals, AppealsScreen)
        table = appeals.query_one("#appeals-table", DataTable)
        claims = column(table, "claim")
        row = claims.index(bracketed.claim_number)
        assert column(table, "patient")[row] == PATIENT
        assert column(table, "payer")[row] == PAYER
        assert PATIENT in shown(app) and PAYER in shown(app)
        table.move_cursor(row=row)
        await pilot.press("o")  # the decision dialog names claim and payer
        await settle(pilot)
        assert isinstance(app.screen, OutcomeDialog)
        assert f"on {bracketed.claim_number} ({PAYER})" in shown(app)


async def test_payment_batch_and_posting(
    app: BillingApp, db_url: str, bracketed: Bracketed
) -> None:
    from billing_tui.services.auth import login
    from billing_tui.services.batches import open_batch

    db = Database.open(db_url)
    try:
        batch = open_batch(
            db,
            login(db, "admin", "admin"),
            payer_id=bracketed.payer_id,
            patient_id=None,
            method="check",
            trace_number="CHK [b]7",
            amount_cents=10000,
            deposit_date=TODAY,
        )
    finally:
        db.dispose()
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "rep", "rep")
        await pilot.press("f8")
        await settle(pilot)
        batches = app.screen
        assert isinstance(batches, BatchesScreen)
        table = batches.query_one("#batches", DataTable)
        row = [b.id for b in batches.batches].index(batch.id)
        assert column(table, "from")[row] == PAYER
        assert column(table, "trace")[row] == "chk CHK [b]7"
        assert PAYER in shown(app) and "CHK [b]7" in shown(app)
        table.move_cursor(row=row)
        await pilot.press("enter")
        await settle(pilot)
        posting = app.screen
        assert isinstance(posting, PostingScreen)
        assert PAYER in shown(app)  # the batch header
        posting.query_one("#claim-query", Input).value = bracketed.account_no
        await pilot.press("enter")  # no such claim number: the patient is offered
        await settle(pilot)
        assert f"Patient {PATIENT} · born" in shown(app)


async def test_era_lists(app: BillingApp, db_url: str, bracketed: Bracketed, tmp_path: Path):
    """The remit's payer and patient names are the file's, kept in the database."""
    from billing_tui.services.auth import login
    from billing_tui.services.era_import import import_files

    stranger = ClaimFacts(
        "ZZ0000001", (LineFacts(1, "99213", (), dt.date(2026, 10, 1), 12000, None, 12000),)
    )
    plan = pay(stranger)
    plan.patient = ("SMITH [/x]", "ANN [b]")
    remit = RemitPlan([plan], trace="EFT[b]1120", payer_id=bracketed.edi_payer_id, payer_name=PAYER)
    path = write_835(tmp_path / "remit.835", remit)
    db = Database.open(db_url)
    try:
        report = import_files(db, login(db, "rep", "rep"), [path])
    finally:
        db.dispose()
    assert report.claims_exceptions == 1
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "rep", "rep")
        await pilot.press("f9")
        await settle(pilot)
        era = app.screen
        assert isinstance(era, EraScreen) and era.view == "remittances"
        table = era.query_one("#era-table", DataTable)
        assert column(table, "payer")[0] == PAYER
        assert column(table, "trace")[0] == "EFT[b]1120"
        text = shown(app)
        assert PAYER in text and "trace EFT[b]1120" in text  # table and details
        await pilot.press("enter")  # the remittance's claims
        await settle(pilot)
        assert era.view == "claims"
        assert f"{PAYER} · trace EFT[b]1120" in shown(app)  # the view's title
        assert "SMITH [/x], ANN [b]" in column(table, "patient")
        await pilot.press("x")  # the exceptions work list
        await settle(pilot)
        assert era.view == "exceptions"
        assert column(table, "payer")[0] == PAYER[:20]
        assert column(table, "patient")[0] == "SMITH [/x], ANN [b]"
        text = shown(app)
        assert "SMITH [/x], ANN [b]" in text and f"· {PAYER} · trace" in text


async def test_approvals(app: BillingApp, db_url: str, bracketed: Bracketed) -> None:
    from billing_tui.services.approvals import request_write_off
    from billing_tui.services.auth import login

    db = Database.open(db_url)
    try:
        outcome = request_write_off(
            db,
            login(db, "rep", "rep"),
            claim_id=bracketed.claim_id,
            amount_cents=6000,  # above the rep's $50: it waits for a supervisor
            carc="45",
            reason="[b]small balance [/x]",
        )
    finally:
        db.dispose()
    assert outcome.status == "pending"
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "supervisor", "supervisor")
        await pilot.press("f12")
        await settle(pilot)
        approvals = app.screen
        assert isinstance(approvals, ApprovalsScreen)
        table = approvals.query_one("#approvals", DataTable)
        claims = column(table, "claim")
        row = claims.index(bracketed.claim_number)
        assert column(table, "patient")[row] == PATIENT
        table.move_cursor(row=row)
        await settle(pilot)
        text = shown(app)
        assert PATIENT in text and "Reason: [b]small balance [/x]" in text
