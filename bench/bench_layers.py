#!/usr/bin/env python3
"""7. The plan's claim "faster builds (lockfile), better layer caching", measured.

A thin wrapper over the product's own measurement, `dashtam-wizard verify
--compare-builds` (dashtam_wizard/the docker/compare package), so the benchmark and the command
users run are one implementation: the sample is written fresh, migrated with
`dashtam-wizard apply`, and `compare_builds()` rebuilds the development target of the
legacy Dockerfile (put back from the apply journal, in a scratch copy) and of the migrated
one after
  no change     nothing changed (all layers from cache)
  source        a comment appended to a source file (src/main.py)
  dependency    a dependency added: legacy requirements.txt (its build resolves);
                migrated pyproject.toml + `uv lock` on the host (timed apart)
Ratios: migrated / legacy, medians of --rounds interleaved rounds. Needs a Docker daemon
and PyPI (the dependency layers download packages).

    bench/bench_layers.py [--rounds N]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_verify import docker_ready  # noqa: E402
from common import (  # noqa: E402
    RESULTS,
    WIZARD,
    Results,
    bench_env,
    fresh_sample,
    ms,
    require_venv,
    use_bench_pycache,
)

use_bench_pycache()

METRICS = {
    "none": "rebuild, nothing changed",
    "source": "rebuild after a source-only change",
    "dependency": "rebuild after a dependency change",
}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    require_venv()
    res = Results("layers", "7. rebuild after a change: legacy Dockerfile vs migrated")
    why = docker_ready()
    if why:
        res.skip("layer caching", why)
        res.note("TODO: run bench/bench_layers.py where a Docker daemon is available")
        res.save()
        return 0
    from dashtam_wizard.docker.client import connect
    from dashtam_wizard.docker.compare import CompareError, compare_builds

    repo = fresh_sample(RESULTS / "work" / "layers-sample")
    r = subprocess.run(
        [str(WIZARD), "apply", str(repo), "--yes"], capture_output=True, text=True, env=bench_env()
    )
    if r.returncode != 0:
        res.skip(
            "layer caching", f"apply on the sample failed: {(r.stdout + r.stderr).strip()[-300:]}"
        )
        res.save()
        return 0
    client = connect()
    try:
        report = compare_builds(
            client, repo, args.rounds, emit=lambda line: print(f"  | {line}", flush=True)
        )
    except CompareError as exc:  # a build failed: no network for apt/PyPI, ...
        res.skip("layer caching", str(exc))
        res.save()
        return 0
    finally:
        client.close()

    target = report.migrated.get("target") or "default"
    for s in report.scenarios:
        lg, mg = s.legacy[-1], s.migrated[-1]
        res.row(
            f"{target}: {METRICS[s.id]}",
            f"migrated {ms(s.migrated_s)}",
            f"legacy {ms(s.legacy_s)}",
            s.ratio,
            note=f"steps run: migrated {mg.rebuilt}/{mg.steps}, legacy {lg.rebuilt}/{lg.steps}; "
            f"{report.rounds} round(s)",
        )
        if s.ratio_with_lock is not None:
            lock = s.lock_s("migrated") or 0.0
            res.row(
                f"{target}: … plus `uv lock` on the host",
                f"migrated {ms(s.migrated_s + lock)}",
                f"legacy {ms(s.legacy_s + (s.lock_s('legacy') or 0.0))}",
                s.ratio_with_lock,
                note=f"uv lock {ms(lock)}",
            )
    for note in report.notes():
        res.note(note)
    res.save()
    return 0


if __name__ == "__main__":
    sys.exit(main())
