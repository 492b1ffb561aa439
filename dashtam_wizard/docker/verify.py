"""`dashtam-wizard verify`: build the stages compose uses, then check them as the plan says.

`verify_repo()` does the work and reports progress as objects to one callback (the TUI and the
CLI render the same stream); `run_verify()` renders it with rich and returns the exit code.
Nothing in the repository is written: builds read it, probes use a temporary directory.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docker
from docker.errors import DockerException
from requests.exceptions import RequestException
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from urllib3.exceptions import HTTPError as TransportError

from ..apply.baseline import load_baseline
from ..compose_judge import compose_cli, resolve_tree
from ..core.gate import repo_calls
from ..core.seal import tree_digest
from ..core.snapshot import Tree, read_tree
from ..events import (
    BuildDone,
    BuildFinished,
    BuildResult,
    BuildStarted,
    CacheHit,
    CheckResult,
    Output,
    Progress,
    StepFailed,
    StepStarted,
    TestOutput,
)
from . import checks as ck
from .build import build_stage
from .buildkit import CLASSIC, ComposeBuild, build_with_compose, builder_name, describe, plan_builds
from .client import (
    DaemonLost,
    DaemonUnreachable,
    configured_host,
    connect,
    endpoint,
    endpoint_label,
    image_attrs,
    is_local,
    lost_message,
    ping_error,
    unreachable_message,
)
from .containers import Probe, run_once, sweep_orphans
from .context import ContextReport, context_report, human_size
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


# -- rendering ----------------------------------------------------------------------------------
ICON = {"pass": "✅", "warn": "⚠️ ", "fail": "❌"}


class ConsoleRenderer:
    """Prints the progress stream with rich, line by line as it arrives."""

    def __init__(self, console: Console) -> None:
        self.c = console

    def __call__(self, obj: Progress) -> None:
        c = self.c
        if isinstance(obj, BuildStarted):
            via = f", as {escape(obj.via)} runs it" if obj.via else ""
            c.print(
                f"\n[bold cyan]▶ build {escape(obj.target or 'default')}[/] "
                f"[dim]({obj.index + 1}/{obj.count}{via})[/]",
                highlight=False,
            )
        elif isinstance(obj, StepStarted):
            stage = f" [dim]{escape(obj.stage)}[/]" if obj.stage else ""
            c.print(
                f"  [bold]Step {obj.n}/{obj.total}[/]{stage} {escape(obj.text)}",
                highlight=False,
                soft_wrap=True,
            )
        elif isinstance(obj, CacheHit):
            c.print("    [dim]using cache[/]", highlight=False)
        elif isinstance(obj, Output):
            c.print(f"    [dim]│ {escape(obj.line)}[/]", highlight=False, soft_wrap=True)
        elif isinstance(obj, StepFailed):
            at = f"step {obj.step}" if obj.step else "before the first step"
            c.print(
                f"  [bold red]✗ failed at {at}:[/] {escape(obj.error)}",
                highlight=False,
                soft_wrap=True,
            )
        elif isinstance(obj, BuildDone):
            pass
        elif isinstance(obj, BuildFinished):
            r = obj.result
            if r.ok:
                c.print(
                    f"  [green]✔ built {escape(r.tag or r.image_id or '')}[/] in {r.seconds:.1f} s "
                    f"[dim]({r.cache_hits}/{r.steps} steps cached)[/]",
                    highlight=False,
                )
            elif r.where:
                c.print(f"  [red]fix:[/] {escape(r.where)}", highlight=False)
        elif isinstance(obj, TestOutput):
            c.print(f"    [dim]│[/] {escape(obj.line)}", highlight=False, soft_wrap=True)


def _results_table(checks: list[CheckResult]) -> Table:
    table = Table(show_header=True, header_style="bold", expand=False, show_lines=False)
    table.add_column("", no_wrap=True)
    table.add_column("check", overflow="fold")
    table.add_column("evidence", overflow="fold")
    table.add_column("where", overflow="fold", style="dim")
    for r in checks:
        table.add_row(ICON[r.status], escape(r.name), escape(r.evidence), escape(r.where or ""))
    return table


def _print_results(console: Console, checks: list[CheckResult]) -> None:
    """A table on wide terminals; one entry per check (icon, name, evidence, where) otherwise."""
    if console.width >= 120:
        console.print(_results_table(checks))
        return
    for r in checks:
        console.print(
            f"{ICON[r.status]} [bold]{escape(r.name)}[/]", highlight=False, soft_wrap=True
        )
        console.print(f"   {escape(r.evidence)}", highlight=False)
        if r.where:
            console.print(f"   [dim]at {escape(r.where)}[/]", highlight=False)


def _escape(text: str, prop: bool = False) -> str:
    """GitHub's workflow-command escaping (properties also escape `:` and `,`)."""
    out = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return out.replace(":", "%3A").replace(",", "%2C") if prop else out


