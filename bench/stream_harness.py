#!/usr/bin/env python3
"""Feed a synthetic build stream to the wizard's Verify screen (or to a bare Log peer).

    stream_harness.py wizard|peer|peer-batched REPO OUT.json [LINES] [BUDGET_S]

Runs inside a real terminal (bench/bench_stream.py starts it in tmux). A producer thread
does what the Verify worker does for each build line (`tui/verify_run.run` with the emit
callback of `app.run_verify`): write it to the full log file (LogFiles) and hand it to
the app, as fast as it can: one `VerifyProgress(Output(line))` message per line, or,
where the checkout has `verify_run.Batcher`, through that batcher, exactly as the app does. A second thread posts a key event (`up`, as the terminal driver would)
every 50 ms while the stream runs; its latency is the time from posting to the first
screen refresh after the app handled it. The peers are minimal Textual apps whose only
widget is a Log(max_lines=400), fed by the same producer one message per line (`peer`)
or 1,000 lines per message (`peer-batched`, what batching would give). Writes its
figures to OUT.json and exits.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import sys
import threading
import time
from pathlib import Path
from typing import Any

from textual import events
from textual.app import App, ComposeResult
from textual.message import Message
from textual.widgets import Log

KEY_EVERY = 0.05
TARGET = "development"


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Probe:
    """Shared by every mode: counts handled lines, times keys, ends the run.

    The run ends when every line is on screen, or `budget` seconds after the stream
    started (and not before the producer posted its last line): a flooded app may need
    minutes to drain its queue, and the figures are rates anyway. A watchdog thread ends
    it, because timers of a flooded app fire late.
    """

    def __init__(self, app: App, total: int, out: Path, budget: float) -> None:
        self.app, self.total, self.out, self.budget = app, total, out, budget
        self.handled = 0
        self.t0 = 0.0
        self.t_posted = 0.0
        self.t_painted = 0.0
        self.latencies: list[float] = []
        self.pending: dict[int, float] = {}  # key events posted, not answered yet
        self.keys_sent = 0
        self.rss_before = 0.0
        self.streaming = False
        self.extra: dict[str, Any] = {}
        self.check_log: Any = None  # callable returning extra fields, run once the producer is done

    def start(self, produce) -> None:  # noqa: ANN001
        self.rss_before = rss_mb()
        self.streaming = True
        self.t0 = time.perf_counter()
        threading.Thread(target=self._produce, args=(produce,), daemon=True).start()
        threading.Thread(target=self._keys, daemon=True).start()
        threading.Thread(target=self._watchdog, daemon=True).start()

    def _produce(self, produce) -> None:  # noqa: ANN001
        produce()
        self.t_posted = time.perf_counter()

    def _keys(self) -> None:
        while self.streaming:
            time.sleep(KEY_EVERY)
            ev = events.Key("up", None)
            self.keys_sent += 1
            ev._bench_id = self.keys_sent  # type: ignore[attr-defined]
            self.pending[self.keys_sent] = time.perf_counter()
            self.app.post_message(ev)

    def key_handled(self, event: events.Key) -> None:
        t = self.pending.pop(getattr(event, "_bench_id", -1), None)  # once, however far it bubbles
        if t is not None:
            self.app.call_after_refresh(lambda: self.latencies.append(time.perf_counter() - t))

    def line_handled(self, n: int = 1) -> None:
        self.handled += n
        if self.handled >= self.total and not self.t_painted:
            self.app.call_after_refresh(self._painted)

    def _painted(self) -> None:
        self.t_painted = time.perf_counter()

    def _watchdog(self) -> None:
        while True:
            time.sleep(0.05)
            now = time.perf_counter()
            if self.t_painted:
                time.sleep(0.3)  # let the last key events land
                break
            if self.t_posted and now - self.t0 > self.budget:
                break
        self.streaming = False
        end = self.t_painted or time.perf_counter()
        handled = self.handled
        lat = sorted(self.latencies)
        waiting = sorted(
            end - t for t in list(self.pending.values())
        )  # unanswered: at least this late
        both = sorted(lat + waiting)

        def pct(xs: list[float], p: float) -> float:
            return xs[min(len(xs) - 1, int(p * len(xs)))] if xs else float("nan")

        data = {
            "lines": self.total,
            "finished": bool(self.t_painted),
            "lines_rendered": handled,
            "seconds": end - self.t0,
            "seconds_to_posted": self.t_posted - self.t0,
            "lines_per_s": handled / (end - self.t0),
            "backlog_drain_estimate_s": (self.total - handled)
            / max(handled / (end - self.t0), 1e-9),
            "rss_before_mb": self.rss_before,
            "rss_peak_mb": peak_mb(),
            "keys_sent": self.keys_sent,
            "keys_answered": len(lat),
            "key_p50": pct(both, 0.50),
            "key_p99": pct(both, 0.99),
            "key_answered_p50": pct(lat, 0.50),
            "key_answered_p99": pct(lat, 0.99),
            **self.extra,
        }
        if self.check_log is not None:
            data.update(self.check_log())
        self.out.write_text(json.dumps(data))
        with contextlib.suppress(Exception):
            self.app.call_from_thread(self.app.exit)
        time.sleep(3)
        os._exit(0)  # a flooded app can take minutes to close its queue


def line_text(i: int) -> str:
    return f"#{i:06d} 12.3 Downloading some-package-{i % 997}-1.2.3-py3-none-any.whl (1.2 MB) ........ done"


def stream_lines(
    total: int,
    logs: Any,
    emit: Any,
    step_cls: Any,
    output_cls: Any,
    finished_cls: Any,
    result_cls: Any,
) -> None:  # noqa: ANN401
    """What a verify's build does with each line, in either process: log it, then emit it
    (a StepStarted every 5,000 lines, a BuildFinished at the end). The classes are the
    checkout's (or the harness's stand-ins without the Docker SDK)."""
    for i in range(total):
        if i % 5000 == 0:
            step = step_cls(i // 5000 + 1, total // 5000 + 1, f"RUN step {i // 5000 + 1}")
            logs.write(f"Step {step.n}/{step.total} : {step.text}")
            emit(step)
        o = output_cls(line_text(i))
        logs.write(o.line)
        emit(o)
    logs.close()
    emit(finished_cls(result_cls(TARGET, "sha256:bench", None, total // 5000 + 1, 0, 1.0)))


# --- the wizard ------------------------------------------------------------------------------


def run_wizard(repo: Path, out: Path, total: int, budget: float, in_child: bool = False) -> None:
    import inspect

    from dashtam_wizard.tui import messages as msg
    from dashtam_wizard.tui import verify_run
    from dashtam_wizard.tui.app import WizardApp
    from dashtam_wizard.tui.screens.verify import VerifyScreen
    from dashtam_wizard.tui.verify_run import LogFiles, log_path
    from dashtam_wizard.tui.widgets.stage_log import StageLog

    # The Verify path has changed shape over time; drive whichever this checkout has.
    BATCHED = (
        hasattr(verify_run, "Batcher")
        and hasattr(VerifyScreen, "events")
        and "objs" in inspect.signature(msg.VerifyProgress.__init__).parameters
    )
    BUFFERED = "pending" in inspect.getsource(StageLog)  # events before mount are kept, not lost

    try:  # the real progress classes; the screen dispatches on their names
        from dashtam_wizard.docker.build import BuildResult, Output, StepStarted
        from dashtam_wizard.events import BuildFinished, BuildStarted
    except ImportError:  # no Docker SDK: stand-ins with the same names and fields
        from dataclasses import dataclass

        @dataclass(frozen=True)
        class Output:  # type: ignore[no-redef]
            line: str

        @dataclass(frozen=True)
        class StepStarted:  # type: ignore[no-redef]
            n: int
            total: int
            text: str

        @dataclass(frozen=True)
        class BuildStarted:  # type: ignore[no-redef]
            target: str | None
            index: int
            count: int

        @dataclass
        class BuildResult:  # type: ignore[no-redef]
            target: str | None
            image_id: str | None = None
            failed: Any = None
            steps: int = 0
            cache_hits: int = 0
            seconds: float = 0.0
            where: str | None = None

            @property
            def ok(self) -> bool:
                return True

        @dataclass(frozen=True)
        class BuildFinished:  # type: ignore[no-redef]
            result: Any

    import dashtam_wizard.tui.app as app_module

    class BenchWizard(WizardApp):
        # CSS paths are relative to the class's module: point at the wizard's own file
        CSS_PATH = [str(Path(app_module.__file__).parent / p) for p in WizardApp.CSS_PATH]

        def __init__(self) -> None:
            super().__init__(repo, docker_probe=False)
            self.probe = Probe(self, total, out, budget)

        def _start_background(self) -> None:
            super()._start_background()
            self.set_timer(0.2, self._go)

        async def _go(self) -> None:
            await self.switch_screen("verify")
            screen = self.verify_screen
            screen.reset()
            if BATCHED:  # the screen takes batches: count the lines of each
                original_many = screen.events

                def counted_many(objs: list[Any]) -> None:
                    original_many(objs)
                    self.probe.line_handled(sum(1 for o in objs if type(o).__name__ == "Output"))

                screen.events = counted_many  # type: ignore[method-assign]
            else:  # one object per message
                original = screen.event

                def counted(obj: Any) -> None:
                    original(obj)
                    if type(obj).__name__ == "Output":
                        self.probe.line_handled()

                screen.event = counted  # type: ignore[method-assign]
            self.probe.start(produce)

        async def on_event(self, event: events.Event) -> None:
            await super().on_event(event)
            if isinstance(event, events.Key):
                self.probe.key_handled(event)

    app = BenchWizard()
    logs = LogFiles(repo)

    def produce() -> None:
        if in_child:  # the backend's way: events made, logged and batched in a child process
            produce_through_a_child()
            return
        # exactly what app.run_verify hands to verify_run.run as `emit`
        if BATCHED:
            emit: Any = verify_run.Batcher(lambda objs: app.post_message(msg.VerifyProgress(objs)))
        else:
            emit = lambda obj: app.post_message(msg.VerifyProgress(obj))  # noqa: E731
        obj: Any = BuildStarted(TARGET, 0, 1)
        logs.open(TARGET)
        emit(obj)
        if not BUFFERED:
            # This StageLog composes its children after mount(): an event that arrives first
            # crashes the screen (NoMatches in StageLog.step). Wait, as a daemon's latency would.
            t_wait = time.perf_counter()

            def mounted() -> bool:
                cur = app.verify_screen.current
                return bool(cur is not None and cur.query(".stage-step"))

            while not app.call_from_thread(mounted):
                time.sleep(0.005)
            app.probe.extra["stage_mount_wait_s"] = time.perf_counter() - t_wait
        stream_lines(total, logs, emit, StepStarted, Output, BuildFinished, BuildResult)
        if BATCHED:
            emit.flush()

    def produce_through_a_child() -> None:
        # what tui/backend.py does with a verify: the child writes the log and batches the
        # events (verify_run.Batcher), each batch one pickled PROGRESS frame on its stdout;
        # the app's reader thread unpickles it and posts one VerifyProgress, as
        # JobsApp.run_verify's progress callback does
        import subprocess

        from dashtam_wizard.tui.backend import PROGRESS, _read

        proc = subprocess.Popen(
            [sys.executable, __file__, "child", str(repo), "-", str(total)],
            stdout=subprocess.PIPE,
        )
        assert proc.stdout is not None
        while (frame := _read(proc.stdout)) is not None:
            if frame[1] == PROGRESS:
                app.post_message(msg.VerifyProgress(frame[2]))
        proc.wait()

    def check_log() -> dict[str, Any]:
        # the saved full log must hold every line, in order (the producer has closed it)
        path = repo / log_path(TARGET)
        lines = [ln for ln in path.read_text().splitlines() if not ln.startswith("Step ")]
        ok = len(lines) == total and all(ln == line_text(i) for i, ln in enumerate(lines))
        return {"log_file": str(path), "log_lines": len(lines), "log_complete": ok}

    app.probe.check_log = check_log
    app.probe.extra.update(batched=BATCHED, buffered=BUFFERED, in_child=in_child)
    app.run()


def child_produce(repo: Path, total: int) -> None:
    """`stream_harness.py child REPO - N`: the backend's side of a verify, on stdout."""
    from dashtam_wizard.events import BuildFinished, BuildResult, BuildStarted, Output, StepStarted
    from dashtam_wizard.tui.backend import PROGRESS, _write
    from dashtam_wizard.tui.verify_run import Batcher, LogFiles

    out = sys.stdout.buffer
    emit = Batcher(lambda objs: _write(out, (1, PROGRESS, objs)))
    logs = LogFiles(repo)
    logs.open(TARGET)
    emit(BuildStarted(TARGET, 0, 1))
    stream_lines(total, logs, emit, StepStarted, Output, BuildFinished, BuildResult)
    emit.flush()


