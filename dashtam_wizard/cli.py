"""Command line: `dashtam-wizard [PATH]` opens the TUI; subcommands run the same engine headless.

Imports are lazy: `plan` never loads Textual or the Docker SDK, so it starts fast and
CI images need neither a terminal nor a daemon for it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .core.errors import BadInput, NothingToMigrate

if TYPE_CHECKING:
    from rich.console import Console

    from .core.context import Options
    from .core.model import Change
    from .core.snapshot import Tree

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
EXIT_OK, EXIT_PENDING, EXIT_BAD = 0, 1, 2


class LazyConsole:
    """A rich Console made on first use: `plan` prints without rich and should not import it."""

    def __init__(self, **kwargs: Any) -> None:
        self._kwargs = kwargs
        self._console: Console | None = None

    def __getattr__(self, name: str) -> Any:
        if self._console is None:
            from rich.console import Console

            self._console = Console(**self._kwargs)
        return getattr(self._console, name)


class _Version(argparse.Action):
    """`--version`: the installed version, looked up only when asked (importing
    importlib.metadata costs ~0.1 s, which every other command would pay)."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, help="print the version and exit")

    def __call__(self, parser: argparse.ArgumentParser, *_args: Any, **_kwargs: Any) -> None:
        from .core.meta import tool_version

        print(f"dashtam-wizard {tool_version()}")
        parser.exit()


def _parser() -> argparse.ArgumentParser:
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
    sp.add_argument(
        "--convert",
        action="store_true",
        help="for a Poetry/Pipenv/pip-tools/requirements project: include what migrate-to-uv "
        "makes of it (pyproject.toml for uv, uv.lock; needs the package index) as phase 1 changes",
    )
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
    sp.add_argument(
        "--convert",
        action="store_true",
        help="for a Poetry/Pipenv/pip-tools/requirements project: include what migrate-to-uv "
        "makes of it (pyproject.toml for uv, uv.lock; needs the package index) as phase 1 changes",
    )
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


def _tui_parser() -> argparse.ArgumentParser:
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


def _repo(path: Path) -> Path:
    root = path.expanduser().resolve()
    if not root.is_dir():
        raise BadInput(str(path), "is not a directory")
    return root


def _writable_repo(path: Path) -> Path:
    """The repo, for a command that writes it: not as root on another user's repository,
    where moved files and the state would become root's and the owner could not roll back."""
    import os

    root = _repo(path)
    owner = root.stat().st_uid
    if os.geteuid() == 0 and owner != 0:
        raise BadInput(
            str(root),
            f"belongs to uid {owner}; run the wizard as that user, not as root (files it "
            "writes would become root's, and the owner could not read them or roll back)",
        )
    return root


def _unfinished(root: Path) -> None:
    """Every read-only command first says when an apply or rollback was interrupted, and
    what finishes it, instead of planning a half-done tree (one line, exit 2)."""
    from .core.statedir import INTENT, STATE_DIR

    if not (root / STATE_DIR).is_dir():
        return
    from .apply import history
    from .apply.trust import problem

    if problem(root) is not None:
        return  # never read; apply/rollback say why
    state = root / STATE_DIR
    if (state / INTENT).exists() or any(r.status == "incomplete" for r in history(root)):
        raise BadInput(
            STATE_DIR,
            "an apply or rollback was interrupted and is not finished; run "
            "`dashtam-wizard rollback --yes` (or open the wizard) to finish it, then look again",
        )


def _recover(root: Path, console: Console) -> None:
    from .apply import recover

    result = recover(root)
    if result is not None:
        console.print(f"[yellow]Recovered an interrupted operation: {result.summary()}[/yellow]")


def _options(
    root: Path,
    args: argparse.Namespace,
    skip: frozenset[str] = frozenset(),
    include: frozenset[str] = frozenset(),
    tree: Tree | None = None,
) -> Options:
    """The user's choices; with --convert, migrate-to-uv's result for phase 1 to propose
    (made from `tree` when the caller has read the repo already)."""
    from .core.context import Options

    if not args.convert:
        return Options(skip=skip, include=include)
    from .convert import convert
    from .core.snapshot import read_tree

    conversion = convert(tree if tree is not None else read_tree(root), root.name)
    return Options(skip=skip, include=include, conversion=conversion)


