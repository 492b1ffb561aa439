"""Verify: a live log per built stage, and the checks' results as they come in."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Label, OptionList, Static

from ...events import (
    STATUS_ICON,
    BuildFinished,
    BuildStarted,
    CacheHit,
    CheckResult,
    Output,
    Progress,
    StepFailed,
    StepStarted,
    TestOutput,
)
from ..verify_run import log_path
from ..widgets.docker_status import DockerStatus
from ..widgets.stage_log import StageLog
from .base import WizardScreen

if TYPE_CHECKING:
    from ...service.state import RepoState

IDLE = (
    "Builds the stages compose uses the way your commands do (docker compose build, BuildKit; "
    "the classic builder only where no Compose v2 CLI is found), streamed, and runs the plan's "
    "Testing Strategy checks on them. Nothing in the repo is written. Press [b]v[/b] to run."
)


class VerifyScreen(WizardScreen):
    key = "verify"

    def __init__(self) -> None:
        super().__init__()
        self.current: StageLog | None = None

    def body(self) -> ComposeResult:
        with Vertical(id="verify-body"):
            yield Static(Content.from_markup(IDLE), id="verify-status")
            yield DockerStatus(id="verify-docker")
            with Horizontal(id="verify-main"):
                with VerticalScroll(id="stage-logs"):
                    yield Label("No build yet.", id="no-builds", classes="dim")
                with Vertical(id="verify-results") as box:
                    box.border_title = "Results"
                    yield OptionList(id="checks")

    def show_state(self, state: RepoState | None) -> None:
        pass  # results belong to a run, not to the plan

    def reset(self) -> None:
        """Clear the last run: a new one is starting (the app runs the worker)."""
        self.current = None
        self.query_one("#stage-logs").remove_children()
        self.query_one(OptionList).clear_options()
        self.query_one("#verify-docker").display = True
        self.set_status("Connecting to the Docker daemon…")

    def set_status(self, markup: str, error: bool = False) -> None:
        status = self.query_one("#verify-status", Static)
        status.set_class(error, "error-panel")
        status.update(Content.from_markup(markup))

    def unavailable(self, text: str) -> None:
        self.set_status(f"[b]Cannot verify:[/b] {Content(text).markup}", error=True)
        self.query_one("#verify-docker").display = False  # the panel above says it

    def events(self, objs: list[Progress]) -> None:
        """A batch: runs of build lines go to the stage log in one write."""
        lines: list[str] = []
        for obj in objs:
            if self.current is not None and isinstance(obj, Output | TestOutput | CacheHit):
                lines.append("  (using cache)" if isinstance(obj, CacheHit) else obj.line)
                continue
            if lines and self.current is not None:
                self.current.write_many(lines)
                lines = []
            self.event(obj)
        if lines and self.current is not None:
            self.current.write_many(lines)

    def event(self, obj: Progress) -> None:
        """One progress object from docker.verify, in the order the daemon produced it."""
        if isinstance(obj, BuildStarted):
            label = obj.target or "default"
            via = f", as {Content(obj.via).markup} runs it" if getattr(obj, "via", "") else ""
            self.set_status(
                f"Building [b]{Content(label).markup}[/b] ({obj.index + 1}/{obj.count}{via})…"
            )
            log = StageLog(label, obj.index, obj.count, log_path(obj.target))
            self.current = log
            self.query_one("#stage-logs").mount(log)
            log.scroll_visible()
        elif self.current is None:
            if isinstance(obj, CheckResult):
                self.add_check(obj)
        elif isinstance(obj, StepStarted):
            stage = getattr(obj, "stage", "")
            self.current.step(obj.n, obj.total, f"{stage} › {obj.text}" if stage else obj.text)
        elif isinstance(obj, Output | TestOutput):
            self.current.write(obj.line)
        elif isinstance(obj, CacheHit):
            self.current.write("  (using cache)")
        elif isinstance(obj, StepFailed):
            self.current.write(f"FAILED at step {obj.step}: {obj.error}")
        elif isinstance(obj, BuildFinished):
            r = obj.result
            text = (
                f"· {r.steps} steps · {r.cache_hits} cached · {r.seconds:.1f} s"
                if r.ok
                else f"{r.failed.error if r.failed else 'no image'}"
                + (f" — fix at {r.where}" if r.where else "")
            )
            self.current.finish(r.ok, text)
        elif isinstance(obj, CheckResult):
            self.add_check(obj)

    def add_check(self, r: Any) -> None:
        where = f"  [$text-accent]{Content(r.where).markup}[/]" if r.where else ""
        results = self.query_one(OptionList)
        results.add_option(
            Content.from_markup(
                f"{STATUS_ICON.get(r.status, '?')} [b]{Content(r.name).markup}[/b]\n   [dim]{Content(r.evidence).markup}[/]{where}"
            )
        )
        results.highlighted = results.option_count - 1

    def done(self, report: Any) -> None:
        n = {s: sum(1 for c in report.checks if c.status == s) for s in ("pass", "warn", "fail")}
        verdict = (
            "[$text-success]all checks passed[/]"
            if report.ok
            else "[$text-error]some checks failed[/]"
        )
        self.set_status(
            f"[b]Verify finished:[/b] {verdict} — {n['pass']} passed, {n['warn']} warning(s), "
            f"{n['fail']} failed. Full build logs in {Content(log_path(None).rsplit('/', 1)[0]).markup}/"
        )
