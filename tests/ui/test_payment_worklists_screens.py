"""Credit balances, refunds through approval, and the Underpaid list, by keyboard.

The demo holds no credit balance, so each test makes one the way it happens at a
practice, through the services: the payer's EOB moves the deductible to the patient,
the patient pays it, then the payer's posting is reversed (posted to the wrong claim):
the patient's payment is now a credit.
"""

from __future__ import annotations

from textual.widgets import DataTable

from billing_tui.app import BillingApp
from billing_tui.db.engine import Database
from billing_tui.domain.money import Money
from billing_tui.screens.account import AccountScreen
from billing_tui.screens.approvals import ApprovalsScreen, DecisionDialog
from billing_tui.screens.batches import BatchesScreen
from billing_tui.screens.payment_worklists import PaymentWorklistsScreen, RefundDialog

from .conftest import TODAY, log_in, settle
from .posting_ui_support import Target, three_line_claim

SIZE = (120, 36)


def make_patient_credit(db_url: str, t: Target) -> int:
    """Leave the claim with a patient credit of line 1's allowed amount; returns it."""
    from billing_tui.domain.adjudication import Cas
    from billing_tui.services.auth import login
    from billing_tui.services.batches import open_batch
    from billing_tui.services.eob_posting import (
        EobLine,
        load_claim_for_posting_by_id,
        post_claim,
        post_patient_payment,
        reverse_posting,
    )

    db = Database.open(db_url)
    try:
        admin = login(db, "admin", "admin")
        claim = load_claim_for_posting_by_id(db, t.claim_id)
        billed = t.billed[0]
        allowed = billed * 60 // 100
        first = post_claim(
            db,
            admin,
            claim_id=t.claim_id,
            expected_version=claim.version,
            lines=[
                EobLine(
                    line_no=1,
                    allowed_cents=allowed,
                    paid_cents=0,
                    deductible_cents=allowed,
                    adjustments=(Cas("CO", "45", billed - allowed),),
                )
            ],
            batch_id=None,
        )
        assert first.pat_balance_cents == allowed
        receipt = open_batch(
            db,
            admin,
            payer_id=None,
            patient_id=claim.patient_id,
            method="cash",
            trace_number="RCPT-1",
            amount_cents=allowed,
            deposit_date=TODAY,
        )
        paid = post_patient_payment(
            db,
            admin,
            batch_id=receipt.id,
            claim_id=t.claim_id,
            amount_cents=allowed,
            expected_version=first.claim_version,
        )
        assert paid.pat_balance_cents == 0
        undone = reverse_posting(db, admin, first.posting_id, "posted to the wrong claim")
        assert undone.pat_balance_cents == -allowed
    finally:
        db.dispose()
    return allowed


async def test_refund_above_limit_waits_then_supervisor_approves(db_url: str) -> None:
    t = three_line_claim(db_url, n_lines=1, min_line_cents=12000)
    credit = make_patient_credit(db_url, t)
    assert credit > 5000  # above the rep's $50 limit
    app = BillingApp(db_url, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "rep", "rep")
        await pilot.press("f8")
        await settle(pilot)
        assert isinstance(app.screen, BatchesScreen)
        await pilot.press("w")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, PaymentWorklistsScreen)
        assert [c.claim_number for c in screen.credits] == [t.claim_number]
        assert screen.credits[0].credit_cents == credit
        await pilot.press("f")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, RefundDialog)
        await pilot.press(*"paid twice: refund the cash", "enter")
        await settle(pilot)
        assert app.screen is screen, dialog.status.message
        message = screen.status.message
        assert "waits for approval" in message and Money(credit).format(True) in message
        assert [c.claim_number for c in screen.credits] == [t.claim_number]  # still a credit

        await pilot.press("ctrl+l")  # log out; the supervisor logs in
        await settle(pilot)
        await log_in(pilot, "supervisor", "supervisor")
        await pilot.press("f12")
        await settle(pilot)
        approvals = app.screen
        assert isinstance(approvals, ApprovalsScreen)
        mine = [r for r in approvals.rows if r.claim_number == t.claim_number]
        assert [(r.kind, r.amount_cents, r.requested_by) for r in mine] == [
            ("refund", credit, "rep")
        ]
        table = approvals.query_one("#approvals", DataTable)
        table.move_cursor(row=approvals.rows.index(mine[0]))
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, DecisionDialog)
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is approvals, app.screen.query_one("#dialog-status").message
        assert t.claim_number not in [r.claim_number for r in approvals.rows]
        assert not approvals.status.is_error

    from billing_tui.services.approvals import pending_requests
    from billing_tui.services.refunds import credit_balances

    db = Database.open(db_url)
    try:
        assert t.claim_id not in [c.claim_id for c in credit_balances(db)]
        assert t.claim_number not in [r.claim_number for r in pending_requests(db)]
    finally:
        db.dispose()


