"""Denial and appeal screens driven by real keys on the demo practice (a SQLite copy; the
rep's appeal and write-off flows also on PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.content import Content
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, OptionList, TextArea

from billing_tui.app import BillingApp
from billing_tui.db.engine import Database
from billing_tui.db.uow import UnitOfWork
from billing_tui.screens.appeals import AppealsScreen
from billing_tui.screens.denial_detail import DenialDetailScreen
from billing_tui.screens.denials import DenialsScreen
from billing_tui.widgets.status import StatusLine

from .conftest import TODAY, log_in, record_calls, settle

SIZE = (120, 36)


@pytest.fixture(autouse=True)
def letters_in_tmp(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    folder = tmp_path / "letters"
    monkeypatch.setattr("billing_tui.services.appeals.default_letters_dir", lambda: folder)
    return folder


async def _open_first_denial(pilot: Pilot) -> DenialDetailScreen:
    await pilot.press("f10")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, DenialsScreen)
    assert screen.wl is not None and screen.wl.total_count > 0
    await pilot.press("enter")  # groups -> the group's denials
    await pilot.press("enter")  # open the highlighted denial
    await settle(pilot)
    detail = pilot.app.screen
    assert isinstance(detail, DenialDetailScreen) and detail.detail is not None
    return detail


async def _set_root_cause(pilot: Pilot, cause_index: int) -> None:
    await pilot.press("c")
    await settle(pilot)
    pilot.app.screen.query_one(OptionList).highlighted = cause_index
    await pilot.press("enter")
    await settle(pilot)


def _status(pilot: Pilot, sel: str) -> StatusLine:
    return pilot.app.screen.query_one(sel, StatusLine)


async def test_rep_opens_a_denial_sets_root_cause_and_appeals(
    demo_url_each_db: str, letters_in_tmp
):
    app = BillingApp(demo_url_each_db, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "rep", "rep")
        detail = await _open_first_denial(pilot)
        d = detail.detail
        assert d.account.patient_id == d.row.patient_id  # the account context is there
        assert d.row.status == "open"
        await pilot.press("a")  # no root cause yet: the appeal is refused, form kept
        await settle(pilot)
        pilot.app.screen.query_one(TextArea).insert("Records show medical necessity.")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "root cause" in _status(pilot, "#dialog-status").message
        await pilot.press("escape")
        await settle(pilot)
        await _set_root_cause(pilot, 3)  # authorization
        assert detail.detail.row.root_cause == "authorization"
        assert "Root cause" in _status(pilot, "#dd-status").message
        await pilot.press("a")
        await settle(pilot)
        pilot.app.screen.query_one(TextArea).insert("Auth 7781 was on file for this visit.")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(pilot.app.screen, DenialDetailScreen)
        message = _status(pilot, "#dd-status").message
        number = d.row.claim_number
        assert f"on {number} filed, due" in message
        assert detail.detail.row.status == "appealed"
        assert detail.detail.appeals and detail.detail.appeals[0].deadline > d.row.denied_on
        files = sorted(p.name for p in letters_in_tmp.iterdir())
        assert [f.rsplit(".", 1)[1] for f in files] == ["pdf", "txt"]
        assert all(number in f for f in files)
        text = (letters_in_tmp / files[1]).read_text()
        assert number in text and "Auth 7781 was on file" in text
        # the appeals work list shows it, by deadline
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("f11")
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, AppealsScreen)
        assert number in [r.claim_number for r in screen.rows]
        deadlines = [r.deadline for r in screen.rows]
        assert deadlines == sorted(deadlines)


async def test_write_off_request_waits_then_the_supervisor_approves(demo_url_each_db: str):
    from billing_tui.services.approvals import approve_request
    from billing_tui.services.auth import login

    db_url = demo_url_each_db
    app = BillingApp(db_url, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "rep", "rep")
        detail = await _open_first_denial(pilot)
        d = detail.detail
        await _set_root_cause(pilot, 5)  # payer error
        await pilot.press("w")
        await settle(pilot)
        dialog = pilot.app.screen
        dialog.query_one("#write-off-amount", Input).value = "200.00"
        dialog.query_one("#write-off-reason", Input).value = "payer error, not worth appealing"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "waits for approval" in _status(pilot, "#dd-status").message
        assert detail.detail.row.status == "approval_pending"
        assert detail.detail.request_status == "pending"
    db = Database.open(db_url)
    try:
        with UnitOfWork(db, write=False) as uow:
            claim = uow.claims.get(d.row.claim_id)
            before = claim.ins_balance_cents
            from sqlalchemy import select

            from billing_tui.db import models as m

            req_id = uow.session.scalar(
                select(m.Denial.request_id).where(m.Denial.id == d.row.denial_id)
            )
        supervisor = login(db, "supervisor", "supervisor")
        outcome = approve_request(db, supervisor, req_id, "ok")
        assert outcome.status in ("posted", "approved")
        with UnitOfWork(db, write=False) as uow:
            assert uow.claims.get(d.row.claim_id).ins_balance_cents == before - 20000
            actions = [e.action for e in uow.audit_log.for_entity("claim", d.row.claim_number)]
        assert "denial_write_off_requested" in actions and "request_approved" in actions
        from billing_tui.services.denials import load_denial

        assert load_denial(db, supervisor, d.row.denial_id, today=TODAY).row.status == "written_off"
        from billing_tui.services.check import run_check

        assert run_check(db).ok
    finally:
        db.dispose()


async def test_names_with_brackets_show_as_typed(app: BillingApp, db_path: Path):
    """Payer and patient names come from charge files and remits: "[/x]" in one is text,
    not markup, in the work list and in the denial's account."""
    import sqlite3

    from billing_tui.services.auth import login

    with sqlite3.connect(db_path) as conn:
        conn.execute("UPDATE payers SET name = 'Acme [/x] Health'")
        conn.execute("UPDATE patients SET last_name = 'Smith [/x]'")
        conn.execute("UPDATE claims SET claim_number = claim_number || '[b]'")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        # Straight to the work list (home's own tables are not under test here).
        app.actor = login(app.db, "rep", "rep")
        app.push_screen(DenialsScreen())
        await settle(pilot)
        await pilot.press("enter", "enter")
        await settle(pilot)
        detail = pilot.app.screen
        assert isinstance(detail, DenialDetailScreen) and detail.detail is not None
        assert detail.detail.row.payer_name == "Acme [/x] Health"
        claims = detail.query_one("#dd-claims", DataTable)
        assert "Acme [/x] Health" in [str(c) for c in claims.get_row_at(0)]
        title = Content.from_markup(detail.query_one("#dd-account").border_title).plain
        assert title.startswith("Smith [/x], ")  # drawn as typed
        for key in ("w", "t", "x"):  # the action dialogs name the claim
            await pilot.press(key)
            await settle(pilot)
            assert pilot.app.screen is not detail
            await pilot.press("escape")
            await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        rows = pilot.app.screen.query_one("#den-rows", DataTable)
        first = [str(c) for c in rows.get_row_at(0)]
        assert "Acme [/x] Health" in first and first[1].startswith("Smith [/x], ")
        assert first[0].endswith("[b]")
        await pilot.press("p")  # the payer filter lists payer names
        await settle(pilot)
        assert "Acme [/x] Health" in str(
            pilot.app.screen.query_one(OptionList).get_option_at_index(1).prompt
        )


