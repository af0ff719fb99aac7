"""Supervisors: a work queue's rule and sort as a form, and assigning claims to a rep.

The form builds a ``domain.queue_rules.QueueRule`` (never SQL); the service checks it
again and says what is wrong in one line, and the form keeps everything typed.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widgets import (
    Checkbox,
    Input,
    Label,
    OptionList,
    Select,
    SelectionList,
)
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState

from billing_tui.domain.claim_status import ClaimStatus
from billing_tui.domain.errors import DomainError, ValidationError
from billing_tui.domain.money import Money, parse_money
from billing_tui.domain.queue_rules import (
    DENIAL_CATEGORIES,
    PAYER_TYPES,
    AgeBasis,
    BalanceKind,
    OwnerFilter,
    QueueRule,
    QueueSort,
    SortColumn,
)
from billing_tui.domain.reason_codes import category_label
from billing_tui.widgets.keys_footer import KeysFooter
from billing_tui.widgets.status import StatusLine
from billing_tui.widgets.title_bar import TitleBar

if TYPE_CHECKING:
    from billing_tui.app import BillingApp
    from billing_tui.domain.users import Actor
    from billing_tui.services.queues import PayerChoice, QueueDefinition, UserChoice


def _days(text: str, label: str, field: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    if not text.isdigit():
        raise ValidationError(f"{label} must be a whole number of days, e.g. 30", field=field)
    return int(text)


def _money(text: str, label: str, field: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    try:
        return parse_money(text).cents
    except ValidationError as exc:
        raise ValidationError(f"{label}: {exc}", field=field) from None


class QueueEditorScreen(Screen[bool]):
    """Create (``queue_id`` None) or edit a queue. Dismisses True when saved, False when
    deleted; escape leaves without saving."""

    BINDING_GROUP_TITLE = "Queue editor"
    AUTO_FOCUS = "#q-name"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", id="queue_editor.save"),
        Binding("ctrl+d", "delete", "Delete queue", id="queue_editor.delete"),
    ]
    DEFAULT_CSS = """
    QueueEditorScreen VerticalScroll { padding: 0 2; }
    QueueEditorScreen .row { height: auto; }
    QueueEditorScreen .field { width: 1fr; height: auto; padding-right: 2; }
    QueueEditorScreen Label { color: $text-muted; margin-top: 1; }
    QueueEditorScreen SelectionList { height: auto; max-height: 8; }
    QueueEditorScreen #q-status { padding: 0 2; height: auto; }
    """

    class Loaded(Message):
        def __init__(
            self,
            definition: QueueDefinition | None,
            payers: list[PayerChoice],
            users: list[UserChoice],
        ) -> None:
            super().__init__()
            self.definition = definition
            self.payers = payers
            self.users = users

    class Done(Message):
        def __init__(self, saved: bool) -> None:
            super().__init__()
            self.saved = saved

    class Failed(Message):
        def __init__(self, reason: str, field: str | None = None) -> None:
            super().__init__()
            self.reason = reason
            self.field = field

    def __init__(self, queue_id: int | None = None) -> None:
        super().__init__()
        self.queue_id = queue_id
        self.ready = False
        self.confirm_delete = False

    @property
    def billing_app(self) -> BillingApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield TitleBar()
        with VerticalScroll():
            yield Label("Name")
            yield Input(id="q-name", placeholder="e.g. Aetna denials 60+")
            with Horizontal(classes="row"):
                with Vertical(classes="field"):
                    yield Label("Payer types (space toggles)")
                    yield SelectionList[str](
                        *((t.replace("_", "-"), t) for t in PAYER_TYPES), id="q-payer-types"
                    )
                with Vertical(classes="field"):
                    yield Label("Payers (none = any)")
                    yield SelectionList[int](id="q-payers")
            with Horizontal(classes="row"):
                with Vertical(classes="field"):
                    yield Label("Balance")
                    yield Select(
                        [(k.value, k.value) for k in BalanceKind],
                        value=BalanceKind.TOTAL.value,
                        allow_blank=False,
                        id="q-balance-kind",
                    )
                with Vertical(classes="field"):
                    yield Label("from $")
                    yield Input(id="q-min-balance", placeholder="any")
                with Vertical(classes="field"):
                    yield Label("to $")
                    yield Input(id="q-max-balance", placeholder="any")
            with Horizontal(classes="row"):
                with Vertical(classes="field"):
                    yield Label("Age counted from")
                    yield Select(
                        [
                            ("date of service", AgeBasis.SERVICE_DATE.value),
                            ("last activity", AgeBasis.LAST_ACTIVITY.value),
                            ("submission", AgeBasis.SUBMITTED.value),
                        ],
                        value=AgeBasis.SERVICE_DATE.value,
                        allow_blank=False,
                        id="q-age-basis",
                    )
                with Vertical(classes="field"):
                    yield Label("from days")
                    yield Input(id="q-min-age", placeholder="any")
                with Vertical(classes="field"):
                    yield Label("to days")
                    yield Input(id="q-max-age", placeholder="any")
            with Horizontal(classes="row"):
                with Vertical(classes="field"):
                    yield Label("Claim statuses (none = any)")
                    yield SelectionList[str](
                        *((s.label, s.value) for s in ClaimStatus), id="q-statuses"
                    )
                with Vertical(classes="field"):
                    yield Label("Open denial of category")
                    yield SelectionList[str](
                        *((category_label(c), c) for c in DENIAL_CATEGORIES), id="q-denials"
                    )
            with Horizontal(classes="row"):
                with Vertical(classes="field"):
                    yield Checkbox("Follow-up due (today or earlier)", id="q-follow-up")
                with Vertical(classes="field"):
                    yield Label("Filing/appeal deadline within days")
                    yield Input(id="q-deadline", placeholder="any")
            with Horizontal(classes="row"):
                with Vertical(classes="field"):
                    yield Label("Claim owner")
                    yield Select(
                        [
                            ("anyone", OwnerFilter.ANY.value),
                            ("the rep working the queue", OwnerFilter.MINE.value),
                            ("nobody (unassigned)", OwnerFilter.UNASSIGNED.value),
                            ("this user:", OwnerFilter.USER.value),
                        ],
                        value=OwnerFilter.ANY.value,
                        allow_blank=False,
                        id="q-owner",
                    )
                with Vertical(classes="field"):
                    yield Label("User")
                    yield Select([], id="q-owner-user", prompt="(choose)")
            with Horizontal(classes="row"):
                with Vertical(classes="field"):
                    yield Label("Sort by")
                    yield Select(
                        [(c.label, c.value) for c in SortColumn],
                        value=SortColumn.PRIORITY.value,
                        allow_blank=False,
                        id="q-sort",
                    )
                with Vertical(classes="field"):
                    yield Checkbox("Highest / latest first", value=True, id="q-desc")
            yield Label("Assigned to (none = shared by every rep)")
            yield SelectionList[int](id="q-members")
        yield StatusLine(id="q-status")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.title = "New work queue" if self.queue_id is None else "Edit work queue"
        actor = self.billing_app.actor
        if actor is not None:
            self.query_one(VerticalScroll).loading = True
            self.load(actor)

    @work(thread=True, exclusive=True, exit_on_error=False, group="queue-editor")
    def load(self, actor: Actor) -> None:
        from billing_tui.services.queues import get_queue, list_payers, list_users

        db = self.billing_app.database()
        try:
            definition = None if self.queue_id is None else get_queue(db, actor, self.queue_id)
            self.post_message(self.Loaded(definition, list_payers(db), list_users(db)))
        except DomainError as exc:
            self.post_message(self.Failed(str(exc)))

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        payers = self.query_one("#q-payers", SelectionList)
        # Names are database text: as Text, never read as markup.
        payers.add_options([(Text(p.name), p.payer_id) for p in message.payers])
        members = self.query_one("#q-members", SelectionList)
        members.add_options(
            [(Text(f"{u.display_name} ({u.role})"), u.user_id) for u in message.users]
        )
        self.query_one("#q-owner-user", Select).set_options(
            [(Text(u.display_name), u.user_id) for u in message.users]
        )
        d = message.definition
        if d is not None:
            self.title = f"Edit work queue: {d.name}"
            self._fill(d)
        self.query_one(VerticalScroll).loading = False
        self.ready = True
        self.query_one("#q-name", Input).focus()

    def _fill(self, d: QueueDefinition) -> None:
        r = d.rule
        self.query_one("#q-name", Input).value = d.name
        for wid, values in (
            ("#q-payer-types", r.payer_types),
            ("#q-payers", r.payer_ids),
            ("#q-statuses", r.statuses),
            ("#q-denials", r.denial_categories),
            ("#q-members", d.member_ids),
        ):
            sel = self.query_one(wid, SelectionList)
            for v in values:
                sel.select(v)
        self.query_one("#q-balance-kind", Select).value = r.balance_kind.value
        for wid, cents in (
            ("#q-min-balance", r.min_balance_cents),
            ("#q-max-balance", r.max_balance_cents),
        ):
            self.query_one(wid, Input).value = "" if cents is None else Money(cents).format()
        self.query_one("#q-age-basis", Select).value = r.age_basis.value
        for wid, days in (
            ("#q-min-age", r.min_age_days),
            ("#q-max-age", r.max_age_days),
            ("#q-deadline", r.deadline_within_days),
        ):
            self.query_one(wid, Input).value = "" if days is None else str(days)
        self.query_one("#q-follow-up", Checkbox).value = r.follow_up_due
        self.query_one("#q-owner", Select).value = r.owner.value
        if r.owner_user_id is not None:
            self.query_one("#q-owner-user", Select).value = r.owner_user_id
        self.query_one("#q-sort", Select).value = d.sort.column.value
        self.query_one("#q-desc", Checkbox).value = d.sort.descending

    # --- reading the form ----------------------------------------------------------------

    def read_form(self) -> tuple[str, QueueRule, QueueSort, list[int]]:
        """The form as a rule; ValidationError (with the field) when something is off."""
        q = self.query_one
        owner = OwnerFilter(q("#q-owner", Select).value)
        owner_user = q("#q-owner-user", Select).value
        if owner == OwnerFilter.USER and not isinstance(owner_user, int):
            raise ValidationError(
                "choose the user whose claims the queue lists", field="q-owner-user"
            )
        rule = QueueRule(
            payer_ids=tuple(q("#q-payers", SelectionList).selected),
            payer_types=tuple(q("#q-payer-types", SelectionList).selected),
            balance_kind=BalanceKind(q("#q-balance-kind", Select).value),
            min_balance_cents=_money(
                q("#q-min-balance", Input).value, "balance from", "q-min-balance"
            ),
            max_balance_cents=_money(
                q("#q-max-balance", Input).value, "balance to", "q-max-balance"
            ),
            age_basis=AgeBasis(q("#q-age-basis", Select).value),
            min_age_days=_days(q("#q-min-age", Input).value, "age from", "q-min-age"),
            max_age_days=_days(q("#q-max-age", Input).value, "age to", "q-max-age"),
            statuses=tuple(q("#q-statuses", SelectionList).selected),
            denial_categories=tuple(q("#q-denials", SelectionList).selected),
            follow_up_due=q("#q-follow-up", Checkbox).value,
            deadline_within_days=_days(
                q("#q-deadline", Input).value, "deadline days", "q-deadline"
            ),
            owner=owner,
            owner_user_id=owner_user if owner == OwnerFilter.USER else None,
        )
        sort = QueueSort(SortColumn(q("#q-sort", Select).value), q("#q-desc", Checkbox).value)
        members = list(q("#q-members", SelectionList).selected)
        return q("#q-name", Input).value, rule, sort, members

    def action_save(self) -> None:
        actor = self.billing_app.actor
        if actor is None or not self.ready:
            return
        try:
            name, rule, sort, members = self.read_form()
            rule.validate()
        except ValidationError as exc:
            self._show_error(str(exc), exc.field)
            return
        self.query_one("#q-status", StatusLine).show_info("Saving…")
        self.save(actor, name, rule, sort, members)

    @work(thread=True, exclusive=True, exit_on_error=False, group="queue-editor")
    def save(
        self, actor: Actor, name: str, rule: QueueRule, sort: QueueSort, members: list[int]
    ) -> None:
        from billing_tui.services.queues import create_queue, update_queue

        db = self.billing_app.database()
        try:
            if self.queue_id is None:
                create_queue(db, actor, name, rule, sort, member_ids=members)
            else:
                update_queue(
                    db, actor, self.queue_id, name=name, rule=rule, sort=sort, member_ids=members
                )
        except DomainError as exc:
            self.post_message(self.Failed(str(exc), getattr(exc, "field", None)))
            return
        self.post_message(self.Done(True))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "delete":
            return self.queue_id is not None
        return True

    def action_delete(self) -> None:
        actor = self.billing_app.actor
        if actor is None or self.queue_id is None:
            return
        if not self.confirm_delete:
            self.confirm_delete = True
            self.query_one("#q-status", StatusLine).show_error(
                "Press ctrl+d again to delete this queue (its claims stay as they are)."
            )
            return
        self.remove_queue(actor)

    @work(thread=True, exclusive=True, exit_on_error=False, group="queue-editor")
    def remove_queue(self, actor: Actor) -> None:
        from billing_tui.services.queues import delete_queue

        try:
            delete_queue(self.billing_app.database(), actor, self.queue_id)
        except DomainError as exc:
            self.post_message(self.Failed(str(exc)))
            return
        self.post_message(self.Done(False))

    @on(Done)
    def _done(self, message: Done) -> None:
        self.dismiss(message.saved)

    @on(Failed)
    def _failed(self, message: Failed) -> None:
        self.query_one(VerticalScroll).loading = False
        self._show_error(message.reason, message.field)

    def _show_error(self, reason: str, field: str | None) -> None:
        self.confirm_delete = False
        self.query_one("#q-status", StatusLine).show_error(reason)
        target = {"name": "q-name", "rule": None, "members": "q-members"}.get(field or "", field)
        if target:
            from textual.css.query import NoMatches

            with contextlib.suppress(NoMatches):  # a field the form does not show
                self.query_one(f"#{target}").focus()

    @on(Worker.StateChanged)
    def _crashed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "queue-editor" and event.state == WorkerState.ERROR:
            self.post_message(
                self.Failed(f"{type(event.worker.error).__name__}: {event.worker.error}")
            )


class AssignClaimsScreen(ModalScreen[bool]):
    """Pick the rep who owns these claims from now on (or nobody)."""

    BINDING_GROUP_TITLE = "Assign claims"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="assign.cancel"),
    ]
    DEFAULT_CSS = """
    AssignClaimsScreen { align: center middle; }
    AssignClaimsScreen #assign-box {
        width: 60; height: auto; max-height: 80%; padding: 1 2;
        border: round $primary; background: $surface;
    }
    AssignClaimsScreen OptionList { height: auto; max-height: 14; }
    AssignClaimsScreen #assign-status { height: auto; }
    """

    class Loaded(Message):
        def __init__(self, users: list[UserChoice]) -> None:
            super().__init__()
            self.users = users

    class Done(Message):
        pass

    class Failed(Message):
        def __init__(self, reason: str) -> None:
            super().__init__()
            self.reason = reason

    def __init__(self, claim_ids: list[int]) -> None:
        super().__init__()
        self.claim_ids = claim_ids

    @property
    def billing_app(self) -> BillingApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        n = len(self.claim_ids)
        with Vertical(id="assign-box") as box:
            box.border_title = f"Assign {n} claim{'s' if n != 1 else ''} to"
            yield OptionList(id="assign-users")
            yield StatusLine(id="assign-status")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.load_users()

    @work(thread=True, exclusive=True, exit_on_error=False, group="assign")
    def load_users(self) -> None:
        from billing_tui.services.queues import list_users

        try:
            self.post_message(self.Loaded(list_users(self.billing_app.database())))
        except DomainError as exc:
            self.post_message(self.Failed(str(exc)))

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        options = self.query_one(OptionList)
        options.add_options(
            [Option(Text(f"{u.display_name} ({u.role})"), id=str(u.user_id)) for u in message.users]
            + [Option("Nobody (unassign)", id="none")]
        )
        options.highlighted = 0
        options.focus()

    @on(OptionList.OptionSelected, "#assign-users")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        actor = self.billing_app.actor
        if actor is None:
            return
        user_id = None if event.option.id == "none" else int(str(event.option.id))
        self.assign(actor, user_id)

    @work(thread=True, exclusive=True, exit_on_error=False, group="assign")
    def assign(self, actor: Actor, user_id: int | None) -> None:
        from billing_tui.services.queues import assign_claims

        try:
            assign_claims(self.billing_app.database(), actor, self.claim_ids, user_id)
        except DomainError as exc:
            self.post_message(self.Failed(str(exc)))
            return
        self.post_message(self.Done())

    @on(Done)
    def _done(self) -> None:
        self.dismiss(True)

    @on(Failed)
    def _failed(self, message: Failed) -> None:
        self.query_one(StatusLine).show_error(message.reason)

    def action_cancel(self) -> None:
        self.dismiss(False)
