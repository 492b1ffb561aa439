"""The one line saying whether a Docker daemon answers: the same widget on every screen."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from ..docker_probe import STATUS_DOT


class DockerStatus(Static):
    """`Docker: 🟢 reachable — Docker 27.3 (API 1.47)`, following the app's `docker_status`."""

    def on_mount(self) -> None:
        self.watch(self.app, "docker_status", self.show_status)

    def show_status(self, status: tuple[str, bool | None]) -> None:
        """A long error is said in its first clause (the Status box has three rows); the
        whole of it, with what to do, is the tooltip and the Verify screen's."""
        text, ok = status
        shown = text
        if ok is False and len(text) > 70:
            shown = text.split(",", 1)[0].split(" (", 1)[0].split(": ", 1)[0]
            if len(shown) > 70:  # a long socket path: the host is in the details
                shown = shown.split(" at ", 1)[0]
            shown += " — v: details"
        self.tooltip = text if shown != text else None
        self.update(Content.assemble(("Docker: ", "bold"), f"{STATUS_DOT[ok]} {shown}"))
