"""The environment check, as Compose makes the container: compared with what the same
command gave the service before the migration.

A check that starts the container with the values it then expects cannot fail. Here the
container is created by Compose itself (`docker compose <the repo's -f/--env-file/-p> run
--rm --no-deps -T --entrypoint env SERVICE -0`, on the image verify just built, with no
ports, binds or networks: only the environment matters and nothing is written into the
repo) and what `env` prints is compared, key by key, with what the same command resolved
for that service before the wizard's first apply (the baseline rebuilt from the journal,
resolved by the same Compose in a scratch copy). Without an apply to compare with, the
expectation is Compose's own resolution of the repo as it is, and the check says so.

Both resolutions and the container run in the same clean environment (PATH, HOME and the
DOCKER_* variables that pick the daemon): a value only the shell sets is not judged.
"""

from __future__ import annotations

import contextlib
import os
import posixpath
import re
import subprocess
import tempfile
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.gate import REPO, Call, pairs
from ..core.resolve.project import command_files
from ..core.secrets import mask_value
from ..core.snapshot import Tree
from ..events import CheckResult
from ..judge.scratch import resolve_tree
from .client import LABELS, compose_env
from .services import key_line, services_of

NAME = "env_file variables reach the container [{service} @ {file}]"
ENV_PROJECT = "dashtam-wizard-env-"  # + pid + "-" + a nonce: the Compose project of one check


@dataclass(frozen=True)
class EnvJob:
    """One service of one command of the repo, to check on the image built for its target."""

    service: str
    call: Call  # the command whose arguments create the container
    first_file: str  # repo-relative: the compose file the check is named after
    tag: str  # the image verify built for the service's target
    current: dict[str, str | None]  # what Compose resolves now
    before: dict[str, str | None] | None  # what the command resolved before migration
    env_files: tuple[str, ...]  # repo-relative env files of the service (for "set at")
    hard_coded: tuple[str, ...]  # keys under `environment:` with a value, when no env_file


def plan_jobs(
    repo: Path,
    tree: Tree,
    baseline: Tree | None,
    calls: list[Call],
    dockerfile: str,
    tags: dict[str | None, str],
    now: Mapping[tuple[str, ...], dict[str, Any] | str],
) -> tuple[list[EnvJob], bool]:
    """Every (command, service building `dockerfile` with a built target) once per compose
    file and service; and whether a baseline was there to compare with. `now`: what each
    command resolves to on `tree` (judge.scratch.resolve_tree), as the builds were planned."""
    before_of: dict[tuple[str, ...], tuple[str, ...]] = {}
    then: dict[tuple[str, ...], dict[str, Any] | str] = {}
    if baseline is not None:
        for b, a in pairs(baseline, tree, repo.name, str(repo)):
            if a is not None and b.unknown is None:
                before_of.setdefault(a.args, b.args)
        then = resolve_tree(baseline, repo.name, list(before_of.values()))
    want = f"{REPO}/{dockerfile}"
    jobs: list[EnvJob] = []
    seen: set[tuple[str, str]] = set()
    for call in calls:
        cfg = now.get(call.args)
        first = next(iter(command_files(call.args)), "")
        if not isinstance(cfg, dict):
            continue
        for name, svc in sorted((cfg.get("services") or {}).items()):
            build = svc.get("build") if isinstance(svc, dict) else None
            if not isinstance(build, dict):
                continue
            path = posixpath.normpath(
                posixpath.join(
                    str(build.get("context") or ""), build.get("dockerfile") or "Dockerfile"
                )
            )
            target = build.get("target")
            if path != want or target not in tags or (first, name) in seen:
                continue
            seen.add((first, name))
            before_cfg = then.get(before_of.get(call.args, ()), None)
            before = (
                ((before_cfg.get("services") or {}).get(name) or {}).get("environment")
                if isinstance(before_cfg, dict)
                else None
            )
            env_files: list[str] = []
            hard: list[str] = []
            for s in services_of(repo, tree, call.args):  # the same model, for "where"
                if s.name == name:
                    env_files = [os.path.relpath(ef.path, repo) for ef in s.env_files]
                    hard = (
                        []
                        if s.env_files
                        else [k for k, v in s.environment.items() if v is not None]
                    )
            jobs.append(
                EnvJob(
                    name,
                    call,
                    first,
                    tags[target],
                    dict(svc.get("environment") or {}),
                    dict(before) if isinstance(before, dict) else None,
                    tuple(env_files),
                    tuple(hard),
                )
            )
    return jobs, baseline is not None


def _clean_env(home: str) -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": home, **compose_env()}


