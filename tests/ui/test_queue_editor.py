"""The queue editor's denial categories: the rep reads the billing label, the rule stores
the category key the denials carry."""

from __future__ import annotations

from textual.widgets import Input, SelectionList

from billing_tui.app import BillingApp
from billing_tui.db.engine import Database
from billing_tui.domain.queue_rules import DENIAL_CATEGORIES
from billing_tui.domain.reason_codes import category_label
from billing_tui.screens.queue_editor import QueueEditorScreen

from .conftest import log_in, settle

SIZE = (120, 36)


async def test_denial_categories_show_labels_and_save_keys(app: BillingApp, db_url: str):
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "supervisor", "supervisor")
        editor = QueueEditorScreen()
        app.push_screen(editor)
        await settle(pilot)
        denials = editor.query_one("#q-denials", SelectionList)
        prompts = [str(denials.get_option_at_index(i).prompt) for i in range(denials.option_count)]
        assert prompts == [category_label(c) for c in DENIAL_CATEGORIES]
        assert "Patient responsibility" in prompts and "patient_resp" not in prompts
        editor.query_one("#q-name", Input).value = "Patient responsibility denials"
        denials.select("patient_resp")
        denials.select("medical_necessity")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is not editor  # saved and closed
        actor = app.actor
    from billing_tui.services.queues import get_queue, list_queues

    db = Database.open(db_url)
    try:
        saved = next(
            q
            for q in list_queues(db, actor, counts=False)
            if q.name == "Patient responsibility denials"
        )
        rule = get_queue(db, actor, saved.queue_id).rule
        assert sorted(rule.denial_categories) == ["medical_necessity", "patient_resp"]
    finally:
        db.dispose()
