"""`dashtam-wizard verify`: build the stages compose uses, then check them as the plan says.

`verify_repo()` does the work and reports progress as objects to one callback (the TUI and the
CLI render the same stream); `run_verify()` renders it with rich and returns the exit code.
Nothing in the repository is written: builds read it, probes use a temporary directory.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docker
from docker.errors import DockerException
from requests.exceptions import RequestException
from urllib3.exceptions import HTTPError as TransportError

from ..apply.baseline import load_baseline
from ..core.gate import repo_calls
from ..core.seal import tree_digest
from ..core.snapshot import Tree, read_tree
from ..events import (
    BuildFinished,
    BuildResult,
    BuildStarted,
    CheckResult,
    Progress,
    StepStarted,
    TestOutput,
)
from ..judge.binary import compose_cli
from ..judge.scratch import resolve_tree
from . import checks as ck
from .build import build_stage
from .buildkit import CLASSIC, ComposeBuild, build_with_compose, describe, plan_builds
from .client import (
    DaemonLost,
    configured_host,
    endpoint,
    image_attrs,
    is_local,
    lost_message,
    ping_error,
)
from .containers import Probe, run_once, sweep_orphans
from .context import ContextReport, context_report
from .envcheck import check_env as check_env_via_compose
from .envcheck import plan_jobs
from .services import ComposeService, build_targets, repo_services
from .stages import StageInfo, arg_default, chain, read_stages, target_line, user_line

DOCKERFILES = ("docker/Dockerfile", "Dockerfile")
PRODUCTION = {"production", "prod"}
DEFAULT_UID = 1000
PROBES = 4  # containers run at once by the checks


@dataclass
class VerifyReport:
    repo: Path
    host: str
    dockerfile: str
    targets: list[str | None]
    context: ContextReport | None = None
    builds: list[BuildResult] = field(default_factory=list)
    checks: list[CheckResult] = field(default_factory=list)
    unsaved: str | None = None  # why the results were not saved for `status`, if they were not
    builder: str = CLASSIC
    endpoint: str = ""  # how the daemon was chosen: DOCKER_HOST, context NAME, default socket

    @property
    def ok(self) -> bool:
        return all(c.passed for c in self.checks)

    def to_json(self) -> dict[str, Any]:
        from ..core.meta import json_meta

        return {
            **json_meta("verify"),
            "ok": self.ok,
            "repo": str(self.repo),
            "docker_host": self.host,
            "docker_endpoint": self.endpoint,
            "builder": self.builder,
            "dockerfile": self.dockerfile,
            "context": None
            if self.context is None
            else {
                "files": self.context.files,
                "bytes": self.context.bytes,
                "dockerignore": self.context.dockerignore,
                "secret_files": self.context.secret_files,
            },
            "builds": [
                {
                    "target": b.target,
                    "ok": b.ok,
                    "image_id": b.image_id,
                    "tag": b.tag,
                    "steps": b.steps,
                    "cache_hits": b.cache_hits,
                    "seconds": round(b.seconds, 2),
                    "error": b.failed.error if b.failed else None,
                    "where": b.where,
                }
                for b in self.builds
            ],
            "checks": [c.to_json() for c in self.checks],
        }


class VerifyError(Exception):
    """The repo cannot be verified (no Dockerfile...); `str()` is the message."""


def find_dockerfile(repo: Path) -> str:
    for rel in DOCKERFILES:
        if (repo / rel).is_file():
            return rel
    raise VerifyError(f"{repo} has no docker/Dockerfile (or Dockerfile): nothing to build")


def default_targets(
    repo: Path, dockerfile: str, stages: list[StageInfo], tree: Tree | None = None
) -> list[str | None]:
    """The stages compose builds from the Dockerfile, plus production (for its HEALTHCHECK)."""
    targets = build_targets(repo, dockerfile, tree)
    names = {s.name.lower(): s.name for s in stages}
    for prod in ("production", "prod"):
        if prod in names and names[prod] not in targets:
            targets.append(names[prod])
            break
    if not targets:
        targets = [names[n] for n in ("development", "production") if n in names] or [None]
    return targets


def _slug(name: str) -> str:
    s = re.sub(r"[^a-z0-9._-]+", "-", name.lower()).strip("._-")
    return s or "project"


def image_tag(repo: Path, target: str) -> str:
    """`dashtam-wizard/<repo name>-<hash of its path>:<target>`: the wizard's own names, one
    per checkout, so two checkouts of a project never overwrite each other's images."""
    digest = hashlib.sha256(str(repo.resolve()).encode()).hexdigest()[:8]
    return f"dashtam-wizard/{_slug(repo.name)}-{digest}:{_slug(target)}"


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


