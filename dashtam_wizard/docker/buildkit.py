"""Build the way users do: `docker compose build` with BuildKit, as the same typed events.

The SDK's classic builder differs from what `make dev-build` runs exactly where a
migration matters (which ignore file is read, `RUN --mount`, build args and contexts from
compose), so verify builds each Dockerfile target through the Compose v2 CLI with the
arguments of a command the repo itself runs (`-f`, `--env-file`, `-p` of a Makefile line),
plus one override file of our own that only renames the image (the user's tags are left
alone). A target no command builds (production, for its HEALTHCHECK) is built through a
compose file of our own naming the repo's Dockerfile and that target.

Compose's `--progress json` prints BuildKit's solve status, one JSON object per line:
`vertexes` (a step: name `[service stage n/m] INSTRUCTION`, started/completed/cached/error),
`statuses` (transfers) and `logs` (base64 output of a vertex). They become the events of
build.py: StepStarted, CacheHit, Output, StepFailed, BuildDone.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from ..core.gate import REPO
from ..events import BuildDone, BuildEvent, BuildResult, CacheHit, Output, StepFailed, StepStarted
from .build import summarise
from .client import LABELS, compose_env

# `[app development 2/3] RUN uv sync`, `[app 1/3] FROM …`, `[development 2/3] …` (no service)
_STEP = re.compile(
    r"^\[(?:(?P<a>[^\s\]]+) )?(?:(?P<b>[^\s\]]+) )?(?P<n>\d+)/(?P<m>\d+)\] (?P<text>.*)$", re.S
)
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_RPC = re.compile(r"rpc error: code = \w+ desc = ")  # gRPC's wrapping, no help to a user


@dataclass(frozen=True)
class ComposeBuild:
    """How one Dockerfile target is built: a command of the repo, or verify's own file."""

    target: str | None
    service: str
    args: tuple[str, ...]  # -f/--env-file/-p as the repo's command gives them
    where: str  # "Makefile:33", or "" for verify's own compose file
    build_args: dict[str, str] = field(default_factory=dict)  # as Compose resolves them


@cache
def describe(cmd: tuple[str, ...]) -> str:
    """The builder's name for headers, JSON and the report (asked of the CLI once: the
    header, the report and the Verify screen all name it)."""
    try:
        out = subprocess.run(
            [*cmd, "version", "--short"], capture_output=True, text=True, timeout=20
        )
        version = out.stdout.strip() or "?"
    except (OSError, subprocess.TimeoutExpired):
        version = "?"
    name = "docker compose" if cmd[1:] == ("compose",) else os.path.basename(cmd[0])
    return f"BuildKit via {name} {version}"


CLASSIC = "classic builder (Docker SDK; no Compose v2 CLI found)"


def builder_name() -> str:
    """What verify and the build comparison build with here, as every output names it."""
    from ..judge.binary import compose_cli

    cmd = compose_cli()
    return describe(cmd) if cmd is not None else CLASSIC


def plan_builds(
    repo: Path,
    resolved: Mapping[tuple[str, ...], dict[str, Any] | str],
    calls: list[tuple[str, tuple[str, ...]]],
    dockerfile: str,
    targets: list[str | None],
) -> dict[str | None, ComposeBuild]:
    """For each target, the first command of the repo (`calls`: where, args) with a service
    that builds it from `dockerfile`; targets no command builds are left out. `resolved`:
    what each command resolves to (judge.scratch.resolve_tree, paths as `<repo>/…`), the
    same answers the env checks compare, so the repo's commands are resolved once."""
    want = (repo / dockerfile).resolve()
    found: dict[str | None, ComposeBuild] = {}
    seen: set[tuple[str, ...]] = set()
    for where, args in calls:
        if args in seen or any("$" in a for a in args):
            continue
        seen.add(args)
        cfg = resolved.get(args)
        services = (cfg.get("services") or {}) if isinstance(cfg, dict) else {}
        for name, svc in sorted(services.items()):
            b = svc.get("build") if isinstance(svc, dict) else None
            context = str(b.get("context") or "") if isinstance(b, dict) else ""
            if not isinstance(b, dict) or not (context == REPO or context.startswith(REPO + "/")):
                continue  # a git URL or remote context: not this repo's Dockerfile
            local = repo / context[len(REPO) + 1 :]
            named = str(b.get("dockerfile") or "Dockerfile")
            if named.startswith(REPO + "/"):
                named = str(repo / named[len(REPO) + 1 :])
            if (local / named).resolve() != want:
                continue
            target = b.get("target")
            if target in targets and target not in found:
                args_ = {k: str(v) for k, v in (b.get("args") or {}).items() if v is not None}
                found[target] = ComposeBuild(target, name, args, where, args_)
    return found


