"""The repo a command is given: what every door checks before it reads or writes it.

The CLI and the TUI's backend used to finish an interrupted apply each in their own
words (the CLI printed, the TUI made a sentence and also checked that the state folder
was this user's); the rules live here once.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..core.errors import BadInput
from ..core.statedir import INTENT, STATE_DIR


def open_repo(path: Path) -> Path:
    """The repo's folder, resolved: one line and exit 2 when it is not a folder."""
    root = path.expanduser().resolve()
    if not root.is_dir():
        raise BadInput(str(path), "is not a directory")
    return root


def writable_repo(path: Path) -> Path:
    """The repo, for a command that writes it: not as root on another user's repository,
    where moved files and the state would become root's and the owner could not roll back."""
    root = open_repo(path)
    owner = root.stat().st_uid
    if os.geteuid() == 0 and owner != 0:
        raise BadInput(
            str(root),
            f"belongs to uid {owner}; run the wizard as that user, not as root (files it "
            "writes would become root's, and the owner could not read them or roll back)",
        )
    return root


def refuse_unfinished(root: Path) -> None:
    """A read-only command first says when an apply or rollback was interrupted, and what
    finishes it, instead of planning a half-done tree (one line, exit 2)."""
    if not (root / STATE_DIR).is_dir():
        return
    from ..apply import history
    from ..apply.trust import problem

    if problem(root) is not None:
        return  # never read; apply/rollback say why
    state = root / STATE_DIR
    if (state / INTENT).exists() or any(r.status == "incomplete" for r in history(root)):
        raise BadInput(
            STATE_DIR,
            "an apply or rollback was interrupted and is not finished; run "
            "`dashtam-wizard rollback --yes` (or open the wizard) to finish it, then look again",
        )


def recover_interrupted(root: Path, *, untrusted_ok: bool = False) -> str | None:
    """Finish an apply or rollback a crash interrupted, before planning: the sentence to
    show, or None when there was nothing to finish.

    A state folder this user did not make here is never acted on: a command that writes
    stops with one line (BadInput from the engine); with `untrusted_ok` (the TUI, which
    opens read-only first) the sentence says so and how to adopt it. Without a state
    folder the apply engine is not even loaded.
    """
    if not os.path.lexists(root / STATE_DIR):
        return None
    from ..apply import recover, trust

    if untrusted_ok:
        untrusted = trust.problem(root)
        if untrusted is not None:
            return untrusted
    result = recover(root)
    return None if result is None else f"Recovered an interrupted operation: {result.summary()}"
