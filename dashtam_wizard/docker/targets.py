"""Which Dockerfile and which of its stages verify builds, and the tags it builds them under.

Apart from the run itself: the CLI sizes the Dockerfile's build context before verify runs,
and the benchmarks choose the same stages without building them.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from ..core.snapshot import Tree
from .services import build_targets
from .stages import StageInfo

DOCKERFILES = ("docker/Dockerfile", "Dockerfile")
PRODUCTION = {"production", "prod"}


class VerifyError(Exception):
    """The repo cannot be verified (no Dockerfile...); `str()` is the message."""


def find_dockerfile(repo: Path) -> str:
    for rel in DOCKERFILES:
        if (repo / rel).is_file():
            return rel
    raise VerifyError(f"{repo} has no docker/Dockerfile (or Dockerfile): nothing to build")


def default_targets(
    repo: Path, dockerfile: str, stages: list[StageInfo], tree: Tree | None = None
) -> list[str | None]:
    """The stages compose builds from the Dockerfile, plus production (for its HEALTHCHECK)."""
    targets = build_targets(repo, dockerfile, tree)
    names = {s.name.lower(): s.name for s in stages}
    for prod in ("production", "prod"):
        if prod in names and names[prod] not in targets:
            targets.append(names[prod])
            break
    if not targets:
        targets = [names[n] for n in ("development", "production") if n in names] or [None]
    return targets


def _slug(name: str) -> str:
    s = re.sub(r"[^a-z0-9._-]+", "-", name.lower()).strip("._-")
    return s or "project"


def image_tag(repo: Path, target: str) -> str:
    """`dashtam-wizard/<repo name>-<hash of its path>:<target>`: the wizard's own names, one
    per checkout, so two checkouts of a project never overwrite each other's images."""
    digest = hashlib.sha256(str(repo.resolve()).encode()).hexdigest()[:8]
    return f"dashtam-wizard/{_slug(repo.name)}-{digest}:{_slug(target)}"