def cmd_plan(args: argparse.Namespace, console: Console) -> int:
    from .core.snapshot import read_tree
    from .plancache import plan_for
    from .render import plan_json, print_plan

    root = _repo(args.path)
    _unfinished(root)
    tree = read_tree(root)  # read once: the plan, the conversion and the gate all look at it
    options = _options(root, args, tree=tree)
    try:
        plan = plan_for(tree, root, options, use_cache=not args.no_cache)
    except NothingToMigrate as exc:
        if not args.check:
            raise
        print(
            f"Nothing to migrate: {exc.path} has no compose file or Dockerfile."
        )  # a hook or CI job passes
        return EXIT_OK
    phases = set(args.phase) if args.phase else None
    pending = any(
        c
        for p in plan.phases
        if phases is None or p.number in phases
        for c in p.changes
        if c.default
    )
    from .judge.check import check_plan

    # the own model unless asked for the real Compose (which apply always asks when present)
    verdict = check_plan(root, tree, plan, options, own=not args.with_compose)
    if args.json:
        import json

        doc = plan_json(plan, phases, args.show_secrets)
        doc["gate"] = {
            "judge": verdict.judge,
            "compared": verdict.compared,
            "resolutions": verdict.calls,
            "unjudged": verdict.unjudged,
            "blocked": [vars(d) for d in verdict.differences],
        }
        print(json.dumps(doc, indent=2))
    elif args.check:
        if pending:
            ids = [c.id for c in plan.changes(phases) if c.default]
            print(f"{len(ids)} change(s) pending — run `dashtam-wizard plan` to see them:")
            for cid in ids:
                print(f"  {cid}")
        else:
            print("Nothing left to do: the repo is migrated.")
        from .render import Out, print_gate

        out = Out(sys.stdout, None)
        print_gate(out, verdict)
        out.flush()
    else:
        print_plan(
            sys.stdout, plan, phases, args.show_secrets, diffs=not args.no_diff, gate=verdict
        )
    blocked = bool(verdict.differences)
    return EXIT_PENDING if args.check and (pending or blocked) else EXIT_OK


def cmd_apply(args: argparse.Namespace, console: Console) -> int:
    from .plancache import cached_plan

    root = _writable_repo(args.path)
    if not args.yes:
        console.print("apply changes files: review `dashtam-wizard plan` first, then add --yes.")
        return EXIT_BAD
    _recover(root, console)
    options = _options(root, args, skip=frozenset(args.skip), include=frozenset(args.include))
    plan = cached_plan(root, options)  # from the journal's baseline when earlier applies exist
    from .service.doors import apply_chosen, chosen, refusal

    phases = set(args.phase) if args.phase else {p.number for p in plan.phases}
    why = refusal(plan, options, set(args.phase) if args.phase else None)
    if why is not None:
        console.print(why, markup=False, highlight=False)
        return EXIT_BAD
    changes = chosen(plan, options, phases)
    if not changes:
        console.print("Nothing to apply: those phases are done.")
        return EXIT_OK
    total = len(changes)

    def step(i: int, n: int, c: Change) -> None:
        console.print(f"  [{i:>{len(str(n))}}/{n}] {c.kind.value:6} {c.path}", markup=False)

    def judged(unjudged: list[str]) -> None:
        for note in unjudged:
            console.print(f"gate: {note}", markup=False, highlight=False, style="yellow")

    # The gate's BadInput and ApplyError are one line on stderr (main()), exit 2.
    record = apply_chosen(root, plan, options, phases, on_step=step, on_judged=judged)
    console.print(
        f"[green]Applied {total} change(s) as {record.id}.[/green] Undo with "
        f"`dashtam-wizard rollback {args.path} --yes`."
    )
    return EXIT_OK


