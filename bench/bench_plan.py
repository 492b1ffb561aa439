#!/usr/bin/env python3
"""1. `dashtam-wizard plan` on the bundled sample: wall time of the real process.

Two plans are timed: a repeat look at an unchanged repo (answered from the plan cache,
what a user re-running `plan` gets) and a cold plan (`--no-cache`: all seven phases run,
what the first look at a repo or a look after any edit costs).

References measured in the same run, interleaved round by round:
  floor    `python -c "import ruamel.yaml, dotenv, tomlkit"` (the libraries plan cannot avoid)
  compose  the official Compose binary parsing the same files (`docker-compose -f F
           --env-file E config`, once per compose file of the sample, summed per round)
Also: `uv run dashtam-wizard plan` (uv's own overhead included), the bare interpreter,
the pip wrapper of Compose, the import contract (no Textual, no Docker SDK on the plan
path) and a breakdown of where the time goes (imports by package, phases, rendering).

    bench/bench_plan.py [--rounds N] [--profile]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (  # noqa: E402
    COMPOSE_BIN,
    COMPOSE_WRAPPER,
    PY,
    REPO,
    RESULTS,
    WIZARD,
    Results,
    bench_env,
    fresh_sample,
    interleave,
    med,
    ms,
    require_venv,
    rounds,
    spread,
    timed,
)

TARGET = 1.5
FLOOR = "import ruamel.yaml, dotenv, tomlkit"
# every library a cold plan loads (the floor plus jinja2, packaging, argparse, ...):
# what plan would cost if the wizard's own code took no time at all
DEPS = (
    "import argparse, difflib, json, shlex, subprocess, tempfile, tomllib, pickle, hashlib, ruamel.yaml, "
    "dotenv, tomlkit, jinja2, packaging.requirements"
)
FORBIDDEN = ("textual", "docker", "requests", "urllib3", "paramiko")

# Runs in a child process: the CLI's plan path, timed piece by piece.
BREAKDOWN = r"""
import io, json, sys, time
t0 = time.perf_counter()
from dashtam_wizard import cli
from dashtam_wizard.core import planner
from dashtam_wizard import render
t1 = time.perf_counter()
T = {}
def wrap(mod, name, key):
    f = getattr(mod, name)
    def w(*a, **k):
        t = time.perf_counter()
        try:
            return f(*a, **k)
        finally:
            T[key] = T.get(key, 0.0) + time.perf_counter() - t
    setattr(mod, name, w)
for m in planner.PHASES:
    wrap(m, "plan", "phase " + m.__name__.rsplit(".", 1)[1][:2])
wrap(planner, "read_tree", "read repo")
wrap(planner, "detect", "detect")
try:  # inside phase 4 (the names it imports; skipped if they move)
    from dashtam_wizard.core import yamlio
    from dashtam_wizard.core.phases import compose_moves, p4_compose as p4
    import copy as _copy, types
    wrap(yamlio, "load", "p4 yaml load")
    wrap(yamlio, "dump", "p4 yaml dump")
    shim = types.SimpleNamespace(**vars(_copy))
    compose_moves.copy = shim
    wrap(shim, "deepcopy", "p4 deepcopy")
    for name in ("parse_env", "_verify"):
        if hasattr(p4, name):
            wrap(p4, name, "p4 " + name)
except Exception:
    pass
from pathlib import Path
t2 = time.perf_counter()
plan = planner.build_plan(Path(sys.argv[1]))
t3 = time.perf_counter()
with open("/dev/null", "w") as fh:
    render.print_plan(fh, plan, None, False)
t4 = time.perf_counter()
out = {"imports": t1 - t0, "build_plan": t3 - t2, "print_plan": t4 - t3, **T}
print(json.dumps(out))
"""


def compose_pairs(sample: Path) -> list[tuple[str, str]]:
    """(compose file, env file) as the sample's Makefile uses them; the unused base file gets .env.example."""
    pairs = []
    for f in sorted(sample.glob("docker-compose*.yml")):
        m = re.match(r"docker-compose\.(\w+)\.yml$", f.name)
        env = (
            f".env.{m.group(1)}"
            if m and (sample / f".env.{m.group(1)}").exists()
            else ".env.example"
        )
        pairs.append((f.name, env))
    return pairs


