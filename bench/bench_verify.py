#!/usr/bin/env python3
"""5. Verify overhead: the wizard's builds of the sample's stages vs `docker build`.

For each stage `verify` builds on the sample (docker.verify.default_targets), the wizard's
build (docker.build.build_stage: the SDK's classic builder, decoded as a typed stream)
is timed against the docker CLI building the same target with the same builder
(DOCKER_BUILDKIT=0), the same labels and build args, interleaved:
  warm   both with the layer cache filled (3 rounds): the pure overhead of the wizard
  cold   both with --no-cache (1 round; apt and PyPI downloads make it noisy)
Plus `dashtam-wizard verify` (builds + every check) against the warm CLI builds.
Needs a Docker daemon: DOCKER_HOST, else `.ci/docker-up` is expected to have been run
(bench/run does it); without one, it prints why and records a skip.

    bench/bench_verify.py [--rounds N] [--no-cold]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULTS, WIZARD, Results, bench_env, fresh_sample, med, ms, require_venv, rounds, timed  # noqa: E402,I001
from common import use_bench_pycache  # noqa: E402

use_bench_pycache()


def docker_ready() -> str | None:
    """None when a daemon answers (DOCKER_HOST or the default socket), else why not."""
    try:
        r = subprocess.run(["docker", "version", "--format", "{{.Server.Version}}"], capture_output=True,
                           text=True, timeout=15)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"docker CLI not usable ({exc})"
    if r.returncode != 0:
        return f"no Docker daemon answers at {os.environ.get('DOCKER_HOST', 'the default socket')} " \
               "(export DOCKER_HOST=$(bash .ci/docker-up | tail -1))"
    return None


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--no-cold", action="store_true")
    args = ap.parse_args()
    require_venv()
    res = Results("verify", "5. verify overhead (wizard builds vs docker build, same daemon)")
    why = docker_ready()
    if why:
        res.skip("verify overhead", why)
        res.save()
        return 0
    try:
        from dashtam_wizard.docker.build import build_stage
        from dashtam_wizard.docker.client import LABELS, connect
        from dashtam_wizard.docker.stages import arg_default, chain, read_stages
        from dashtam_wizard.docker.verify import default_targets, find_dockerfile
    except ImportError as exc:
        res.skip("verify overhead", f"the docker adapter is not importable: {exc}")
        res.save()
        return 0

    repo = fresh_sample(RESULTS / "work" / "verify-sample")
    client = connect()
    dockerfile = find_dockerfile(repo)
    stages = read_stages((repo / dockerfile).read_text())
    targets = default_targets(repo, dockerfile, stages)
    env = {**bench_env(), "DOCKER_BUILDKIT": "0"}
    labels = [x for k, v in LABELS.items() for x in ("--label", f"{k}={v}")]

    def buildargs(target: str | None) -> dict[str, str]:
        declared = {a for st in chain(stages, target) for a in st.args}
        out = {}
        for k in ("UID", "GID"):
            if k in declared:
                out[k] = arg_default(stages, target, k) or "1000"
        return out

    def wizard(target: str | None, nocache: bool) -> float:
        t = time.perf_counter()
        r = build_stage(client.api, repo, target, dockerfile=dockerfile, buildargs=buildargs(target),
                        tag=f"dashtam-wizard/bench:{target or 'default'}", nocache=nocache)
        dt = time.perf_counter() - t
        if not r.ok:
            raise RuntimeError(f"wizard build of {target} failed: {r.failed}")
        return dt

    def cli(target: str | None, nocache: bool) -> float:
        cmd = ["docker", "build", "-f", dockerfile, "-t", f"dashtam-wizard/bench-cli:{target or 'default'}", *labels]
        cmd += [x for k, v in buildargs(target).items() for x in ("--build-arg", f"{k}={v}")]
        cmd += (["--target", target] if target else []) + (["--no-cache"] if nocache else []) + ["."]
        return timed(cmd, cwd=repo, env=env)[0]

    n = rounds(args.rounds)
    for t in targets:  # fill the cache (and find out whether the build works at all)
        try:
            wizard(t, False)
        except Exception as exc:  # noqa: BLE001
            res.skip("verify overhead", f"the sample's {t} stage does not build here: {exc}")
            res.save()
            return 0
        cli(t, False)
    warm = {"wizard": [], "cli": []}
    for i in range(n):
        order = ("wizard", "cli") if i % 2 == 0 else ("cli", "wizard")
        for who in order:
            warm[who].append(sum((wizard if who == "wizard" else cli)(t, False) for t in targets))
    w, c = med(warm["wizard"]), med(warm["cli"])
    names = ", ".join(t or "default" for t in targets)
    res.row(f"warm cache: build {names}", ms(w), f"docker build (classic) {ms(c)}", w / c,
            note=f"median of {n}; every step from cache: context upload + stream decoding")
    if not args.no_cold:
        cold = {"wizard": 0.0, "cli": 0.0}
        for t in targets:
            for who in (("wizard", "cli") if targets.index(t) % 2 == 0 else ("cli", "wizard")):
                cold[who] += (wizard if who == "wizard" else cli)(t, True)
        res.row(f"cold (--no-cache): build {names}", ms(cold["wizard"]), f"docker build {ms(cold['cli'])}",
                cold["wizard"] / cold["cli"], note="1 round; apt and PyPI downloads dominate and vary")
    else:
        res.skip("cold (--no-cache) builds", "--no-cold given")
    # the whole verify: builds plus every check (probe containers, env, secrets)
    t_verify, _ = timed([WIZARD, "verify", repo], env=bench_env(), check=False)
    res.row("`dashtam-wizard verify` (warm: builds + all checks)", ms(t_verify),
            f"docker build of the same stages {ms(c)}", t_verify / c,
            note="the checks start containers; exit code ignored (the legacy sample fails some checks)")
    res.save()
    return 0


if __name__ == "__main__":
    sys.exit(main())
