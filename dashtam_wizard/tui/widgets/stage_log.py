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
        self.ready = False
        self.pending: list[str] = []
        self.pending_step: tuple[int, int, str] | None = None
        self.pending_finish: tuple[bool, str] | None = None
        self.border_title = f"{target} ({index + 1}/{count})"

    def compose(self) -> ComposeResult:
        with Horizontal(classes="stage-head"):
            yield Label("waiting for the daemon…", classes="stage-step")
            yield ProgressBar(show_eta=False, show_percentage=False, classes="stage-bar")
        yield Log(max_lines=MAX_LINES, classes="stage-output")
        yield Label("", classes="stage-dropped")

    def on_mount(self) -> None:
        """Children exist from here on: show what arrived while the log was being mounted."""
        self.ready = True
        if self.pending_step is not None:
            self._show_step(*self.pending_step)
        if self.pending:
            lines, self.pending = self.pending, []
            self.lines -= len(lines)
            self.write_many(lines)
        if self.pending_finish is not None:
            self.finish(*self.pending_finish)

    def step(self, n: int, total: int, text: str) -> None:
        self.pending_step = (n, total, text)
        if self.ready:
            self._show_step(n, total, text)
        self.write(f"Step {n}/{total} : {text}")

    def _show_step(self, n: int, total: int, text: str) -> None:
        self.query_one(".stage-step", Label).update(
            Content.from_markup(f"[b]step {n}/{total}[/b] {Content(text[:80]).markup}")
        )
        self.query_one(ProgressBar).update(total=total, progress=n - 1)

    def write(self, line: str) -> None:
        self.write_many([line])

    def write_many(self, lines: list[str]) -> None:
        self.lines += len(lines)
        if not self.ready:
            self.pending = (self.pending + lines)[-MAX_LINES:]
            return
        self.query_one(Log).write_lines(lines[-MAX_LINES:])
        dropped = self.lines - MAX_LINES
        if dropped > 0:
            self.query_one(".stage-dropped", Label).update(
                f"{dropped} earlier line(s) dropped from view — full log: {self.log_file}"
            )

    def finish(self, ok: bool, text: str) -> None:
        if not self.ready:
            self.pending_finish = (ok, text)
            return
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