async def test_f10_builds_the_list_with_its_first_page(app: BillingApp, monkeypatch):
    """f10 reads the first page before the screen is pushed: the screen never starts a
    load of its own or shows an empty list; pushed without a page, it loads itself. A
    denial opened from the list is read before its screen is shown too."""
    loads = record_calls(monkeypatch, DenialsScreen, "reload")
    detail_reads = record_calls(monkeypatch, DenialDetailScreen, "reload")
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "rep", "rep")
        await pilot.press("f10")
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, DenialsScreen) and screen.wl is not None
        assert loads == [] and screen.wl.groups
        assert not screen.query_one("#den-body").has_class("loading")
        assert screen.query_one("#den-groups", DataTable).row_count == len(screen.wl.groups)
        await pilot.press("enter", "enter")  # to the denials, then open the first
        await settle(pilot)
        detail = pilot.app.screen
        assert isinstance(detail, DenialDetailScreen) and detail.detail is not None
        assert detail_reads == []
        await pilot.press("escape")
        await settle(pilot)
        assert loads == [screen]  # back on the list: it reloads (the denial may have left)
        loads.clear()
        await pilot.press("escape")
        await settle(pilot)
        bare = DenialsScreen()
        pilot.app.push_screen(bare)
        await settle(pilot)
        assert loads == [bare] and bare.wl is not None and bare.wl.groups


async def test_age_and_payer_filters(app: BillingApp):
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "rep", "rep")
        await pilot.press("f10")
        await settle(pilot)
        screen = pilot.app.screen
        total = screen.wl.total_count
        await pilot.press("a")
        await settle(pilot)
        assert screen.age == "0-30" and screen.wl.total_count <= total
        for _ in range(4):
            await pilot.press("a")
        await settle(pilot)
        assert screen.age == "all" and screen.wl.total_count == total
        await pilot.press("p")
        await settle(pilot)
        options = pilot.app.screen.query_one(OptionList)
        options.highlighted = 1
        await pilot.press("enter")
        await settle(pilot)
        assert screen.payer_id is not None
        assert screen.wl.total_count <= total
        assert screen.payer_name in str(screen.query_one("#den-filters").render())


