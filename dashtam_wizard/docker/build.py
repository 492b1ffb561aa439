"""Build one Dockerfile stage with the classic builder, as a stream of typed events.

The SDK's low-level `APIClient.build` uses the classic builder (BuildKit would try to pull
`# syntax=` frontends and needs a session); its JSON messages are decoded as they arrive
and turned into events, so the CLI and the TUI render the same stream and nothing buffers
a whole build.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import docker
from docker.errors import APIError, DockerException
from urllib3.exceptions import HTTPError as TransportError

from ..events import (
    BuildDone,
    BuildEvent,
    BuildResult,
    CacheHit,
    Output,
    StepFailed,
    StepStarted,
)
from .client import LABELS

# `Step 2/9 : RUN …` (Docker's classic builder), `STEP 2/9: RUN …` (Podman's compat API;
# `[2/3] STEP 1/4: …` in a multi-stage build, where steps are counted per stage)
_STEP = re.compile(r"^(?:\[(\d+)/(\d+)\] )?(?:Step|STEP) (\d+)/(\d+) ?: (.*)$")
_CACHED = re.compile(r"^ ?-{2,3}> Using cache(?: [0-9a-f]+)?$")
_NOISE = re.compile(
    r"^( ---> [0-9a-f]{12}$| ---> Running in [0-9a-f]{12}$|Removing intermediate container [0-9a-f]{12}$"
    r"|Successfully built [0-9a-f]{12}$|Successfully tagged \S+$"
    r"|--> [0-9a-f]{10,64}$|(?:\[\d+/\d+\] )?COMMIT(?: \S+)?$|[0-9a-f]{64}$)"  # Podman's
)
# the build's last word: Docker's `Successfully built <id>`; Podman ends with the bare id
_BUILT = re.compile(r"^(?:Successfully built ([0-9a-f]{12})|([0-9a-f]{64}))$")
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def classify_line(
    line: str, step: StepStarted | None
) -> tuple[StepStarted | CacheHit | Output | None, str | None]:
    """One line of a classic build's stream (Docker's, or Podman's compat API): the event it
    is (None: noise), and the image id it names, if it is the build's last word."""
    m = _STEP.match(line)
    if m:
        text = m[5].strip()
        if m[1]:
            text = f"stage {m[1]}/{m[2]}: {text}"
        return StepStarted(int(m[3]), int(m[4]), text), None
    if _CACHED.match(line):
        return (CacheHit(step.n) if step is not None else None), None
    m = _BUILT.match(line)
    if _NOISE.match(line):
        return None, (m[1] or m[2]) if m else None
    return Output(line), None


class _Lines:
    """Re-split `stream` chunks into whole lines (a chunk can hold several or half of one)."""

    def __init__(self) -> None:
        self.buf = ""

    def feed(self, chunk: str) -> list[str]:
        self.buf += _ANSI.sub("", chunk).replace("\r\n", "\n")
        *lines, self.buf = self.buf.split("\n")
        return lines

    def flush(self) -> list[str]:
        rest, self.buf = self.buf, ""
        return [rest] if rest else []


def iter_build(
    api: docker.APIClient,
    context: Path,
    target: str | None,
    *,
    dockerfile: str = "docker/Dockerfile",
    buildargs: dict[str, str] | None = None,
    tag: str | None = None,
    nocache: bool = False,
    labels: dict[str, str] | None = None,
) -> Iterator[BuildEvent]:
    """Yield the events of building `target` of `context/dockerfile` as the daemon reports them.

    Ends with exactly one BuildDone or StepFailed. Closing the generator (or Ctrl-C while
    it is consumed) closes the connection, which makes the daemon cancel the build.
    """
    kwargs: dict[str, Any] = dict(
        path=str(context),
        dockerfile=dockerfile,
        decode=True,
        rm=True,
        forcerm=True,
        labels={**LABELS, **(labels or {})},
        buildargs=buildargs or {},
        nocache=nocache,
    )
    if target:
        kwargs["target"] = target
    if tag:
        kwargs["tag"] = tag
    step: StepStarted | None = None
    image_id: str | None = None
    lines = _Lines()

    def classify(line: str) -> Iterator[BuildEvent]:
        nonlocal step, image_id
        event, built = classify_line(line, step)
        if isinstance(event, StepStarted):
            step = event
        if built and image_id is None:
            image_id = built
        if event is not None:
            yield event

    try:
        stream = api.build(**kwargs)
        for msg in stream:
            if "stream" in msg:
                for line in lines.feed(str(msg["stream"])):
                    if line.strip():
                        yield from classify(line)
            elif "error" in msg or "errorDetail" in msg:
                for line in lines.flush():
                    yield from classify(line)
                detail = msg.get("errorDetail") or {}
                error = str(detail.get("message") or msg.get("error") or "build failed").strip()
                yield StepFailed(step.n if step else None, error, step.text if step else "")
                return
            elif "aux" in msg and isinstance(msg["aux"], dict) and msg["aux"].get("ID"):
                image_id = str(msg["aux"]["ID"])
            elif msg.get("status"):  # pulls of FROM images
                yield Output(
                    " ".join(str(msg[k]) for k in ("status", "id", "progress") if msg.get(k))
                )
    except (APIError, DockerException, OSError) as exc:
        explanation = getattr(exc, "explanation", None)
        yield StepFailed(
            step.n if step else None, str(explanation or exc).strip(), step.text if step else ""
        )
        return
    except TransportError as exc:  # the stream broke mid-build (daemon killed or restarted)
        yield StepFailed(
            step.n if step else None,
            f"the connection to the Docker daemon broke during the build ({type(exc).__name__})",
            step.text if step else "",
        )
        return
    for line in lines.flush():
        yield from classify(line)
    if image_id is None:
        yield StepFailed(
            step.n if step else None,
            "the daemon ended the build without an image id",
            step.text if step else "",
        )
        return
    yield BuildDone(image_id)


