"""Every call of the baseline judged on both trees, and on the fresh clone's view of them.

Apart from running Compose (scratch.py) because this is the judgement: which calls are
compared, which resolutions can be skipped (a view a clone holds alike, an answer from the
cache, a call a clone cannot run at all), and how the answers become the verdict by the
gate's rules (core/gate.py).
"""

from __future__ import annotations

import contextlib
import os
import posixpath
import re
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from ..core.gate import Call, Difference, Verdict, compare, pairs
from ..core.snapshot import Tree
from .binary import compose_cli, compose_label
from .scratch import cache_get, cache_prune, cache_put, resolution_digest, resolve, write


def judge(
    before: Tree,
    after: Tree,
    root_name: str,
    clone: tuple[Tree, Tree] | None = None,
    root: str = "",
    own: bool = False,
) -> Verdict:
    """Every call of the baseline resolved on both trees by the real Compose (by the wizard's
    own model with `own`, or when there is no Compose CLI), compared; with `clone`, also on
    the trees a fresh clone would hold before and after (what CI and a colleague get: no
    untracked or ignored file), where a difference is said as such."""
    verdict = Verdict()
    cmd = None if own else compose_cli()
    verdict.judge = OWN_MODEL if cmd is None else compose_label(cmd)
    if cmd is None and not own:
        verdict.unjudged.append(
            "no Compose v2 CLI here (docker compose, docker-compose): the own model judged"
        )
    views = [("", before, after)] + ([("in a fresh clone, ", *clone)] if clone is not None else [])
    todo: list[tuple[str, Call, Call]] = []
    for view, b_tree, a_tree in views:
        for b, a in pairs(b_tree, a_tree, root_name, root):
            if a is None:
                if not view:
                    verdict.differences.append(
                        Difference(
                            b.where, "", "the command", "runs Compose", "is gone from this line"
                        )
                    )
            elif b.unknown or a.unknown:
                if not view:
                    verdict.unjudged.append(f"{b.where}: {b.unknown or a.unknown}; not judged")
            else:
                todo.append((view, b, a))
    verdict.compared = sum(1 for view, _b, _a in todo if not view)  # calls, not views of them
    if not todo:
        return verdict
    if cmd is None:
        _compare(verdict, todo, views, _own_answers(todo, views, root_name))
        return verdict
    trees = _by_side(views)
    base = Path(tempfile.mkdtemp(prefix="dashtam-wizard-gate-"))  # 0700: env files are secret
    try:
        roots = {key: base / f"{i}-{key[1]}" / root_name for i, key in enumerate(trees)}
        jobs = sorted(
            {((v, "before"), b.args) for v, b, _ in todo}
            | {((v, "after"), a.args) for v, _, a in todo}
        )
        digests = {key: resolution_digest(tree, root_name, cmd) for key, tree in trees.items()}
        results: dict[_Job, Any] = {}
        for job in jobs:  # answered before for the same bytes (a repeat look, the next phase)
            hit = cache_get(digests[job[0]], job[1])
            if hit is not None:
                results[job] = hit
        from ..core.resolve.project import (
            missing_named,  # not at import: a repeat `plan` loads no YAML
        )

        # a clone that cannot run a call at all before (a file it names is not committed) has
        # nothing to compare after: Compose fails on a named file that is not there, always
        needed: set[_Job] = set()
        for v, b, a in todo:
            fails = missing_named(trees[(v, "before")], b.args) if v else None
            if fails is None:
                needed |= {((v, "before"), b.args), ((v, "after"), a.args)}
            else:
                results.setdefault(((v, "before"), b.args), fails)
        for j in jobs:
            if j not in needed:
                results.setdefault(j, "not run: a fresh clone cannot run the call before")
        # one resolution per distinct (bytes, arguments): a view a clone holds alike is not run
        # twice, nor a call whose files a clone holds alike (its answer cannot differ)
        keyed = {
            j: (digests[_same_in_clone(j, trees, root_name)[0]], j[1])
            for j in jobs
            if j not in results
        }
        known = {(digests[j[0]], j[1]): results[j] for j in results if j in needed}
        unique: dict[tuple[str, tuple[str, ...]], _Job] = {}
        for j, k in keyed.items():
            if k in known:
                results[j] = known[k]
            else:
                unique.setdefault(k, j)
        todo_jobs = list(unique.values())
        for key in {j[0] for j in todo_jobs}:  # only the trees something is still asked of
            write(trees[key], roots[key])
        with ThreadPoolExecutor(max_workers=min(4, (os.cpu_count() or 2) * 2)) as pool:
            for job, answer in zip(
                todo_jobs,
                pool.map(lambda j: resolve(cmd, roots[j[0]], base, j[1]), todo_jobs),
                strict=True,
            ):
                cache_put(digests[job[0]], job[1], answer)
                for j, k in keyed.items():
                    if k == keyed[job]:
                        results[j] = answer
        if todo_jobs:
            cache_prune()
        verdict.calls = len(todo_jobs)
        _compare(verdict, todo, views, results)
    finally:
        with contextlib.suppress(OSError):
            shutil.rmtree(base)
    return verdict


