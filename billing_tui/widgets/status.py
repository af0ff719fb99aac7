"""A one-line status under a form: service errors (shown as is) or short progress notes."""

from __future__ import annotations

from textual.widgets import Static


class StatusLine(Static):
    """One line of feedback; class "error" while it shows an error."""

    DEFAULT_CSS = """
    StatusLine {
        height: 1;
        width: 100%;
        color: $text-muted;
    }
    StatusLine.error {
        color: $text-error;
        text-style: bold;
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__("", id=id, classes=classes, markup=False)
        self.message = ""

    def show_error(self, message: str) -> None:
        self._set(message, error=True)

    def show_info(self, message: str) -> None:
        self._set(message, error=False)

    def clear(self) -> None:
        self._set("", error=False)

    @property
    def is_error(self) -> bool:
        return self.has_class("error")

    def _set(self, message: str, *, error: bool) -> None:
        # Domain messages are one line by contract; keep only the first if one slips through.
        self.message = message.strip().splitlines()[0] if message.strip() else ""
        self.set_class(error and bool(self.message), "error")
        self.update(self.message)
