"""The TUI's jobs in a child process: planning, apply, verify never run on the UI's GIL.

Why a process and not a worker thread: reading and planning a repo is pure Python for
hundreds of milliseconds (the planner's libraries to import, round-trip YAML), and a
verify parses thousands of build lines. In a thread they hold the GIL, so frames are late
and keys wait behind them. The UI process only unpickles results and progress (a few
ms), never imports the planner, and loads the Docker SDK only to read a verify's result.
What each job does is `ops.run`, the same function the app calls in a thread when there
is no backend.

At launch (`app.run`, before Textual is imported) the UI process first looks in the state
cache (`statecache.py`) itself: a repo shown before and unchanged since needs no planning,
and no second process competing for the CPU while Textual starts; the backend is then
started after the first frame (`--no-first`). On a miss the backend starts at once and
plans the repo with the default options while Textual starts.

Protocol, over the child's stdin/stdout: frames of an 8-byte big-endian length and a
pickle. Requests are `(seq, op, args)`; the child answers each with `(seq, kind, value)`:
any number of `PROGRESS` frames, then one `DONE` (the result) or `FAILED` (the exception).
Requests are answered in order, so a load sent after an apply plans the applied repo;
the Docker probe and verify from threads of their own, so a slow daemon or a long build
never holds up a load. `(seq, "cancel", (target,))` stops a verify at its next event and
is not answered. Unasked, the child sends `(0, ...)`: the first load (`seq` 0 is reserved
for it). EOF on stdin ends the child once the request it is doing is done. If the child
dies (or cannot start), every waiting call raises BackendGone and the app does the work in
a thread instead, except a write it had already sent, which is not done twice.
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
from typing import IO, Any

from . import ops

HEADER = struct.Struct(">Q")
FIRST = 0  # the seq of the load the child starts on its own
# The child's command line (`python -c`): no runpy, and this module under its real name,
# which the exceptions sent back are pickled by reference to (`_identity`, `_rebuild`).
CHILD = "import sys; from dashtam_wizard.tui.backend import main; sys.exit(main(sys.argv[1:]))"


DONE, FAILED, PROGRESS = "done", "failed", "progress"


class BackendGone(Exception):
    """The backend process is not running (never started, crashed or closed).

    `sent`: the request had reached it, so it may have been done in part.
    """

    def __init__(self, sent: bool = False) -> None:
        super().__init__("the wizard's backend process stopped")
        self.sent = sent


class BackendStopped(Exception):
    """The backend died during a write it had been sent. Not done again in the app: it
    may have been done in part, so the app first finishes it the way a start after a
    crash does (`recovered`: what that did), then says so."""

    def __init__(self, op: str, recovered: str | None) -> None:
        super().__init__(
            f"the wizard's background process stopped during the {op}. "
            + (recovered or "Nothing had changed yet.")
        )


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


def serve(root: Path, inp: IO[bytes], out: IO[bytes], first: bool = True) -> None:
    """The child's loop: the first load at once (unless `first` is off), then requests."""
    from ..core.context import Options

    lock = threading.Lock()  # one frame at a time: threads answer too
    stops: dict[int, threading.Event] = {}  # the requests a "cancel" can reach

    def send(frame: tuple[Any, ...]) -> None:
        with lock:
            _write(out, frame)

    def answer(seq: int, op: str, args: tuple[Any, ...]) -> None:
        stop = stops.get(seq) or threading.Event()
        try:
            value = ops.run(op, args, lambda v: send((seq, PROGRESS, v)), stop.is_set)
            reply: tuple[Any, ...] = (seq, DONE, value)
        except Exception as exc:  # noqa: BLE001 - every failure goes back to the app to show
            reply = (seq, FAILED, _Portable(exc))
        finally:
            stops.pop(seq, None)
        send(reply)

    if first:
        answer(FIRST, "load", (root, Options(), True))
    threads: list[threading.Thread] = []
    while (request := _read(inp)) is not None:
        seq, op, args = request
        if op == "cancel":
            if (stop := stops.get(args[0])) is not None:
                stop.set()
        elif op in ops.THREADED:
            stops[seq] = threading.Event()
            threads = [t for t in threads if t.is_alive()]
            threads.append(threading.Thread(target=answer, args=request, daemon=True))
            threads[-1].start()
        else:
            answer(*request)
    for stop in list(stops.values()):  # EOF: the app is gone, and so is every job's asker
        stop.set()
    ops.stop_everything([t for t in threads if t.is_alive()])


