#!/usr/bin/env python3
"""7. The plan's claim "faster builds (lockfile), better layer caching", measured.

Two copies of the sample: the legacy layout as shipped, and the same after
`dashtam-wizard apply` (docker/Dockerfile from the template, uv.lock re-locked). For the
`development` stage (what compose builds) of each, with the same classic builder the
wizard uses (docker.build.build_stage), timed:
  no change     rebuild with nothing changed (all layers from cache)
  source        rebuild after appending a comment to src/main.py
  dependency    rebuild after touching the dependency manifest the Dockerfile copies
                first (legacy: requirements.txt, migrated: pyproject.toml) — every
                dependency layer is invalidated, as by a real dependency change
Each edit is reverted after its build, which brings the cache back. Ratios: migrated /
legacy. Needs a Docker daemon and PyPI (the dependency layers download packages).

    bench/bench_layers.py [--rounds N] [--target development]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_verify import docker_ready  # noqa: E402
from common import (  # noqa: E402
    RESULTS,
    WIZARD,
    Results,
    bench_env,
    fresh_sample,
    med,
    ms,
    require_venv,
    use_bench_pycache,
)

use_bench_pycache()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--target", default="development")
    args = ap.parse_args()
    require_venv()
    res = Results("layers", "7. rebuild after a change: legacy Dockerfile vs migrated")
    why = docker_ready()
    if why:
        res.skip("layer caching", why)
        res.note("TODO: run bench/bench_layers.py where a Docker daemon is available")
        res.save()
        return 0
    from dashtam_wizard.docker.build import build_stage
    from dashtam_wizard.docker.client import connect
    from dashtam_wizard.docker.stages import arg_default, chain, read_stages

    legacy = fresh_sample(RESULTS / "work" / "layers-legacy")
    migrated = fresh_sample(RESULTS / "work" / "layers-migrated")
    r = subprocess.run([str(WIZARD), "apply", str(migrated), "--yes"], capture_output=True, text=True,
                       env=bench_env())
    if r.returncode != 0:
        res.skip("layer caching", f"apply on the sample failed: {(r.stdout + r.stderr).strip()[-300:]}")
        res.save()
        return 0
    client = connect()
    variants = {"legacy": (legacy, "requirements.txt"), "migrated": (migrated, "pyproject.toml")}

    def build(root: Path) -> tuple[float, int, int]:
        stages = read_stages((root / "docker/Dockerfile").read_text())
        declared = {a for st in chain(stages, args.target) for a in st.args}
        ba = {k: arg_default(stages, args.target, k) or "1000" for k in ("UID", "GID") if k in declared}
        t = time.perf_counter()
        b = build_stage(client.api, root, args.target, buildargs=ba, tag=f"dashtam-wizard/bench-layers:{root.name}")
        dt = time.perf_counter() - t
        if not b.ok:
            raise RuntimeError(f"{root.name}: {b.failed}")
        return dt, b.steps, b.cache_hits

    def edited(root: Path, rel: str, i: int) -> tuple[float, int, int]:
        p = root / rel
        before = p.read_bytes()
        p.write_bytes(before + f"\n# bench edit {i} {time.time()}\n".encode())
        try:
            return build(root)
        finally:
            p.write_bytes(before)

    figures: dict[str, dict[str, list[tuple[float, int, int]]]] = {v: {"none": [], "src": [], "dep": []}
                                                                    for v in variants}
    try:
        for root, _dep in variants.values():
            build(root)  # prime the cache (may be a cold build)
        for i in range(args.rounds):
            for v, (root, dep) in variants.items():
                figures[v]["none"].append(build(root))
                figures[v]["src"].append(edited(root, "src/main.py", i))
                build(root)  # back to the cached state
                figures[v]["dep"].append(edited(root, dep, i))
                build(root)
    except Exception as exc:  # noqa: BLE001 - no network for apt/PyPI, ...
        res.skip("layer caching", f"{type(exc).__name__}: {exc}")
        res.save()
        return 0

    labels = {"none": "rebuild, nothing changed", "src": "rebuild after a source-only change",
              "dep": "rebuild after a dependency-manifest change"}
    for key, label in labels.items():
        lg = med([x[0] for x in figures["legacy"][key]])
        mg = med([x[0] for x in figures["migrated"][key]])
        lsteps, lhits = figures["legacy"][key][-1][1:]
        msteps, mhits = figures["migrated"][key][-1][1:]
        res.row(f"{args.target}: {label}", f"migrated {ms(mg)}", f"legacy {ms(lg)}", mg / lg,
                note=f"steps not from cache: migrated {msteps - mhits}/{msteps}, legacy {lsteps - lhits}/{lsteps}; "
                     f"{args.rounds} round(s)")
    res.save()
    return 0


if __name__ == "__main__":
    sys.exit(main())
