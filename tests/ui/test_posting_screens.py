"""EOB posting from the keyboard: open a batch, post a paper EOB line by line, close it.

Every test drives real keys on a private copy of the demo database and checks the
result through the services (balances, denials, audit events, the batch).
"""

from __future__ import annotations

from textual.pilot import Pilot
from textual.widgets import DataTable, Input

from billing_tui.app import BillingApp
from billing_tui.db.engine import Database
from billing_tui.domain.money import Money
from billing_tui.screens.batches import BatchesScreen, BatchPostingsScreen, NewBatchScreen
from billing_tui.screens.posting import PostingScreen

from .conftest import TODAY, log_in, settle
from .posting_ui_support import (
    Target,
    audit_actions,
    audit_head,
    ledger_count,
    three_line_claim,
)

SIZE = (120, 36)


def amount(cents: int) -> str:
    return Money(cents).format()


def eob_figures(t: Target) -> dict:
    """Line 1: deductible; line 2: coinsurance; line 3: denied CO-197 (nothing paid)."""
    b1, b2, b3 = t.billed
    a1 = b1 * 60 // 100
    d1 = min(2000, a1)
    a2 = b2 * 70 // 100
    c2 = a2 * 20 // 100
    return {
        "a1": a1, "d1": d1, "p1": a1 - d1,
        "a2": a2, "c2": c2, "p2": a2 - c2,
        "b3": b3,
        "check": (a1 - d1) + (a2 - c2),
    }  # fmt: skip


async def open_batch_by_typing(
    pilot: Pilot, t: Target, trace: str, amount_cents: int
) -> NewBatchScreen:
    """From home: f8, n, the payer by fuzzy search, trace, amount, ctrl+s."""
    app = pilot.app
    await pilot.press("f8")
    await settle(pilot)
    assert isinstance(app.screen, BatchesScreen)
    await pilot.press("n")
    await settle(pilot)
    form = app.screen
    assert isinstance(form, NewBatchScreen)
    await pilot.press(*t.payer_name)
    await pilot.pause(0.3)  # the look-up's debounce
    await settle(pilot)
    ids = [mt.id for mt in form.matches if mt.kind == "payer"]
    assert t.payer_id in ids, f"{t.payer_name} not among the matches"
    for _ in range(ids.index(t.payer_id)):
        await pilot.press("down")
    await pilot.press("enter")  # pick the payer: the cursor moves to the method
    assert form.chosen is not None and form.chosen.id == t.payer_id
    await pilot.press("tab", *trace, "enter", *amount(amount_cents), "enter")
    await pilot.press("ctrl+s")
    await settle(pilot)
    return form


async def find_claim(pilot: Pilot, claim_number: str) -> PostingScreen:
    screen = pilot.app.screen
    assert isinstance(screen, PostingScreen)
    await pilot.press(*claim_number, "enter")
    await settle(pilot)
    assert screen.claim is not None and screen.claim.claim_number == claim_number
    return screen


async def type_line(pilot: Pilot, cells: list[str]) -> None:
    """Type one EOB line from its allowed cell: values in order, tab between them; then
    tab on to the next line's allowed cell (8 cells a line)."""
    for i, text in enumerate(cells):
        if text:
            await pilot.press(*text)
        if i < 7:
            await pilot.press("tab")
    for _ in range(8 - len(cells)):
        await pilot.press("tab")


# --- the test -------------------------------------------------------------------