def import_contract(sample: Path) -> tuple[list[str], int]:
    code = (
        "import sys, io, contextlib\nfrom dashtam_wizard.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n    rc = main(['plan', '--no-cache', sys.argv[1]])\n"
        "print(rc, ' '.join(sorted(sys.modules)))"
    )
    out = subprocess.run(
        [str(PY), "-c", code, str(sample)],
        capture_output=True,
        text=True,
        env=bench_env(),
        check=True,
    ).stdout.split()
    mods = out[1:]
    bad = sorted({m for m in mods if m.split(".")[0] in FORBIDDEN})
    return bad, len(mods)


def importtime(sample: Path) -> Counter:
    """Self time of every import on the plan path, summed by top-level package (-X importtime)."""
    r = subprocess.run(
        [
            str(PY),
            "-X",
            "importtime",
            "-c",
            "import sys; from dashtam_wizard.cli import main; sys.exit(main(['plan', '--no-cache', sys.argv[1]]))",
            str(sample),
        ],
        capture_output=True,
        text=True,
        env=bench_env(),
    )
    c: Counter = Counter()
    for line in r.stderr.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \| (\s*)(\S+)", line)
        if m:
            c[m.group(4).split(".")[0]] += int(m.group(1))
    return c


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=9)
    ap.add_argument(
        "--profile", action="store_true", help="also print the top functions (cProfile)"
    )
    args = ap.parse_args()
    require_venv()
    res = Results("plan", "1. plan on the bundled sample (real process, wall time)")
    work = RESULTS / "work"
    sample = fresh_sample(work / "sample")
    pairs = compose_pairs(sample)
    env = bench_env()
    n = rounds(args.rounds)

    # what plan prints, for before/after comparisons of a change (byte for byte)
    out = subprocess.run(
        [str(WIZARD), "plan", str(sample)], capture_output=True, env=env, check=True
    ).stdout
    out = out.replace(str(sample).encode(), b"<SAMPLE>")
    digest = hashlib.sha256(out).hexdigest()[:16]
    (RESULTS / "plan-output.txt").write_bytes(out)

    def compose_all(binary: Path) -> tuple[float, float]:
        t = [timed([binary, "-f", f, "--env-file", e, "config"], cwd=sample) for f, e in pairs]
        return sum(x[0] for x in t), sum(x[1] for x in t)

    jobs = {
        "plan": lambda: timed([WIZARD, "plan", sample]),
        "cold": lambda: timed([WIZARD, "plan", "--no-cache", sample]),
        "floor": lambda: timed([PY, "-c", FLOOR]),
        "compose": lambda: compose_all(COMPOSE_BIN),
        "bare": lambda: timed([PY, "-c", "pass"]),
        "deps": lambda: timed([PY, "-c", DEPS]),
        "uv run": lambda: timed(
            ["uv", "run", "-q", "--project", REPO, "dashtam-wizard", "plan", sample], cwd=REPO
        ),
        "compose wrapper": lambda: compose_all(COMPOSE_WRAPPER),
    }
    s = interleave(jobs, n)
    wl = {k: [x[0] for x in v] for k, v in s.items()}
    m = {k: med(v) for k, v in wl.items()}
    c = {k: med([x[1] for x in v]) for k, v in s.items()}
    res.row(
        "plan, repeat look (plan cache hit)",
        ms(m["plan"]),
        f"import floor {ms(m['floor'])}",
        m["plan"] / m["floor"],
        TARGET,
        note=f"wall, {n} rounds; plan {spread(wl['plan'])}, "
        f"floor {spread(wl['floor'])}; repo read and hashed, nothing planned",
    )
    res.row(
        "plan, cold (`--no-cache`: all seven phases)",
        ms(m["cold"]),
        f"import floor {ms(m['floor'])}",
        m["cold"] / m["floor"],
        TARGET,
        note=f"wall; cold {spread(wl['cold'])}; first look at a repo or after any edit",
    )
    res.row(
        "plan cold, CPU time (user+sys)",
        ms(c["cold"]),
        f"import floor {ms(c['floor'])}",
        c["cold"] / c["floor"],
        TARGET,
        note="steadier than wall time on a loaded machine; includes git subprocesses",
    )
    res.row(
        f"plan cold vs Compose parsing the same {len(pairs)} files",
        ms(m["cold"]),
        f"docker-compose config ×{len(pairs)} = {ms(m['compose'])} ({ms(m['compose'] / len(pairs))}/file)",
        m["cold"] / m["compose"],
        note="Go binary in site-packages/compose; its pip wrapper "
        f"(.venv/bin/docker-compose) adds Python: {ms(m['compose wrapper'] / len(pairs))}/file",
    )
    res.row(
        "plan via `uv run`",
        ms(m["uv run"]),
        f"import floor {ms(m['floor'])}",
        m["uv run"] / m["floor"],
        note=f"uv's own overhead ≈ {ms(m['uv run'] - m['plan'])}",
    )
    res.row(
        "plan cold vs importing all its libraries",
        ms(m["cold"]),
        f"import of every dependency {ms(m['deps'])}",
        m["cold"] / m["deps"],
        note="+ jinja2, packaging, argparse...: the floor for this dependency set; "
        f"that import alone is ×{m['deps'] / m['floor']:.2f} the floor",
    )
    res.row(
        "bare interpreter start (python -c pass)", ms(m["bare"]), note="part of every figure above"
    )

    bad, nmods = import_contract(sample)
    res.row(
        "modules loaded by plan",
        f"{nmods}",
        note=("no Textual, no Docker SDK" if not bad else "FORBIDDEN: " + ", ".join(bad)),
    )
    if bad:
        res.note("the plan path imports " + ", ".join(bad))

    # where the time goes: medians of 5 instrumented child runs + import self-times
    parts: dict[str, list[float]] = {}
    for _ in range(rounds(5)):
        r = subprocess.run(
            [str(PY), "-c", BREAKDOWN, str(sample)],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
        for k, v in json.loads(r.stdout.strip().splitlines()[-1]).items():
            parts.setdefault(k, []).append(v)
    bd = {k: med(v) for k, v in parts.items()}
    imp = importtime(sample)
    top = ", ".join(f"{k} {v / 1000:.0f}" for k, v in imp.most_common(8))
    phases = ", ".join(
        f"{k.split()[1]} {v * 1000:.0f}" for k, v in sorted(bd.items()) if k.startswith("phase ")
    )
    res.row("breakdown: interpreter start", ms(m["bare"]))
    res.row(
        "breakdown (cold): imports (cli, planner, render)",
        ms(bd["imports"]),
        note=f"self ms by package (-X importtime): {top}",
    )
    p4 = ", ".join(f"{k[3:]} {v * 1000:.0f}" for k, v in sorted(bd.items()) if k.startswith("p4 "))
    res.row(
        "breakdown (cold): build_plan",
        ms(bd["build_plan"]),
        note=f"read repo {bd['read repo'] * 1000:.0f}, detect {bd['detect'] * 1000:.0f}, phases (ms): {phases}; "
        f"inside phase 4 (ms): {p4}",
    )
    res.row(
        "breakdown: print_plan (plain ANSI writer)",
        ms(bd["print_plan"]),
        note=f"{len(out.splitlines())} lines, output sha256 {digest}",
    )
    res.note(
        f"plan output saved as bench/results/plan-output.txt (sha256 {digest}, path replaced by <SAMPLE>)"
    )
    res.save()

    if args.profile:
        code = (
            "import cProfile, pstats, sys, io, contextlib\nfrom dashtam_wizard.cli import main\n"
            "pr = cProfile.Profile(); pr.enable()\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n    main(['plan', '--no-cache', sys.argv[1]])\n"
            "pr.disable(); pstats.Stats(pr, stream=sys.stderr).sort_stats('cumulative').print_stats(40)"
        )
        subprocess.run([str(PY), "-c", code, str(sample)], env=env)
    return 0


if __name__ == "__main__":
    sys.exit(main())
