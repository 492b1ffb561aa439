"""The one error of `verify --compare-builds`: a line for the user and an exit code."""

from __future__ import annotations


class CompareError(Exception):
    """The comparison cannot run (not migrated, journal damaged, no source file...).

    `str()` is the one line shown to the user; `code` is the exit code (2: the repo or the
    daemon cannot be used; 1: a build failed).
    """

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(" ".join(message.split()))
        self.code = code
