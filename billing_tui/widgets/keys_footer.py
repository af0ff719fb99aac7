"""A key footer that rebuilds itself only when the keys it shows change.

Textual's Footer recomposes (unmounts and mounts every key, restyling each one twice) on
every "bindings changed" signal: a pushed screen sends three or four of them before its
data is painted (push, focus, a key enabled by the loaded data). Rebuilding the same keys
cost more than painting the denial work list, so this footer compares what it would show
with what it shows: nothing changed -> nothing to do; only keys' enabled state changed ->
those keys change class in place; otherwise a normal recompose. Under a pushed screen
(which takes the focus, and so "changes" the bindings) it waits for its screen to return.

A new key is also built at the footer's compact setting: Textual's FooterKey starts
compact and is then bound to the footer's value, restyling itself twice on mount
(two full stylesheet passes per key, most of a recompose). Textual is pinned
(pyproject), and the snapshot tests show the footer looks the same.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer
from textual.widgets._footer import FooterKey


class KeysFooter(Footer):
    def __init__(self) -> None:
        super().__init__()
        self._layout: tuple | None = None  # (key, binding, tooltip) of each key it shows
        self._enabled: dict[str, bool] = {}

    def compose(self) -> ComposeResult:
        for widget in super().compose():
            if isinstance(widget, FooterKey) and not widget.has_class("-command-palette"):
                # Bound to Footer.compact by compose; start there so binding changes nothing.
                widget.set_reactive(FooterKey.compact, self.compact)
                widget.set_class(self.compact, "-compact", update=False)
            yield widget

    async def recompose(self) -> None:
        if not self.is_attached or self._pruning:
            return  # removed with its screen before this queued call ran (as Widget does)
        if not self.screen.is_current:
            return  # covered by a pushed screen; its resume (focus comes back) calls again
        palette = self.app.COMMAND_PALETTE_BINDING
        shown = {
            key: b
            for key, b in self.screen.active_bindings.items()
            if b.binding.show or key == palette
        }
        layout = tuple((key, b.binding, b.tooltip) for key, b in shown.items())
        enabled = {key: b.enabled for key, b in shown.items()}
        if layout != self._layout or not self.children:
            self._layout, self._enabled = layout, enabled
            await super().recompose()
            return
        if enabled == self._enabled:
            return
        self._enabled = enabled
        for key in self.query(FooterKey):
            on = enabled.get(key.key)
            if on is not None:
                # What FooterKey(disabled=...) sets: the click guard and the dim style.
                key._disabled = not on
                key.set_class(not on, "-disabled")
