"""What the TUI's jobs do, by name: one dispatch for every job, wherever it runs.

The backend process (`backend.py`) answers each request by calling `run(op, args, ...)`;
the app calls the same function in a worker thread when there is no backend. So a job is
started one way (`RepoApp.in_backend`) and does the same thing in either place: loading,
the gate, checklist saves, the Docker probe, apply, rollback, the report and verify. Each
goes through the service door the CLI uses. Progress (apply steps, verify events) goes to
`progress`; `cancelled` stops a verify between two of its events.

Nothing here imports Textual: the backend never loads it.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..service.repo import recover_interrupted

if TYPE_CHECKING:
    from ..apply.records import ApplyRecord
    from ..core.context import Options
    from ..core.model import Change, Plan
    from ..core.snapshot import Tree
    from ..docker.report import VerifyReport
    from ..service.state import RepoState

Progress = Callable[[Any], None]

# what changes files: never run twice (a backend that dies during one is not retried here)
WRITES = frozenset({"apply", "rollback", "report"})
# what the backend answers from a thread of its own, so loads never wait behind them
THREADED = frozenset({"docker", "verify"})


def _ignore(_value: Any) -> None:
    pass


def _never() -> bool:
    return False


def run(
    op: str,
    args: tuple[Any, ...],
    progress: Progress | None = None,
    cancelled: Callable[[], bool] = _never,
) -> Any:
    """Do one job; its result is pickled back to the app when run in the backend."""
    progress = progress or _ignore
    if op == "load":
        root, options, first = args
        recovered = recover_interrupted(root, untrusted_ok=True) if first else None
        return load(root, options), recovered
    if op == "save_manual":
        from ..service.loader import save_manual

        return save_manual(*args)
    if op == "docker":
        from .docker_probe import probe

        return probe()
    if op == "gate":
        return gate(*args)
    if op == "apply":
        return apply(*args, progress=progress)
    if op == "rollback":
        return rollback(*args, progress=progress)
    if op == "report":
        from ..service.report import write

        return write(*args)
    if op == "verify":
        return verify(*args, progress=progress, cancelled=cancelled)
    raise ValueError(f"unknown backend request {op!r}")


def stop_everything(jobs: list[threading.Thread]) -> None:
    """The app is gone: end the running jobs (each told to stop by its `cancelled`) before
    this process ends, so nothing they started keeps running in the repo. A verify sees
    its stop at its next event; one waiting on a silent build step gets its build ended.
    An apply or rollback never gets here: the backend does them one by one, not in a
    thread, so it is finished before the app's EOF is read."""
    for job in jobs:
        job.join(timeout=1)
    if any(job.is_alive() for job in jobs):
        stop_builds()
    for job in jobs:
        job.join(timeout=5)


def stop_builds() -> None:
    """End the Compose builds this process runs (none if it never built: nothing loaded)."""
    buildkit = sys.modules.get("dashtam_wizard.docker.buildkit")
    if buildkit is not None:
        buildkit.stop_running_builds()


def apply(
    root: Path, plan: Plan, options: Options, phases: list[int], *, progress: Progress
) -> ApplyRecord:
    """The same door as `apply`: the gate (a difference stops it, one line), then the
    transaction of what the dialog listed. Progress: (label, done, total) per change."""
    from ..service.doors import apply_chosen

    def step(i: int, n: int, change: Change) -> None:
        progress((f"{change.kind.value} {change.path}", i, n))

    progress(("checking with Compose…", 0, None))
    return apply_chosen(root, plan, options, set(phases), on_step=step)


def rollback(root: Path, to: str | None, everything: bool, *, progress: Progress) -> str:
    """Undo the last apply, back to `to`, or everything; the one-line summary."""
    from ..apply import rollback as undo

    def step(i: int, n: int, *_: object) -> None:
        progress(("restoring…", i, n))

    return undo(root, to=to, all=everything, on_step=step).summary()


def verify(root: Path, *, progress: Progress, cancelled: Callable[[], bool]) -> VerifyReport:
    """Build and check `root`. Progress: a batch (list) of `events` objects, or a str when
    the daemon answered (what the status bar shows). Raises verify_run.Unavailable/Stopped."""
    from .verify_run import Batcher
    from .verify_run import run as verify_run

    batcher = Batcher(progress)
    try:
        return verify_run(root, batcher, cancelled, progress)
    finally:
        batcher.flush()  # the last events arrive before the result (or the reason there is none)


def gate(root: Path, options: Options) -> tuple[list[str], list[str]]:
    """The equivalence gate for the plan as chosen: (blocking differences, calls not judged),
    each a line. Run by the app in a worker after the state is shown, before apply."""
    from ..core.snapshot import read_tree
    from ..judge.check import check_plan
    from ..plancache import plan_for

    tree = read_tree(root)
    verdict = check_plan(root, tree, plan_for(tree, root, options), options)
    return [d.line() for d in verdict.differences], list(verdict.unjudged)


def load(root: Path, options: Options) -> RepoState:
    """The repo's state: from the state cache when nothing it depends on changed.

    Only a miss imports the loader (the planner and its libraries).
    """
    from . import statecache

    root = root.resolve()
    state, key, tree, seen = _cached(root, options)
    if state is None:
        from ..core.checklist import load_manual
        from ..service.loader import load as compute

        state = compute(root, options, tree)
        statecache.put(key, state)
        state.manual = load_manual(root)
        state.seen, state.source = seen, key
    return state


def _cached(root: Path, options: Options) -> tuple[RepoState | None, str | None, Tree, str]:
    """(the cached state or None, its key, the tree read for the key, the repo's
    fingerprint just before that read)."""
    from ..core.checklist import load_manual
    from ..core.snapshot import fingerprint, read_tree
    from . import statecache

    seen = fingerprint(root)
    tree = read_tree(root)
    key = statecache.key(tree, root, options)
    state = statecache.get(key)
    if state is not None:
        state.manual = load_manual(root)  # not in the key: ticks are read fresh every time
        state.seen, state.source = seen, key
    return state, key, tree, seen


def first_load_here(root: Path) -> tuple[RepoState | None, str | None]:
    """In the UI process, before Textual loads: (the state if cached, what recovery did).

    A repo looked at before and unchanged since needs no backend for its first frame: no
    second process competes for the CPU while Textual starts. On a miss (None) the app
    starts the backend to plan. Light: the planner is never imported here.
    """
    from ..core.context import Options
    from ..plancache import enabled

    root = root.resolve()
    recovered = recover_interrupted(root, untrusted_ok=True)
    if not enabled():  # DASHTAM_WIZARD_NO_CACHE: nothing to look up
        return None, recovered
    return _cached(root, Options())[0], recovered