def _override(service: str, tag: str) -> str:
    return json.dumps({"services": {service: {"image": tag, "build": {"labels": LABELS}}}})


def own_file(
    repo: Path, dockerfile: str, target: str | None, tag: str, build_args: dict[str, str]
) -> str:
    build: dict[str, Any] = {
        "context": str(repo),
        "dockerfile": str(repo / dockerfile),
        "labels": LABELS,
    }
    if target:
        build["target"] = target
    if build_args:
        build["args"] = build_args
    return json.dumps(
        {"name": "dashtam-wizard-verify", "services": {"verify": {"image": tag, "build": build}}}
    )


class _Vertex:
    __slots__ = ("name", "n", "m", "stage", "text", "started", "cached", "failed", "buf")

    def __init__(self, name: str) -> None:
        self.name = name
        m = _STEP.match(name)
        self.n = int(m["n"]) if m else 0
        self.m = int(m["m"]) if m else 0
        # `[svc stage n/m]`: the last word before n/m is the stage (with no service, the only)
        self.stage = (m["b"] or m["a"] or "") if m else ""
        self.text = " ".join(m["text"].split()) if m else ""
        self.started = self.cached = self.failed = False
        self.buf = ""


def parse_progress(lines: Iterator[str], service: str = "") -> Iterator[BuildEvent]:
    """BuildKit's JSON progress lines as build events (no BuildDone: the caller knows the
    image). A step is announced once, when it starts; output is split into whole lines."""
    vertexes: dict[str, _Vertex] = {}
    order: list[_Vertex] = []
    prefix = f"[{service} " if service else ""
    for raw in lines:
        try:
            msg = json.loads(raw)
        except ValueError:
            continue
        if not isinstance(msg, dict):
            continue
        for v in msg.get("vertexes") or []:
            digest, name = v.get("digest"), v.get("name") or ""
            if not digest:
                continue
            vx = vertexes.get(digest)
            if vx is None:
                if prefix and name.startswith(prefix):
                    name = "[" + name[len(prefix) :]
                vx = vertexes[digest] = _Vertex(name)
            if vx.n and (v.get("started") or v.get("cached")) and not vx.started:
                vx.started = True
                order.append(vx)
                yield StepStarted(vx.n, vx.m, vx.text, vx.stage)
            if vx.n and v.get("cached") and not vx.cached:
                vx.cached = True
                yield CacheHit(vx.n, vx.stage)
            if v.get("error") and not vx.failed:
                vx.failed = True
                if vx.buf:
                    yield Output(vx.buf)
                    vx.buf = ""
                yield StepFailed(vx.n or None, str(v["error"]).strip(), vx.text, vx.stage)
        for log in msg.get("logs") or []:
            vx = vertexes.get(log.get("vertex") or "")
            try:
                data = base64.b64decode(log.get("data") or "").decode("utf-8", errors="replace")
            except (ValueError, TypeError):
                continue
            text = _ANSI.sub("", data).replace("\r\n", "\n").replace("\r", "\n")
            if vx is None:
                yield from (Output(x) for x in text.splitlines() if x.strip())
                continue
            vx.buf += text
            *whole, vx.buf = vx.buf.split("\n")
            yield from (Output(x) for x in whole if x.strip())
    for vx in order:
        if vx.buf.strip():
            yield Output(vx.buf)


def _stderr_error(lines: list[str]) -> str:
    """The last error Compose printed (JSON `{"level": "error", "msg": …}` or plain text)."""
    for raw in reversed(lines):
        s = raw.strip()
        if not s:
            continue
        try:
            msg = json.loads(s)
        except ValueError:
            if "warn" not in s.lower()[:12]:
                return _RPC.sub("", _ANSI.sub("", s))
            continue
        if isinstance(msg, dict) and msg.get("error") and msg.get("message"):  # Compose's own JSON
            return _RPC.sub("", str(msg["message"]))
        if isinstance(msg, dict) and msg.get("level") in ("error", "fatal") and msg.get("msg"):
            return _RPC.sub("", str(msg["msg"]))
        if isinstance(msg, dict) and msg.get("status") == "Error" and msg.get("text"):
            return str(msg["text"])
    return "docker compose build failed"