# Errors that can mean "the daemon went away": checked with a ping before they are believed.
_TRANSPORT = (DockerException, RequestException, TransportError, OSError)


class _Watch:
    """Passes progress on to `emit` and remembers what verify is doing, so a daemon that
    stops answering is reported as "during the build of stage X (step n/N)".

    A killed daemon ends a build stream much like a failing step does, so after a failed
    build the daemon is pinged: if it is gone, DaemonLost, not a build failure blamed on
    the Dockerfile (and not one failure per remaining stage).
    """

    def __init__(self, client: docker.DockerClient, emit: Callable[[Progress], None] | None):
        self.client = client
        self.emit = emit
        self.stage = "default"
        self.during = "the start of verify"

    def __call__(self, obj: Progress) -> None:
        if isinstance(obj, BuildStarted):
            self.stage = obj.target or "default"
            self.during = f"the build of stage {self.stage}"
        elif isinstance(obj, StepStarted):
            self.during = f"the build of stage {self.stage} (step {obj.n}/{obj.total})"
        elif isinstance(obj, BuildFinished):
            if not obj.result.ok and (lost := self.lost()) is not None:
                raise lost
            self.during = f"the checks after building stage {self.stage}"
        elif isinstance(obj, TestOutput):
            self.during = "the test run"
        if self.emit is not None:
            self.emit(obj)

    def lost(self) -> DaemonLost | None:
        """DaemonLost (naming what was running) if the daemon no longer answers a ping."""
        reason = ping_error(self.client)
        if reason is None:
            return None
        return DaemonLost(lost_message(configured_host(), self.during, reason))


def verify_repo(
    client: docker.DockerClient,
    repo: Path,
    stages: list[str] | None = None,
    *,
    emit: Callable[[Progress], None] | None = None,
    **options: Any,
) -> VerifyReport:
    """Build and check (options: see `_verify_repo`); progress goes to `emit` as it happens.

    Raises DaemonLost when the daemon stops answering mid-run and ck.CheckInterrupted when
    a check container is killed from outside: neither says anything about the repo, so
    both stop the run with one line (and no results saved) rather than failing checks.
    Check containers an earlier, killed run left behind are removed first.
    """
    watch = _Watch(client, emit)
    with contextlib.suppress(*_TRANSPORT):  # best effort; a dead daemon is found below
        sweep_orphans(client)
    try:
        return _verify_repo(client, repo, stages, emit=watch, **options)
    except _TRANSPORT:
        if (lost := watch.lost()) is not None:
            raise lost from None
        raise


