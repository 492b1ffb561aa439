"""The engine in a child process: the repo is planned on another core, never on the UI's GIL.

Why a process and not a worker thread: reading and planning a repo is pure Python for
hundreds of milliseconds (the planner's libraries to import, round-trip YAML). In a thread
it holds the GIL, so frames are late and keys wait behind it. The UI process only
unpickles results (a few ms) and never imports the planner at all.

At launch (`app.run`, before Textual is imported) the UI process first looks in the state
cache (`statecache.py`) itself: a repo shown before and unchanged since needs no planning,
and no second process competing for the CPU while Textual starts; the backend is then
started after the first frame (`--no-first`), for re-plans, checklist saves and the
Docker probe. On a miss the backend starts at once and plans the repo with the default
options while Textual starts.

Protocol, over the child's stdin/stdout: frames of an 8-byte big-endian length and a
pickle. Requests are `(seq, op, args)`; the child answers each with `(seq, ok, value)`
(value: the result, or the exception). Loads and saves are answered in order; a Docker
probe in a thread of its own, so a slow daemon never holds up a load. Unasked, the child
sends `(0, ...)`: the first load (`seq` 0 is reserved for it). EOF on stdin ends the
child. If the child dies (or cannot start), every waiting call raises BackendGone and the
app does the work in a thread instead, as it did before there was a backend.
"""

from __future__ import annotations

import contextlib
import pickle
import struct
import subprocess
import sys
import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from ..service.repo import recover_interrupted

if TYPE_CHECKING:
    from ..core.context import Options
    from ..core.snapshot import Tree
    from ..service.state import RepoState

HEADER = struct.Struct(">Q")
FIRST = 0  # the seq of the load the child starts on its own
# The child's command line (`python -c`): no runpy, and this module under its real name,
# which the exceptions sent back are pickled by reference to (`_identity`, `_rebuild`).
CHILD = "import sys; from dashtam_wizard.tui.backend import main; sys.exit(main(sys.argv[1:]))"


class BackendGone(Exception):
    """The backend process is not running (never started, crashed or closed)."""


# ---- framing (both sides) -------------------------------------------------------------


def _write(out: IO[bytes], obj: object) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    out.write(HEADER.pack(len(data)) + data)
    out.flush()


def _read_exact(inp: IO[bytes], n: int) -> bytes | None:
    chunks: list[bytes] = []
    while n:
        chunk = inp.read(n)
        if not chunk:
            return None
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def _read(inp: IO[bytes]) -> Any:
    """The next object, or None at EOF."""
    head = _read_exact(inp, HEADER.size)
    if head is None:
        return None
    data = _read_exact(inp, HEADER.unpack(head)[0])
    return None if data is None else pickle.loads(data)


# ---- exceptions across the pipe --------------------------------------------------------


def _rebuild(module: str, name: str, args: tuple[Any, ...], state: dict[str, Any]) -> BaseException:
    """An exception whose class cannot be unpickled the usual way (BadInput's __init__)."""
    cls = getattr(__import__(module, fromlist=[name]), name)
    exc: BaseException = cls.__new__(cls, *args)
    exc.__dict__.update(state)
    return exc


class _Portable:
    """Wraps an exception so it always crosses the pipe, with the child's traceback attached."""

    def __init__(self, exc: BaseException) -> None:
        exc.add_note(
            "(in the wizard's backend process)\n" + "".join(traceback.format_exception(exc))
        )
        self.exc = exc

    def __reduce__(self) -> tuple[Any, ...]:
        exc = self.exc
        try:
            pickle.loads(pickle.dumps(exc))
            return (_identity, (exc,))
        except Exception:  # noqa: BLE001 - fall back to rebuilding it field by field
            pass
        cls = type(exc)
        state = dict(exc.__dict__)
        try:
            pickle.dumps(state)
        except Exception:  # noqa: BLE001
            state = {"__notes__": exc.__dict__.get("__notes__", [])}
        try:
            pickle.dumps(exc.args)
            args = exc.args
        except Exception:  # noqa: BLE001
            args = (str(exc),)
        return (_rebuild, (cls.__module__, cls.__qualname__, args, state))