async def test_post_a_three_line_eob_and_close_the_batch(db_url: str) -> None:
    t = three_line_claim(db_url)
    f = eob_figures(t)
    head = audit_head(db_url)
    app = BillingApp(db_url, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "rep", "rep")
        await open_batch_by_typing(pilot, t, "CHK-40401", f["check"])
        screen = app.screen
        assert isinstance(screen, PostingScreen), app.screen
        assert screen.batch is not None and screen.batch.amount_cents == f["check"]
        batch_id = screen.batch_id

        await find_claim(pilot, t.claim_number)
        assert app.focused is screen.grid.rows[0].cell("allowed")
        # line 1: allowed, paid, deductible (CO-45 fills itself: billed - allowed)
        await type_line(pilot, [amount(f["a1"]), amount(f["p1"]), amount(f["d1"])])
        # line 2: allowed, paid, -, coinsurance
        await type_line(pilot, [amount(f["a2"]), amount(f["p2"]), "", amount(f["c2"])])
        # line 3: denied: nothing allowed, paid 0, CO-197 for the whole line
        await type_line(pilot, ["", "0", "", "", "", "", f"CO-197 {amount(f['b3'])}", "N130"])
        rows = screen.grid.rows
        assert rows[0].cell("co45").value == amount(t.billed[0] - f["a1"])
        assert [r.typed.difference_cents for r in rows if r.typed] == [0, 0, 0]
        assert "✓" in str(rows[2].query_one(".eob-diff").render())

        await pilot.press("ctrl+s")
        await settle(pilot)
        assert screen.posted_claims == 1, screen.status.message
        assert screen.claim is None
        assert app.focused is screen.query_one("#claim-query", Input)
        assert screen.batch.remaining_cents == 0
        assert screen.batch.posted_cents == f["check"]

        await pilot.press("ctrl+b")
        await settle(pilot)
        assert screen.batch.status == "closed", screen.status.message

    from billing_tui.services.accounts import load_account
    from billing_tui.services.batches import get_batch
    from billing_tui.services.eob_posting import load_claim_for_posting_by_id

    db = Database.open(db_url)
    try:
        batch = get_batch(db, batch_id)
        assert batch.status == "closed" and batch.remaining_cents == 0
        assert batch.posted_cents == f["check"] and batch.claim_count == 1
        claim = load_claim_for_posting_by_id(db, t.claim_id)
        from billing_tui.services.auth import login

        view = load_account(db, login(db, "rep", "rep"), claim.patient_id)
    finally:
        db.dispose()
    cv = next(c for c in view.claims if c.claim_id == t.claim_id)
    # the denied line stays open with the payer; the patient owes deductible + coinsurance
    assert cv.ins_balance_cents == t.billed[2]
    assert cv.pat_balance_cents == f["d1"] + f["c2"]
    lines = {ln.line_no: ln for ln in cv.lines}
    assert (lines[1].ins_balance_cents, lines[1].pat_balance_cents) == (0, f["d1"])
    assert (lines[2].ins_balance_cents, lines[2].pat_balance_cents) == (0, f["c2"])
    assert (lines[3].ins_balance_cents, lines[3].pat_balance_cents) == (t.billed[2], 0)
    denials = [d for d in view.denials if d.claim_id == t.claim_id and d.status == "open"]
    assert [(d.line_no, d.group_code, d.carc, d.amount_cents) for d in denials] == [
        (3, "CO", "197", t.billed[2])
    ]
    actions = audit_actions(db_url, head)
    for action in ("batch_opened", "claim_posted", "batch_closed"):
        assert actions.count(action) == 1, actions
    assert actions.index("batch_opened") < actions.index("claim_posted")
    assert actions.index("claim_posted") < actions.index("batch_closed")


def test_adjustments_cell_grammar() -> None:
    from billing_tui.domain.errors import ValidationError
    from billing_tui.widgets.eob_grid import parse_adjustments, parse_remarks

    assert parse_adjustments("CO-197 300.00; oa-23 5") == (("CO", "197", 30000), ("OA", "23", 500))
    assert parse_adjustments("PR 1 1,234.5") == (("PR", "1", 123450),)
    assert parse_adjustments(" ; ") == ()
    for bad, says in (
        ("XX-1 5", "group code XX is not one of CO, PR, OA, PI, CR"),
        ("CO-197", "write group-CARC amount"),
        ("CO-197 12.345", "more than 2 decimal places"),
    ):
        try:
            parse_adjustments(bad)
        except ValidationError as exc:
            assert says in str(exc) and bad in str(exc)
        else:
            raise AssertionError(f"{bad!r} was accepted")
    assert parse_remarks("n130, M15") == ("N130", "M15")
    try:
        parse_remarks("N130 hello")
    except ValidationError as exc:
        assert '"HELLO"' in str(exc)
    else:
        raise AssertionError("a word was accepted as a remark code")


# --- bad input ---------------------------------------------------------------------------


