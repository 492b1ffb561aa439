#!/usr/bin/env python3
"""2. Scale: plan on synthetic repos 1x, 10x and 50x the sample (bench/gen_scale.py).

Planning must grow linearly with the repo: the time per compose file at 50x may not be
much above the time per compose file at 10x. Measured in a child process that imports
once and times `build_plan`, the sizes interleaved round by round (so the fixed start-up
cost does not flatter the big repos, and load on the machine hits every size alike):
CPU time of the process (steady on a loaded machine; the growth check uses it) and wall
time, plus the real CLI's wall time (`plan --no-diff`, whose printing is small) once per size.

    bench/bench_scale.py [--sizes 1,10,50] [--runs 2]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import PY, RESULTS, WIZARD, Results, bench_env, med, ms, require_venv, wall  # noqa: E402
from gen_scale import generate, stats  # noqa: E402

TARGET = 1.25  # per-file cost at the largest size / at the middle size

CHILD = r"""
import json, sys, time
from pathlib import Path
from dashtam_wizard.core import planner
roots, runs = [Path(p) for p in sys.argv[2:]], int(sys.argv[1])
phase = {}
current = [None]
def wrap(mod, key):
    f = mod.plan
    def w(*a, **k):
        t = time.perf_counter()
        try:
            return f(*a, **k)
        finally:
            phase.setdefault(str(current[0]), {}).setdefault(key, []).append(time.perf_counter() - t)
    mod.plan = w
for m in planner.PHASES:
    wrap(m, m.__name__.rsplit(".", 1)[1][:2])
total = {str(r): [] for r in roots}
cpu = {str(r): [] for r in roots}
for i in range(runs + 1):  # round 0 warms up (first-use costs inside the phases); sizes interleaved
    for root in (roots if i % 2 == 0 else roots[::-1]):
        current[0] = root
        t, c = time.perf_counter(), time.process_time()
        planner.build_plan(root)
        if i:
            total[str(root)].append(time.perf_counter() - t)
            cpu[str(root)].append(time.process_time() - c)
print(json.dumps({"total": total, "cpu": cpu, "phases": phase}))
"""


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1,10,50")
    ap.add_argument("--runs", type=int, default=2)
    args = ap.parse_args()
    require_venv()
    sizes = [int(x) for x in args.sizes.split(",")]
    res = Results("scale", "2. plan at scale (synthetic repos, build_plan in-process + CLI wall)")
    env = bench_env()
    per_file: dict[int, float] = {}
    roots: dict[int, Path] = {}
    st: dict[int, dict[str, int]] = {}
    for n in sizes:
        roots[n] = RESULTS / "work" / f"scale-{n}"
        if roots[n].exists():
            shutil.rmtree(roots[n])
        generate(roots[n], n)
        st[n] = stats(roots[n])
    # one process, sizes interleaved round by round: load on the machine hits every size alike
    r = subprocess.run(
        [str(PY), "-c", CHILD, str(args.runs), *map(str, roots.values())],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    data = json.loads(r.stdout.strip().splitlines()[-1])
    for n in sizes:
        key = str(roots[n])
        t, cpu = med(data["total"][key]), med(data["cpu"][key])
        phases = {k: med(v) for k, v in data["phases"][key].items()}
        cli = wall([WIZARD, "plan", "--no-diff", "--no-cache", roots[n]])
        per_file[n] = cpu / st[n]["compose_files"]
        top = sorted(phases.items(), key=lambda kv: -kv[1])[:3]
        s_ = st[n]
        res.row(
            f"{n}x: build_plan CPU per compose file",
            ms(per_file[n]),
            note=f"{s_['compose_files']} compose files, {s_['services']} services, Makefile "
            f"{s_['makefile_lines']} lines, {s_['env_files']} env files ({s_['env_lines']} lines); "
            f"build_plan CPU {ms(cpu)}, wall {ms(t)} (median of {args.runs}), CLI `plan --no-diff` wall "
            f"{ms(cli)}; slowest phases (wall): " + ", ".join(f"{k} {ms(v)}" for k, v in top),
        )
    if len(sizes) >= 2:
        big, mid = sizes[-1], sizes[-2]
        res.row(
            f"growth: per-file cost {big}x vs {mid}x",
            ms(per_file[big]),
            ms(per_file[mid]),
            per_file[big] / per_file[mid],
            TARGET,
            note="1.0 = perfectly linear",
        )
        res.row(
            f"growth: per-file cost {big}x vs {sizes[0]}x",
            ms(per_file[big]),
            ms(per_file[sizes[0]]),
            per_file[big] / per_file[sizes[0]],
            note="1x pays fixed per-repo costs over only 4 files",
        )
    res.save()
    return 0


if __name__ == "__main__":
    sys.exit(main())