async def test_groups_and_pages_of_the_work_list(app: BillingApp, monkeypatch):
    """Another group's denials and the next page load under the groups; the footer's
    "Next page" key follows whether more denials follow."""
    from billing_tui.widgets.keys_footer import KeysFooter

    monkeypatch.setattr("billing_tui.screens.denials.PAGE", 2)

    def next_page_enabled(screen) -> bool | None:
        return screen.query_one(KeysFooter).key_enabled("n")

    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "rep", "rep")
        await pilot.press("f10")
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, DenialsScreen)
        groups = screen.wl.groups
        first, second = groups[0], groups[1]
        assert screen.group == (first.category, first.carc) and first.count > 2
        assert len(screen.rows) == 2 and screen.more
        assert next_page_enabled(screen) is True
        page1 = [r.denial_id for r in screen.rows]
        await pilot.press("n")
        await settle(pilot)
        assert screen.row_offset == 2 and len(screen.rows) == 2
        assert not {r.denial_id for r in screen.rows} & set(page1)
        assert "page 2" in str(screen.query_one("#den-rows-title").render())
        await pilot.press("down")  # the next group: its oldest denials
        await settle(pilot)
        assert screen.group == (second.category, second.carc) and screen.row_offset == 0
        assert {(r.category, r.carc) for r in screen.rows} == {screen.group}
        small = next(i for i, g in enumerate(groups) if g.count <= 2)
        screen.query_one("#den-groups", DataTable).move_cursor(row=small)
        await settle(pilot)
        assert screen.group == (groups[small].category, groups[small].carc)
        assert not screen.more
        assert next_page_enabled(screen) is False


def test_denial_work_list_snapshot(snap_compare, db_url: str) -> None:
    async def run_before(pilot: Pilot) -> None:
        await log_in(pilot, "rep", "rep")
        await pilot.press("f10")
        await settle(pilot)

    assert snap_compare(BillingApp(db_url, today=TODAY), terminal_size=SIZE, run_before=run_before)


def test_appeals_work_list_snapshot(snap_compare, db_url: str) -> None:
    async def run_before(pilot: Pilot) -> None:
        await log_in(pilot, "rep", "rep")
        await pilot.press("f11")
        await settle(pilot)
        pilot.app.screen.query_one(DataTable).move_cursor(row=0)

    assert snap_compare(BillingApp(db_url, today=TODAY), terminal_size=SIZE, run_before=run_before)


async def test_record_an_appeal_decision_from_the_appeals_list(app: BillingApp):
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "rep", "rep")
        await pilot.press("f11")
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, AppealsScreen) and screen.rows
        first = screen.rows[0]
        await pilot.press("o")
        await settle(pilot)
        pilot.app.screen.query_one("#outcome-note", Input).value = "paid on review"
        options = pilot.app.screen.query_one(OptionList)
        options.focus()
        options.highlighted = 0  # won
        await pilot.press("enter")
        await settle(pilot)
        assert pilot.app.screen is screen
        assert f"Appeal on {first.claim_number} won" in _status(pilot, "#appeals-status").message
        assert first.appeal_id not in [r.appeal_id for r in screen.rows]
        await pilot.press("d")  # decided ones too
        await settle(pilot)
        decided = next(r for r in screen.rows if r.appeal_id == first.appeal_id)
        assert (decided.status, decided.outcome) == ("decided", "won")


def test_denial_detail_snapshot(snap_compare, db_url: str) -> None:
    async def run_before(pilot: Pilot) -> None:
        await log_in(pilot, "rep", "rep")
        await _open_first_denial(pilot)

    assert snap_compare(BillingApp(db_url, today=TODAY), terminal_size=SIZE, run_before=run_before)


async def test_footer_signal_after_leaving_is_harmless(app: BillingApp):
    """Escape right after f10 can leave a "bindings changed" signal queued for the
    screen just closed; it must do nothing then (raising would stop the app)."""
    from billing_tui.widgets.keys_footer import KeysFooter

    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "rep", "rep")
        home = pilot.app.screen
        await pilot.press("f10")
        await settle(pilot)
        footer = pilot.app.screen.query_one(KeysFooter)
        await pilot.press("escape")
        await settle(pilot)
        assert pilot.app.screen is home and not footer.is_attached
        footer._bindings_changed(home)  # the queued signal, delivered late
        await settle(pilot)
        assert pilot.app.screen is home
