#!/usr/bin/env python3
"""Generate a synthetic legacy repo N times the bundled sample (default N=50).

    bench/gen_scale.py DIR [N]

Starting from the sample (`dashtam-wizard demo`), copy k = 2..N adds, for every compose
file of the sample, `docker-compose.<env>k.yml` (same services, same comments, the base
docker-compose.yml as `docker-compose.stagek.yml`), its env file `.env.<env>k`, a Makefile
block of about 100 lines driving them, a workflow and a script. Every env file gets 200
extra keys. At N=50: 200 compose files, 700 services, a ~5,000-line Makefile, 150 env
files of ~210 lines. N=1 is the sample plus the larger env files, so per-file costs at
1x, 10x and 50x compare like with like. The result is one git commit, like the demo.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import WIZARD, bench_env  # noqa: E402

ENVS = ("dev", "test", "ci")
EXTRA_KEYS = 200
MAKE_BLOCK = 100  # lines per copy: 50 copies ~ a 5,000-line Makefile

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Bench",
    "GIT_AUTHOR_EMAIL": "bench@example.invalid",
    "GIT_COMMITTER_NAME": "Bench",
    "GIT_COMMITTER_EMAIL": "bench@example.invalid",
    "GIT_AUTHOR_DATE": "2025-10-05T12:00:00Z",
    "GIT_COMMITTER_DATE": "2025-10-05T12:00:00Z",
}


def _env_extra(env: str, k: int) -> str:
    lines = [f"\n# --- generated: {EXTRA_KEYS} more settings for {env}{k} ---"]
    for i in range(EXTRA_KEYS):
        if i % 25 == 0:
            lines.append(f"# section {i // 25}")
        lines.append(f"FEATURE_{i:03d}_{env.upper()}={'on' if i % 2 else 'off'}-{k}-{i}")
    return "\n".join(lines) + "\n"


def _make_block(k: int) -> str:
    out = [f"# --- generated copy {k} " + "-" * 56, ""]
    for env in ENVS:
        f, e = f"docker-compose.{env}{k}.yml", f".env.{env}{k}"
        for verb, args in (
            ("up", "up -d"),
            ("down", "down"),
            ("build", "build"),
            ("logs", "logs -f app"),
            ("ps", "ps"),
        ):
            out += [f"{env}{k}-{verb}:", f"\t@docker compose -f {f} --env-file {e} {args}", ""]
    out += [f"COMPOSE_STAGE{k} := docker-compose.stage{k}.yml", ""]
    out += [f"help{k}:"]
    while len(out) < MAKE_BLOCK - 1:
        out.append(f'\t@echo "  make dev{k}-up / test{k}-up / ci{k}-build  (line {len(out)})"')
    out.append("")
    return "\n".join(out) + "\n"


def _workflow(k: int) -> str:
    return (
        f"name: CI {k}\n\non:\n  push:\n    branches: [main]\n\njobs:\n  test:\n    runs-on: ubuntu-latest\n"
        f"    steps:\n      - uses: actions/checkout@v4\n"
        f"      - name: Build images\n        run: docker compose -f docker-compose.ci{k}.yml --env-file .env.ci{k} build\n"
        f"      - name: Run tests\n        run: docker compose -f docker-compose.ci{k}.yml --env-file .env.ci{k} "
        f"up --abort-on-container-exit --exit-code-from app\n"
    )


def _script(k: int) -> str:
    return (
        f'#!/usr/bin/env bash\nset -euo pipefail\ncd "$(dirname "$0")/.."\n'
        f'COMPOSE="docker compose -f docker-compose.test{k}.yml --env-file .env.test{k}"\n'
        f"trap '$COMPOSE down -v' EXIT\n$COMPOSE up -d --build --wait\n$COMPOSE exec -T app pytest \"$@\"\n"
    )


def generate(dest: Path, n: int) -> Path:
    dest = dest.resolve()
    if dest.exists() and any(dest.iterdir()):
        raise SystemExit(f"{dest} is not empty")
    subprocess.run(
        [str(WIZARD), "demo", str(dest)], check=True, env=bench_env(), stdout=subprocess.DEVNULL
    )
    # the sample's own env files get the extra keys too (N=1 is then the same shape as any copy)
    for env in ENVS:
        p = dest / f".env.{env}"
        p.write_text(p.read_text() + _env_extra(env, 1))
    originals = {env: (dest / f"docker-compose.{env}.yml").read_text() for env in ENVS}
    base = (dest / "docker-compose.yml").read_text()
    env_text = {env: (dest / f".env.{env}").read_text() for env in ENVS}
    make = [(dest / "Makefile").read_text()]
    for k in range(2, n + 1):
        for env in ENVS:
            text = re.sub(r"ledgerly-dev-network", f"ledgerly-{env}{k}-network", originals[env])
            text = text.replace(f".env.{env}", f".env.{env}{k}").replace(
                f"docker-compose.{env}.yml", f"docker-compose.{env}{k}.yml"
            )
            (dest / f"docker-compose.{env}{k}.yml").write_text(text)
            env_body = env_text[env].split("\n# --- generated:", 1)[0]
            p = dest / f".env.{env}{k}"
            p.write_text(env_body + _env_extra(env, k))
            if env != "ci":
                os.chmod(p, 0o600)
        (dest / f"docker-compose.stage{k}.yml").write_text(
            base.replace("postgres_data", f"postgres_data_{k}")
        )
        make.append(_make_block(k))
        (dest / ".github" / "workflows" / f"ci{k}.yml").write_text(_workflow(k))
        s = dest / "scripts" / f"run-tests{k}.sh"
        s.write_text(_script(k))
        s.chmod(0o755)
    (dest / "Makefile").write_text("\n".join(make))
    env = {**os.environ, **GIT_ENV}
    for args in (["add", "-A", "-f"], ["commit", "-q", "-m", f"Synthetic legacy layout x{n}"]):
        subprocess.run(
            ["git", "-C", str(dest), "-c", "commit.gpgsign=false", *args],
            check=True,
            capture_output=True,
            env=env,
        )
    return dest


def _services(text: str) -> int:
    """Keys of the top-level `services:` mapping (the sample's 2-space layout)."""
    block = re.search(r"^services:\s*\n(.*?)(?=^\S|\Z)", text, re.M | re.S)
    return len(re.findall(r"^  [A-Za-z0-9_.-]+:", block.group(1), re.M)) if block else 0


def stats(root: Path) -> dict[str, int]:
    compose = [p for p in root.iterdir() if re.match(r"^(docker-)?compose(\..+)?\.ya?ml$", p.name)]
    services = sum(_services(p.read_text()) for p in compose)
    return {
        "compose_files": len(compose),
        "services": services,
        "makefile_lines": len((root / "Makefile").read_text().splitlines()),
        "env_files": len([p for p in root.iterdir() if p.name.startswith(".env.")]),
        "env_lines": sum(
            len(p.read_text().splitlines()) for p in root.iterdir() if p.name.startswith(".env.")
        ),
    }


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    root = generate(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 50)
    print(root, stats(root))