_running: set[subprocess.Popen[str]] = set()  # the Compose builds this process started
_running_lock = threading.Lock()


def stop_running_builds() -> None:
    """Terminate every Compose build of this process that still runs. A process about to
    end (the TUI's backend once the app quit during a verify) must not leave a build going
    in the user's repo; the thread reading the build then unwinds as after a failure."""
    with _running_lock:
        procs = list(_running)
    for proc in procs:
        with contextlib.suppress(OSError):
            os.killpg(proc.pid, 15)


def iter_compose_build(
    cmd: tuple[str, ...],
    repo: Path,
    build: ComposeBuild,
    tag: str,
    *,
    dockerfile: str,
    image_id: Callable[[str], str | None],
    nocache: bool = False,
    uid_gid: dict[str, str] | None = None,
) -> Iterator[BuildEvent]:
    """Yield the events of building `build` through Compose with BuildKit, tagged `tag`.

    Ends with exactly one BuildDone or StepFailed. Closing the generator (the TUI's cancel,
    Ctrl-C) terminates Compose, which cancels the build."""
    scratch = Path(tempfile.mkdtemp(prefix="dashtam-wizard-build-"))
    service = build.service if build.where else "verify"
    if build.where:
        (scratch / "override.json").write_text(_override(build.service, tag))
        argv = [*cmd, *build.args, "-f", str(scratch / "override.json")]
        cwd = repo
    else:
        (scratch / "compose.json").write_text(
            own_file(repo, dockerfile, build.target, tag, uid_gid or {})
        )
        argv = [*cmd, "-f", str(scratch / "compose.json")]
        cwd = scratch
    argv += ["--progress", "json", "build"] + (["--no-cache"] if nocache else []) + [service]
    env = {**os.environ, **compose_env(), "DOCKER_BUILDKIT": "1", "COMPOSE_BAKE": "false"}
    try:
        proc = subprocess.Popen(
            argv,
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            errors="replace",
            env=env,
            start_new_session=True,
        )
    except OSError as exc:
        yield StepFailed(None, f"cannot run {cmd[0]}: {exc.strerror or exc}")
        with contextlib.suppress(OSError):
            (scratch / "override.json").unlink(missing_ok=True)
        return
    with _running_lock:
        _running.add(proc)
    err_lines: list[str] = []
    reader = threading.Thread(target=lambda: err_lines.extend(proc.stderr or []), daemon=True)
    reader.start()
    failed = False
    try:
        assert proc.stdout is not None
        for ev in parse_progress(iter(proc.stdout.readline, ""), service):
            failed = failed or isinstance(ev, StepFailed)
            yield ev
        rc = proc.wait()
        reader.join(timeout=10)
        if failed:
            return
        if rc != 0:
            yield StepFailed(None, _stderr_error(err_lines))
            return
        found = image_id(tag)
        if found is None:
            yield StepFailed(None, f"Compose ended the build without an image {tag}")
            return
        yield BuildDone(found)
    finally:
        if proc.poll() is None:
            with contextlib.suppress(OSError):
                os.killpg(proc.pid, 15)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=10)
        with _running_lock:
            _running.discard(proc)
        for f in scratch.iterdir():
            f.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            scratch.rmdir()


def build_with_compose(
    cmd: tuple[str, ...],
    repo: Path,
    build: ComposeBuild,
    tag: str,
    on_event: Callable[[BuildEvent], None] | None = None,
    *,
    dockerfile: str,
    image_id: Callable[[str], str | None],
    nocache: bool = False,
    uid_gid: dict[str, str] | None = None,
) -> BuildResult:
    """`iter_compose_build`, every event passed on as it arrives, summarised as build_stage does."""
    events = iter_compose_build(
        cmd,
        repo,
        build,
        tag,
        dockerfile=dockerfile,
        image_id=image_id,
        nocache=nocache,
        uid_gid=uid_gid,
    )
    return summarise(events, BuildResult(target=build.target, tag=tag), repo, dockerfile, on_event)
