"""One built stage: a step counter, a progress bar and a live, bounded log."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Label, Log, ProgressBar

MAX_LINES = 400  # per stage on screen; the whole log goes to a file


class StageLog(Vertical):
    def __init__(self, target: str, index: int, count: int, log_file: str) -> None:
        super().__init__(classes="stage-log")
        self.target = target
        self.index = index
        self.count = count
        self.log_file = log_file
        self.lines = 0
        self.border_title = f"{target} ({index + 1}/{count})"

    def compose(self) -> ComposeResult:
        with Horizontal(classes="stage-head"):
            yield Label("waiting for the daemon…", classes="stage-step")
            yield ProgressBar(show_eta=False, show_percentage=False, classes="stage-bar")
        yield Log(max_lines=MAX_LINES, classes="stage-output")
        yield Label("", classes="stage-dropped")

    def step(self, n: int, total: int, text: str) -> None:
        self.query_one(".stage-step", Label).update(
            Content.from_markup(f"[b]step {n}/{total}[/b] {Content(text[:80]).markup}")
        )
        self.query_one(ProgressBar).update(total=total, progress=n - 1)
        self.write(f"Step {n}/{total} : {text}")

    def write(self, line: str) -> None:
        self.lines += 1
        self.query_one(Log).write_line(line)
        dropped = self.lines - MAX_LINES
        if dropped > 0:
            self.query_one(".stage-dropped", Label).update(
                f"{dropped} earlier line(s) dropped from view — full log: {self.log_file}"
            )

    def finish(self, ok: bool, text: str) -> None:
        bar = self.query_one(ProgressBar)
        if bar.total is not None and ok:
            bar.update(progress=bar.total)
        self.set_class(ok, "-ok")
        self.set_class(not ok, "-failed")
        self.query_one(".stage-step", Label).update(
            Content.from_markup(
                f"[b]{'✅ built' if ok else '❌ failed'}[/b] {Content(text).markup}"
            )
        )
