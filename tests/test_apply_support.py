"""Shared builders for the apply tests: a small real git repo and a plan touching every Kind.

(No tests here; the other test_apply_* files import it.)
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from dashtam_wizard.apply import tree_manifest
from dashtam_wizard.core.model import Change, Kind

GIT_ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "T",
    "GIT_AUTHOR_EMAIL": "t@example.invalid",
    "GIT_COMMITTER_NAME": "T",
    "GIT_COMMITTER_EMAIL": "t@example.invalid",
    "GIT_AUTHOR_DATE": "2025-10-05T12:00:00Z",
    "GIT_COMMITTER_DATE": "2025-10-05T12:00:00Z",
}

FILES: dict[str, tuple[bytes, int]] = {
    "README.md": (b"# svc\n", 0o644),
    "Dockerfile": (b"FROM python:3.11-slim\nCOPY . /app\n", 0o644),
    "docker-compose.yml": (b"services:\n  app:\n    build: .\n", 0o644),
    "requirements.txt": (b"flask==3.0\n", 0o644),
    "Makefile": (b"up:\n\tdocker compose up\n", 0o644),
    "scripts/entrypoint.sh": (b"#!/bin/sh\nexec python -m app\n", 0o755),
    "src/app/main.py": (b"print('hi')\n", 0o644),
    ".gitignore": (b".env.dev\nnotes.txt\n", 0o644),
    ".env.dev": (b"SECRET_KEY=hunter2\n", 0o600),  # untracked (ignored)
    "notes.txt": (b"todo\n", 0o644),  # untracked
}


def git(root: Path, *args: str) -> bytes:
    return subprocess.run(
        ["git", *args], cwd=root, check=True, capture_output=True, env=GIT_ENV
    ).stdout


def make_repo(root: Path) -> Path:
    """A committed repo with tracked, untracked, executable, secret and nested files."""
    root.mkdir(parents=True)
    for rel, (data, mode) in FILES.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
        p.chmod(mode)
    git(root, "init", "-q", "-b", "main", "--template=")  # no sample hooks: cheaper to copy
    git(root, "add", "-A")
    git(root, "-c", "commit.gpgsign=false", "commit", "-q", "-m", "legacy")
    return root


def every_kind(root: Path) -> list[Change]:
    """Two phases touching every Kind, including an edit of a file moved earlier."""
    dockerfile = (root / "Dockerfile").read_bytes()
    compose = (root / "docker-compose.yml").read_bytes()
    env = (root / ".env.dev").read_bytes()
    return [
        Change("p2:mkdir:docker", 2, Kind.MKDIR, "docker"),
        Change("p2:mkdir:scripts", 2, Kind.MKDIR, "scripts"),  # exists already: a no-op
        Change(
            "p2:move:docker/Dockerfile",
            2,
            Kind.MOVE,
            "docker/Dockerfile",
            source="Dockerfile",
            before=dockerfile,
            mode=0o644,
            git=True,
        ),
        Change(
            "p2:move:docs/notes.txt",
            2,
            Kind.MOVE,
            "docs/notes.txt",
            source="notes.txt",
            before=b"todo\n",
            mode=0o644,
            git=False,
        ),
        Change(
            "p3:edit:docker/Dockerfile",
            3,
            Kind.EDIT,
            "docker/Dockerfile",
            before=dockerfile,
            after=dockerfile + b"USER app\n",
            mode=0o644,
        ),
        Change(
            "p4:create:compose/dev/compose.yml",
            4,
            Kind.CREATE,
            "compose/dev/compose.yml",
            after=b"services: {}\n",
            mode=0o644,
        ),
        Change(
            "p4:edit:docker-compose.yml",
            4,
            Kind.EDIT,
            "docker-compose.yml",
            before=compose,
            after=compose.replace(b"build: .", b"build: ./docker"),
            mode=0o644,
        ),
        Change(
            "p6:copy:env/.env.dev",
            6,
            Kind.COPY,
            "env/.env.dev",
            source=".env.dev",
            after=env,
            mode=0o600,
            secret=True,
        ),
        Change(
            "p6:create:env/.env.local",
            6,
            Kind.CREATE,
            "env/.env.local",
            after=b"TOKEN=abc\n",
            mode=0o600,
            secret=True,
        ),
        Change(
            "p1:delete:requirements.txt", 1, Kind.DELETE, "requirements.txt", before=b"flask==3.0\n"
        ),
        Change(
            "p5:chmod:Makefile",
            5,
            Kind.CHMOD,
            "Makefile",
            before=(root / "Makefile").read_bytes(),
            mode=0o755,
        ),
    ]


def snapshot(root: Path) -> tuple[dict[str, tuple[str, int]], bytes, bytes]:
    """Everything rollback must restore: the tree, the index bytes, and `git ls-files -s`."""
    return tree_manifest(root), (root / ".git" / "index").read_bytes(), git(root, "ls-files", "-s")
