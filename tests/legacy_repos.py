"""Test repos written for the tests, and the user's-side oracle: what each command resolves.

One helper for every test that writes a legacy repo and asks the real Compose what a
command of it resolves, the way the command is spelled (`make -n`, scripts, workflows).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
from pathlib import Path

from dashtam_wizard.judge.binary import compose_cli

_VALUED = ("-f", "--file", "--env-file", "-p", "--project-name")


def write_repo(root: Path, files: dict[str, str]) -> Path:
    """`files` written under `root`, committed in a new git repo."""
    root.mkdir(parents=True)
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    commit(root, "init")
    return root


def clone_breaker(root: Path) -> Path:
    """A repo whose migration would break only a fresh clone: bare `docker compose` reads
    this developer's ignored root .env (CI runs without one); migrated, the command would
    need env/.env.dev, which no clone has. The gate must refuse it."""
    repo = write_repo(
        root,
        {
            "src/main.py": "print(1)\n",
            "Dockerfile": 'FROM python:3.13-slim\nWORKDIR /app\nCOPY src ./src\nCMD ["python", "src/main.py"]\n',
            "docker-compose.yml": "services:\n  app:\n    build: .\n    environment:\n      MODE: ${MODE:-ci}\n",
            ".gitignore": ".env\n",
            "Makefile": "up:\n\tdocker compose up -d\n",
        },
    )
    (repo / ".env").write_text("MODE=dev\n")  # untracked: this developer's only
    return repo


def commit(root: Path, message: str) -> None:
    subprocess.run(["git", "-C", str(root), "add", "-A"], check=True)
    subprocess.run(
        [
            "git",
            "-C",
            str(root),
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "commit",
            "-qm",
            message,
            "--allow-empty",
        ],
        check=True,
    )


def fresh_clone(repo: Path, dest: Path) -> Path:
    """What CI and a colleague get once the repo is committed: no untracked file. Name
    `dest` like the repo: Compose names the project after the folder."""
    commit(repo, "migrate")
    subprocess.run(["git", "clone", "-q", str(repo), str(dest)], check=True)
    return dest


def global_args(line: str) -> list[str] | None:
    """The global options of the Compose command in `line` (up to its subcommand), or None."""
    m = re.search(r"docker(?: compose|-compose)(?=\s|$)(.*)", line)
    if m is None:
        return None
    args: list[str] = []
    for w in shlex.split(m.group(1)):
        if not w.startswith("-") and (not args or args[-1] not in _VALUED):
            break
        args.append(w)
    return args


def make_calls(repo: Path) -> dict[str, list[list[str]]]:
    """Each Makefile target's Compose commands as make itself expands them (`make -n`)."""
    targets = [
        ln.split(":", 1)[0]
        for ln in (repo / "Makefile").read_text().splitlines()
        if ln and not ln[0].isspace() and ":" in ln and "=" not in ln.split(":", 1)[0]
    ]
    out: dict[str, list[list[str]]] = {}
    for t in targets:
        res = subprocess.run(
            ["make", "-n", t], cwd=repo, capture_output=True, text=True, check=True
        )
        for line in res.stdout.splitlines():
            if (args := global_args(line)) is not None:
                out.setdefault(t, []).append(args)
    return out


def resolve(repo: Path, args: list[str], env: dict[str, str] | None = None) -> dict | str:
    """What Compose resolves for `args` run in `repo` (a clean environment plus `env`), or the
    line it failed with."""
    cli = compose_cli()
    assert cli is not None
    res = subprocess.run(
        [*cli, *args, "config", "--format", "json"],
        cwd=repo,
        capture_output=True,
        text=True,
        env={"PATH": os.environ["PATH"], "HOME": str(repo), **(env or {})},
    )
    if not res.stdout.startswith("{"):
        return ((res.stdout + res.stderr).strip().splitlines() or ["no output"])[-1]
    return json.loads(res.stdout)


def config(repo: Path, args: list[str], env: dict[str, str] | None = None) -> dict:
    """`resolve`, which must succeed."""
    answer = resolve(repo, args, env)
    assert isinstance(answer, dict), answer
    return answer


_SHIM = """#!/bin/sh
# records what would run: argv and the COMPOSE_* environment, one JSON line per call
exec python3 -c 'import json, os, sys; print(json.dumps({"argv": sys.argv[2:], "env": {k: v for k, v in
os.environ.items() if k.startswith("COMPOSE_")}}), file=open(os.environ["SHIM_LOG"], "a"))' {name} "$@"
"""


def real_runs(repo: Path, command: list[str], tmp: Path) -> list[tuple[list[str], dict[str, str]]]:
    """Run `command` (`make up`, `sh scripts/dev.sh`) for real with `docker` and
    `docker-compose` replaced by recorders on PATH: each Compose call's global arguments and
    the COMPOSE_* variables it got from make's exports or the script's own. Unlike `make -n`,
    this sees what make and the shell export."""
    bin_dir, log = tmp / "shim-bin", tmp / "shim.log"
    bin_dir.mkdir(exist_ok=True)
    for name in ("docker", "docker-compose"):
        (bin_dir / name).write_text(_SHIM.replace("{name}", name))
        (bin_dir / name).chmod(0o755)
    log.unlink(missing_ok=True)
    env = {"PATH": f"{bin_dir}:{os.environ['PATH']}", "HOME": str(tmp), "SHIM_LOG": str(log)}
    subprocess.run(command, cwd=repo, env=env, check=True, capture_output=True)
    out = []
    for line in log.read_text().splitlines() if log.exists() else []:
        call = json.loads(line)
        argv = call["argv"]
        words = argv[1:] if argv[:1] == ["compose"] else argv
        if argv[:1] == ["compose"] or "-f" in words or not argv or argv[0].startswith("-"):
            args = global_args("docker compose " + shlex.join(words))
            if args is not None:
                out.append((args, call["env"]))
    return out
