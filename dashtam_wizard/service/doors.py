"""The doors both front ends go through: one rule each, whichever of `apply` or the TUI asks.

The CLI and the TUI used to each check the selection, run the equivalence gate and start
the transaction in their own words; a rule changed in one was missed in the other. Here
they are said once: which changes a choice of phases and ids applies, why a choice is
refused (an unknown id, an earlier phase left pending), and apply itself (the gate, then
the transaction). Front ends only ask and show the answer.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..apply import apply_changes
from ..apply.records import ApplyRecord
from ..core.context import Options, chosen
from ..core.model import Change, Kind, Plan
from ..judge.check import require_equivalent

__all__ = ["apply_chosen", "chosen", "earlier_pending", "refusal", "skipped_folder_needed"]


def refusal(plan: Plan, options: Options, phases: set[int] | None = None) -> str | None:
    """Why this choice cannot be applied as asked, in one line, or None."""
    known = {c.id for c in plan.changes()}
    unknown = [i for i in [*options.skip, *options.include] if i not in known]
    if unknown:
        return f"unknown change id: {sorted(unknown)[0]} (see `dashtam-wizard plan` for ids)"
    folder = skipped_folder_needed(plan, options)
    if folder is not None:
        return folder
    first = earlier_pending(plan, options, phases)
    if first is not None:
        return f"phase {first} has pending changes: apply it first (or add --phase {first})"
    return None


def skipped_folder_needed(plan: Plan, options: Options) -> str | None:
    """A skipped `create DIR` that chosen changes still write into, in one line, or None.
    Applying them would create the folder anyway (a move into env/ needs env/), so the skip
    would be silently undone: the user is told to skip what goes in it too, or keep it."""
    picked = [c for c in plan.changes() if options.selected(c)]
    for folder in plan.changes():
        if folder.kind is not Kind.MKDIR or options.selected(folder):
            continue
        inside = [c for c in picked if c.path.startswith(folder.path.rstrip("/") + "/")]
        if inside:
            more = f" and {len(inside) - 1} more" if len(inside) > 1 else ""
            return (
                f"'{folder.summary}' ({folder.id}) is skipped, but chosen changes write into "
                f"{folder.path.rstrip('/')}/ ({inside[0].id}{more}): skip those too, or include the folder"
            )
    return None


def earlier_pending(plan: Plan, options: Options, phases: set[int] | None) -> int | None:
    """The first phase before the chosen ones that still has chosen changes: phases apply
    in order (each is planned on the tree the earlier ones leave), so that one goes first."""
    if not phases:
        return None
    return next(
        (
            p.number
            for p in plan.phases
            if p.number not in phases
            and p.number < max(phases)
            and any(options.selected(c) for c in p.changes)
        ),
        None,
    )


def apply_chosen(
    root: Path,
    plan: Plan,
    options: Options,
    phases: set[int],
    on_step: Callable[[int, int, Change], None] | None = None,
    on_judged: Callable[[list[str]], None] | None = None,
) -> ApplyRecord:
    """The equivalence gate for the whole plan as chosen (BadInput, nothing written, when a
    command would behave differently), then `phases` as one transaction. `on_judged` hears
    the commands the gate could not judge, before anything is written."""
    unjudged = require_equivalent(root, plan, options)
    if on_judged is not None:
        on_judged(unjudged)
    return apply_changes(
        root, chosen(plan, options, phases), phases=sorted(phases), on_step=on_step
    )
