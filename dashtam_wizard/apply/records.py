"""What the apply layer hands back: one error type, apply records and rollback results."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from ..core.errors import BadInput
from ..core.model import applied_label

Status = Literal["applied", "rolled-back", "incomplete"]


class ApplyError(BadInput):
    """A refusal or failure of apply/rollback, rendered as one line that names the file.

    Raised before the first write for refusals (stale plan, escaping path, lock held), so the
    repo is untouched; raised after an in-process rollback when a step itself failed.
    A BadInput, so a CLI path that does not catch it still prints one line and exits 2.
    """

    def __init__(self, message: str, path: str | None = None) -> None:
        Exception.__init__(self, " ".join(message.split()))
        self.message = str(self)
        self.path = path or ""
        self.line = None

    def one_line(self) -> str:
        return self.message


@dataclass(frozen=True)
class ApplyRecord:
    """One transaction in `.dashtam-wizard/applies/<id>/`, as `rollback --list` shows it.

    status: "applied" (committed, can be rolled back), "rolled-back" (undone, or interrupted
    and recovered), "incomplete" (interrupted apply or rollback: `recover()` finishes it).
    """

    id: str
    created: str
    phases: list[int]
    change_ids: list[str]
    status: Status

    def what(self, sep: str = ",") -> str:
        return applied_label(self.phases, sep)


@dataclass
class RollbackResult:
    """What a rollback (or recovery) did: which applies it undid and what it kept aside.

    `saved` lists files the user changed after the apply, copied under
    `.dashtam-wizard/saved/<timestamp>/` before being restored, so no edit is ever lost.
    """

    ids: list[str] = field(default_factory=list)
    restored: int = 0
    saved: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def merge(self, other: RollbackResult) -> None:
        self.ids += other.ids
        self.restored += other.restored
        self.saved += other.saved
        self.notes += other.notes

    def summary(self) -> str:
        if not self.ids:
            return "Nothing to roll back."
        text = f"Rolled back {', '.join(self.ids)}: {self.restored} path(s) restored."
        if self.saved:
            shown = ", ".join(self.saved[:3]) + (" …" if len(self.saved) > 3 else "")
            text += f" Your later edits were kept in {shown}."
        for note in self.notes:
            text += f" {note}"
        return text