async def test_permission_message_shown_and_deny_needs_a_reason(db_url: str) -> None:
    t = three_line_claim(db_url, n_lines=1, min_line_cents=12000)
    make_patient_credit(db_url, t)
    app = BillingApp(db_url, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "rep", "rep")
        app.action_payment_worklists()
        await settle(pilot)
        await pilot.press("f")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, RefundDialog)
        dialog.query_one("#refund-amount").value = "60"
        await pilot.press(*"overpaid", "enter")
        await settle(pilot)
        assert "waits for approval" in app.screen.status.message
        # the rep opens the approvals queue and tries to approve it: the service says no
        app.action_approvals()
        await settle(pilot)
        approvals = app.screen
        assert isinstance(approvals, ApprovalsScreen)
        row = next(r for r in approvals.rows if r.claim_number == t.claim_number)
        assert row.amount_cents == 6000
        table = approvals.query_one("#approvals", DataTable)
        table.move_cursor(row=approvals.rows.index(row))
        await pilot.press("a")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        decision = app.screen
        assert isinstance(decision, DecisionDialog)
        status = decision.query_one("#dialog-status")
        assert status.is_error and status.message, "the permission message must show"
        await pilot.press("escape")
        await settle(pilot)

        await pilot.press("ctrl+l")
        await settle(pilot)
        await log_in(pilot, "supervisor", "supervisor")
        await pilot.press("f12")
        await settle(pilot)
        approvals = app.screen
        assert isinstance(approvals, ApprovalsScreen)
        table = approvals.query_one("#approvals", DataTable)
        table.move_cursor(row=[r.id for r in approvals.rows].index(row.id))
        await pilot.press("d")
        await settle(pilot)
        await pilot.press("enter")  # no reason yet
        await settle(pilot)
        decision = app.screen
        assert isinstance(decision, DecisionDialog)
        assert "reason" in decision.query_one("#dialog-status").message
        await pilot.press(*"refund already sent by check 8812", "enter")
        await settle(pilot)
        assert app.screen is approvals
        assert row.id not in [r.id for r in approvals.rows]

    from billing_tui.services.refunds import credit_balances

    db = Database.open(db_url)
    try:
        assert t.claim_id in [c.claim_id for c in credit_balances(db)]  # nothing refunded
    finally:
        db.dispose()


async def test_underpaid_list_shows_the_variance(db_url: str) -> None:
    from billing_tui.domain.adjudication import Cas
    from billing_tui.services.auth import login
    from billing_tui.services.eob_posting import EobLine, load_claim_for_posting_by_id, post_claim

    t = three_line_claim(db_url)
    db = Database.open(db_url)
    try:
        claim = load_claim_for_posting_by_id(db, t.claim_id)
        line = next((ln for ln in claim.lines if ln.contracted_cents), None)
        assert line is not None, "no fee schedule amount on this claim's lines"
        allowed = line.contracted_cents - 1000  # $10.00 under contract
        assert allowed > 0
        post_claim(
            db,
            login(db, "admin", "admin"),
            claim_id=t.claim_id,
            expected_version=claim.version,
            lines=[
                EobLine(
                    line_no=line.line_no,
                    allowed_cents=allowed,
                    paid_cents=allowed,
                    adjustments=(Cas("CO", "45", line.billed_cents - allowed),),
                )
            ],
            batch_id=None,
        )
    finally:
        db.dispose()
    app = BillingApp(db_url, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "rep", "rep")
        app.action_payment_worklists()
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, PaymentWorklistsScreen)
        rows = [u for u in screen.underpaid if u.claim_number == t.claim_number]
        assert [(u.line_no, u.allowed_cents, u.variance_cents) for u in rows] == [
            (line.line_no, allowed, 1000)
        ]
        table = screen.query_one("#underpaid", DataTable)
        table.focus()
        table.move_cursor(row=screen.underpaid.index(rows[0]))
        await pilot.pause()
        assert screen.check_action("refund", ()) is None  # refunds are for credits only
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, AccountScreen)
        assert app.screen.selected_claim_id == t.claim_id
