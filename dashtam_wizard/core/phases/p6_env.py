"""Phase 6 — env/README.md, .gitignore rules checked by git, owner-only secret env files."""

from __future__ import annotations

import posixpath

from .. import changes as ch
from ..context import Ctx
from ..gitignore import ignored_each
from ..model import ChecklistItem, Evidence, Note, PhasePlan
from ..snapshot import Tree
from ..templates import render

SECTION = "Migration"
COMMITTED_ENVS = {"ci"}
SECRET_MODE = 0o600
BLOCK_HEAD = "# dashtam-wizard: env/ holds committed templates and git-ignored local secrets"


def _describe(name: str) -> str:
    if name.endswith(".example"):
        return "template (committed, no secrets)"
    env = name.removeprefix(".env.")
    if env in COMMITTED_ENVS:
        return f"{env.upper()} environment (committed, no secrets)"
    return f"{env} environment (git-ignored, owner-only)"


def plan(ctx: Ctx, tree: Tree) -> PhasePlan:
    pp = PhasePlan(6, "Environment File Organization")
    env_names = sorted(p.split("/", 1)[1] for p in tree.files if p.startswith("env/.env"))
    files = [{"name": n, "what": _describe(n)} for n in env_names]
    commands = [
        {"env": cf.env, "compose": cf.target, "env_file": f"env/.env.{cf.env}"}
        for cf in ctx.facts.compose
        if cf.target in tree.files and not cf.target.endswith(".example")
    ]
    readme = render(
        "env-README.md.j2",
        project=ctx.facts.project,
        files=files,
        commands=commands,
        has_prod_example="env/.env.prod.example" in tree.files,
        has_example="env/.env.example" in tree.files,
        # env files moved that git does not carry: other checkouts must move their own
        local_moves=[
            {"old": old, "new": new}
            for old, new in sorted(ctx.moved.items())
            if posixpath.basename(old).startswith(".env")
            and new.startswith("env/")
            and old not in ctx.original.tracked
            and not old.endswith(".example")
        ],
    )
    if "env/README.md" not in tree.files:
        c = ch.write(6, tree, "env/README.md", readme, summary="create env/README.md")
        if c:
            pp.changes.append(c)

    # committed: the CI env file, and any env file the repo already shared (moved from a tracked
    # file, or a copy of a tracked .env): ignoring it would take it from every fresh clone
    shared = {f"env/{n}" for n in env_names if f"env/{n}" in tree.tracked} | ctx.shared_env
    local = [
        f"env/{n}"
        for n in env_names
        if not n.endswith(".example")
        and n.removeprefix(".env.") not in COMMITTED_ENVS
        and f"env/{n}" not in shared
    ]
    want_ignored = sorted(
        set(local) | ({"env/.env.dev", "env/.env.test", "env/.env.prod"} - shared)
    )
    want_kept = [
        p
        for p in dict.fromkeys(
            (
                "env/.env.ci",
                "env/.env.example",
                "env/.env.prod.example",
                "env/README.md",
                "pyproject.toml",
                "uv.lock",
                *sorted(shared),
            )
        )
        if p in tree.files or p == "env/README.md"
    ]
    gi = tree.text(".gitignore") or ""
    block = [BLOCK_HEAD, "!env/", "env/.env.*"] + [f"!{p}" for p in want_kept]
    new = (gi.rstrip("\n") + "\n\n" if gi.strip() else "") + "\n".join(block) + "\n"
    # both candidates checked at once (concurrent git processes); the second is used only if needed
    now, after_new = ignored_each([gi, new], want_ignored + want_kept)
    if now is None:
        pp.notes.append(
            Note("warn", "git is not installed: .gitignore rules for env/ could not be checked.")
        )
    else:
        wrong = [p for p in want_ignored if p not in now] + [p for p in want_kept if p in now]
        if wrong:
            after = after_new or set()
            still = [p for p in want_ignored if p not in after] + [
                p for p in want_kept if p in after
            ]
            c = ch.write(
                6,
                tree,
                ".gitignore",
                new,
                summary=".gitignore: ignore local env files, keep templates",
                why="Decided by `git check-ignore` against your rules: "
                + ", ".join(wrong)
                + " would be treated wrongly. Re-including env/ is needed because git cannot "
                "re-include a file inside an ignored folder.",
            )
            if c:
                pp.changes.append(c)
            if still:
                pp.notes.append(
                    Note(
                        "warn", "even with the new rules git still mis-handles: " + ", ".join(still)
                    )
                )
    for p in local:
        c = ch.chmod(
            6, tree, p, SECRET_MODE, summary=f"chmod 600 {p}", why="It holds secrets: owner-only."
        )
        if c:
            pp.changes.append(c)
    has_readme = "env/README.md" in tree.files
    pp.checklist.append(
        ChecklistItem(
            SECTION,
            "Create env/README.md",
            has_readme,
            Evidence("env/README.md present" if has_readme else "missing", "env/README.md"),
        )
    )
    return pp