def _override(service: str, tag: str) -> str:
    labels = "".join(f"      {k}: {v!r}\n" for k, v in LABELS.items())
    return (
        f"services:\n  {service}:\n    image: {tag}\n    pull_policy: never\n"
        f"    volumes: !reset []\n    ports: !reset []\n    networks: !reset {{}}\n"
        f"    links: !reset []\n    external_links: !reset []\n    volumes_from: !reset []\n"
        f"    network_mode: none\n    labels:\n{labels}"
    )


def _set_at(repo: Path, job: EnvJob, key: str) -> str | None:
    """`env/.env.dev:5`: the last env file line that sets `key` (the one Compose keeps)."""
    found = None
    for rel in job.env_files:
        try:
            lines = (repo / rel).read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            continue
        for n, line in enumerate(lines, 1):
            if re.match(rf"^\s*(?:export\s+)?{re.escape(key)}\s*=", line):
                found = f"{rel}:{n}"
    return found


def _text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def check_env(
    cmd: tuple[str, ...], repo: Path, job: EnvJob, show_secrets: bool = False
) -> CheckResult:
    name = NAME.format(service=job.service, file=posixpath.basename(job.first_file) or "compose")
    line = key_line(_text(repo / job.first_file), job.service) if job.first_file else None
    where = f"{job.first_file}:{line}" if line else job.first_file or None
    if job.hard_coded:
        keys = ", ".join(job.hard_coded[:6]) + (", …" if len(job.hard_coded) > 6 else "")
        return CheckResult(
            name,
            False,
            f"no env_file: {len(job.hard_coded)} variable(s) hard-coded under "
            f"environment: ({keys})",
            where,
        )
    with tempfile.TemporaryDirectory(prefix="dashtam-wizard-env-") as scratch:
        override = Path(scratch, "override.yml")
        override.write_text(_override(job.service, job.tag))
        # a project of its own per check (they run in parallel), named for the sweep: the
        # networks Compose creates for it are removed below, or by the next verify's sweep
        project = f"{ENV_PROJECT}{os.getpid()}-{uuid.uuid4().hex[:8]}"
        argv = [
            *cmd,
            *job.call.args,
            "-f",
            str(override),
            "-p",
            project,
            "run",
            "--rm",
            "--no-deps",
            "-T",
            "--entrypoint",
            "env",
            job.service,
            "-0",
        ]
        try:
            ran = subprocess.run(
                argv, cwd=repo, capture_output=True, env=_clean_env(scratch), timeout=180
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            return CheckResult(name, False, f"could not run the check: {exc}", where)
        finally:  # `run --rm` removes the container, not the networks Compose made for it
            with contextlib.suppress(OSError, subprocess.TimeoutExpired):
                down = [*cmd, *job.call.args, "-f", str(override), "-p", project, "down"]
                subprocess.run(
                    [*down, "--remove-orphans", "--volumes"],
                    cwd=repo,
                    capture_output=True,
                    env=_clean_env(scratch),
                    timeout=120,
                )
    if ran.returncode != 0:
        said = [
            s
            for s in ran.stderr.decode("utf-8", "replace").splitlines()
            if s.strip() and "warn" not in s[:20].lower()
        ]
        return CheckResult(
            name,
            False,
            f"`docker compose … run` as {job.call.where} runs it failed: "
            f"{said[-1][:200] if said else 'exit code ' + str(ran.returncode)}",
            where,
        )
    seen: dict[str, str] = {}
    for item in ran.stdout.split(b"\0"):
        k, sep, v = item.decode("utf-8", errors="replace").partition("=")
        if sep:
            seen[k] = v
    expected = job.before if job.before is not None else job.current
    against = (
        f"before migration ({job.call.where})"
        if job.before is not None
        else "as Compose resolves it"
    )
    judged = {k: v for k, v in expected.items() if v is not None}  # None: the shell's value
    missing = [k for k in judged if k not in seen]
    differ = [k for k in judged if k in seen and seen[k] != judged[k]]
    if missing or differ:
        parts = [
            f"{k} is missing in the container, {mask_value(k, judged[k], show_secrets)!r} {against}"
            for k in missing
        ]
        parts += [
            f"{k} is {mask_value(k, seen[k], show_secrets)!r} in the container, "
            f"{mask_value(k, judged[k], show_secrets)!r} {against}"
            for k in differ
        ]
        first_key = (missing + differ)[0]
        return CheckResult(
            name, False, "; ".join(parts)[:400], _set_at(repo, job, first_key) or where
        )
    files = ", ".join(job.env_files) or "environment:"
    gained = len([k for k in job.current if k not in judged and job.current[k] is not None])
    more = (
        f" (+ {gained} the service gains from its env_file)"
        if job.before is not None and gained
        else ""
    )
    return CheckResult(
        name,
        True,
        f"all {len(judged)} variables {against} reach the container created by "
        f"Compose ({files}){more}",
        where,
    )
