"""The one error type users see from planning: a file, maybe a line, one sentence."""

from __future__ import annotations


class BadInput(Exception):
    """Input the wizard refuses to work from. Rendered as one line; exit code 2."""

    def __init__(self, path: str, message: str, line: int | None = None) -> None:
        self.path = path
        self.line = line
        self.message = message
        super().__init__(self.one_line())

    def one_line(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {' '.join(self.message.split())}"


class NothingToMigrate(BadInput):
    """No compose file and no Dockerfile: a repo this tool has nothing to do for (a hook or
    a `plan --check` in CI passes it; the other commands say so, exit 2)."""
