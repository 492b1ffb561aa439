"""Fault injection for the crash tests: `DASHTAM_WIZARD_CRASH_AT=<k>` SIGKILLs the process at
the k-th (0-based) journal point of the next apply/rollback/recover.

Points sit between every two durable states (each half of a journal line, each file
operation), so iterating k over `range(last_point_count())` visits every state a crash can
leave behind. The check is one integer compare, cheap enough to stay in production code.
"""

from __future__ import annotations

import os
import signal

ENV = "DASHTAM_WIZARD_CRASH_AT"
_crash_at: int | None = None
_count = 0


def arm() -> None:
    """Start counting for a new top-level operation (reads the env var once)."""
    global _crash_at, _count
    _count = 0
    value = os.environ.get(ENV, "").strip()
    _crash_at = int(value) if value.isdigit() else None


def point() -> None:
    """One journal point: die here if this is the one the test asked for."""
    global _count
    if _count == _crash_at:
        os.kill(os.getpid(), signal.SIGKILL)
    _count += 1


def last_point_count() -> int:
    """How many points the last apply/rollback/recover in this process passed."""
    return _count
