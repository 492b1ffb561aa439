"""`dashtam-wizard verify` as printed: the progress stream, the results table, GitHub
annotations and SARIF. The daemon work is docker.verify's; this only shows what it reports."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from docker.errors import DockerException
from requests.exceptions import RequestException
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from urllib3.exceptions import HTTPError as TransportError

from ..docker import checks as ck
from ..docker.buildkit import builder_name
from ..docker.client import (
    DaemonLost,
    DaemonUnreachable,
    configured_host,
    connect,
    endpoint_label,
    unreachable_message,
)
from ..docker.context import context_report, human_size
from ..docker.report import VerifyReport
from ..docker.targets import VerifyError, find_dockerfile
from ..docker.verify import verify_repo
from ..events import (
    BuildDone,
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
from ..judge.binary import compose_cli

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
