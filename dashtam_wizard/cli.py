"""Command line: `dashtam-wizard [PATH]` opens the TUI; subcommands run the same engine headless.

Imports are lazy: `plan` never loads Textual or the Docker SDK, so it starts fast and
CI images need neither a terminal nor a daemon for it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .cli_args import COMMANDS, parser, tui_parser
from .core.errors import BadInput, NothingToMigrate
from .service.repo import open_repo, recover_interrupted, refuse_unfinished, writable_repo
from .shell import EXIT_BAD, EXIT_OK, EXIT_PENDING, LazyConsole, catch_sigterm, guarded

if TYPE_CHECKING:
    from rich.console import Console

    from .core.context import Options
    from .core.model import Change
    from .core.snapshot import Tree


def _recover(root: Path, console: Console) -> None:
    said = recover_interrupted(root)
    if said is not None:
        console.print(said, style="yellow", markup=False, highlight=False)


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
    from .render import plan_json, print_check, print_plan

    root = open_repo(args.path)
    refuse_unfinished(root)
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

        print(json.dumps(plan_json(plan, phases, args.show_secrets, verdict), indent=2))
    elif args.check:
        print_check(sys.stdout, plan, phases, verdict)
    else:
        print_plan(
            sys.stdout, plan, phases, args.show_secrets, diffs=not args.no_diff, gate=verdict
        )
    blocked = bool(verdict.differences)
    return EXIT_PENDING if args.check and (pending or blocked) else EXIT_OK


def cmd_apply(args: argparse.Namespace, console: Console) -> int:
    from .plancache import cached_plan

    root = writable_repo(args.path)
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

    root = writable_repo(args.path)
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
    from .render import print_checklist, print_problems, status_json
    from .service.loader import load
    from .service.state import with_ticks

    root = open_repo(args.path)
    refuse_unfinished(root)
    state = load(root, Options())
    items = with_ticks(state.items, state.manual)  # what the user ticked by hand in the wizard
    problems = [p for p in state.problems if p.present]
    if args.json:
        import json

        print(json.dumps(status_json(root, items, problems), indent=2))
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
        root = open_repo(args.path)
        refuse_unfinished(root)
        state = load(root, Options())
        sys.stdout.write(report.build(state, state.manual))
        return EXIT_OK
    root = writable_repo(args.path)
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
            open_repo(args.path),
            console,
            rounds=DEFAULT_ROUNDS if args.rounds is None else args.rounds,
            as_json=args.json,
        )
    if args.rounds is not None:
        raise BadInput("--rounds", "only applies with --compare-builds")
    from rich.console import Console as RichConsole

    from .present.verify import run_verify

    root = open_repo(args.path)
    refuse_unfinished(root)
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
        open_repo(args.path), console, write=args.yes, err=RichConsole(stderr=True, highlight=False)
    )


def cmd_completion(args: argparse.Namespace, console: Console) -> int:
    """Completion for every command and option, made from the parser itself (shtab), so it
    cannot fall behind; `--demo`/`--convert` of the TUI are offered at the top level too."""
    import shtab

    grammar = parser()
    grammar.add_argument("--demo", action="store_true", help="the TUI on the bundled sample")
    grammar.add_argument("--convert", action="store_true", help="the TUI with --convert")
    print(shtab.complete(grammar, args.shell))
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
        root = open_repo(path or Path("."))
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


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    console: Any = LazyConsole(highlight=False, soft_wrap=True)  # a piped command stays one line

    def command() -> int:
        if (
            argv
            and argv[0] in COMMANDS
            or any(a in ("-h", "--help", "-V", "--version") for a in argv[:1])
        ):
            catch_sigterm()
            args = parser().parse_args(argv)
            if args.command is None:
                parser().print_help()
                return EXIT_OK
            return HANDLERS[args.command](args, console)
        targs = tui_parser().parse_args(argv)
        return run_tui(targs.path, targs.demo, console, targs.convert)

    return guarded(command)


if __name__ == "__main__":
    sys.exit(main())