OWN_MODEL = "own Compose model"
_Views = list[tuple[str, Tree, Tree]]
_Job = tuple[tuple[str, str], tuple[str, ...]]


def _same_in_clone(job: _Job, trees: dict[tuple[str, str], Tree], root_name: str) -> _Job:
    """The working tree's job when a fresh clone's view of this call cannot answer otherwise:
    no file the call reads differs between the two views (by the own model's reads), and no
    file that differs is named in its compose files (what the own model does not follow:
    `extends`, `label_file`, a build context). Otherwise the job itself."""
    (view, side), args = job
    here = trees.get(("", side))
    if not view or here is None:
        return job
    differ, named = _differ(here, trees[(view, side)])
    if not differ:
        return (("", side), args)
    from ..core.resolve.config import resolve_call
    from ..core.resolve.project import command_files
    from ..core.resolve.shapes import Unmodelled

    reads: set[str] = set()
    try:
        for tree in (here, trees[(view, side)]):
            resolve_call(tree, root_name, args, reads)
    except Unmodelled:
        return job
    if reads & differ:
        return job
    for f in reads | set(command_files(args)):
        if f in here.files and named.search(here.text(f) or ""):
            return job
    return (("", side), args)


_DIFFER: list[tuple[Tree, Tree, frozenset[str], re.Pattern[str]]] = []


def _differ(here: Tree, clone: Tree) -> tuple[frozenset[str], re.Pattern[str]]:
    """The files a clone holds otherwise than the working tree, and a pattern finding any
    of their names in a text (asked once per call: kept for the pair being judged, by
    identity, the trees held so no later pair can be taken for them)."""
    if not (_DIFFER and _DIFFER[0][0] is here and _DIFFER[0][1] is clone):
        differ = frozenset(
            p
            for p in here.files.keys() | clone.files.keys()
            if p not in clone.files
            or p not in here.files
            or here.files[p].data != clone.files[p].data
        )
        names = sorted({posixpath.basename(p) for p in differ}, key=len, reverse=True)
        alt = "|".join(map(re.escape, names)) or "(?!)"
        _DIFFER[:] = [(here, clone, differ, re.compile(rf"(?<![\w.-])(?:{alt})(?![\w.-])"))]
    return _DIFFER[0][2], _DIFFER[0][3]


def _by_side(views: _Views) -> dict[tuple[str, str], Tree]:
    """Each view's trees by (view, "before" | "after"), as jobs and answers are keyed."""
    return {(v, "before"): b for v, b, _ in views} | {(v, "after"): a for v, _, a in views}


def _own_answers(
    todo: list[tuple[str, Call, Call]], views: _Views, root_name: str
) -> dict[_Job, Any]:
    """The own model's resolutions, keyed like the judge's (no scratch copy, no subprocess)."""
    from ..core.resolve.config import resolve_call
    from ..core.resolve.shapes import Unmodelled

    trees = _by_side(views)
    out: dict[_Job, Any] = {}
    for view, b, a in todo:
        for job in (((view, "before"), b.args), ((view, "after"), a.args)):
            if job not in out:
                try:
                    out[job] = resolve_call(trees[job[0]], root_name, job[1])
                except Unmodelled as exc:
                    out[job] = exc
    return out


def _compare(
    verdict: Verdict, todo: list[tuple[str, Call, Call]], views: _Views, results: dict[_Job, Any]
) -> None:
    """The answers before and after of each call, compared by the gate's rules (core/gate.py)."""
    trees = _by_side(views)
    seen: set[tuple[str, str, str]] = set()
    for view, b, a in todo:
        rb, ra = results[((view, "before"), b.args)], results[((view, "after"), a.args)]
        if isinstance(rb, Exception) or isinstance(ra, Exception):
            if not view:
                reason = rb if isinstance(rb, Exception) else ra
                verdict.unjudged.append(
                    f"{b.where}: the own model does not resolve {reason}; "
                    "`plan --with-compose` asks Compose"
                )
            continue
        if isinstance(rb, str):
            if not view:
                verdict.unjudged.append(
                    f"{b.where}: Compose rejects it already before migration ({rb})"
                )
            continue
        if isinstance(ra, str):
            found = [Difference(b.where, "", "the command", "resolves", f"fails: {ra}")]
        else:
            found = compare(b.where, rb, ra, trees[(view, "before")], trees[(view, "after")])
        for d in found:
            if (d.where, d.service, d.key) in seen:
                continue  # the working tree's difference already says it
            seen.add((d.where, d.service, d.key))
            verdict.differences.append(
                Difference(d.where, d.service, view + d.key, d.before, d.after) if view else d
            )
