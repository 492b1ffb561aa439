"""One line above the footer: what the app is doing in the background, with progress."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Label, ProgressBar


class ActivityBar(Horizontal):
    """Hidden when idle; shows the app's `activity` (label, done, total) while a job runs."""

    def compose(self) -> ComposeResult:
        yield ProgressBar(show_eta=False, id="activity-bar")
        yield Label("", id="activity-label")

    def on_mount(self) -> None:
        self.watch(self.app, "activity", self.show_activity)

    def show_activity(self, activity: tuple[str, int, int | None] | None) -> None:
        self.display = activity is not None
        if activity is None:
            return
        text, done, total = activity
        self.query_one(ProgressBar).update(total=total, progress=done)
        counter = f"{done}/{total} " if total else ""
        self.query_one("#activity-label", Label).update(f"{counter}{text}")
