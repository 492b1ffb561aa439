"""The apply layer: runs a plan's Changes as one journaled, crash-safe transaction.

`apply_changes` checks everything before the first write, then journals and performs each
step; `rollback` undoes applies newest first, byte for byte (git index included), keeping
any later user edit aside; `recover` finishes an apply or rollback a crash interrupted.
State lives in `<repo>/.dashtam-wizard/` (0700, git-ignored; it holds env-file secrets).
Fault injection for tests: `DASHTAM_WIZARD_CRASH_AT=<k>` (see `faults`).
"""

from __future__ import annotations

from .engine import apply_changes, tree_manifest
from .faults import last_point_count
from .records import ApplyError, ApplyRecord, RollbackResult
from .state import adopt_state, history
from .undo import recover, rollback

__all__ = [
    "ApplyError",
    "ApplyRecord",
    "RollbackResult",
    "adopt_state",
    "apply_changes",
    "history",
    "last_point_count",
    "recover",
    "rollback",
    "tree_manifest",
]
