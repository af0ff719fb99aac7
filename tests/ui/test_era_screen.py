"""ERA screen: a rep imports an 835 (built from demo claims), drills into a remittance's
claims and lines, and works the exceptions list."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import pytest
from era_helpers import ClaimFacts, LineFacts, RemitPlan, claim_facts, deny, pay, write_835
from sqlalchemy import func, select
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Static

from billing_tui.app import BillingApp
from billing_tui.db import models as m
from billing_tui.db.engine import Database
from billing_tui.screens.era import EraFileTree, EraScreen, ImportFileScreen, complete_path
from billing_tui.screens.posting import PostingScreen

from .conftest import TODAY, log_in, settle

SIZE = (120, 36)
UNKNOWN = "ZZ0000001"


def _era_file(db_url: str, folder: Path) -> Path:
    """A demo claim paid, one denied, one with a line we cannot match, and a claim this
    practice never sent, all from one payer with claims waiting for an answer."""
    db = Database.open(db_url)
    try:
        with db.engine.connect() as conn:
            payer_id, edi, name = conn.execute(
                select(m.Claim.payer_id, m.Payer.edi_payer_id, m.Payer.name)
                .join(m.Payer, m.Payer.id == m.Claim.payer_id)
                .where(
                    m.Claim.status.in_(("submitted", "accepted")),
                    m.Claim.responsibility == 1,
                    m.Claim.ins_balance_cents == m.Claim.total_charge_cents,
                )
                .group_by(m.Claim.payer_id, m.Payer.edi_payer_id, m.Payer.name)
                .order_by(func.count().desc(), m.Claim.payer_id)
                .limit(1)
            ).one()
            numbers = list(
                conn.scalars(
                    select(m.Claim.claim_number)
                    .where(
                        m.Claim.payer_id == payer_id,
                        m.Claim.status.in_(("submitted", "accepted")),
                        m.Claim.responsibility == 1,
                        m.Claim.ins_balance_cents == m.Claim.total_charge_cents,
                    )
                    .order_by(m.Claim.id)
                    .limit(3)
                )
            )
        facts = claim_facts(db, numbers)
    finally:
        db.dispose()
    assert len(facts) == 3
    stranger = ClaimFacts(
        UNKNOWN, (LineFacts(1, "99213", (), dt.date(2026, 10, 1), 12000, None, 12000),)
    )
    # The payer answers the third claim's first line under a code we never billed.
    odd = pay(facts[2])
    first = odd.lines[0]
    odd.lines[0] = replace(first, facts=replace(first.facts, code="99499"), send_6r=False)
    plans = [pay(facts[0]), deny(facts[1]), odd, pay(stranger)]
    remit = RemitPlan(plans, trace="EFT20261120", payer_id=edi, payer_name=name.upper())
    return write_835(folder / "remit.835", remit)


async def _import(pilot: Pilot, path: Path) -> EraScreen:
    await log_in(pilot, "rep", "rep")
    await pilot.press("f9")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, EraScreen)
    await pilot.press("i")
    await settle(pilot)
    assert isinstance(pilot.app.screen, ImportFileScreen)
    field = pilot.app.screen.query_one("#era-path", Input)
    field.value = str(path.parent) + "/rem"
    await pilot.press("tab")  # completes the one ERA file that starts so
    assert field.value == str(path)
    await pilot.press("enter")
    await settle(pilot)
    return screen


def _column(table: DataTable, n: int) -> list[str]:
    return [str(table.get_row_at(i)[n]) for i in range(table.row_count)]


async def test_import_drill_down_and_exceptions(db_url: str, tmp_path: Path) -> None:
    path = _era_file(db_url, tmp_path)
    app = BillingApp(db_url, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _import(pilot, path)
        report = screen.last_import
        assert report is not None
        assert (report.claims, report.claims_exceptions) == (4, 2)
        assert report.denials > 0  # a denial record per denied line
        assert report.duplicates_skipped == 0
        result = str(screen.query_one("#era-result", Static).render())
        assert f"remit.835: {report.claims_posted} of 4 claims posted" in result
        assert "2 exceptions" in result and "validation warnings" in result

        table = screen.query_one("#era-table", DataTable)
        assert screen.view == "remittances" and table.row_count == 1
        remit = screen.rows[0]
        assert remit.trace_number == "EFT20261120" and remit.claims == 4
        assert remit.check_amount_cents == report.check_amount_cents

        await pilot.press("enter")  # the remittance's claims
        await settle(pilot)
        assert screen.view == "claims"
        assert _column(table, 0)[-1] == UNKNOWN
        assert [c.posted for c in screen.rows] == [True, True, False, False]
        assert "not" in (screen.rows[-1].exception_reason or "")
        odd_number = screen.rows[2].claim_number

        await pilot.press("enter")  # the first claim's lines
        await settle(pilot)
        assert screen.view == "lines"
        assert table.row_count == len(screen.rows) > 0
        assert all(ln.match_method == "6R" for ln in screen.rows)
        assert all("CO-45" in ln.cas_text for ln in screen.rows)
        detail = str(screen.query_one("#era-detail", Static).render())
        assert "Matched our line 1 by 6R" in detail

        await pilot.press("escape")
        await settle(pilot)
        assert screen.view == "claims"
        await pilot.press("escape")
        await settle(pilot)
        assert screen.view == "remittances"

        await pilot.press("w")  # the file's validation warnings
        await settle(pilot)
        assert screen.view == "warnings" and table.row_count == remit.warnings_count
        await pilot.press("escape")
        await settle(pilot)

        await pilot.press("x")  # the exceptions work list
        await settle(pilot)
        assert screen.view == "exceptions"
        assert sorted(e.claim_number for e in screen.rows) == sorted([odd_number, UNKNOWN])

        # Post by hand: the posting screen on the remittance's batch, the claim loaded ...
        table.move_cursor(row=[e.claim_number for e in screen.rows].index(odd_number))
        await pilot.press("enter")
        await settle(pilot)
        posting = app.screen
        assert isinstance(posting, PostingScreen)
        assert posting.batch_id == remit.batch_id
        assert posting.claim is not None and posting.claim.claim_number == odd_number
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen and screen.view == "exceptions"

        # ... or, for a claim we do not know, its number typed in the claim search.
        table.move_cursor(row=[e.claim_number for e in screen.rows].index(UNKNOWN))
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, PostingScreen)
        assert app.screen.query_one("#claim-query", Input).value == UNKNOWN
        await pilot.press("escape")
        await settle(pilot)
        table.move_cursor(row=[e.claim_number for e in screen.rows].index(UNKNOWN))

        await pilot.press("m")
        await settle(pilot)
        await pilot.press("enter")  # no note: refused, the dialog stays
        assert "Write how" in str(app.screen.query_one("#era-resolve-status").render())
        await pilot.press(*"not our patient", "enter")
        await settle(pilot)
        assert screen.view == "exceptions"
        assert [e.claim_number for e in screen.rows] == [odd_number]
        assert screen.status.message == "Exception resolved"

        # The same file again: a duplicate, nothing posted.
        await pilot.press("i")
        await settle(pilot)
        app.screen.query_one("#era-path", Input).value = str(path)
        await pilot.press("enter")
        await settle(pilot)
        assert screen.last_import.duplicates_skipped == 1
        assert "a duplicate" in str(screen.query_one("#era-result", Static).render())


async def test_a_file_that_is_not_an_835_is_refused(db_url: str, tmp_path: Path) -> None:
    bad = tmp_path / "notes.txt"
    bad.write_text("hello, this is not X12\n")
    app = BillingApp(db_url, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "rep", "rep")
        await pilot.press("f9")
        await settle(pilot)
        screen = app.screen
        await pilot.press("i")
        await settle(pilot)
        app.screen.query_one("#era-path", Input).value = str(tmp_path / "missing.835")
        await pilot.press("enter")
        assert isinstance(app.screen, ImportFileScreen)  # not a file: says so, stays
        assert "is not a file" in str(app.screen.query_one("#era-pick-status").render())
        app.screen.query_one("#era-path", Input).value = str(bad)
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen and screen.status.is_error
        assert screen.status.message.startswith("notes.txt: ")
        assert screen.rows == []


async def test_import_from_the_file_tree(db_url: str, tmp_path: Path) -> None:
    path = _era_file(db_url, tmp_path)
    (tmp_path / "charges.csv").write_text("not an ERA\n")
    app = BillingApp(db_url, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "rep", "rep")
        screen = EraScreen(start_dir=tmp_path)
        app.push_screen(screen)
        await settle(pilot)
        await pilot.press("i")
        await settle(pilot)
        await pilot.press("ctrl+o")  # the tree (its loader runs while it lives: no settle)
        tree = app.screen.query_one(EraFileTree)
        for _ in range(100):
            await pilot.pause(0.02)
            if tree.root.children:
                break
        # Only ERA files (and folders) are offered: not the CSV, not the database files.
        assert [str(n.label) for n in tree.root.children] == [path.name]
        await pilot.press("down", "enter")
        await settle(pilot)
        assert app.screen is screen
        assert screen.last_import is not None and screen.last_import.claims == 4
        assert screen.view == "remittances" and len(screen.rows) == 1


def test_path_completion(tmp_path: Path) -> None:
    (tmp_path / "remits").mkdir()
    (tmp_path / "remits" / "aetna_1120.835").write_text("")
    (tmp_path / "remits" / "aetna_1121.835").write_text("")
    (tmp_path / "remits" / "readme.md").write_text("")
    assert complete_path(f"{tmp_path}/rem") == f"{tmp_path}/remits/"
    assert complete_path(f"{tmp_path}/remits/") == f"{tmp_path}/remits/aetna_112"
    assert complete_path(f"{tmp_path}/remits/r") is None  # only ERA files and folders
    assert complete_path(f"{tmp_path}/nowhere/x") is None


@pytest.mark.parametrize("view", ["claims", "lines"])
def test_era_drill_down_snapshot(snap_compare, db_url: str, tmp_path: Path, view: str) -> None:
    # The remittance list shows import times; its claims and lines are the same every run.
    path = _era_file(db_url, tmp_path)

    async def run_before(pilot: Pilot) -> None:
        await _import(pilot, path)
        await pilot.press("enter")
        await settle(pilot)
        if view == "lines":
            await pilot.press("enter")
            await settle(pilot)

    assert snap_compare(BillingApp(db_url, today=TODAY), terminal_size=SIZE, run_before=run_before)
