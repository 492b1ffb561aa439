"""The plan's vocabulary, shared by the planner, the apply journal, the CLI and the TUI.

A Plan is a list of PhasePlans; each holds ordered Changes (what will be written) and
ChecklistItems (what the plan's checklist says, ticked from evidence in the repo).
The same objects drive the dry-run print, the TUI preview and the apply journal, so what
the user reviews is exactly what gets written.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from enum import StrEnum


class Kind(StrEnum):
    MKDIR = "mkdir"
    MOVE = "move"
    COPY = "copy"
    CREATE = "create"
    EDIT = "edit"
    DELETE = "delete"
    CHMOD = "chmod"


def sha256(data: bytes | None) -> str | None:
    return None if data is None else hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Change:
    """One step of the transaction.

    Field meaning by kind (paths are POSIX, relative to the repo root):
    - mkdir:  create directory `path` (mode `mode` or 0o755).
    - move:   rename `source` -> `path`; `before` is the source content, `after` is None
              (content unchanged). `git=True` means the source is tracked: use `git mv`.
    - copy:   copy `source` -> `path`; `after` is the content written (== source content).
    - create: write new file `path` with `after` (must not exist yet).
    - edit:   replace `before` with `after` at `path` (refuse if current content != before).
              `regenerate="uv-lock"` means `after` is unknown at plan time: the apply layer
              runs `uv lock` on a scratch copy and writes its result.
    - delete: remove file `path` whose content is `before`.
    - chmod:  set `path` mode to `mode` (content unchanged).
    `mode` on create/edit/copy is the resulting mode (None = keep / default 0o644).
    """

    id: str
    phase: int
    kind: Kind
    path: str
    source: str | None = None
    before: bytes | None = None
    after: bytes | None = None
    mode: int | None = None
    summary: str = ""
    why: str = ""
    default: bool = True
    secret: bool = False
    git: bool = False
    regenerate: str | None = None

    @property
    def before_sha(self) -> str | None:
        return sha256(self.before)


@dataclass(frozen=True)
class Evidence:
    """Why a checklist item is (not) ticked: a short sentence plus an optional file:line."""

    text: str
    path: str | None = None
    line: int | None = None

    def where(self) -> str:
        if self.path is None:
            return ""
        return f"{self.path}:{self.line}" if self.line else self.path


@dataclass(frozen=True)
class ChecklistItem:
    section: str  # "Pre-Migration", "Migration", "Testing", "Documentation", "Cleanup"
    text: str
    done: bool | None  # None = needs a human (no evidence can show it) / not yet verifiable
    evidence: Evidence | None = None
    manual: bool = False


@dataclass(frozen=True)
class Note:
    """A message shown with a phase: info, where the plan is wrong ("plan"), or a warning."""

    level: str  # "info" | "plan" | "warn"
    text: str


@dataclass
class PhasePlan:
    number: int
    title: str
    changes: list[Change] = field(default_factory=list)
    checklist: list[ChecklistItem] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    # this phase's changes an earlier apply made, as planned then (diffs included): what an
    # applied phase shows for review instead of "nothing to change"
    applied: list[Change] = field(default_factory=list)
    # why the phase's aim is held back (a warning note says it whole), though its other
    # changes, if any, apply: "" when the phase can do what the plan asks
    held: str = ""

    @property
    def heading(self) -> str:
        return f"Phase {self.number} — {self.title}"


PHASE_TITLES: dict[int, str] = {
    1: "Backup & Preparation",
    2: "Directory Reorganization",
    3: "Dockerfile Refactoring",
    4: "Docker Compose Refactoring",
    5: "Makefile Updates",
    6: "Environment File Organization",
    7: ".dockerignore",
}


def applied_label(phases: list[int], sep: str = ",") -> str:
    """How History and `rollback --list` name what an apply did: its phases, or `report` for
    the wizard's migration report (phase 0)."""
    return "report" if phases == [0] else sep.join(map(str, phases))


# What each phase does and why, as the help screen and `plan` explain it (from the plan).
PHASE_PURPOSE: dict[int, str] = {
    1: "pyproject.toml and uv.lock (extracted from the running app container when missing) become the "
    "source of dependencies, with .backup copies first; requirement lines it cannot carry hold it back.",
    2: "compose files move to compose/, env files to env/ (git mv, so history follows); the layout the "
    "rest of the plan builds on.",
    3: "docker/Dockerfile: a non-root appuser in every stage, uv with the lock file, /app owned by appuser, "
    "a production HEALTHCHECK; held back when the template cannot replace the old Dockerfile.",
    4: "compose files read env_file: ../env/.env.<env> instead of hard-coded values, paths rebased from "
    "compose/, `name:` kept so volumes (your database) stay the same, lock files mounted read-only.",
    5: "every Makefile, script, workflow and dev container follows the moved files, with --env-file where "
    "interpolation read .env before; docs are listed for review.",
    6: "env/README.md and *.example templates; secrets stay out of git (.gitignore).",
    7: "one .dockerignore every builder reads (the plan's docker/.dockerignore is never read with "
    "context ..): env files, .git and the wizard's state stay out of the build context.",
}


@dataclass
class Plan:
    root: str
    project: str
    phases: list[PhasePlan]

    def changes(self, phases: set[int] | None = None) -> list[Change]:
        return [c for p in self.phases if phases is None or p.number in phases for c in p.changes]

    @property
    def pending(self) -> bool:
        return any(p.changes for p in self.phases)