def cmd_rollback(args: argparse.Namespace, console: Console) -> int:
    from .apply import adopt_state, history, rollback

    root = _writable_repo(args.path)
    if args.trust_state:
        adopt_state(root)
        console.print(
            "The .dashtam-wizard/ folder is now trusted on this machine (every record checked)."
        )
        if not (args.list or args.yes):
            return EXIT_OK
    records = history(root)
    if args.list:
        if not records:
            console.print("No applies recorded.")
        for r in records:
            console.print(
                f"{r.id}  {r.created}  phases {r.what()}  {r.status}  {len(r.change_ids)} change(s)"
            )
        return EXIT_OK
    if not args.yes:
        console.print(
            "rollback restores files: add --yes (see --list for what can be rolled back)."
        )
        return EXIT_BAD
    result = rollback(root, to=args.to, all=args.all)  # ApplyError: one line on stderr, exit 2
    console.print(f"[green]{result.summary()}[/green]")
    return EXIT_OK


def cmd_status(args: argparse.Namespace, console: Console) -> int:
    from .core.context import Options
    from .core.meta import json_meta
    from .render import item_json, print_checklist, print_problems
    from .service.loader import load
    from .service.state import with_ticks

    root = _repo(args.path)
    _unfinished(root)
    state = load(root, Options())
    items = with_ticks(state.items, state.manual)  # what the user ticked by hand in the wizard
    problems = [p for p in state.problems if p.present]
    if args.json:
        import json

        doc = {
            **json_meta("status"),
            "root": str(root),
            "items": [item_json(i) for i in items],
            "problems": [
                {
                    "severity": "high" if p.icon == "🔴" else "medium",
                    "title": p.title,
                    "evidence": p.evidence,
                }
                for p in problems
            ],
        }
        print(json.dumps(doc, indent=2))
    else:
        print_checklist(console, items)
        print_problems(console, problems)
    return EXIT_OK


def cmd_report(args: argparse.Namespace, console: Console) -> int:
    """The migration report the TUI writes with `e`, from the same code."""
    from .core.context import Options
    from .service import report
    from .service.loader import load

    if not args.write:
        root = _repo(args.path)
        _unfinished(root)
        state = load(root, Options())
        sys.stdout.write(report.build(state, state.manual))
        return EXIT_OK
    root = _writable_repo(args.path)
    _recover(root, console)
    state = load(root, Options())
    path = report.write(state, state.manual)
    console.print(
        f"Wrote {path} (one transaction: `dashtam-wizard rollback {args.path} --yes` removes it)."
    )
    return EXIT_OK


def cmd_verify(args: argparse.Namespace, console: Console) -> int:
    if args.compare_builds:  # lazy: only this path loads the comparison (and the docker SDK)
        from .docker.compare import DEFAULT_ROUNDS
        from .present.compare import run_compare

        return run_compare(
            _repo(args.path),
            console,
            rounds=DEFAULT_ROUNDS if args.rounds is None else args.rounds,
            as_json=args.json,
        )
    if args.rounds is not None:
        raise BadInput("--rounds", "only applies with --compare-builds")
    from rich.console import Console as RichConsole

    from .present.verify import run_verify

    root = _repo(args.path)
    _unfinished(root)
    # Exit 2 "could not run" (no daemon, daemon lost mid-run, check container killed): one
    # line on stderr like every command's; stdout keeps the build progress.
    err = RichConsole(stderr=True, highlight=False)
    return run_verify(
        root,
        args.stage,
        args.json,
        console,
        show_secrets=args.show_secrets,
        run_tests=args.run_tests,
        err=err,
        github=args.format == "github",
        as_sarif=args.format == "sarif",
    )


def cmd_extract(args: argparse.Namespace, console: Console) -> int:
    from rich.console import Console as RichConsole

    from .present.extract import run_extract

    return run_extract(
        _repo(args.path), console, write=args.yes, err=RichConsole(stderr=True, highlight=False)
    )


def cmd_completion(args: argparse.Namespace, console: Console) -> int:
    """Completion for every command and option, made from the parser itself (shtab), so it
    cannot fall behind; `--demo`/`--convert` of the TUI are offered at the top level too."""
    import shtab

    parser = _parser()
    parser.add_argument("--demo", action="store_true", help="the TUI on the bundled sample")
    parser.add_argument("--convert", action="store_true", help="the TUI with --convert")
    print(shtab.complete(parser, args.shell))
    return EXIT_OK


