#!/usr/bin/env python3
"""The peer for the TUI start benchmark: the smallest Textual app that paints and takes a key.

One Static widget; the key `c` replaces its text. bench/bench_tui.py launches this and the
wizard the same way (tmux, polling the pane) and compares.
"""

from textual.app import App, ComposeResult
from textual.widgets import Static


class Minimal(App[None]):
    BINDINGS = [("c", "pressed", "press"), ("ctrl+q", "quit", "quit")]

    def compose(self) -> ComposeResult:
        yield Static("bench-minimal-ready", id="s")

    def action_pressed(self) -> None:
        self.query_one("#s", Static).update("bench-minimal-key-ok")


if __name__ == "__main__":
    Minimal().run()
