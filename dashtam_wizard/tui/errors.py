"""Turn any exception from a worker into (title, one line): what the user sees, never a traceback."""

from __future__ import annotations

from ..core.errors import BadInput
from ..shell import save_traceback
from .backend import BackendStopped

TITLES = {
    "plan": "Cannot plan this repo",
    "apply": "Apply stopped — nothing was changed",
    "rollback": "Rollback refused",
    "report": "Report not written",
    "verify": "Verify failed",
    "docker": "Docker daemon not reachable",
}


def describe(exc: BaseException, job: str = "") -> tuple[str, str]:
    """(title, message with file:line when known) for the job that failed."""
    title = TITLES.get(job, "Error")
    if isinstance(exc, BackendStopped):  # not "nothing was changed": it may have been
        return "Interrupted", str(exc)
    if isinstance(exc, BadInput):  # ApplyError is one too: both name the file
        return title, exc.one_line()
    module = type(exc).__module__ or ""
    if module.startswith(("docker.", "requests.", "urllib3.")):
        return TITLES["docker"], _first_line(exc)
    if isinstance(exc, OSError):
        where = f"{exc.filename}: " if exc.filename else ""
        return title, f"{where}{exc.strerror or _first_line(exc)}"
    return (
        "Internal error",
        f"{type(exc).__name__}: {_first_line(exc)} (details: {save_traceback(exc, 'tui')})",
    )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return " ".join(text.splitlines()[0].split())[:300]
