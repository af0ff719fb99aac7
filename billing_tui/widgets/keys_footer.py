"""The key footer: the screen's keys on one line, drawn by one widget.

Textual's Footer is a container of one widget per key. It starts empty, builds its keys
after the screen's first paint, and rebuilds them all (unmount, mount, restyle each key
twice) on every "bindings changed" signal: a pushed screen sends three or four before
its data is painted (pushed, focused, a key enabled by the data, a focused table hiding
a screen key). On the denial work list those rebuilds were a quarter of the time to the
first page. This footer draws the same line, in the same colours (``footer-*`` theme
variables, the stock spacing), from the bindings at paint time: a change of keys is one
repaint of one line.

Like the stock footer: keys that bind the same action show once; a disabled key is dim
and rings the bell when clicked; the command-palette key sits at the right edge behind a
thin rule. Clicking a key presses it. Not carried over: per-key tooltips (the
description is on the key) and the compact and grouped-binding styles, which no screen
here uses.
"""

from __future__ import annotations

from typing import NamedTuple

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual import events
from textual.widget import Widget


class FooterEntry(NamedTuple):
    key: str
    display: str
    description: str
    enabled: bool


class KeysFooter(Widget, can_focus=False):
    ALLOW_SELECT = False
    COMPONENT_CLASSES = {
        "keys-footer--key",
        "keys-footer--description",
        "keys-footer--disabled",
        "keys-footer--hover",
        "keys-footer--rule",
    }
    DEFAULT_CSS = """
    KeysFooter {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
        & > .keys-footer--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        & > .keys-footer--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
        & > .keys-footer--disabled { text-style: dim; }
        & > .keys-footer--hover {
            color: $footer-key-foreground;
            background: $block-hover-background;
        }
        & > .keys-footer--rule { color: $foreground 20%; }
    }
    """

    def __init__(self) -> None:
        super().__init__()
        self._spans: list[tuple[int, int, FooterEntry]] = []  # x range of each key drawn
        self._hover: str | None = None

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, _screen) -> None:
        self.refresh()

    def entries(self) -> tuple[list[FooterEntry], FooterEntry | None]:
        """(the keys, left to right; the command-palette key) as the footer shows them."""
        app = self.app
        active = self.screen.active_bindings
        keys: list[FooterEntry] = []
        seen_actions: set[str] = set()
        for key, (_, binding, enabled, _tooltip) in active.items():
            if not binding.show or binding.action in seen_actions:
                continue
            seen_actions.add(binding.action)
            keys.append(
                FooterEntry(key, app.get_key_display(binding), binding.description, enabled)
            )
        palette = None
        if app.ENABLE_COMMAND_PALETTE and app.COMMAND_PALETTE_BINDING in active:
            _, binding, enabled, _tooltip = active[app.COMMAND_PALETTE_BINDING]
            palette = FooterEntry(
                binding.key, app.get_key_display(binding), binding.description, enabled
            )
        return keys, palette

    def key_enabled(self, key: str) -> bool | None:
        """Whether ``key`` is shown enabled (True), shown dimmed (False), or not shown."""
        keys, palette = self.entries()
        for entry in [*keys, *([palette] if palette else [])]:
            if entry.key == key:
                return entry.enabled
        return None

    def _entry_text(self, entry: FooterEntry, base: Style, compact: bool = False) -> Text:
        """ " f1 Help " (or compact, as the palette key is drawn: "^p Commands")."""
        key_style = self.get_component_rich_style("keys-footer--key")
        description_style = self.get_component_rich_style("keys-footer--description")
        text = Text.assemble((entry.display if compact else f" {entry.display} ", key_style))
        if entry.description:
            description = f" {entry.description}" if compact else f"{entry.description} "
            text.append(description, description_style)
        style = base
        if entry.key == self._hover:
            style += self.get_component_rich_style("keys-footer--hover")
        if not entry.enabled:
            style += self.get_component_rich_style("keys-footer--disabled")
        text.stylize_before(style)
        return text

    def render(self) -> Text:
        width = self.size.width
        base = self.rich_style
        keys, palette = self.entries()
        right = Text()
        if palette is not None:
            rule = self.get_component_rich_style("keys-footer--rule")
            right = Text.assemble(("▏", base + rule))
            right.append_text(self._entry_text(palette, base, compact=True))
            right.append(" ", base)
        room = max(0, width - cell_len(right.plain))
        line = Text(no_wrap=True, end="")
        spans: list[tuple[int, int, FooterEntry]] = []
        for entry in keys:
            part = self._entry_text(entry, base)
            start = cell_len(line.plain)
            if start >= room:
                break
            line.append_text(part)
            spans.append((start, min(room, start + cell_len(part.plain)), entry))
        line.truncate(room, pad=True)
        if palette is not None:
            spans.append((room + 1, width, palette))
        line.append_text(right)
        line.stylize_before(base)
        self._spans = spans
        return line

    def _entry_at(self, x: int) -> FooterEntry | None:
        return next((entry for start, end, entry in self._spans if start <= x < end), None)

    def on_mouse_move(self, event: events.MouseMove) -> None:
        entry = self._entry_at(event.x)
        hover = entry.key if entry else None
        if hover != self._hover:
            self._hover = hover
            self.refresh()

    def on_leave(self, _event: events.Leave) -> None:
        if self._hover is not None:
            self._hover = None
            self.refresh()

    def on_click(self, event: events.Click) -> None:
        entry = self._entry_at(event.x)
        if entry is None:
            return
        if entry.enabled:
            self.app.simulate_key(entry.key)
        else:
            self.app.bell()