async def test_bad_amount_marks_the_cell_and_posts_nothing(db_url: str) -> None:
    t = three_line_claim(db_url)
    f = eob_figures(t)
    app = BillingApp(db_url, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "rep", "rep")
        await open_batch_by_typing(pilot, t, "CHK-1", f["check"])
        screen = app.screen
        assert isinstance(screen, PostingScreen)
        await find_claim(pilot, t.claim_number)
        entries = ledger_count(db_url)
        head = audit_head(db_url)
        await type_line(pilot, [amount(f["a1"]), "12x.5", amount(f["d1"])])
        row = screen.grid.rows[0]
        paid = row.cell("paid")
        assert paid.has_class("-invalid")
        assert "bad entry" in str(row.query_one(".eob-diff").render())
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert screen.posted_claims == 0
        assert screen.status.is_error and '"12x.5"' in screen.status.message
        assert "Nothing posted" in screen.status.message
        assert paid.value == "12x.5"  # what was typed stays
        assert app.focused is paid
        assert screen.claim is not None
        # fixing the cell clears the mark
        paid.value = amount(f["p1"])
        await pilot.pause()
        assert not paid.has_class("-invalid")
        # the adjustments cell says which piece does not read
        adjustments = screen.grid.rows[1].cell("adjustments")
        adjustments.value = "CO-197 3OO; OA-23 5"
        await pilot.pause()
        assert adjustments.has_class("-invalid")
        assert screen.grid.rows[1].error == (
            "adjustments",
            'line 2: adjustment "CO-197 3OO": "3OO": not an amount',
        )
    assert ledger_count(db_url) == entries
    assert audit_head(db_url) == head


async def test_unbalanced_line_shows_difference_and_posts_nothing(db_url: str) -> None:
    t = three_line_claim(db_url)
    f = eob_figures(t)
    app = BillingApp(db_url, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "rep", "rep")
        await open_batch_by_typing(pilot, t, "CHK-2", f["check"])
        screen = app.screen
        assert isinstance(screen, PostingScreen)
        await find_claim(pilot, t.claim_number)
        entries = ledger_count(db_url)
        head = audit_head(db_url)
        short = 1234  # paid 12.34 less than the EOB says
        await type_line(pilot, [amount(f["a1"]), amount(f["p1"] - short), amount(f["d1"])])
        row = screen.grid.rows[0]
        assert row.typed is not None and row.typed.difference_cents == short
        assert amount(short) in str(row.query_one(".eob-diff").render())
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert screen.posted_claims == 0
        assert screen.status.is_error
        assert "line 1 does not balance" in screen.status.message
        assert amount(short) in screen.status.message
        assert row.cell("paid").value == amount(f["p1"] - short)
    assert ledger_count(db_url) == entries
    assert audit_head(db_url) == head


async def test_stale_claim_shows_the_conflict_and_keeps_the_typing(db_url: str) -> None:
    from billing_tui.domain.adjudication import Cas
    from billing_tui.services.auth import login
    from billing_tui.services.eob_posting import EobLine, load_claim_for_posting_by_id, post_claim

    t = three_line_claim(db_url)
    f = eob_figures(t)
    app = BillingApp(db_url, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "rep", "rep")
        await open_batch_by_typing(pilot, t, "CHK-3", f["check"])
        screen = app.screen
        assert isinstance(screen, PostingScreen)
        await find_claim(pilot, t.claim_number)
        # meanwhile another rep posts line 3 of the same claim
        db = Database.open(db_url)
        try:
            claim = load_claim_for_posting_by_id(db, t.claim_id)
            post_claim(db, login(db, "senior", "senior"), claim_id=t.claim_id,
                       expected_version=claim.version,
                       lines=[EobLine(line_no=3, allowed_cents=None, paid_cents=0,
                                      adjustments=(Cas("CO", "197", t.billed[2]),))],
                       batch_id=None)  # fmt: skip
        finally:
            db.dispose()
        entries = ledger_count(db_url)
        await type_line(pilot, [amount(f["a1"]), amount(f["p1"]), amount(f["d1"])])
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert screen.posted_claims == 0
        assert screen.status.is_error and "changed since you opened it" in screen.status.message
        row = screen.grid.rows[0]
        assert row.cell("paid").value == amount(f["p1"])
        assert row.cell("deductible").value == amount(f["d1"])
        assert row.cell("co45").value == amount(t.billed[0] - f["a1"])
        assert ledger_count(db_url) == entries
        # reloaded as it is now (line 3 a denial, still open with the payer): line 1 posts
        assert screen.claim is not None and screen.claim.lines[2].open_cents == t.billed[2]
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert screen.posted_claims == 1, screen.status.message