def _verify_repo(
    client: docker.DockerClient,
    repo: Path,
    stages: list[str] | None = None,
    *,
    emit: Callable[[Progress], None] | None = None,
    show_secrets: bool = False,
    run_tests: bool = False,
    test_cmd: str = "pytest -q",
    nocache: bool = False,
    uid: int | None = None,
    gid: int | None = None,
    classic: bool = False,
) -> VerifyReport:
    """Build and check; every event, result and test line goes to `emit` as it happens.

    Builds go through the Compose v2 CLI with BuildKit, as the repo's own commands run them
    (buildkit.py); `classic` (or no Compose CLI on the machine) uses the SDK's classic
    builder instead, and the report says which one ran."""
    say = emit or (lambda _obj: None)
    repo = repo.resolve()
    # what this run verifies: the saved results count only for these contents
    tree = read_tree(repo)
    verified = tree_digest(tree)
    dockerfile = find_dockerfile(repo)
    df_text = (repo / dockerfile).read_text(encoding="utf-8", errors="replace")
    df_stages = read_stages(df_text)
    targets: list[str | None] = (
        list(stages) if stages else default_targets(repo, dockerfile, df_stages, tree)
    )
    host, how = endpoint()
    report = VerifyReport(
        repo=repo, host=host, dockerfile=dockerfile, targets=targets, endpoint=how
    )
    compose = None if classic else compose_cli()
    plans: dict[str | None, ComposeBuild] = {}
    resolved: dict[tuple[str, ...], dict[str, Any] | str] = {}
    if compose is not None:
        report.builder = describe(compose)
        calls = repo_calls(tree, repo)
        # one resolution of the repo's commands for the builds and the env checks alike
        resolved = resolve_tree(tree, repo.name, [c.args for c in calls if c.unknown is None])
        plans = plan_builds(repo, resolved, [(c.where, c.args) for c in calls], dockerfile, targets)

    def image_id(tag: str) -> str | None:
        try:
            return str(image_attrs(client, tag)["Id"])
        except DockerException:
            return None

    def add(result: CheckResult) -> None:
        report.checks.append(result)
        say(result)

    def where(line: int | None) -> str:
        return f"{dockerfile}:{line}" if line else dockerfile

    report.context = context_report(repo, dockerfile, buildkit=compose is not None)
    add(ck.check_context_secrets(report.context))
    own_ignore = f"{dockerfile}.dockerignore"
    if compose is None and (repo / own_ignore).is_file():
        add(
            CheckResult(
                "ignore file the builder reads",
                True,
                f"built with the classic builder, which reads .dockerignore, not {own_ignore} "
                "(BuildKit's first choice): `docker compose build` sends another context",
                own_ignore,
                warning=True,
            )
        )

    services = repo_services(repo, tree)
    app_services = [s for s in services if s.builds(repo, dockerfile)]
    local = is_local(client)
    images: dict[str | None, str] = {}
    for i, target in enumerate(targets):
        label = target or "default"
        plan = plans.get(target)
        say(BuildStarted(target, i, len(targets), plan.where if plan else ""))
        given = plan.build_args if plan else {}  # what the repo's command passes wins
        t_uid = (
            uid
            if uid is not None
            else _int(given.get("UID") or arg_default(df_stages, target, "UID"), DEFAULT_UID)
        )
        t_gid = (
            gid
            if gid is not None
            else _int(given.get("GID") or arg_default(df_stages, target, "GID"), t_uid)
        )
        declared = {s for st in chain(df_stages, target) for s in st.args}
        buildargs = {k: str(v) for k, v in (("UID", t_uid), ("GID", t_gid)) if k in declared}
        if compose is not None:
            chosen = {k: v for k, v in buildargs.items() if (uid, gid)[k == "GID"] is not None}
            result = build_with_compose(
                compose,
                repo,
                plan or ComposeBuild(target, "verify", (), ""),
                image_tag(repo, label),
                say,
                dockerfile=dockerfile,
                image_id=image_id,
                nocache=nocache,
                uid_gid=chosen,
            )
        else:
            result = build_stage(
                client.api,
                repo,
                target,
                say,
                dockerfile=dockerfile,
                buildargs=buildargs,
                tag=image_tag(repo, label),
                nocache=nocache,
            )
        report.builds.append(result)
        say(BuildFinished(result))
        if not result.ok:
            err = result.failed.error if result.failed else "no image"
            add(
                CheckResult(
                    f"build [{label}]",
                    False,
                    f"step {result.failed.step if result.failed else '?'}/{result.steps}: {err}",
                    result.where or where(target_line(df_stages, target)),
                )
            )
            continue
        add(
            CheckResult(
                f"build [{label}]",
                True,
                f"{result.steps} steps, {result.cache_hits} cached, {result.seconds:.1f} s",
                where(target_line(df_stages, target)),
            )
        )
        image = result.image_id or ""
        images[target] = image
        attrs = image_attrs(client, image)
        _user, u_line = user_line(df_stages, target)
        at_from = where(target_line(df_stages, target))
        workdir = (attrs.get("Config") or {}).get("WorkingDir") or ""
        dirs = list(dict.fromkeys([ck.APP_DIR] + ([workdir] if workdir not in ("", "/") else [])))
        add(ck.check_image_user(attrs, label, where(u_line)))
        wants_bind = _wants_bind_check(target, targets, app_services)
        bind = ck.BindDir.create() if wants_bind and local else None
        try:
            probe = Probe(client, image, binds=bind.binds if bind else None)
        except DockerException as exc:
            if bind:
                bind.cleanup()
            add(ck._error(f"probe container [{label}]", exc, at_from))
            continue
        try:
            add(ck.check_identity(probe, label, t_uid, t_gid, where(u_line)))
            add(ck.check_app_owner(probe, label, t_uid, t_gid, at_from))
            if wants_bind:
                add(ck.check_bind_mount(probe, bind, label, t_uid, t_gid, where(u_line)))
            add(ck.check_image_secrets(probe, label, dirs, at_from))
        finally:
            probe.close()
            if bind:
                bind.cleanup()
        if target and target.lower() in PRODUCTION:
            hc_line = next((ln for st in chain(df_stages, target) for ln in st.healthchecks), None)
            hc_where = where(hc_line or target_line(df_stages, target))
            add(ck.check_healthcheck(attrs, label, hc_where))
            ran = ck.check_healthcheck_runs(client, image, attrs, label, hc_where)
            if ran is not None:
                add(ran)

    if compose is not None:  # the container Compose makes, against the values before migration
        baseline = load_baseline(repo, tree)
        built = {t: image_tag(repo, t or "default") for t in images}
        jobs, _ = plan_jobs(
            repo, tree, baseline.tree if baseline else None, calls, dockerfile, built, resolved
        )
        env_jobs: list[tuple[Callable[..., CheckResult], tuple[Any, ...]]] = [
            (check_env_via_compose, (compose, repo, job, show_secrets)) for job in jobs
        ]
    else:
        env_jobs = [
            (ck.check_env, (client, images[s.target], s, repo, show_secrets))
            for s in app_services
            if s.target in images
        ]
    for res in _parallel(env_jobs):
        add(res)

    if run_tests:
        add(_run_tests(client, repo, targets, images, app_services, test_cmd, say, local))
    from .results import save

    save(report, verified)
    return report


