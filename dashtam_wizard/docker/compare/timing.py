"""Timing: one build timed step by step, with uv's own summary lines split into phases."""

from __future__ import annotations

import contextlib
import math
import re
import time
from dataclasses import dataclass, field
from typing import Any

import docker

from ...events import CacheHit, Output, StepStarted
from ...judge.binary import compose_cli
from ..build import build_stage
from ..buildkit import ComposeBuild, build_with_compose
from ..client import image_attrs
from .errors import CompareError
from .sides import Side

# uv's own summary lines: how much of a dependency step is uv, and how much is Docker.
_UV_LINE = re.compile(
    r"^(Resolved|Prepared|Installed|Bytecode compiled) (\d+) (?:packages?|files) in ([\d.]+)(ms|s)$"
)
UV_PHASES = {
    "Resolved": "resolve",
    "Prepared": "download",
    "Installed": "install",
    "Bytecode compiled": "bytecode",
}


@dataclass
class Timed:
    """One build: wall time from the API call to the last message, and where it went."""

    seconds: float
    steps: int  # steps up to the target
    rebuilt: int  # steps that ran (not FROM, not from cache)
    slowest: tuple[str, float] | None = None  # the longest step that ran
    uv: dict[str, float] = field(default_factory=dict)  # uv's own phases: resolve, download...
    compiled_files: int = 0  # uv's "Bytecode compiled N files"
    lock: float | None = None  # `uv lock` on the host before the build (pyproject layouts)

    @property
    def uv_work(self) -> float:
        """Resolve + download + install as uv reports them (bytecode apart)."""
        return sum(v for k, v in self.uv.items() if k != "bytecode")

    def to_json(self) -> dict[str, Any]:
        return {
            "seconds": round(self.seconds, 3),
            "steps": self.steps,
            "rebuilt_steps": self.rebuilt,
            "slowest_step": None
            if self.slowest is None
            else {"step": self.slowest[0], "seconds": round(self.slowest[1], 3)},
            "uv_seconds": {k: round(v, 3) for k, v in self.uv.items()},
            "bytecode_files": self.compiled_files,
            "uv_lock_seconds": _round(self.lock),
        }


def _short(text: str, n: int = 60) -> str:
    one = " ".join(text.split())
    return one if len(one) <= n else one[: n - 1] + "…"


def timed_build(client: docker.DockerClient, side: Side, what: str) -> Timed:
    """Build `side` once; a failed build is a CompareError naming the step (exit 1)."""
    marks: list[tuple[StepStarted, float]] = []
    hits: set[tuple[str, int]] = set()  # (stage, step): BuildKit numbers steps per stage
    uv: dict[str, float] = {}
    files = 0

    def on(ev: object) -> None:
        nonlocal files
        if isinstance(ev, StepStarted):
            marks.append((ev, time.monotonic()))
        elif isinstance(ev, CacheHit):
            hits.add((ev.stage, ev.step))
        elif isinstance(ev, Output) and (m := _UV_LINE.match(ev.line.strip())):
            phase = UV_PHASES[m[1]]
            uv[phase] = uv.get(phase, 0.0) + float(m[3]) / (1000 if m[4] == "ms" else 1)
            if phase == "bytecode":
                files += int(m[2])

    cmd = compose_cli()
    if cmd is not None:  # BuildKit, as `docker compose build` builds: what users wait for
        tag = f"dashtam-wizard/compare-{side.name}:{side.target or 'default'}"
        res = build_with_compose(
            cmd,
            side.context,
            ComposeBuild(side.target, "verify", (), ""),
            tag,
            on,
            dockerfile=side.dockerfile,
            image_id=lambda tag: str(image_attrs(client, tag)["Id"]),
            uid_gid=side.buildargs,
        )
        with contextlib.suppress(
            docker.errors.DockerException
        ):  # the layers stay in BuildKit's cache
            client.api.remove_image(tag, noprune=True)
    else:
        res = build_stage(
            client.api,
            side.context,
            side.target,
            on,
            dockerfile=side.dockerfile,
            buildargs=side.buildargs,
        )
    end = time.monotonic()
    if not res.ok:
        err = res.failed.error if res.failed else "no image"
        at = f" ({res.where})" if res.where else ""
        raise CompareError(f"{side.name} build ({what}) failed{at}: {err}", code=1)
    ran = [
        (s.text, (marks[i + 1][1] if i + 1 < len(marks) else end) - t)
        for i, (s, t) in enumerate(marks)
        if (s.stage, s.n) not in hits and not s.text.upper().startswith("FROM ")
    ]
    return Timed(
        seconds=res.seconds,
        steps=res.steps,
        rebuilt=len(ran),
        slowest=max(ran, key=lambda x: x[1]) if ran else None,
        uv=uv,
        compiled_files=files,
    )


def _round(x: float | None) -> float | None:
    """3 decimals; None for missing or non-finite values (JSON has no NaN)."""
    return None if x is None or not math.isfinite(x) else round(x, 3)