async def test_duplicate_trace_is_refused_naming_the_batch(db_url: str) -> None:
    t = three_line_claim(db_url)
    app = BillingApp(db_url, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "rep", "rep")
        await open_batch_by_typing(pilot, t, "EFT-555", 10000)
        first = app.screen
        assert isinstance(first, PostingScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, BatchesScreen)
        head = audit_head(db_url)
        await pilot.press("escape")
        await settle(pilot)
        form = await open_batch_by_typing(pilot, t, "EFT-555", 20000)
        assert app.screen is form, "the form must stay open"
        status = form.query_one("#dialog-status")
        assert status.is_error
        assert f"already batch #{first.batch_id}" in status.message
        assert "$100.00" in status.message
        assert form.query_one("#nb-trace", Input).value == "EFT-555"
        assert form.query_one("#nb-amount", Input).value == "200.00"
        assert app.focused is form.query_one("#nb-trace", Input)
    assert "batch_opened" not in audit_actions(db_url, head)


async def test_batch_list_shows_amount_posted_remaining(db_url: str) -> None:
    t = three_line_claim(db_url)
    app = BillingApp(db_url, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "rep", "rep")
        await open_batch_by_typing(pilot, t, "CHK-77", 123456)
        await pilot.press("escape")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, BatchesScreen)
        table = screen.query_one("#batches", DataTable)
        row = table.get_row_at(table.cursor_row)
        assert row[0] == f"#{screen.batches[table.cursor_row].id}"
        assert str(row[2]) == "chk CHK-77"  # a Text cell: the trace is shown as typed
        assert [str(c) for c in row[4:7]] == ["1,234.56", "0.00", "1,234.56"]
        assert row[7] == "open"
        await pilot.press("s", "s")  # open and balanced -> open -> balanced
        await settle(pilot)
        assert screen.status_filter == "balanced"
        assert all(b.status == "balanced" for b in screen.batches)
        assert "balanced" in screen.query_one("#batches-panel").border_title


async def test_reverse_a_posting_from_the_batch_postings(db_url: str) -> None:
    from billing_tui.domain.adjudication import Cas
    from billing_tui.services.auth import login
    from billing_tui.services.batches import get_batch, open_batch
    from billing_tui.services.eob_posting import EobLine, load_claim_for_posting_by_id, post_claim

    t = three_line_claim(db_url)
    billed = t.billed[0]
    paid = billed * 50 // 100
    db = Database.open(db_url)
    try:
        admin = login(db, "admin", "admin")
        batch = open_batch(db, admin, payer_id=t.payer_id, patient_id=None, method="eft",
                           trace_number="EFT-REV-1", amount_cents=paid, deposit_date=TODAY)  # fmt: skip
        claim = load_claim_for_posting_by_id(db, t.claim_id)
        post_claim(db, admin, claim_id=t.claim_id, expected_version=claim.version,
                   lines=[EobLine(line_no=1, allowed_cents=paid, paid_cents=paid,
                                  adjustments=(Cas("CO", "45", billed - paid),))],
                   batch_id=batch.id)  # fmt: skip
        assert get_batch(db, batch.id).status == "balanced"
    finally:
        db.dispose()
    head = audit_head(db_url)
    app = BillingApp(db_url, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "rep", "rep")
        await pilot.press("f8")
        await settle(pilot)
        batches = app.screen
        assert isinstance(batches, BatchesScreen)
        assert batches.selected() is not None and batches.selected().id == batch.id
        await pilot.press("p")
        await settle(pilot)
        postings = app.screen
        assert isinstance(postings, BatchPostingsScreen)
        assert [(r.claim_number, r.line_no, r.paid_cents) for r in postings.rows] == [
            (t.claim_number, 1, paid)
        ]
        await pilot.press("x")
        await settle(pilot)
        await pilot.press(*"posted to the wrong patient", "enter")
        await settle(pilot)
        assert app.screen is postings
        assert [r.reversed for r in postings.rows] == [True]
        assert postings.batch.status == "open" and postings.batch.remaining_cents == paid
        assert "Reversed" in postings.status.message
        assert postings.check_action("reverse", ()) is None  # once only
    db = Database.open(db_url)
    try:
        claim = load_claim_for_posting_by_id(db, t.claim_id)
    finally:
        db.dispose()
    assert [ln.open_cents for ln in claim.lines] == list(t.billed)
    assert audit_actions(db_url, head).count("posting_reversed") == 1


