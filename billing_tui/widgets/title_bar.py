"""The title bar: the screen's title and sub-title on one line, drawn by one widget.

Textual's Header is four widgets (the bar, an icon, the title, the clock's space). Its
title is filled in by watchers that run after the screen's first paint, and each
update asks for a new layout of the whole screen: every screen push paid one more
frame (a layout, a repaint and the wait for the frame) after its data was on view.
This bar draws the same line, icon at the left, title centred between the icon and
the clock's space, from the titles at paint time; a new title is a repaint of one line.
Clicking the icon opens the command palette, as on the stock header. Not carried over:
the icon's tooltip and the click that makes the header three lines tall.
"""

from __future__ import annotations

from textual import events
from textual.content import Content
from textual.widget import Widget

ICON = "⭘"
ICON_WIDTH = 8  # the stock icon's width (one space either side of the glyph, left aligned)
CLOCK_WIDTH = 10  # the stock header keeps this much room for a clock at the right


class TitleBar(Widget, can_focus=False):
    ALLOW_SELECT = False
    DEFAULT_CSS = """
    TitleBar {
        dock: top;
        width: 100%;
        height: 1;
        background: $panel;
        color: $foreground;
    }
    """

    def on_mount(self) -> None:
        for obj in (self.app, self.screen):
            for attribute in ("title", "sub_title"):
                self.watch(obj, attribute, self._retitle, init=False)

    def _retitle(self) -> None:
        self.refresh()

    def title_content(self) -> Content:
        """What the stock header shows: the screen's title (else the app's), then
        " — sub-title" dimmed (App.format_title)."""
        screen, app = self.screen, self.app
        title = screen.title if screen.title is not None else app.title
        sub_title = screen.sub_title if screen.sub_title is not None else app.sub_title
        return app.format_title(title, sub_title)

    def render(self) -> Content:
        width = self.size.width
        room = max(0, width - ICON_WIDTH - CLOCK_WIDTH)
        icon = Content(f" {ICON}").truncate(ICON_WIDTH, pad=True)
        title = self.title_content().center(room, ellipsis=True).truncate(room, pad=True)
        line = Content.assemble(icon, title, " " * CLOCK_WIDTH)
        return line.truncate(width, pad=True)

    async def on_click(self, event: events.Click) -> None:
        if event.x < ICON_WIDTH and self.app.ENABLE_COMMAND_PALETTE:
            event.stop()
            await self.run_action("app.command_palette")
