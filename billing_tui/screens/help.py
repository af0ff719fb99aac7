"""F1: a modal listing the keys that work on the screen the rep is looking at."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.table import Table
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widget import Widget
from textual.widgets import Static

from billing_tui.widgets.keys_footer import KeysFooter


@dataclass(frozen=True, slots=True)
class KeyHelp:
    group: str
    key: str
    description: str
    enabled: bool = True


GENERAL = "General"


def collect_keys(screen: Screen) -> list[KeyHelp]:
    """The keys that work on ``screen``, grouped: the screen's, widgets', app-wide, general.

    Our bindings all carry an ``id``; Textual's built-in ones (tab, copy) do not and are
    listed last under "General". A focused widget's keys are listed only when it shows
    them in the footer (an input's cursor keys would drown the list). Keys that
    ``check_action`` hides are not active, so not listed.
    """
    app = screen.app
    ranked: list[tuple[int, int, KeyHelp]] = []
    seen: set[tuple[str, str]] = set()

    def add(rank: int, order: int, group: str, binding: Binding, enabled: bool = True) -> None:
        if (group, binding.description) in seen:  # one action on several keys: once
            return
        seen.add((group, binding.description))
        display = app.get_key_display(binding) or binding.key
        ranked.append((rank, order, KeyHelp(group, display, binding.description, enabled)))

    for order, active in enumerate(screen.active_bindings.values()):
        binding, node = active.binding, active.node
        if not binding.description or binding.system:
            continue
        is_widget = isinstance(node, Widget) and not isinstance(node, Screen)
        if is_widget and not binding.show:
            continue
        if binding.id is None and not is_widget:
            add(3, order, GENERAL, binding, active.enabled)
            continue
        rank = 0 if node is screen else 2 if node is app else 1
        add(rank, order, node.BINDING_GROUP_TITLE or type(node).__name__, binding, active.enabled)

    # A screen key shadowed by the focused widget (enter in an input that submits the
    # form) still does what the screen says: list the screen's own keys too.
    group = screen.BINDING_GROUP_TITLE or type(screen).__name__
    for order, binding in enumerate(getattr(type(screen), "BINDINGS", [])):
        if not isinstance(binding, Binding) or not binding.description:
            continue
        if screen.check_action(binding.action, ()) is False:
            continue
        add(0, -1000 + order, group, binding)

    ranked.sort(key=lambda item: (item[0], item[1]))
    return [row for _, _, row in ranked]


class HelpScreen(ModalScreen[None]):
    """The key list; escape, F1 or q closes it."""

    BINDING_GROUP_TITLE = "Help"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="help.close"),
        Binding("f1", "close", "Close", show=False, id="help.close_f1"),
        Binding("q", "close", "Close", show=False, id="help.close_q"),
    ]

    def __init__(self, keys: list[KeyHelp], title: str) -> None:
        super().__init__()
        self.keys = keys
        self.help_title = title

    def compose(self) -> ComposeResult:
        table = Table(box=None, show_header=False, pad_edge=False, expand=True)
        table.add_column("key", style="bold", no_wrap=True, min_width=10)
        table.add_column("description", ratio=1)
        group = None
        for row in self.keys:
            if row.group != group:
                if group is not None:
                    table.add_row("", "")
                table.add_row(f"[u]{row.group}[/u]", "")
                group = row.group
            table.add_row(row.key, row.description, style="" if row.enabled else "dim")
        with Vertical(id="help-box") as box:
            box.border_title = f"Keys: {self.help_title}"
            box.border_subtitle = "escape closes"
            with VerticalScroll():
                yield Static(table, id="help-keys")
        yield KeysFooter()

    def action_close(self) -> None:
        self.dismiss()


def screen_title(app: App, screen: Screen) -> str:
    return screen.BINDING_GROUP_TITLE or screen.title or app.title