async def test_patient_batch_applies_a_payment_to_the_patient_balance(db_url: str) -> None:
    from billing_tui.domain.adjudication import Cas
    from billing_tui.services.accounts import load_account
    from billing_tui.services.auth import login
    from billing_tui.services.eob_posting import EobLine, load_claim_for_posting_by_id, post_claim

    t = three_line_claim(db_url)
    billed = t.billed[0]
    allowed = billed * 60 // 100
    deductible = min(2500, allowed)
    db = Database.open(db_url)
    try:
        admin = login(db, "admin", "admin")
        claim = load_claim_for_posting_by_id(db, t.claim_id)
        post_claim(db, admin, claim_id=t.claim_id, expected_version=claim.version,
                   lines=[EobLine(line_no=1, allowed_cents=allowed,
                                  paid_cents=allowed - deductible, deductible_cents=deductible,
                                  adjustments=(Cas("CO", "45", billed - allowed),))],
                   batch_id=None)  # fmt: skip
        account_no = load_account(db, admin, claim.patient_id).account_no
    finally:
        db.dispose()
    app = BillingApp(db_url, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "rep", "rep")
        await pilot.press("f8", "n")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, NewBatchScreen)
        await pilot.press(*account_no)
        await pilot.pause(0.3)
        await settle(pilot)
        ids = [(mt.kind, mt.id) for mt in form.matches]
        assert ("patient", claim.patient_id) in ids
        for _ in range(ids.index(("patient", claim.patient_id))):
            await pilot.press("down")
        await pilot.press("enter", "tab", *"RCPT-9", "enter", *amount(deductible), "enter")
        await pilot.press("ctrl+s")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, PostingScreen), form.query_one("#dialog-status").message
        assert screen.patient_batch
        matches = screen.query_one("#claim-matches")
        options = [matches.get_option_at_index(i).id for i in range(matches.option_count)]
        assert f"claim:{t.claim_id}" in options
        for _ in range(options.index(f"claim:{t.claim_id}")):
            await pilot.press("down")
        await pilot.press("enter")
        await settle(pilot)
        assert screen.claim is not None and screen.claim.claim_id == t.claim_id
        await pilot.press(*"12x", "enter")  # a bad amount: nothing posted
        await settle(pilot)
        assert screen.posted_claims == 0 and screen.status.is_error
        screen.query_one("#patient-amount").value = ""
        await pilot.press(*amount(deductible), "enter")
        await settle(pilot)
        assert screen.posted_claims == 1, screen.status.message
        assert screen.batch.remaining_cents == 0
        await pilot.press("ctrl+b")
        await settle(pilot)
        assert screen.batch.status == "closed"
    db = Database.open(db_url)
    try:
        view = load_account(db, login(db, "rep", "rep"), claim.patient_id)
    finally:
        db.dispose()
    cv = next(c for c in view.claims if c.claim_id == t.claim_id)
    assert cv.pat_balance_cents == 0


# --- snapshots ----------------------------------------------------------------------------


def test_snapshot_batch_list(snap_compare, db_url: str) -> None:
    async def run_before(pilot: Pilot) -> None:
        await log_in(pilot, "rep", "rep")
        await pilot.press("f8", "s", "s", "s")  # the closed ones (the demo's batches)
        await settle(pilot)

    assert snap_compare(BillingApp(db_url, today=TODAY), terminal_size=SIZE, run_before=run_before)


def test_snapshot_new_batch_form(snap_compare, db_url: str) -> None:
    t = three_line_claim(db_url)

    async def run_before(pilot: Pilot) -> None:
        await log_in(pilot, "rep", "rep")
        await pilot.press("f8")
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        await pilot.press(*t.payer_name)
        await pilot.pause(0.3)
        await settle(pilot)

    assert snap_compare(BillingApp(db_url, today=TODAY), terminal_size=SIZE, run_before=run_before)


def test_snapshot_posting_screen_with_a_claim(snap_compare, db_url: str) -> None:
    t = three_line_claim(db_url)
    f = eob_figures(t)

    async def run_before(pilot: Pilot) -> None:
        await log_in(pilot, "rep", "rep")
        await open_batch_by_typing(pilot, t, "CHK-SNAP", f["check"])
        await find_claim(pilot, t.claim_number)
        await type_line(pilot, [amount(f["a1"]), amount(f["p1"]), amount(f["d1"])])
        await type_line(pilot, [amount(f["a2"]), amount(f["p2"] - 500)])
        await pilot.pause()

    assert snap_compare(BillingApp(db_url, today=TODAY), terminal_size=SIZE, run_before=run_before)
