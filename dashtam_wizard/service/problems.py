"""The plan's "Problems" list, each with evidence read from the repo as it is now.

The engine plans the fixes; this only says, for the Overview, which of the plan's five
problems the repo still has and where (file:line), using the engine's own parsers.
"""

from __future__ import annotations

import re

from ..core import dockerfile, yamlio
from ..core.compose import env_items
from ..core.detect import Facts
from ..core.phases.compose_moves import third_party
from ..core.phases.p1_backup import LEGACY_MARK
from ..core.snapshot import Tree
from .state import Problem

RED, YELLOW = "🔴", "🟡"


def _root_stages(tree: Tree, path: str) -> list[str]:
    stages = dockerfile.parse(tree.text(path) or "")
    user: dict[str, str] = {}
    out = []
    for st in stages:
        current = user.get(st.image, "root")  # FROM <earlier stage> inherits its USER
        for ins in st.all("USER"):
            current = ins.args.split(":", 1)[0].strip() or "root"
        user[st.name] = current
        if current in ("root", "0"):
            where = st.last("USER") or st.instrs[0]
            out.append(f"{path}:{where.line} — stage {st.name} runs as root")
    return out


def _hard_coded(tree: Tree, path: str) -> list[str]:
    """Services that take values from `environment:` with no env_file to hold them.

    A service that has an env_file and still sets a key or two (a per-service override the
    plan keeps on purpose) is not this problem.
    """
    services = yamlio.load(tree.text(path) or "", path).get("services") or {}
    out = []
    for name, svc in services.items():
        if not hasattr(svc, "get") or not svc.get("environment") or svc.get("env_file"):
            continue
        n = len(svc["environment"])
        if third_party(svc):  # someone else's image: only literal values are hard-coded
            n = sum(1 for _k, v in env_items(svc["environment"]) if v is not None and "$" not in v)
            if not n:
                continue
        line = svc.lc.key("environment")[0] + 1 if hasattr(svc, "lc") else None
        out.append(f"{path}:{line} — {name}: {n} value(s) in environment:, no env_file")
    return out


def _grep(tree: Tree, path: str, pattern: str) -> list[int]:
    rx = re.compile(pattern)
    return [
        n
        for n, line in enumerate((tree.text(path) or "").splitlines(), 1)
        if rx.search(line) and not line.lstrip().startswith("#")
    ]


def find(tree: Tree, facts: Facts) -> list[Problem]:
    df = facts.dockerfile
    root_user = _root_stages(tree, df) if df else []

    unused = [
        f"{cf.path} — referenced by no Makefile, workflow or script"
        for cf in facts.compose
        if not cf.used and "/" not in cf.path and cf.path in tree.files
    ]

    hard_coded = [
        ev
        for cf in facts.compose
        if not cf.target.endswith(".example") and cf.path in tree.files
        for ev in _hard_coded(tree, cf.path)
    ]

    dynamic = (
        [
            f"{df}:{n} — writes pyproject.toml at build time"
            for n in _grep(tree, df, r"uv init|>\s*pyproject\.toml|tee\s+pyproject\.toml")
        ]
        if df
        else []
    )

    primary = []
    for req in facts.requirements:
        used = _grep(tree, df, rf"(?<![\w.-]){re.escape(req)}") if df else []
        if used:
            primary.append(f"{df}:{used[0]} — the image installs from {req}")
        elif not (tree.text(req) or "").startswith(LEGACY_MARK):
            primary.append(f"{req} — not marked legacy")

    return [
        Problem(RED, "No non-root user in dev/test", root_user),
        Problem(RED, "Base docker-compose.yml unused and incorrect", unused),
        Problem(RED, "Environment variables hardcoded in compose files", hard_coded),
        Problem(YELLOW, "Dockerfile creates pyproject.toml dynamically", dynamic),
        Problem(YELLOW, "requirements.txt still primary source", primary),
    ]
