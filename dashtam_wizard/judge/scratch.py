"""One Compose resolution: a tree written to a scratch folder named like the repo,
`config --format json` run in it, the answer remembered by the tree's bytes.

Apart because the gate (verdict.py) and verify (`resolve_tree`) resolve the same way,
keyed by the same digest in the same cache: the same bytes are not resolved twice.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from ..core.gate import REPO
from ..core.snapshot import Tree
from .binary import compose_cli, env


def write(tree: Tree, dest: Path) -> None:
    dest.mkdir(parents=True)
    for d in sorted(tree.dirs):
        (dest / d).mkdir(parents=True, exist_ok=True)
    for rel, e in tree.files.items():
        p = dest / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(e.data)


def resolve(
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
            env=env(home),
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


def resolution_digest(tree: Tree, root_name: str, cmd: tuple[str, ...]) -> str:
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
    from ..plancache import cache_dir, enabled, read_entry

    if not enabled():
        return None
    hit = read_entry(cache_dir().parent / "gate", _cache_key(digest, args))
    return hit if isinstance(hit, dict | str) else None


CACHE_KEEP = 4096  # resolutions: a 50-service repo asks 300 per look


def cache_put(digest: str, args: tuple[str, ...], answer: dict[str, Any] | str) -> None:
    """Remember one resolution; `cache_prune` once the judge has put them all."""
    from ..plancache import cache_dir, enabled, write_entry

    if enabled() and not (isinstance(answer, str) and answer.startswith("Compose did not answer")):
        write_entry(cache_dir().parent / "gate", _cache_key(digest, args), answer, None)


def cache_prune() -> None:
    from ..plancache import cache_dir, enabled, prune

    if enabled():
        with contextlib.suppress(OSError):
            prune(cache_dir().parent / "gate", CACHE_KEEP)


def resolve_tree(
    tree: Tree, root_name: str, calls: list[tuple[str, ...]]
) -> dict[tuple[str, ...], dict[str, Any] | str]:
    """What each call (its -f/--env-file/-p) resolves to on `tree`, written to a scratch
    folder named like the repo (Compose names the project after it); cached by content like
    the gate's answers. Paths come back as `<repo>/…`."""
    cmd = compose_cli()
    if cmd is None:
        return {args: "no Compose v2 CLI here" for args in calls}
    digest = resolution_digest(tree, root_name, cmd)
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
        write(tree, root)
        with ThreadPoolExecutor(max_workers=min(4, (os.cpu_count() or 2) * 2)) as pool:
            for args, answer in zip(
                todo, pool.map(lambda a: resolve(cmd, root, base / "home", a), todo), strict=True
            ):
                cache_put(digest, args, answer)
                out[args] = answer
    finally:
        with contextlib.suppress(OSError):
            shutil.rmtree(base)
    return out
