"""What every `dashtam-wizard` process does around its command: one line per failure
(never a traceback: that goes to a file), the exit codes, SIGTERM as an exception so
`finally` blocks run, and a console that loads rich only when something is printed."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .core.errors import BadInput

if TYPE_CHECKING:
    from rich.console import Console

EXIT_OK, EXIT_PENDING, EXIT_BAD = 0, 1, 2


class LazyConsole:
    """A rich Console made on first use: `plan` prints without rich and should not import it."""

    def __init__(self, **kwargs: Any) -> None:
        self._kwargs = kwargs
        self._console: Console | None = None

    def __getattr__(self, name: str) -> Any:
        if self._console is None:
            from rich.console import Console

            self._console = Console(**self._kwargs)
        return getattr(self._console, name)


class Terminated(BaseException):
    """SIGTERM, raised where the command is: `finally` blocks run (an in-process apply rolls
    back, `uv lock`'s scratch folder is removed) instead of the process vanishing."""


def _on_sigterm(_signum: int, _frame: Any) -> None:
    raise Terminated


def catch_sigterm() -> None:
    """From now on SIGTERM raises Terminated where the command is (main thread only)."""
    import signal
    import threading

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _on_sigterm)


def guarded(command: Callable[[], int]) -> int:
    """Run the command; every failure becomes one line on stderr and its exit code."""
    err: Any = LazyConsole(stderr=True, highlight=False)
    try:
        return command()
    except BadInput as exc:
        err.print(f"dashtam-wizard: {exc.one_line()}", markup=False, soft_wrap=True)
        return EXIT_BAD
    except BrokenPipeError:
        # `dashtam-wizard plan | head`: the reader left; say nothing, like any filter would
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        err.print(f"dashtam-wizard: {where}{exc.strerror or exc}", markup=False, soft_wrap=True)
        return EXIT_BAD
    except (KeyboardInterrupt, Terminated) as exc:
        code = 143 if isinstance(exc, Terminated) else 130
        err.print(
            "dashtam-wizard: interrupted; no file is half-written, but an apply or rollback that was "
            "running is unfinished until `dashtam-wizard rollback --yes` (or the next apply, or the "
            "wizard's start) finishes it"
        )
        return code
    except Exception as exc:  # noqa: BLE001 - the user gets one line, the traceback goes to a file
        log = save_traceback(exc)
        err.print(
            f"dashtam-wizard: internal error: {type(exc).__name__}: {exc} (details: {log})",
            markup=False,
            soft_wrap=True,
        )
        return EXIT_BAD


def save_traceback(exc: BaseException, kind: str = "crash") -> str:
    """Where the traceback the user is spared went (a private temp file): the CLI's one-line
    internal error and the TUI's toast both name it."""
    import tempfile
    import traceback

    fd, name = tempfile.mkstemp(prefix=f"dashtam-wizard-{kind}-", suffix=".log")
    with open(fd, "w") as fh:
        fh.write("".join(traceback.format_exception(exc)))
    return name
