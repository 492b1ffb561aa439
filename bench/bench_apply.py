#!/usr/bin/env python3
"""6. Apply and rollback: wall time on the sample and on the 50x repo, fsyncs included.

In-process, with the engine the CLI uses (`dashtam_wizard.apply.apply_changes` / `rollback`),
on the full plan (all seven phases). Every apply is undone by the rollback that follows,
and the tree is checked byte for byte against the manifest taken before (a benchmark that
leaves a different repo would be measuring something else). Reference measured in the
same run: the raw I/O floor, i.e. writing the same bytes the same crash-safe way (temp
file, fsync, rename, fsync of the directory) with nothing else. Time spent in `uv lock`
(phase 1 re-locks when requirements*.txt add dependencies; it needs PyPI) and in git is
reported apart.

    bench/bench_apply.py [--sizes 1,50] [--rounds N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULTS, Results, fresh_sample, med, ms, require_venv, rounds, use_bench_pycache  # noqa: E402

use_bench_pycache()

from gen_scale import generate  # noqa: E402

from dashtam_wizard.apply import apply_changes, rollback, tree_manifest  # noqa: E402
from dashtam_wizard.apply import prepare as _prepare  # noqa: E402
from dashtam_wizard.core.planner import build_plan  # noqa: E402

SPENT: dict[str, float] = defaultdict(float)
COUNT: dict[str, int] = defaultdict(int)


def _instrument() -> None:
    """Count time in uv lock, in git subprocesses and in fsync (the engine's own calls)."""
    real_run, real_fsync = subprocess.run, os.fsync
    real_lock = _prepare.regenerate_uv_lock

    def run(args, *a, **k):  # noqa: ANN001, ANN002, ANN003
        name = Path(str(args[0])).name if isinstance(args, list | tuple) and args else "?"
        t = time.perf_counter()
        try:
            return real_run(args, *a, **k)
        finally:
            SPENT[f"proc:{name}"] += time.perf_counter() - t
            COUNT[f"proc:{name}"] += 1

    def fsync(fd: int) -> None:
        t = time.perf_counter()
        try:
            real_fsync(fd)
        finally:
            SPENT["fsync"] += time.perf_counter() - t
            COUNT["fsync"] += 1

    def lock(*a, **k):  # noqa: ANN002, ANN003
        t = time.perf_counter()
        try:
            return real_lock(*a, **k)
        finally:
            SPENT["uv lock"] += time.perf_counter() - t
            COUNT["uv lock"] += 1

    subprocess.run = run  # type: ignore[assignment]
    os.fsync = fsync
    _prepare.regenerate_uv_lock = lock


def io_floor(root: Path, changes: list) -> float:
    """Write every byte the apply writes, crash-safe, into a scratch dir on the same disk."""
    scratch = root.parent / f".{root.name}-floor"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir()
    t = time.perf_counter()
    dirs = set()
    for i, c in enumerate(changes):
        data = c.after if c.after is not None else (c.before or b"")
        d = scratch / str(i % 16)
        if d not in dirs:
            d.mkdir()
            dirs.add(d)
        tmp, dst = d / f".{i}.tmp", d / str(i)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, dst)
        dfd = os.open(d, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    dt = time.perf_counter() - t
    shutil.rmtree(scratch, ignore_errors=True)
    return dt


def measure(res: Results, label: str, root: Path, n: int) -> None:
    manifest = tree_manifest(root)
    plan = build_plan(root)
    changes = [c for c in plan.changes() if c.default]
    phases = sorted({c.phase for c in changes})
    nbytes = sum(len(c.after or c.before or b"") for c in changes)
    ap, rb, fl, lock, git, gitn, fs_a, fs_r = [], [], [], [], [], [], [], []
    for _ in range(n):
        fl.append(io_floor(root, changes))
        SPENT.clear()
        COUNT.clear()
        t = time.perf_counter()
        apply_changes(root, changes, phases=phases)
        ap.append(time.perf_counter() - t)
        lock.append(SPENT["uv lock"])
        git.append(SPENT["proc:git"])
        gitn.append(COUNT["proc:git"])
        fs_a.append(COUNT["fsync"])
        SPENT.clear()
        COUNT.clear()
        t = time.perf_counter()
        rollback(root)
        rb.append(time.perf_counter() - t)
        fs_r.append(COUNT["fsync"])
        if tree_manifest(root) != manifest:
            raise SystemExit(f"{label}: rollback did not restore the tree byte for byte")
    a, r, f, lk = med(ap), med(rb), med(fl), med(lock)
    res.row(
        f"{label}: apply ({len(changes)} changes, {nbytes / 1024:.0f} KiB)",
        ms(a),
        f"raw crash-safe writes of the same bytes {ms(f)}",
        a / f,
        note=f"median of {n}; `uv lock` {ms(lk)} of it (network), git {ms(med(git))} "
        f"({int(med(gitn))} processes), "
        f"{int(med(fs_a))} fsyncs; apply without uv lock {ms(a - lk)} = ×{(a - lk) / f:.1f} the floor",
    )
    res.row(
        f"{label}: rollback",
        ms(r),
        f"raw crash-safe writes {ms(f)}",
        r / f,
        note=f"{int(med(fs_r))} fsyncs; tree restored byte for byte (checked every round)",
    )


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1,50")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    require_venv()
    _instrument()
    res = Results("apply", "6. apply and rollback (in-process engine, fsyncs included)")
    for size in (int(x) for x in args.sizes.split(",")):
        if size == 1:
            root = fresh_sample(RESULTS / "work" / "apply-sample")
            label = "sample"
        else:
            root = RESULTS / "work" / f"apply-{size}x"
            shutil.rmtree(root, ignore_errors=True)
            generate(root, size)
            label = f"{size}x repo"
        try:
            measure(
                res,
                label,
                root,
                rounds(args.rounds) if size == 1 else max(1, rounds(args.rounds) - 1),
            )
        except Exception as exc:  # noqa: BLE001 - e.g. `uv lock` without network
            res.skip(f"{label}: apply/rollback", f"{type(exc).__name__}: {exc}")
    res.save()
    return 0


if __name__ == "__main__":
    sys.exit(main())
