"""`verify --compare-builds` as printed: `run_compare` connects, compares, saves and prints the results table (or the
JSON); failures are one line on stderr with the exit code."""

from __future__ import annotations

import json
from pathlib import Path

from docker.errors import DockerException
from requests.exceptions import RequestException
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ..docker.client import DaemonUnreachable, configured_host, connect, unreachable_message
from ..docker.compare.errors import CompareError
from ..docker.compare.legacy import read_journal
from ..docker.compare.report import CompareReport, save
from ..docker.compare.run import DEFAULT_ROUNDS, compare_builds
from ..docker.compare.sides import _rel


def _secs(x: float) -> str:
    return f"{x:.2f} s" if x < 10 else f"{x:.1f} s"


def results_table(report: CompareReport) -> Table:
    table = Table(show_header=True, header_style="bold", expand=False)
    table.add_column("rebuild after")
    table.add_column("change", overflow="fold")
    table.add_column("legacy", justify="right")
    table.add_column("migrated", justify="right")
    table.add_column("migrated / legacy", justify="right")
    for s in report.scenarios:
        table.add_row(
            s.label, escape(s.change), _secs(s.legacy_s), _secs(s.migrated_s), f"{s.ratio:.2f}×"
        )
        if s.ratio_with_lock is not None:
            ll, lm = s.lock_s("legacy") or 0.0, s.lock_s("migrated") or 0.0
            table.add_row(
                "  + uv lock on the host",
                "",
                _secs(s.legacy_s + ll),
                _secs(s.migrated_s + lm),
                f"{s.ratio_with_lock:.2f}×",
            )
    return table


def run_compare(
    repo: Path,
    console: Console,
    *,
    rounds: int = DEFAULT_ROUNDS,
    as_json: bool = False,
    err: Console | None = None,
) -> int:
    """Compare, print, save. 0: measured; 1: a build failed; 2: not migrated (or the journal
    cannot be read) or no daemon; 130: interrupted. Failures are one line on stderr."""
    err = err or Console(stderr=True, highlight=False)

    def fail(msg: str, code: int) -> int:
        err.print(f"dashtam-wizard: {msg}", markup=False, highlight=False, soft_wrap=True)
        return code

    repo = Path(repo).expanduser().resolve()
    if rounds < 1:
        return fail("--rounds must be at least 1", 2)
    try:
        journal = read_journal(repo)  # before the daemon: an un-migrated repo needs no Docker
        client = connect()
    except CompareError as exc:
        return fail(str(exc), exc.code)
    except DaemonUnreachable as exc:
        return fail(str(exc), 2)

    def say(line: str) -> None:
        if not as_json:
            console.print(line, highlight=False, soft_wrap=True, markup=False)

    try:
        if not as_json:
            version = client.version().get("Version", "?")
            console.print(
                f"[bold]Comparing rebuilds[/] of {escape(str(repo))}: legacy vs migrated Dockerfile "
                f"on {escape(configured_host())} [dim](Docker {escape(version)}, {rounds} round(s))[/]",
                highlight=False,
                soft_wrap=True,
            )
        report = compare_builds(client, repo, rounds, emit=say, journal=journal)
    except CompareError as exc:
        return fail(str(exc), exc.code)
    except KeyboardInterrupt:
        return fail(f"interrupted; nothing in {repo} was changed", 130)
    except (DockerException, RequestException, ConnectionError) as exc:
        reason = str(getattr(exc, "explanation", None) or exc).strip().splitlines()
        return fail(unreachable_message(configured_host(), reason[0][:120] if reason else ""), 2)
    finally:
        client.close()
    path = save(report)
    if as_json:
        console.out(json.dumps(report.to_json(), indent=2), highlight=False)
        return 0
    console.print()
    console.print(results_table(report))
    for note in report.notes():
        console.print(f"[dim]• {escape(note)}[/]", highlight=False, soft_wrap=True)
    console.print(
        f"Median of {report.rounds} round(s); ratio < 1: the migrated layout rebuilds faster. "
        f"Saved to {escape(_rel(path, repo))} (the migration report shows it).",
        highlight=False,
        soft_wrap=True,
    )
    return 0
