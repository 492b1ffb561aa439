"""Save a verify run where `status` (and the TUI's checklist) read the Testing items from.

The plan's Migration Checklist names its Testing items in words ("Verify non-root user in
dev"); this maps each check to the id core/checklist.py ticks: user, ownership,
bind_mount, env, tests, plus which stages built.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dashtam_wizard.apply.fsio import write_atomic
from dashtam_wizard.apply.state import State
from dashtam_wizard.apply.trust import problem, seal
from dashtam_wizard.core.statedir import VERIFY_FILE

if TYPE_CHECKING:
    from .report import VerifyReport

PREFIXES = {
    "user": ("non-root USER", "runs as "),
    "ownership": ("/app owned", "no .env files in the image"),
    "bind_mount": ("bind-mount files owned",),
    "env": ("env_file variables reach",),
    "tests": ("tests `",),
}


def summary(report: VerifyReport) -> dict[str, Any]:
    checks = []
    for cid, prefixes in PREFIXES.items():
        mine = [c for c in report.checks if c.name.startswith(prefixes)]
        if not mine:
            continue
        failed = [c for c in mine if not c.passed]
        checks.append(
            {
                "id": cid,
                "passed": not failed,
                "evidence": (failed[0].evidence if failed else f"{len(mine)} check(s) passed")[
                    :200
                ],
            }
        )
    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "ok": report.ok,
        "builder": report.builder,
        "stages_built": [b.target for b in report.builds if b.ok and b.target],
        "checks": checks,
    }


def save(report: VerifyReport, tree: str) -> Path | None:
    """Sealed (apply/trust.py) and bound to `tree`, the digest of the files verified: status
    ticks Testing items only from a run of this user's on exactly these contents.

    Not saved (None, and the report says why) into a state folder this user did not make
    here: the run itself is still good, nothing is written into a folder not trusted."""
    state = State(report.repo)
    if state.exists() and (why := problem(report.repo)) is not None:
        report.unsaved = why
        return None
    state.ensure()
    path = state.path / VERIFY_FILE
    data = seal({**summary(report), "tree": tree})
    write_atomic(path, json.dumps(data, indent=2).encode(), 0o600, points=False)
    return path
