#!/usr/bin/env python3
"""3. TUI start: launch to overview painted and answering a key, vs a minimal Textual app.

Both apps are started the same way: in a private tmux server (120x40), timing from the
`tmux new-session` call, polling `capture-pane` every 10 ms for a known string:
  painted   wizard: "Current State" (the overview's tree pane); minimal: its Static's text
  key       then `c` is sent; wizard: "Migration Checklist" (the checklist screen);
            minimal: the Static's new text. painted + key answered = "accepting keys".
  plan      wizard only: the checklist's "N/M done", i.e. the plan loaded in its worker.
Rounds alternate the two apps. The bench cache of .pyc files is used by both.

    bench/bench_tui.py [--rounds N]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (  # noqa: E402
    BENCH,
    PY,
    PYCACHE,
    REPO,
    RESULTS,
    WIZARD,
    Results,
    bench_env,
    fresh_sample,
    interleave,
    med,
    ms,
    require_venv,
    rounds,
    spread,
)

TARGET = 1.5
SIZE = ("-x", "120", "-y", "40")


class Tmux:
    """A private tmux server (its own socket): nothing of the user's tmux is touched."""

    def __init__(self) -> None:
        self.sock = f"dw-bench-{os.getpid()}"
        self.n = 0
        self.env = bench_env()
        self.tmux("new-session", "-d", "-s", "idle", *SIZE, "sleep 3600")

    def tmux(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["tmux", "-L", self.sock, *args], capture_output=True, text=True, env=self.env)

    def screen(self, name: str) -> str | None:
        r = self.tmux("capture-pane", "-p", "-t", name)
        return r.stdout if r.returncode == 0 else None

    def wait(self, name: str, pattern: str, timeout: float = 60) -> float | None:
        rx = re.compile(pattern)
        end = time.perf_counter() + timeout
        while time.perf_counter() < end:
            text = self.screen(name)
            if text is None:
                return None  # the app exited
            if rx.search(text):
                return time.perf_counter()
            time.sleep(0.01)
        return None

    def run_app(self, cmd: str, painted: str, key_ok: str, loaded: str | None) -> dict[str, float]:
        self.n += 1
        name = f"run{self.n}"
        env = f"env -u PYTHONDONTWRITEBYTECODE PYTHONPYCACHEPREFIX={PYCACHE} "
        t0 = time.perf_counter()
        self.tmux("new-session", "-d", "-s", name, *SIZE, env + cmd)
        try:
            t_paint = self.wait(name, painted)
            if t_paint is None:
                raise RuntimeError(f"{cmd}: never showed {painted!r}:\n{self.screen(name)}")
            t_k = time.perf_counter()
            self.tmux("send-keys", "-t", name, "c")
            t_key = self.wait(name, key_ok)
            if t_key is None:
                raise RuntimeError(f"{cmd}: did not answer the key:\n{self.screen(name)}")
            out = {"painted": t_paint - t0, "latency": t_key - t_k, "ready": t_key - t0}
            if loaded:
                t_l = self.wait(name, loaded)
                out["loaded"] = (t_l - t0) if t_l else float("nan")
            return out
        finally:
            self.tmux("send-keys", "-t", name, "C-q")
            time.sleep(0.05)
            self.tmux("kill-session", "-t", name)

    def close(self) -> None:
        self.tmux("kill-server")
        sock = Path(os.environ.get("TMUX_TMPDIR") or "/tmp") / f"tmux-{os.getuid()}" / self.sock
        sock.unlink(missing_ok=True)  # kill-server leaves the socket file behind


def import_times(n: int) -> dict[str, float]:
    """Import cost alone: the wizard's TUI module vs what the minimal app imports."""
    env = bench_env()

    def imp(stmt: str) -> float:
        code = f"import time; t = time.perf_counter(); {stmt}; print(time.perf_counter() - t)"
        return float(subprocess.run([str(PY), "-c", code], capture_output=True, text=True, env=env,
                                    check=True).stdout)

    s = interleave({"wizard": lambda: imp("import dashtam_wizard.cli, dashtam_wizard.tui.app"),
                    "minimal": lambda: imp("import textual.app, textual.widgets; textual.widgets.Static")}, n)
    return {k: med(v) for k, v in s.items()}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    require_venv()
    res = Results("tui", "3. TUI start (tmux, launch → painted → key answered)")
    if not (REPO / "dashtam_wizard" / "tui" / "app.py").exists():
        res.skip("TUI start", "dashtam_wizard/tui/app.py does not exist yet")
        res.save()
        return 0
    if shutil.which("tmux") is None:
        res.skip("TUI start", "tmux is not installed (apt-get install tmux)")
        res.save()
        return 0
    sample = fresh_sample(RESULTS / "work" / "tui-sample")
    tm = Tmux()
    n = rounds(args.rounds)
    samples: dict[str, list[dict[str, float]]] = {"wizard": [], "minimal": []}
    try:
        jobs = {
            "wizard": lambda: samples["wizard"].append(tm.run_app(
                f"{WIZARD} {sample}", r"Current State", r"Migration Checklist", r"\d+/\d+ done")) or 0.0,
            "minimal": lambda: samples["minimal"].append(tm.run_app(
                f"{PY} {BENCH / 'minimal_textual.py'}", r"bench-minimal-ready", r"bench-minimal-key-ok",
                None)) or 0.0,
        }
        interleave(jobs, n, warmup=1)
    finally:
        tm.close()
    w = {k: med([s[k] for s in samples["wizard"][1:]]) for k in samples["wizard"][0]}
    m = {k: med([s[k] for s in samples["minimal"][1:]]) for k in samples["minimal"][0]}
    wp = [s["painted"] for s in samples["wizard"][1:]]
    mp = [s["painted"] for s in samples["minimal"][1:]]
    res.row("launch → overview painted", ms(w["painted"]), f"minimal app {ms(m['painted'])}",
            w["painted"] / m["painted"], TARGET, note=f"{n} rounds; wizard {spread(wp)}, minimal {spread(mp)}")
    res.row("launch → painted and key answered", ms(w["ready"]), f"minimal app {ms(m['ready'])}",
            w["ready"] / m["ready"], TARGET, note="`c` sent as soon as painted; answered = next screen drawn")
    res.row("key latency right after first paint", ms(w["latency"]), f"minimal app {ms(m['latency'])}",
            w["latency"] / m["latency"], note="wizard: switch to the checklist screen while the plan loads")
    res.row("launch → plan loaded and shown", ms(w["loaded"]), f"minimal paint {ms(m['painted'])}",
            w["loaded"] / m["painted"], note="planning runs in a worker thread after the first paint")
    it = import_times(n)
    res.row("import cost: cli + tui.app", ms(it["wizard"]), f"textual.app + widgets {ms(it['minimal'])}",
            it["wizard"] / it["minimal"], note="in-process import time, part of the paint figures")
    res.save()
    return 0


if __name__ == "__main__":
    sys.exit(main())
