"""Phase 7 — the .dockerignore, where Docker actually reads it for this layout."""

from __future__ import annotations

import re

from .. import changes as ch
from ..context import Ctx
from ..model import ChecklistItem, Evidence, Note, PhasePlan
from ..snapshot import Tree
from ..templates import render

SECTION = "Migration"
TARGET = ".dockerignore"
OWN = "docker/Dockerfile.dockerignore"  # BuildKit's first choice for docker/Dockerfile
ADDED = (
    "# Added by dashtam-wizard: the rules of .dockerignore (BuildKit reads this file instead of it)"
)


def _buildkit_own(pp: PhasePlan, tree: Tree, rules: str) -> None:
    """A Dockerfile-specific ignore file wins over .dockerignore for BuildKit (`docker
    compose build`), and the classic builder never reads it: each builder would send a
    different context. The root one follows the Dockerfile into docker/, and the rules
    written to .dockerignore are added to it, so every builder leaves the same files out."""
    if (
        "Dockerfile.dockerignore" in tree.files
        and "Dockerfile" not in tree.files
        and "docker/Dockerfile" in tree.files
        and OWN not in tree.files
    ):
        m = ch.move(
            7,
            tree,
            "Dockerfile.dockerignore",
            OWN,
            why="BuildKit reads <Dockerfile>.dockerignore beside the Dockerfile, which moved to docker/.",
        )
        pp.changes.append(m)
        tree = ch.apply_virtual(tree, [m])
    text = tree.text(OWN)
    if text is None:
        return
    have = {x.strip() for x in text.splitlines()}
    missing = [
        x
        for x in rules.splitlines()
        if x.strip() and not x.startswith("#") and x.strip() not in have
    ]
    if missing:
        body = text if text.endswith("\n") or not text else text + "\n"
        c = ch.write(
            7,
            tree,
            OWN,
            body + f"\n{ADDED}\n" + "\n".join(missing) + "\n",
            summary=f"{OWN}: add the rules of .dockerignore",
            why="BuildKit (docker compose build) reads this file instead of .dockerignore; the classic "
            "builder reads only .dockerignore. With the same rules in both, every builder sends the "
            "same context.",
        )
        if c:
            pp.changes.append(c)
    pp.notes.append(
        Note(
            "warn",
            f"{OWN} exists: BuildKit reads it instead of .dockerignore and the classic "
            "builder never reads it; keep the two files' rules alike.",
        )
    )


def _tests_from_image(tree: Tree) -> str | None:
    """A compose file or Dockerfile that runs pytest on the image's own copy of the source
    (no bind mount of tests/): excluding tests/ from the context would leave it 0 tests."""
    for path in sorted(tree.files):
        name = path.rsplit("/", 1)[-1]
        if not (
            path.startswith("compose/")
            or name.startswith(("docker-compose", "compose", "Dockerfile"))
        ):
            continue
        text = tree.text(path) or ""
        # pytest named here, or in a script the file runs (command: /app/scripts/test.sh)
        scripts = [s for s in tree.files if s.endswith(".sh") and s.rsplit("/", 1)[-1] in text]
        runs = "pytest" in text or any("pytest" in (tree.text(s) or "") for s in scripts)
        if runs and not re.search(r"(?m)^\s*-\s*['\"]?\.{0,2}/?(?:\.\./)?tests:", text):
            return path
    return None


def plan(ctx: Ctx, tree: Tree) -> PhasePlan:
    pp = PhasePlan(7, ".dockerignore")
    keep_tests = _tests_from_image(tree)
    if keep_tests:
        pp.notes.append(
            Note(
                "plan",
                f"tests/ stays in the build context: {keep_tests} runs pytest on the image's "
                "own copy of the source (the plan's rule would leave it no tests to run).",
            )
        )
    base = render("dockerignore.j2", existing=[], keep_tests=bool(keep_tests))
    known = {line.strip() for line in base.splitlines()}
    current = tree.text(TARGET)
    if current is not None and current.startswith(base.split("\n", 1)[0]):
        existing: list[str] = []  # already ours: do not fold our own lines back in
        marker = "# Kept from the previous .dockerignore"
        if marker in current:
            tail = current.split(marker, 1)[1].split("\n# Environment files", 1)[0]
            existing = [x for x in tail.strip("\n").splitlines() if x.strip()]
    else:
        existing = [
            x.rstrip()
            for x in (current or "").splitlines()
            if x.strip() and not x.startswith("#") and x.strip() not in known
        ]
    legacy = tree.text("docker/.dockerignore") or ""
    existing += [
        x.rstrip()
        for x in legacy.splitlines()
        if x.strip()
        and not x.startswith("#")
        and x.strip() not in known
        and x.rstrip() not in existing
    ]
    new = render("dockerignore.j2", existing=existing, keep_tests=bool(keep_tests))
    c = ch.write(
        7,
        tree,
        TARGET,
        new,
        summary=f"write {TARGET} (the plan's rules + env files and wizard state)",
        why="The plan puts it at docker/.dockerignore, which no builder reads with context `..`: the "
        "classic builder and the SDK read only <context>/.dockerignore, BuildKit reads "
        "docker/Dockerfile.dockerignore and falls back to <context>/.dockerignore. The root file "
        "is honoured by every builder.",
    )
    if c:
        pp.changes.append(c)
    pp.notes.append(
        Note(
            "plan",
            "Written to the repo root, not docker/.dockerignore: with build context `..` "
            "only <context>/.dockerignore is read by every builder.",
        )
    )
    _buildkit_own(pp, tree, new)
    if "docker/.dockerignore" in tree.files:
        pp.changes.append(
            ch.delete(
                7,
                tree,
                "docker/.dockerignore",
                why="Never read with context `..`; its rules now live in the root .dockerignore.",
            )
        )
    done = c is None and current is not None
    pp.checklist.append(
        ChecklistItem(
            SECTION,
            "Create .dockerignore",
            done,
            Evidence(
                f"{TARGET} keeps env files and .git out of the context"
                if done
                else f"{TARGET} lets env files into the build context",
                TARGET,
            ),
        )
    )
    return pp
