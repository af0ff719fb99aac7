"""One line on the status line when a screen's worker dies of an unexpected error.

Services raise DomainError for everything a rep can cause or fix, and the screens show
those as they come. Anything else escaping a worker (a bug, a dropped connection) would
otherwise vanish: the worker ends in the ERROR state and the screen keeps waiting. A
screen lists its worker groups and what each was doing; this names the failure in one
line ("Could not load the work list: OperationalError: ...") and calls
``worker_failed`` so the screen can clear its busy flags and spinners.
"""

from __future__ import annotations

from typing import ClassVar

from textual.worker import Worker, WorkerState

from billing_tui.widgets.status import StatusLine


class ReportsWorkerFailures:
    """Mixin for a Screen. ``WORKER_FAILURES`` maps a worker group (or a prefix ending
    in "-") to what it does, as "Could not ..." ends; ``FAILURE_STATUS`` is the
    selector of the StatusLine that shows it."""

    WORKER_FAILURES: ClassVar[dict[str, str]] = {}
    FAILURE_STATUS: ClassVar[str] = ""

    def worker_failed(self, group: str) -> None:
        """Hook: undo what the failed worker's start did (busy flags, spinners)."""

    def failure_of(self, group: str) -> str | None:
        """What the worker of ``group`` was doing, or None if this screen does not say."""
        if group in self.WORKER_FAILURES:
            return self.WORKER_FAILURES[group]
        return next(
            (what for key, what in self.WORKER_FAILURES.items()
             if key.endswith("-") and group.startswith(key)),
            None,
        )  # fmt: skip

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state != WorkerState.ERROR:
            return
        what = self.failure_of(event.worker.group)
        if what is None:
            return
        self.worker_failed(event.worker.group)
        error = event.worker.error
        status = self.query_one(self.FAILURE_STATUS, StatusLine)  # type: ignore[attr-defined]
        status.show_error(f"Could not {what}: {type(error).__name__}: {error}")
