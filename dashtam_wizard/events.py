"""What a build and a verify report as they run: plain data, no Docker SDK.

The adapter (docker/) produces these; the CLI prints them and the TUI shows them, matching
them by type (`isinstance`), which it can do without loading the SDK: importing this module
loads nothing but dataclasses.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

STATUS_ICON = {"pass": "✅", "warn": "⚠️", "fail": "❌"}  # a check's status, as shown


@dataclass(frozen=True)
class StepStarted:
    n: int
    total: int
    text: str  # the instruction, e.g. "RUN uv sync --frozen"
    stage: str = ""  # BuildKit numbers steps per stage: n/total within this stage


@dataclass(frozen=True)
class Output:
    line: str


@dataclass(frozen=True)
class CacheHit:
    step: int
    stage: str = ""  # BuildKit: the stage `step` counts in


@dataclass(frozen=True)
class StepFailed:
    step: int | None  # None: the build failed before any step (bad Dockerfile, context...)
    error: str
    text: str = ""  # the failing instruction, when known
    stage: str = ""  # BuildKit: the stage `step` counts in


@dataclass(frozen=True)
class BuildDone:
    image_id: str


BuildEvent = StepStarted | Output | CacheHit | StepFailed | BuildDone


@dataclass
class BuildResult:
    target: str | None
    image_id: str | None = None
    failed: StepFailed | None = None
    steps: int = 0
    cache_hits: int = 0
    seconds: float = 0.0
    tag: str | None = None
    where: str | None = None  # "docker/Dockerfile:LINE" of the failing instruction
    events: int = field(default=0, repr=False)

    @property
    def ok(self) -> bool:
        return self.image_id is not None and self.failed is None


@dataclass
class CheckResult:
    name: str
    passed: bool
    evidence: str  # shown to the user; never holds an unmasked env value
    where: str | None = None  # "file:line" to fix
    warning: bool = False  # passed, but something the user should act on

    @property
    def status(self) -> str:
        return "fail" if not self.passed else "warn" if self.warning else "pass"

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "status": self.status}


@dataclass(frozen=True)
class BuildStarted:
    target: str | None
    index: int
    count: int
    via: str = ""  # the repo's command whose arguments the build uses ("Makefile:33"), if any


@dataclass(frozen=True)
class BuildFinished:
    result: BuildResult


@dataclass(frozen=True)
class TestOutput:
    line: str


Progress = BuildStarted | BuildEvent | BuildFinished | CheckResult | TestOutput