def cmd_demo(args: argparse.Namespace, console: Console) -> int:
    from .demo import write_sample

    dest = write_sample(args.dir.expanduser().resolve())
    console.print(f"Wrote the legacy sample to {dest}. Next: `dashtam-wizard plan {args.dir}`")
    return EXIT_OK


def run_tui(path: Path | None, demo: bool, console: Console, convert: bool = False) -> int:
    if demo:  # .demo loads the template engine (jinja2): not on the way to the first paint
        from .demo import temp_sample

        root = temp_sample()
    else:
        root = _repo(path or Path("."))
    try:
        from .tui.app import run as tui_run
    except ImportError:
        tui_run = None  # type: ignore[assignment]  # an install without the TUI's libraries
    if tui_run is None:
        from .core.planner import build_plan
        from .render import print_plan

        print_plan(sys.stdout, build_plan(root), None, False)
        return EXIT_OK
    if convert:  # before the first frame: one line and exit 2 if the converter fails
        from .convert import convert as run_converter
        from .core.context import Options
        from .core.snapshot import read_tree

        options = Options(conversion=run_converter(read_tree(root), root.name))
        code = tui_run(root, demo=demo, options=options)
    else:
        code = tui_run(root, demo=demo)
    if demo:  # a temporary folder the user did not choose: say where it stays
        console.print(
            f"The demo repo stays at {root} (your changes in it, too); "
            f"remove it with `rm -rf {root.parent}`.",
            markup=False,
        )
    return code


HANDLERS = {
    "plan": cmd_plan,
    "apply": cmd_apply,
    "rollback": cmd_rollback,
    "status": cmd_status,
    "verify": cmd_verify,
    "extract": cmd_extract,
    "demo": cmd_demo,
    "report": cmd_report,
    "completion": cmd_completion,
}


class Terminated(BaseException):
    """SIGTERM, raised where the command is: `finally` blocks run (an in-process apply rolls
    back, `uv lock`'s scratch folder is removed) instead of the process vanishing."""


def _on_sigterm(_signum: int, _frame: Any) -> None:
    raise Terminated


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    console: Any = LazyConsole(highlight=False, soft_wrap=True)  # a piped command stays one line
    err: Any = LazyConsole(stderr=True, highlight=False)
    try:
        if (
            argv
            and argv[0] in COMMANDS
            or any(a in ("-h", "--help", "-V", "--version") for a in argv[:1])
        ):
            import signal

            if threading_main():
                signal.signal(signal.SIGTERM, _on_sigterm)
            args = _parser().parse_args(argv)
            if args.command is None:
                _parser().print_help()
                return EXIT_OK
            return HANDLERS[args.command](args, console)
        targs = _tui_parser().parse_args(argv)
        return run_tui(targs.path, targs.demo, console, targs.convert)
    except BadInput as exc:
        err.print(f"dashtam-wizard: {exc.one_line()}", markup=False, soft_wrap=True)
        return EXIT_BAD
    except BrokenPipeError:
        # `dashtam-wizard plan | head`: the reader left; say nothing, like any filter would
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        err.print(f"dashtam-wizard: {where}{exc.strerror or exc}", markup=False, soft_wrap=True)
        return EXIT_BAD
    except (KeyboardInterrupt, Terminated) as exc:
        code = 143 if isinstance(exc, Terminated) else 130
        err.print(
            "dashtam-wizard: interrupted; no file is half-written, but an apply or rollback that was "
            "running is unfinished until `dashtam-wizard rollback --yes` (or the next apply, or the "
            "wizard's start) finishes it"
        )
        return code
    except Exception as exc:  # noqa: BLE001 - the user gets one line, the traceback goes to a file
        log = _save_traceback()
        err.print(
            f"dashtam-wizard: internal error: {type(exc).__name__}: {exc} (details: {log})",
            markup=False,
            soft_wrap=True,
        )
        return EXIT_BAD


def threading_main() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


def _save_traceback() -> str:
    import tempfile
    import traceback

    fd, name = tempfile.mkstemp(prefix="dashtam-wizard-crash-", suffix=".log")
    with open(fd, "w") as fh:
        fh.write(traceback.format_exc())
    return name


if __name__ == "__main__":
    sys.exit(main())
