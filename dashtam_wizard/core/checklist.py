"""The plan's whole Migration Checklist, ticked from evidence in the repo.

Pre-Migration and Migration come from the phases; Testing from the last `verify` run
(saved in .dashtam-wizard/verify.json); Documentation and Cleanup from the files.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from .detect import detect, implied_moves
from .model import ChecklistItem, Evidence, Plan
from .seal import tree_digest, unseal
from .snapshot import Tree, read_tree
from .statedir import MANUAL_FILE, STATE_DIR, VERIFY_FILE

SECTIONS = ("Pre-Migration", "Migration", "Testing", "Documentation", "Cleanup")
REPORT_PATHS = ("docs/migration-report.md", "MIGRATION.md")

# (checklist text, check ids that must all pass); "stage:X" means stage X built.
TESTING = (
    ("Test dev build (no cache)", ("stage:development",)),
    ("Verify non-root user in dev", ("user",)),
    ("Test file permissions", ("ownership", "bind_mount")),
    ("Run full test suite", ("tests",)),
    ("Test CI build", ("stage:ci",)),
    ("Verify env vars loaded correctly", ("env",)),
)


def load_verify(root: Path, tree: Tree | None = None) -> dict[str, Any] | None:
    """The last verify run's results, if this user's wizard saved them (sealed, see seal.py).

    With `tree`: results of a run on other file contents come back marked `stale`, so no
    Testing item is ticked from a verify of something else.
    """
    try:
        results = unseal(json.loads((root / STATE_DIR / VERIFY_FILE).read_text()))
    except (OSError, ValueError):
        return None
    if results is not None and tree is not None and results.get("tree") != tree_digest(tree):
        results["stale"] = True
    return results


def load_manual(root: Path) -> dict[str, bool]:
    """The items only a person can tick (item text -> ticked), as the TUI saved them.

    Kept in the state dir like verify.json, so ticks survive a restart; a missing or
    damaged file means nothing was ticked (it is a convenience, never evidence).
    """
    try:
        data = unseal(json.loads((root / STATE_DIR / MANUAL_FILE).read_text()))
    except (OSError, ValueError):
        return {}
    ticks = data.get("ticked") if isinstance(data, dict) else None
    if not isinstance(ticks, dict):
        return {}
    return {str(text): value for text, value in ticks.items() if isinstance(value, bool)}


def _testing(results: dict[str, Any] | None) -> list[ChecklistItem]:
    items = []
    checks = {c.get("id"): c for c in (results or {}).get("checks", [])}
    stages = set((results or {}).get("stages_built", []))
    for text, needs in TESTING:
        if results is None:
            items.append(
                ChecklistItem("Testing", text, None, Evidence("run `dashtam-wizard verify`"))
            )
            continue
        if results.get("stale"):
            items.append(
                ChecklistItem(
                    "Testing",
                    text,
                    None,
                    Evidence(
                        "the last verify ran on other file contents; run `dashtam-wizard verify` again"
                    ),
                )
            )
            continue
        states = []
        for need in needs:
            if need.startswith("stage:"):
                stage = need.split(":", 1)[1]
                states.append(True if stage in stages or (stage == "ci" and stages) else None)
            else:
                c = checks.get(need)
                states.append(None if c is None else bool(c.get("passed")))
        done = False if False in states else (None if None in states else True)
        ev = "; ".join(str(checks[n].get("evidence", ""))[:80] for n in needs if n in checks) or (
            "built: " + ", ".join(sorted(stages)) if stages else "not run"
        )
        items.append(ChecklistItem("Testing", text, done, Evidence(ev)))
    return items


def _mentions_old(tree: Tree, path: str, old: list[str]) -> bool:
    text = tree.text(path) or ""
    return any(re.search(rf"(?<![\w./-]){re.escape(o)}(?![\w.-])", text) for o in old)


def status(
    root: Path, tree: Tree | None = None, plan: Plan | None = None
) -> tuple[Plan, list[ChecklistItem]]:
    """`tree` and `plan` when the caller has them already (read_tree, a cached plan of it)."""
    # Imported here: the state-dir readers above are used where the planner's libraries
    # must not load (the TUI's start-up path).
    from .phases.p1_backup import LEGACY_MARK
    from .planner import plan_tree

    root = root.resolve()
    tree = read_tree(root) if tree is None else tree
    plan = plan_tree(tree, str(root), root.name) if plan is None else plan
    items = [i for p in plan.phases for i in p.checklist]
    seen = {i.text for i in items}
    for text in ("Create .dockerignore", "Create env/README.md"):
        if text not in seen:
            items.append(ChecklistItem("Migration", text, None))
    items += _testing(load_verify(root, tree))

    facts = detect(tree, root.name)
    old = list(implied_moves(tree, facts))
    for text, path in (
        ("Update main README.md", "README.md"),
        ("Update WARP.md if needed", "WARP.md"),
    ):
        if path not in tree.files:
            items.append(
                ChecklistItem("Documentation", text, path == "WARP.md", Evidence(f"no {path}"))
            )
        else:
            stale = _mentions_old(tree, path, old)
            items.append(
                ChecklistItem(
                    "Documentation",
                    text,
                    not stale,
                    Evidence("mentions old paths" if stale else "no old paths", path),
                )
            )
    docs = [d for d in facts.docs if d.startswith("docs/")]
    stale_docs = [d for d in docs if _mentions_old(tree, d, old)]
    items.append(
        ChecklistItem(
            "Documentation",
            "Update infrastructure docs",
            not stale_docs,
            Evidence("old paths in " + ", ".join(stale_docs) if stale_docs else "no old paths"),
        )
    )
    report = next((p for p in REPORT_PATHS if p in tree.files), None)
    items.append(
        ChecklistItem(
            "Documentation",
            "Add migration notes",
            report is not None,
            Evidence(report or "no migration report yet (TUI: Report)", report),
        )
    )

    base = [cf for cf in facts.compose if cf.target.endswith(".example")]
    # gone from the root: moved to compose/ (a migrated .example is no longer at the root)
    gone = all("/" in cf.path or cf.path not in tree.files for cf in base)
    items.append(
        ChecklistItem(
            "Cleanup",
            "Remove old docker-compose.yml",
            gone,
            Evidence(
                "removed (kept as " + ", ".join(cf.target for cf in base) + ")"
                if gone and base
                else "no unused base compose file"
                if not base
                else "still at the root"
            ),
        )
    )
    for req in ("requirements.txt", "requirements-dev.txt"):
        req_text = tree.text(req)
        done = req_text is None or req_text.startswith(LEGACY_MARK)
        items.append(
            ChecklistItem(
                "Cleanup",
                f"Remove {req} (or mark as legacy)",
                done,
                Evidence(
                    "absent" if req_text is None else "marked legacy" if done else "still primary",
                    req,
                ),
            )
        )
    items.append(ChecklistItem("Cleanup", "Clean up unused files", None, manual=True))
    return plan, items