def _identity(obj: Any) -> Any:
    return obj


# ---- the child ---------------------------------------------------------------------------


def answer_here(op: str, args: tuple[Any, ...]) -> Any:
    """Do a request in this process: the child's work, and the app's fallback without one."""
    if op == "load":
        root, options, first = args
        recovered = recover_interrupted(root, untrusted_ok=True) if first else None
        return load(root, options), recovered
    if op == "save_manual":
        from ..service.loader import save_manual

        return save_manual(*args)
    if op == "docker":
        from .docker_probe import probe

        return probe()
    if op == "gate":
        return gate(*args)
    raise ValueError(f"unknown backend request {op!r}")


def gate(root: Path, options: Options) -> tuple[list[str], list[str]]:
    """The equivalence gate for the plan as chosen: (blocking differences, calls not judged),
    each a line. Run by the app in a worker after the state is shown, before apply."""
    from ..core.snapshot import read_tree
    from ..judge.check import check_plan
    from ..plancache import plan_for

    tree = read_tree(root)
    verdict = check_plan(root, tree, plan_for(tree, root, options), options)
    return [d.line() for d in verdict.differences], list(verdict.unjudged)


def load(root: Path, options: Options) -> RepoState:
    """The repo's state: from the state cache when nothing it depends on changed.

    Only a miss imports the loader (the planner and its libraries).
    """
    from . import statecache

    root = root.resolve()
    state, key, tree = _cached(root, options)
    if state is None:
        from ..core.checklist import load_manual
        from ..service.loader import load as compute

        state = compute(root, options, tree)
        statecache.put(key, state)
        state.manual = load_manual(root)
    return state


def _cached(root: Path, options: Options) -> tuple[RepoState | None, str | None, Tree]:
    """(the cached state or None, its key, the tree read for the key)."""
    from ..core.checklist import load_manual
    from ..core.snapshot import read_tree
    from . import statecache

    tree = read_tree(root)
    key = statecache.key(tree, root, options)
    state = statecache.get(key)
    if state is not None:
        state.manual = load_manual(root)  # not in the key: ticks are read fresh every time
    return state, key, tree


def first_load_here(root: Path) -> tuple[RepoState | None, str | None]:
    """In the UI process, before Textual loads: (the state if cached, what recovery did).

    A repo looked at before and unchanged since needs no backend for its first frame: no
    second process competes for the CPU while Textual starts. On a miss (None) the app
    starts the backend to plan. Light: the planner is never imported here.
    """
    from ..core.context import Options
    from ..plancache import enabled

    root = root.resolve()
    recovered = recover_interrupted(root, untrusted_ok=True)
    if not enabled():  # DASHTAM_WIZARD_NO_CACHE: nothing to look up
        return None, recovered
    return _cached(root, Options())[0], recovered


def serve(root: Path, inp: IO[bytes], out: IO[bytes], first: bool = True) -> None:
    """The child's loop: the first load at once (unless `first` is off), then requests."""
    from ..core.context import Options

    lock = threading.Lock()  # Docker probes answer from threads of their own

    def answer(seq: int, op: str, args: tuple[Any, ...]) -> None:
        try:
            reply: tuple[Any, ...] = (seq, True, answer_here(op, args))
        except Exception as exc:  # noqa: BLE001 - every failure goes back to the app to show
            reply = (seq, False, _Portable(exc))
        with lock:
            _write(out, reply)

    if first:
        answer(FIRST, "load", (root, Options(), True))
    while (request := _read(inp)) is not None:
        if request[1] == "docker":
            threading.Thread(target=answer, args=request, daemon=True).start()
        else:
            answer(*request)


def main(argv: list[str]) -> int:
    """`ROOT [--no-first]`: the app has the first state already with --no-first."""
    with contextlib.suppress(BrokenPipeError, KeyboardInterrupt):
        serve(Path(argv[0]), sys.stdin.buffer, sys.stdout.buffer, "--no-first" not in argv)
    return 0