def annotation(level: str, message: str, where: str | None = None, title: str = "") -> str:
    """One `::error file=…,line=…::message` line: GitHub Actions shows it on the file's line
    in the pull request (and in the run's summary)."""
    props = []
    if where:
        path, _, line = where.partition(":")
        props.append(f"file={_escape(path, True)}")
        if line.split(":")[0].isdigit():
            props.append(f"line={line.split(':')[0]}")
    props.append(f"title={_escape(title or 'dashtam-wizard verify', True)}")
    return f"::{level} {','.join(props)}::{_escape(message)}"


def github_annotations(report: VerifyReport) -> list[str]:
    """A failed build (at its Dockerfile line) and every failed or warning check (at the
    file and line to fix, when it has one), as workflow annotations."""
    out = []
    for b in report.builds:
        if not b.ok:
            what = b.failed.error if b.failed else "failed"
            out.append(annotation("error", f"stage {b.target or 'default'}: {what}", b.where))
    for c in report.checks:
        if c.status in ("fail", "warn"):
            level = "error" if c.status == "fail" else "warning"
            out.append(annotation(level, f"{c.name}: {c.evidence}", c.where, c.name[:60]))
    return out


SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def _rule_id(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "check"


def _location(where: str | None) -> list[dict[str, Any]]:
    if not where:
        return []
    path, _, rest = where.partition(":")
    physical: dict[str, Any] = {"artifactLocation": {"uri": path, "uriBaseId": "%SRCROOT%"}}
    line = rest.split(":")[0]
    if line.isdigit():
        physical["region"] = {"startLine": int(line)}
    return [{"physicalLocation": physical}]


def sarif(report: VerifyReport | None, error: str | None = None) -> dict[str, Any]:
    """SARIF 2.1.0 (what code-scanning uploads read): a failed build and every failed or
    warning check as a result on the file and line to fix; a verify that could not run is
    an unsuccessful invocation saying why."""
    from ..core.meta import tool_version

    rules: dict[str, dict[str, Any]] = {}
    results = []

    def add(rule: str, title: str, level: str, message: str, where: str | None) -> None:
        rules.setdefault(rule, {"id": rule, "name": title, "shortDescription": {"text": title}})
        results.append(
            {
                "ruleId": rule,
                "level": level,
                "message": {"text": message},
                "locations": _location(where),
            }
        )

    for b in report.builds if report is not None else []:
        if not b.ok:
            what = b.failed.error if b.failed else "failed"
            add("build", "Docker build", "error", f"stage {b.target or 'default'}: {what}", b.where)
    for c in report.checks if report is not None else []:
        if c.status in ("fail", "warn"):
            level = "error" if c.status == "fail" else "warning"
            add(_rule_id(c.name), c.name, level, f"{c.name}: {c.evidence}", c.where)
    invocation: dict[str, Any] = {"executionSuccessful": error is None}
    if error is not None:
        invocation["toolExecutionNotifications"] = [{"level": "error", "message": {"text": error}}]
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "dashtam-wizard",
                        "version": tool_version(),
                        "rules": list(rules.values()),
                    }
                },
                "invocations": [invocation],
                "results": results,
            }
        ],
    }