def _parallel(jobs: list[tuple[Callable[..., CheckResult], tuple[Any, ...]]]) -> list[CheckResult]:
    """Run check functions concurrently; results in the order of `jobs`."""
    if not jobs:
        return []
    with ThreadPoolExecutor(max_workers=PROBES) as pool:
        futures = [pool.submit(fn, *args) for fn, args in jobs]
        return [f.result() for f in futures]


def _wants_bind_check(
    target: str | None, targets: list[str | None], services: list[ComposeService]
) -> bool:
    """Probe bind-mount ownership on the stages compose mounts host directories into."""
    mounted = [s.target for s in services if s.binds]
    if mounted:
        return target in mounted
    candidates = [t for t in targets if not (t and t.lower() in PRODUCTION)] or targets
    return target == candidates[0]


def _run_tests(
    client: docker.DockerClient,
    repo: Path,
    targets: list[str | None],
    images: dict[str | None, str],
    services: list[ComposeService],
    test_cmd: str,
    say: Callable[[Progress], None],
    local: bool,
) -> CheckResult:
    dev = next(
        (t for t in targets if t and t.lower().startswith("dev")), targets[0] if targets else None
    )
    name = f"tests `{test_cmd}` [{dev or 'default'}]"
    if dev not in images:
        return CheckResult(name, False, "the development image did not build")
    service = next((s for s in services if s.target == dev), None)
    binds: dict[str, dict[str, str]] = {}
    env: dict[str, str] = {}
    if service is not None:
        env, _problems = ck.expected_env(service)
        if local:
            for b in service.binds:
                if b.source.exists():
                    binds[str(b.source)] = {
                        "bind": b.target,
                        "mode": "ro",
                    }  # never write to the repo
    if (
        local
        and (repo / "tests").is_dir()
        and not any(v["bind"] == "/app/tests" for v in binds.values())
    ):
        binds[str(repo / "tests")] = {"bind": "/app/tests", "mode": "ro"}
    last: list[str] = []

    def line(text: str) -> None:
        last.append(text)
        del last[:-3]
        say(TestOutput(text))

    try:
        ran = run_once(
            client,
            images[dev],
            f"cd /app && {test_cmd}",
            environment=env,
            binds=binds,
            network=True,
            timeout=1800,
            on_line=line,
        )
    except DockerException as exc:
        return ck._error(name, exc)
    tail = next((t.strip() for t in reversed(last) if t.strip()), "")
    if ran.exit_code is None:
        return CheckResult(name, False, "timed out after 30 min")
    return CheckResult(name, ran.ok, f"exit {ran.exit_code}: {tail}"[:200])