# ---- the app's side ------------------------------------------------------------------------


class _Call:
    """One request waiting for its reply."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.ok = False
        self.value: Any = None


class Backend:
    """The app's handle on the child: `call()` blocks a worker thread, never the UI."""

    def __init__(self, root: Path, first: bool = True) -> None:
        self._proc = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(root), *([] if first else ["--no-first"])],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,  # the terminal belongs to Textual; errors come as replies
        )
        self._lock = threading.Lock()  # the calls and the sequence numbers
        self._write_lock = threading.Lock()  # one request at a time on the child's stdin
        self._seq = FIRST
        self._first = _Call()
        self._calls: dict[int, _Call] = {FIRST: self._first} if first else {}
        self._first_claimed = not first  # no first load: nothing to claim
        self._gone = False
        self._reader = threading.Thread(target=self._read_replies, name="backend", daemon=True)
        self._reader.start()

    @classmethod
    def start(cls, root: Path, first: bool = True) -> Backend | None:
        """The backend, or None if no process can be started (the app then works in threads).

        `first`: read the repo with the default options at once (the app has no state yet).
        """
        try:
            return cls(Path(root).resolve(), first)
        except OSError:
            return None

    def _read_replies(self) -> None:
        stdout = self._proc.stdout
        assert stdout is not None
        try:
            while (reply := _read(stdout)) is not None:
                seq, ok, value = reply
                with self._lock:
                    call = self._calls.pop(seq, None)  # None: its caller gave up
                if call is not None:
                    call.ok, call.value = ok, value
                    call.done.set()
        except Exception:  # noqa: BLE001 - a broken stream is a dead backend: fall back
            pass
        self._mark_gone()

    def _mark_gone(self) -> None:
        with self._lock:
            self._gone = True
            waiting, self._calls = list(self._calls.values()), {}
        for call in waiting:
            call.done.set()  # ok stays False, value None: BackendGone

    def _wait(self, call: _Call, cancelled: Callable[[], bool]) -> Any:
        while not call.done.wait(0.05):
            if cancelled():
                return None
        if call.ok:
            return call.value
        if isinstance(call.value, BaseException):
            raise call.value
        raise BackendGone()

    def call(self, op: str, *args: Any, cancelled: Callable[[], bool] = lambda: False) -> Any:
        """Run `op` in the child and return its result (None if `cancelled()` turns true)."""
        with self._lock:
            if self._gone:
                raise BackendGone()
            if op == "load" and args[2] and not self._first_claimed:
                self._first_claimed = True  # the child started this one on its own
                seq, call = FIRST, self._first  # (its reply may be in already)
            else:
                self._seq += 1
                seq = self._seq
                call = self._calls[seq] = _Call()
        if seq != FIRST:
            try:  # not under self._lock: the reader thread must be able to take replies
                with self._write_lock:
                    assert self._proc.stdin is not None
                    _write(self._proc.stdin, (seq, op, args))
            except (OSError, ValueError):
                with self._lock:
                    self._calls.pop(seq, None)
                raise BackendGone() from None
        try:
            return self._wait(call, cancelled)
        finally:
            with self._lock:
                self._calls.pop(seq, None)

    def take_first_load(self) -> Any | None:
        """The first load's answer if it has arrived and succeeded (taken, no waiting)."""
        with self._lock:
            call = self._first
            if self._first_claimed or not call.done.is_set() or not call.ok:
                return None
            self._first_claimed = True
            return call.value

    def close(self) -> None:
        """End the child (EOF first; it is killed if it does not exit promptly)."""
        proc = self._proc
        with contextlib.suppress(OSError, ValueError):
            if proc.stdin is not None:
                proc.stdin.close()
        try:
            proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        self._mark_gone()


if __name__ == "__main__":  # by hand: python -m dashtam_wizard.tui.backend ROOT
    # This file's functions under the module's real name, not __main__: the exceptions
    # sent back are pickled by reference to them (`_identity`, `_rebuild`).
    from dashtam_wizard.tui import backend

    sys.exit(backend.main(sys.argv[1:]))
