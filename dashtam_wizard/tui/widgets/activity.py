"""One line above the footer: what the app is doing in the background, with progress."""

from __future__ import annotations

from textual.containers import Horizontal


class ActivityBar(Horizontal):
    """Hidden when idle; shows the app's `activity` (label, done, total) while a job runs.

    Its progress bar and label are imported and mounted the first time there is something
    to show: every screen has an ActivityBar, and most never show one, so start-up does
    not pay for them.
    """

    def on_mount(self) -> None:
        self.watch(self.app, "activity", self.show_activity)

    def show_activity(self, activity: tuple[str, int, int | None] | None) -> None:
        self.display = activity is not None
        if activity is None:
            return
        from textual.widgets import Label, ProgressBar

        text, done, total = activity
        if not self.children:
            self.mount(
                ProgressBar(show_eta=False, id="activity-bar"), Label("", id="activity-label")
            )
        self.query_one(ProgressBar).update(total=total, progress=done)
        counter = f"{done}/{total} " if total else ""
        self.query_one("#activity-label", Label).update(f"{counter}{text}")