def build_stage(
    api: docker.APIClient,
    context: Path,
    target: str | None,
    on_event: Callable[[BuildEvent], None] | None = None,
    *,
    dockerfile: str = "docker/Dockerfile",
    buildargs: dict[str, str] | None = None,
    tag: str | None = None,
    nocache: bool = False,
) -> BuildResult:
    """Build `target`, passing every event to `on_event` as it arrives; summarise the build."""
    events = iter_build(
        api,
        context,
        target,
        dockerfile=dockerfile,
        buildargs=buildargs,
        tag=tag,
        nocache=nocache,
    )
    return summarise(events, BuildResult(target=target, tag=tag), context, dockerfile, on_event)


_PARSE_LINE = re.compile(r"dockerfile parse error line (\d+)")


def summarise(
    events: Iterator[BuildEvent],
    result: BuildResult,
    context: Path,
    dockerfile: str,
    on_event: Callable[[BuildEvent], None] | None = None,
) -> BuildResult:
    """Consume a build's events (passing each on as it arrives) into `result`: steps, cached
    steps, the image, or the failure and the `Dockerfile:line` to fix. The classic builder
    numbers steps over the whole build (its total is the count); BuildKit per stage, so there
    the steps seen are counted."""
    start = time.monotonic()
    seen: set[tuple[str, int]] = set()
    try:
        for ev in events:
            result.events += 1
            if isinstance(ev, StepStarted):
                seen.add((ev.stage, ev.n))
                result.steps = len(seen) if ev.stage else max(ev.total, len(seen))
            elif isinstance(ev, CacheHit):
                result.cache_hits += 1
            elif isinstance(ev, StepFailed):
                result.failed = ev
                result.where = step_location(context / dockerfile, dockerfile, ev)
                if result.where is None and (m := _PARSE_LINE.search(ev.error)):
                    result.where = f"{dockerfile}:{m[1]}"
            elif isinstance(ev, BuildDone):
                result.image_id = ev.image_id
            if on_event is not None:
                on_event(ev)
    finally:
        result.seconds = time.monotonic() - start
    return result


def _instructions(text: str) -> list[tuple[int, str]]:
    """(first line, instruction with continuations joined) for every instruction."""
    out: list[tuple[int, str]] = []
    buf, start = "", 0
    for n, raw in enumerate(text.splitlines(), 1):
        s = raw.strip()
        if not buf:
            start = n
            if not s or s.startswith("#"):
                continue
        elif s.startswith("#"):
            continue
        if s.endswith("\\"):
            buf += s[:-1] + " "
            continue
        out.append((start, (buf + s).strip()))
        buf = ""
    if buf.strip():
        out.append((start, buf.strip()))
    return out


def _norm(s: str) -> str:
    return " ".join(s.split()).lower()


def step_location(path: Path, rel: str, failed: StepFailed) -> str | None:
    """`rel:LINE` of the failing step: the n-th instruction if its text matches, else the first
    instruction with that text (the classic builder numbers every instruction up to the target)."""
    if not failed.text:
        return None
    try:
        instrs = _instructions(path.read_text(encoding="utf-8", errors="replace"))
    except OSError:
        return None
    want = _norm(failed.text)
    # ARGs before the first FROM are not steps.
    first_from = next((i for i, (_, t) in enumerate(instrs) if t.upper().startswith("FROM")), 0)
    steps = instrs[first_from:]
    if failed.stage:  # BuildKit counts only some instructions: the text within the stage
        froms = [i for i, (_, t) in enumerate(steps) if t.upper().startswith("FROM")]
        start = next(
            (
                i
                for i in froms
                if " as " in _norm(steps[i][1])
                and _norm(steps[i][1]).split()[-1] == failed.stage.lower()
            ),
            None,
        )
        if start is not None:
            end = next((i for i in froms if i > start), len(steps))
            for line, t in steps[start:end]:
                if _norm(t) == want:
                    return f"{rel}:{line}"
    if failed.step and 0 < failed.step <= len(steps) and _norm(steps[failed.step - 1][1]) == want:
        return f"{rel}:{steps[failed.step - 1][0]}"
    for line, t in steps:
        if _norm(t) == want:
            return f"{rel}:{line}"
    return None