def run_verify(
    repo: Path,
    stages: list[str] | None,
    as_json: bool,
    console: Console,
    show_secrets: bool = False,
    run_tests: bool = False,
    *,
    test_cmd: str = "pytest -q",
    nocache: bool = False,
    err: Console | None = None,
    github: bool = False,
    as_sarif: bool = False,
) -> int:
    """Build, check, print. 0: all passed (warnings allowed); 1: a check failed or the repo
    cannot be verified; 2: verify could not run: no Docker daemon reachable, the daemon
    stopped answering mid-run, or a check container was killed from outside; 130:
    interrupted. Errors are one line on `err` (the CLI's stderr; default `console`), or
    `{"ok": false, "error": ...}` on `console` with --json."""

    if as_sarif:
        as_json = True  # stdout is one document: no progress, no table

    def fail_line(msg: str, code: int) -> int:
        if as_sarif:
            console.out(json.dumps(sarif(None, msg), indent=2), highlight=False)
            if err is not None:
                err.print(f"dashtam-wizard: {msg}", markup=False, highlight=False, soft_wrap=True)
            return code
        if github:
            console.out(annotation("error", msg), highlight=False)
        if as_json:
            console.out(json.dumps({"ok": False, "error": msg}, indent=2), highlight=False)
        elif err is not None:
            err.print(f"dashtam-wizard: {msg}", markup=False, highlight=False, soft_wrap=True)
        else:
            console.print(f"[bold red]error:[/] {escape(msg)}", highlight=False, soft_wrap=True)
        return code

    repo = Path(repo)
    if not repo.is_dir():
        return fail_line(f"{repo} is not a directory", 1)
    try:
        client = connect()
    except DaemonUnreachable as exc:
        return fail_line(str(exc), 2)
    try:
        if not as_json:
            version = client.version().get("Version", "?")
            console.print(
                f"[bold]Verifying[/] {escape(str(repo))} on {escape(endpoint_label())} "
                f"[dim](Docker {escape(version)})[/]",
                highlight=False,
            )
            console.print(f"Builder: {escape(builder_name())}", highlight=False)
            try:
                dockerfile = find_dockerfile(repo.resolve())
                rep = context_report(repo.resolve(), dockerfile, buildkit=compose_cli() is not None)
                via = f"filtered by {rep.dockerignore}" if rep.dockerignore else "no .dockerignore"
                console.print(
                    f"Build context: {rep.files} files, {human_size(rep.bytes)} ({via})",
                    highlight=False,
                )
            except VerifyError:
                pass
        renderer = None if as_json else ConsoleRenderer(console)
        report = verify_repo(
            client,
            repo,
            stages,
            emit=renderer,
            show_secrets=show_secrets,
            run_tests=run_tests,
            test_cmd=test_cmd,
            nocache=nocache,
        )
    except VerifyError as exc:
        return fail_line(str(exc), 1)
    except KeyboardInterrupt:
        return fail_line(f"interrupted; nothing in {repo} was changed", 130)
    except (DaemonLost, ck.CheckInterrupted) as exc:
        return fail_line(str(exc), 2)
    except (DockerException, RequestException, ConnectionError, TransportError) as exc:
        reason = str(getattr(exc, "explanation", None) or exc).strip().splitlines()
        return fail_line(
            unreachable_message(configured_host(), reason[0][:120] if reason else ""), 2
        )
    finally:
        client.close()

    if as_sarif:
        console.out(json.dumps(sarif(report), indent=2), highlight=False)
    elif as_json:
        console.out(json.dumps(report.to_json(), indent=2), highlight=False)
    else:
        console.print()
        _print_results(console, report.checks)
        n = {s: sum(1 for c in report.checks if c.status == s) for s in ("pass", "warn", "fail")}
        style = "green" if report.ok else "red"
        console.print(
            f"[{style}]{n['pass']} passed, {n['warn']} warning(s), {n['fail']} failed[/]",
            highlight=False,
        )
    if github:
        for line in github_annotations(report):
            console.out(line, highlight=False)
    if report.unsaved:
        (err or console).print(
            f"dashtam-wizard: results not saved for `status`: {report.unsaved}",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    return 0 if report.ok else 1
