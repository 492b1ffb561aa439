"""`dashtam-wizard verify`: build the stages compose uses, then check them as the plan says.

`verify_repo()` does the work and reports progress as objects to one callback (the TUI and the
CLI render the same stream; `present.verify.run_verify` prints it for the CLI).
Nothing in the repository is written: builds read it, probes use a temporary directory.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import docker
from docker.errors import DockerException

from ..apply.baseline import load_baseline
from ..core.gate import repo_calls
from ..core.seal import tree_digest
from ..core.snapshot import read_tree
from ..events import BuildFinished, BuildStarted, CheckResult, Progress
from ..judge.binary import compose_cli
from ..judge.scratch import resolve_tree
from . import checks as ck
from . import testrun
from .build import build_stage
from .buildkit import ComposeBuild, build_with_compose, describe, plan_builds
from .client import endpoint, image_attrs, is_local
from .containers import Probe, sweep_orphans
from .context import context_report
from .envcheck import check_env as check_env_via_compose
from .envcheck import plan_jobs
from .healthcheck import check_healthcheck, check_healthcheck_runs
from .report import VerifyReport
from .services import ComposeService, repo_services
from .stages import arg_default, chain, read_stages, target_line, user_line
from .targets import PRODUCTION, default_targets, find_dockerfile, image_tag
from .watch import TRANSPORT, Watch

DEFAULT_UID = 1000
PROBES = 4  # containers run at once by the checks


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


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
    watch = Watch(client, emit)
    with contextlib.suppress(*TRANSPORT):  # best effort; a dead daemon is found below
        sweep_orphans(client)
    try:
        return _verify_repo(client, repo, stages, emit=watch, **options)
    except TRANSPORT:
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
            add(ck.error(f"probe container [{label}]", exc, at_from))
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
            add(check_healthcheck(attrs, label, hc_where))
            ran = check_healthcheck_runs(client, image, attrs, label, hc_where)
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
        add(testrun.run_tests(client, repo, targets, images, app_services, test_cmd, say, local))
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
