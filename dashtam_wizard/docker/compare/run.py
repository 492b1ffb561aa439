"""The run: scratch copies of both sides, the cache primed, then each scenario's edit timed
in interleaved rounds, every edit reverted before the next."""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import docker

from dashtam_wizard.apply import ApplyError
from dashtam_wizard.apply.uvlock import regenerate_uv_lock

from ..buildkit import builder_name
from ..client import configured_host
from .errors import CompareError
from .legacy import Journal, copy_repo, read_journal, restore_legacy
from .report import CompareReport, Scenario
from .sides import Side, _add_to_pyproject, find_side, pick_dependency, pick_source_file
from .timing import Timed, _short, timed_build

DEFAULT_ROUNDS = 2
SCENARIOS = (
    ("none", "nothing changed"),
    ("source", "source file edited"),
    ("dependency", "dependency added"),
)

Emit = Callable[[str], None]


def _edit(path: Path, data: bytes) -> bytes:
    before = path.read_bytes()
    path.write_bytes(data)
    return before


def compare_builds(
    client: docker.DockerClient,
    repo: Path,
    rounds: int = DEFAULT_ROUNDS,
    *,
    emit: Emit | None = None,
    journal: Journal | None = None,
) -> CompareReport:
    """Measure rebuild times of the legacy and the migrated development build (see the
    package docstring); progress lines go to `emit`. Writes nothing in `repo`."""
    say = emit or (lambda _line: None)
    repo = repo.resolve()
    journal = journal or read_journal(repo)
    rounds = max(1, rounds)
    # mkdtemp makes it 0700: the copies hold the repo's env files, secrets included.
    scratch = Path(tempfile.mkdtemp(prefix="dashtam-wizard-compare-"))
    try:
        copy_repo(repo, scratch / "migrated")
        copy_repo(repo, scratch / "legacy")
        restored = restore_legacy(scratch / "legacy", journal)
        legacy = find_side("legacy", scratch / "legacy")
        migrated = find_side("migrated", scratch / "migrated")
        sides = (legacy, migrated)
        src = pick_source_file(legacy, migrated)
        dep = pick_dependency(
            [
                (s.tree / f).read_text(encoding="utf-8", errors="replace")
                for s in sides
                for f in {s.dep_file, "uv.lock"}
                if (s.tree / f).is_file()
            ]
        )
        say(f"Builder: {builder_name()}")
        say(
            f"Scratch copies in {scratch} ({repo} is only read); the legacy layout "
            f"is {restored} path(s) put back from apply {', '.join(journal.applies)}"
        )
        for s in sides:
            say(f"{s.name:8} {s.describe()}")
        say(f"Changes: source edit of {src}; dependency added: {dep}")
        say("Priming the build cache (with an empty cache this downloads the base layers)")
        for s in sides:
            t = timed_build(client, s, "prime")
            say(f"  {s.name:8} primed in {t.seconds:.1f} s ({t.rebuilt}/{t.steps} steps ran)")

        scenarios = {
            "none": Scenario("none", "nothing changed", "-"),
            "source": Scenario("source", "source file edited", src),
            "dependency": Scenario(
                "dependency",
                "dependency added",
                f"+{dep}: {legacy.dep_file}{' + uv lock' if legacy.relock else ''} / "
                f"{migrated.dep_file}{' + uv lock' if migrated.relock else ''}",
            ),
        }

        def run_one(side: Side, sid: str, nonce: str) -> Timed:
            if sid == "none":
                return timed_build(client, side, "no change")
            if sid == "source":
                path = side.tree / src
                before = _edit(
                    path,
                    path.read_bytes() + f"\n# dashtam-wizard compare-builds {nonce}\n".encode(),
                )
                try:
                    t = timed_build(client, side, f"{src} edited")
                finally:
                    path.write_bytes(before)
                timed_build(client, side, "restore")  # the reverted tree, back from cache
                return t
            dep_path = side.tree / side.dep_file
            lock_path = dep_path.parent / "uv.lock"
            saved = {p: p.read_bytes() for p in (dep_path, lock_path) if p.is_file()}
            try:
                if dep_path.name == "pyproject.toml":
                    new = _add_to_pyproject(saved[dep_path], dep, nonce, side.dep_file)
                else:
                    old = saved[dep_path]
                    sep = b"" if not old or old.endswith(b"\n") else b"\n"
                    new = old + sep + f"{dep}  # dashtam-wizard compare-builds {nonce}\n".encode()
                dep_path.write_bytes(new)
                lock_s = None
                if side.relock:
                    t0 = time.monotonic()
                    try:
                        lock = regenerate_uv_lock(
                            "uv.lock", {"pyproject.toml": new, "uv.lock": saved.get(lock_path, b"")}
                        )
                    except ApplyError as exc:
                        raise CompareError(f"{side.name} layout: {exc}") from None
                    lock_s = time.monotonic() - t0
                    lock_path.write_bytes(lock)
                t = timed_build(client, side, f"{dep} added")
                t.lock = lock_s
            finally:
                for p, data in saved.items():
                    p.write_bytes(data)
            timed_build(client, side, "restore")
            return t

        for i in range(rounds):
            say(f"Round {i + 1}/{rounds}")
            order = sides if i % 2 == 0 else sides[::-1]
            for sid, label in SCENARIOS:
                for side in order:
                    t = run_one(side, sid, uuid.uuid4().hex[:12])
                    getattr(scenarios[sid], side.name).append(t)
                    lock = f"uv lock {t.lock:.1f} s + " if t.lock is not None else ""
                    slow = (
                        f"; slowest `{_short(t.slowest[0], 50)}` {t.slowest[1]:.1f} s"
                        if t.slowest and sid != "none"
                        else ""
                    )
                    say(
                        f"  {side.name:8} {label:18} {lock}build {t.seconds:.2f} s "
                        f"({t.rebuilt}/{t.steps} steps ran{slow})"
                    )
        return CompareReport(
            repo=repo,
            host=configured_host(),
            rounds=rounds,
            applies=journal.applies,
            legacy=_side_json(legacy),
            migrated=_side_json(migrated),
            source_file=src,
            dependency=dep,
            scenarios=list(scenarios.values()),
            builder=builder_name(),
        )
    finally:
        _rmtree(scratch)


def _side_json(side: Side) -> dict[str, Any]:
    return {
        "dockerfile": side.dockerfile_rel,
        "target": side.target,
        "dependency_file": side.dep_file,
        "uv_lock": side.relock,
    }


def _rmtree(path: Path) -> None:
    """Remove the scratch folder even where a build or uv left read-only entries."""

    def again(func: Callable[..., Any], p: str, _exc: object) -> None:
        with contextlib.suppress(OSError):
            os.chmod(p, stat.S_IRWXU)
            func(p)

    shutil.rmtree(path, onerror=again)  # onerror: Python 3.11 has no onexc
