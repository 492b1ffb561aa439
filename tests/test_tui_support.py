"""Helpers for the TUI tests (no tests here): drive the app, wait for its workers, read the screen."""

from __future__ import annotations

import io

from rich.console import Console
from textual.app import App
from textual.pilot import Pilot


def running(app: App) -> bool:
    return any(w.is_running for w in app.workers)


async def settle(pilot: Pilot, timeout: float = 600) -> None:
    """Wait until no worker runs and the messages they posted are handled (a reload may follow)."""
    app = pilot.app
    idle = 0
    for _ in range(int(timeout * 20)):  # polling: waiting on a worker re-raises its error
        await pilot.pause(0.05)
        if running(app):
            idle = 0
            continue
        idle += 1
        if idle >= 3:
            return
    raise AssertionError("workers still running")


async def docker_checked(pilot: Pilot, timeout: float = 60) -> None:
    """Wait for the Docker probe's answer (it starts a moment after the first frame)."""
    for _ in range(int(timeout * 20)):
        if pilot.app.docker_status[1] is not None:
            await settle(pilot)
            return
        await pilot.pause(0.05)
    raise AssertionError(f"no Docker status: {pilot.app.docker_status}")


async def press(pilot: Pilot, *keys: str) -> None:
    for key in keys:
        await pilot.press(key)
        await settle(pilot)


def screen_text(app: App) -> str:
    """The current screen (with any modal over it) as plain text, as the terminal shows it."""
    width, height = app.size
    console = Console(
        width=width,
        height=height,
        file=io.StringIO(),
        force_terminal=True,
        color_system="truecolor",
        record=True,
        legacy_windows=False,
        safe_box=False,
    )
    console.print(
        app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    )
    return console.export_text()
