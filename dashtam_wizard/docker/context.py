"""What the build context holds, as the builder that runs will receive it.

The classic builder (and the SDK) read one ignore file: `<context>/.dockerignore`.
BuildKit reads `<Dockerfile>.dockerignore` first (e.g. `docker/Dockerfile.dockerignore`)
and `<context>/.dockerignore` only when there is none. The file list below is the one
`docker.utils.build.tar` sends with the ignore file the builder reads, so the size, file
count and the secret files reported are what leaves the machine for the daemon.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from docker.utils.build import exclude_paths


@dataclass
class ContextReport:
    root: Path
    files: int
    bytes: int
    dockerignore: str | None  # the ignore file in effect, relative to root
    secret_files: list[str] = field(default_factory=list)  # `.env*` files (not *.example) sent
    largest: list[tuple[str, int]] = field(default_factory=list)  # the 5 biggest files sent


def ignore_file(
    root: Path, dockerfile: str = "docker/Dockerfile", buildkit: bool = False
) -> str | None:
    """The ignore file the builder reads, relative to root (None: none)."""
    own = f"{dockerfile}.dockerignore"
    if buildkit and (root / own).is_file():
        return own
    return ".dockerignore" if (root / ".dockerignore").is_file() else None


def read_dockerignore(
    root: Path, dockerfile: str = "docker/Dockerfile", buildkit: bool = False
) -> list[str] | None:
    """The patterns exactly as the builder reads them (None: no ignore file)."""
    rel = ignore_file(root, dockerfile, buildkit)
    if rel is None:
        return None
    lines = [line.strip() for line in (root / rel).read_text(encoding="utf-8").splitlines()]
    return [line for line in lines if line and not line.startswith("#")]


def is_secret_env_file(rel: str) -> bool:
    name = rel.rsplit("/", 1)[-1]
    return name.startswith(".env") and not name.endswith(".example")


def context_files(
    root: Path, dockerfile: str = "docker/Dockerfile", buildkit: bool = False
) -> list[str]:
    """Relative paths of the regular files and links the build context contains."""
    patterns = read_dockerignore(root, dockerfile, buildkit) or []
    out = []
    for rel in exclude_paths(str(root), list(patterns), dockerfile=dockerfile):
        full = os.path.join(root, rel)
        if os.path.islink(full) or not os.path.isdir(full):
            out.append(rel)
    return sorted(out)


def context_report(
    root: Path, dockerfile: str = "docker/Dockerfile", buildkit: bool = False
) -> ContextReport:
    files = context_files(root, dockerfile, buildkit)
    sizes: list[tuple[str, int]] = []
    for rel in files:
        try:
            sizes.append((rel, os.lstat(os.path.join(root, rel)).st_size))
        except OSError:
            sizes.append((rel, 0))
    return ContextReport(
        root=root,
        files=len(files),
        bytes=sum(s for _, s in sizes),
        dockerignore=ignore_file(root, dockerfile, buildkit),
        secret_files=[rel for rel in files if is_secret_env_file(rel)],
        largest=sorted(sizes, key=lambda x: -x[1])[:5],
    )


def human_size(n: int) -> str:
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"
