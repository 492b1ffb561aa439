"""The command line's grammar: every command, option and help text, in one parser.

Apart from cli.py so the commands' code reads without 150 lines of `add_argument`, and
so `completion` (shtab) and the docs are made from the same parser the commands use.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

COMMANDS = (
    "plan",
    "apply",
    "rollback",
    "status",
    "report",
    "verify",
    "demo",
    "extract",
    "completion",
)


class _Version(argparse.Action):
    """`--version`: the installed version, looked up only when asked (importing
    importlib.metadata costs ~0.1 s, which every other command would pay)."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, help="print the version and exit")

    def __call__(self, parser: argparse.ArgumentParser, *_args: Any, **_kwargs: Any) -> None:
        from .core.meta import tool_version

        print(f"dashtam-wizard {tool_version()}")
        parser.exit()


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="dashtam-wizard",
        description="Restructure a Python service's Docker and build layout: preview every change, apply it "
        "as one transaction, verify it on a real Docker daemon, roll it back byte for byte. "
        "`dashtam-wizard [PATH]` opens the wizard on a repo (default: .); `dashtam-wizard --demo` on a "
        "copy of the bundled sample.",
    )
    p.add_argument("-V", "--version", action=_Version)
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    def path_arg(sp: argparse.ArgumentParser) -> None:
        a = sp.add_argument("path", nargs="?", default=".", type=Path, help="the repo (default: .)")
        a.complete = {"bash": "_shtab_compgen_dirs", "zsh": "_files -/"}  # type: ignore[attr-defined]

    def convert_arg(sp: argparse.ArgumentParser) -> None:
        sp.add_argument(
            "--convert",
            action="store_true",
            help="for a Poetry/Pipenv/pip-tools/requirements project: include what migrate-to-uv "
            "makes of it (pyproject.toml for uv, uv.lock; needs the package index) as phase 1 "
            "changes",
        )

    sp = sub.add_parser("plan", help="print every phase's changes with diffs (touches nothing)")
    path_arg(sp)
    sp.add_argument("--phase", type=int, action="append", choices=range(1, 8), metavar="N")
    sp.add_argument("--check", action="store_true", help="exit 1 if anything is left to do")
    sp.add_argument("--json", action="store_true")
    sp.add_argument("--show-secrets", action="store_true", help="do not mask secret values")
    sp.add_argument("--no-diff", action="store_true", help="list changes without diffs")
    sp.add_argument(
        "--no-cache", action="store_true", help="plan from scratch (ignore the plan cache)"
    )
    convert_arg(sp)
    sp.add_argument(
        "--with-compose",
        action="store_true",
        help="judge every Compose call before and after with the real Compose (what apply does), "
        "not the wizard's own model",
    )

    sp = sub.add_parser("apply", help="apply the plan (or some phases) as one transaction")
    path_arg(sp)
    sp.add_argument("--phase", type=int, action="append", choices=range(1, 8), metavar="N")
    sp.add_argument(
        "--skip",
        action="append",
        default=[],
        metavar="ID",
        help="leave out a change (id from plan)",
    )
    sp.add_argument(
        "--include",
        action="append",
        default=[],
        metavar="ID",
        help="include an off-by-default change",
    )
    convert_arg(sp)
    sp.add_argument("--yes", action="store_true", help="required: confirm the apply")

    sp = sub.add_parser("rollback", help="undo the latest apply (or more) byte for byte")
    path_arg(sp)
    sp.add_argument("--list", action="store_true", help="list applies that can be rolled back")
    g = sp.add_mutually_exclusive_group()
    g.add_argument("--to", metavar="ID", help="undo every apply back to and including ID")
    g.add_argument("--all", action="store_true", help="undo every apply")
    sp.add_argument("--yes", action="store_true", help="required: confirm the rollback")
    sp.add_argument(
        "--trust-state",
        action="store_true",
        help="use a .dashtam-wizard/ folder not made here (a copied repo, an older version's), "
        "after checking every record in it",
    )

    sp = sub.add_parser("status", help="the plan's Migration Checklist, ticked from evidence")
    path_arg(sp)
    sp.add_argument("--json", action="store_true")

    sp = sub.add_parser(
        "verify", help="build the stages on the Docker daemon and run the plan's checks"
    )
    path_arg(sp)
    sp.add_argument("--stage", action="append", metavar="NAME")
    sp.add_argument("--json", action="store_true")
    sp.add_argument(
        "--format",
        choices=("text", "github", "sarif"),
        default="text",
        help="github: also print each failure as a GitHub Actions annotation (file and line); "
        "sarif: print only a SARIF 2.1.0 document (code scanning) of the failures",
    )
    sp.add_argument("--show-secrets", action="store_true")
    sp.add_argument(
        "--run-tests",
        action="store_true",
        help="also run the test suite in the development container",
    )
    sp.add_argument(
        "--compare-builds",
        action="store_true",
        help="time dev rebuilds (no change, source edit, new dependency): legacy Dockerfile "
        "from the apply journal vs the migrated one, in a scratch copy",
    )
    sp.add_argument(
        "--rounds",
        type=int,
        default=None,
        metavar="N",
        help="with --compare-builds: rounds to take the median of (default 2)",
    )

    sp = sub.add_parser(
        "extract", help="copy pyproject.toml and uv.lock out of the running app container"
    )
    path_arg(sp)
    sp.add_argument("--yes", action="store_true", help="write them (otherwise show the diff only)")

    sp = sub.add_parser(
        "report", help="the migration report: what changed, how it verified, how to undo"
    )
    path_arg(sp)
    sp.add_argument(
        "--write",
        action="store_true",
        help="write docs/migration-report.md (as one transaction, undone by rollback) "
        "instead of printing it",
    )

    sp = sub.add_parser("demo", help="write the bundled legacy sample into DIR (a git repo)")
    sp.add_argument("dir", type=Path)

    sp = sub.add_parser(
        "completion",
        help="print a shell completion script: "
        'eval "$(dashtam-wizard completion bash)" (or zsh, tcsh)',
    )
    sp.add_argument("shell", choices=("bash", "zsh", "tcsh"))
    return p


def tui_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="dashtam-wizard", add_help=False)
    p.add_argument("path", nargs="?", default=".", type=Path)
    p.add_argument("--demo", action="store_true")
    p.add_argument(
        "--convert",
        action="store_true",
        help="propose migrate-to-uv's conversion of a Poetry/Pipenv/pip-tools/requirements "
        "project in phase 1",
    )
    return p