def main(argv: list[str]) -> int:
    """`ROOT [--no-first]`: the app has the first state already with --no-first."""
    with contextlib.suppress(BrokenPipeError, KeyboardInterrupt):
        serve(Path(argv[0]), sys.stdin.buffer, sys.stdout.buffer, "--no-first" not in argv)
    return 0


# ---- the app's side ------------------------------------------------------------------------


class _Call:
    """One request waiting for its reply."""

    def __init__(self, op: str, progress: ops.Progress | None = None) -> None:
        self.op = op
        self.progress = progress
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
        self._first = _Call("load")
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
                seq, kind, value = reply
                with self._lock:  # None: its caller gave up
                    call = self._calls.get(seq) if kind == PROGRESS else self._calls.pop(seq, None)
                if call is None:
                    continue
                if kind == PROGRESS:
                    if call.progress is not None:
                        with contextlib.suppress(Exception):  # the app's side: never ours to die of
                            call.progress(value)
                    continue
                call.ok, call.value = kind == DONE, value
                call.done.set()
        except Exception:  # noqa: BLE001 - a broken stream is a dead backend: fall back
            pass
        # Reaped before anyone is told: a zombie's pid still looks alive, and the repo lock
        # it held (file systems without flock) would refuse the app's own recovery.
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._proc.wait(timeout=5)
        self._mark_gone()

    def _mark_gone(self) -> None:
        with self._lock:
            self._gone = True
            waiting, self._calls = list(self._calls.values()), {}
        for call in waiting:
            call.done.set()  # ok stays False, value None: BackendGone

    def _send(self, frame: tuple[Any, ...]) -> None:
        with self._write_lock:
            assert self._proc.stdin is not None
            _write(self._proc.stdin, frame)

    def _wait(self, seq: int, call: _Call, cancelled: Callable[[], bool]) -> Any:
        while not call.done.wait(0.05):
            if cancelled():
                with contextlib.suppress(OSError, ValueError):
                    self._send((0, "cancel", (seq,)))
                return None
        if call.ok:
            return call.value
        if isinstance(call.value, BaseException):
            raise call.value
        raise BackendGone(sent=True)

    def call(
        self,
        op: str,
        *args: Any,
        progress: ops.Progress | None = None,
        cancelled: Callable[[], bool] = lambda: False,
    ) -> Any:
        """Run `op` in the child and return its result (None if `cancelled()` turns true);
        `progress` gets each progress value, in the reader thread, before the result."""
        with self._lock:
            if self._gone:
                raise BackendGone()
            if op == "load" and args[2] and not self._first_claimed:
                self._first_claimed = True  # the child started this one on its own
                seq, call = FIRST, self._first  # (its reply may be in already)
            else:
                self._seq += 1
                seq = self._seq
                call = self._calls[seq] = _Call(op, progress)
        if seq != FIRST:
            try:  # not under self._lock: the reader thread must be able to take replies
                self._send((seq, op, args))
            except (OSError, ValueError):
                with self._lock:
                    self._calls.pop(seq, None)
                raise BackendGone() from None
        try:
            return self._wait(seq, call, cancelled)
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
        """End the child: EOF, then it is killed if it has not exited in 10 s (it stops its
        running jobs first: `ops.stop_everything`), or, while a write (apply, rollback,
        report) is in it, once that had time to finish."""
        proc = self._proc
        with self._lock:
            writing = any(call.op in ops.WRITES for call in self._calls.values())
        with contextlib.suppress(OSError, ValueError):
            if proc.stdin is not None:
                proc.stdin.close()
        try:
            proc.wait(timeout=120 if writing else 10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        self._mark_gone()


if __name__ == "__main__":  # by hand: python -m dashtam_wizard.tui.backend ROOT
    # This file's functions under the module's real name, not __main__: the exceptions
    # sent back are pickled by reference to them (`_identity`, `_rebuild`).
    from dashtam_wizard.tui import backend

    sys.exit(backend.main(sys.argv[1:]))