# --- the peer -------------------------------------------------------------------------------


class Lines(Message):
    def __init__(self, lines: list[str]) -> None:
        super().__init__()
        self.lines = lines


class Peer(App[None]):
    """A bare Log(max_lines=400); `batch` lines per message (1 = one message per line)."""

    def __init__(self, out: Path, total: int, budget: float, batch: int) -> None:
        super().__init__()
        self.probe = Probe(self, total, out, budget)
        self.batch = batch

    def compose(self) -> ComposeResult:
        yield Log(max_lines=400)

    def on_mount(self) -> None:
        self.set_timer(0.2, lambda: self.probe.start(self.produce))

    def produce(self) -> None:
        buf: list[str] = []
        for i in range(self.probe.total):
            buf.append(line_text(i))
            if len(buf) >= self.batch:
                self.post_message(Lines(buf))
                buf = []
        if buf:
            self.post_message(Lines(buf))

    def on_lines(self, message: Lines) -> None:
        log = self.query_one(Log)
        if len(message.lines) == 1:
            log.write_line(message.lines[0])
        else:
            log.write_lines(message.lines)
        self.probe.line_handled(len(message.lines))

    async def on_event(self, event: events.Event) -> None:
        await super().on_event(event)
        if isinstance(event, events.Key):
            self.probe.key_handled(event)


def main() -> None:
    mode, repo, out = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    total = int(sys.argv[4]) if len(sys.argv) > 4 else 200_000
    budget = float(sys.argv[5]) if len(sys.argv) > 5 else 30.0
    try:
        if mode == "child":
            child_produce(repo, total)
            return
        if mode in ("wizard", "wizard-backend"):
            run_wizard(repo, out, total, budget, in_child=mode == "wizard-backend")
        elif mode == "peer":
            Peer(out, total, budget, 1).run()
        elif mode == "peer-batched":
            Peer(out, total, budget, 1000).run()
        else:
            raise SystemExit(f"unknown mode {mode}")
    except BaseException:  # noqa: BLE001 - the terminal is the app's; the error goes to a file
        import traceback

        Path(f"{out}.err").write_text(traceback.format_exc())
    os._exit(0)


if __name__ == "__main__":
    main()
