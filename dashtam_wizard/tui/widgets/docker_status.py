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
        text, ok = status
        self.update(Content.assemble(("Docker: ", "bold"), f"{STATUS_DOT[ok]} {text}"))
