#!/usr/bin/env python3
"""3. TUI start: launch to the overview painted with its content and answering a key.

Every app is started the same way: in a private tmux server (120x40), timing from the
`tmux new-session` call, polling `capture-pane` every 10 ms until the screen shows:
  frame     wizard: the overview's layout (the "Current State" pane title), content or not
  painted   wizard: the overview a user reads, all of it: both trees drawn (the repo's
            folder at the top of each pane, no "reading the repo…"/"planning…" left), the
            Current State verdict (❌/✅), the Problems list and the Status box's
            "Pending: N change(s)". The minimal app: its Static's text.
  key       then `c` is sent; wizard: the checklist screen with the plan's "N/M done";
            minimal: the Static's new text. painted + key answered = "accepting keys".
Runs (rounds alternate them; the bench cache of .pyc files is used by all):
  minimal   bench/minimal_textual.py, one Static
  wizard    the wizard on the sample, launched again: a repeat look at an unchanged repo,
            whose state the TUI's state cache (tui/statecache.py) and the plan cache have
  cold      the same with DASHTAM_WIZARD_NO_CACHE=1: no cache, every phase planned (in the
            backend process), as on the first look at a repo or after any edit
  cold-key  cold, with `c` sent as soon as the first frame shows, while the repo is still
            being planned: how fast keys are answered during planning

    bench/bench_tui.py [--rounds N] [--wizard-from DIR]

--wizard-from DIR runs the wizard's code from another checkout (PYTHONPATH=DIR), e.g. a
`git archive` of an older commit, to measure a before/after under the same conditions.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
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
Check = str | Callable[[str], bool]  # a regex searched in the screen, or a predicate


class Tmux:
    """A private tmux server (its own socket): nothing of the user's tmux is touched."""

    def __init__(self) -> None:
        self.sock = f"dw-bench-{os.getpid()}"
        self.n = 0
        self.env = bench_env()
        self.tmux("new-session", "-d", "-s", "idle", *SIZE, "sleep 3600")

    def tmux(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["tmux", "-L", self.sock, *args], capture_output=True, text=True, env=self.env
        )

    def screen(self, name: str) -> str | None:
        r = self.tmux("capture-pane", "-p", "-t", name)
        return r.stdout if r.returncode == 0 else None

    def wait(self, name: str, check: Check, timeout: float = 60) -> float | None:
        ok = re.compile(check).search if isinstance(check, str) else check
        end = time.perf_counter() + timeout
        while time.perf_counter() < end:
            text = self.screen(name)
            if text is None:
                return None  # the app exited
            if ok(text):
                return time.perf_counter()
            time.sleep(0.01)
        return None

    def run_app(
        self,
        cmd: str,
        painted: Check,
        key_ok: Check,
        frame: Check | None = None,
        key_at_frame: bool = False,
        env: str = "",
    ) -> dict[str, float]:
        """Launch `cmd`; seconds from launch to `frame` (if given) and `painted`, and from
        sending `c` (once painted, or once framed with `key_at_frame`) to `key_ok`."""
        self.n += 1
        name = f"run{self.n}"
        prefix = f"env -u PYTHONDONTWRITEBYTECODE PYTHONPYCACHEPREFIX={PYCACHE} {env} "
        t0 = time.perf_counter()
        self.tmux("new-session", "-d", "-s", name, *SIZE, prefix + cmd)
        out: dict[str, float] = {}
        try:
            if frame is not None:
                t_frame = self.wait(name, frame)
                if t_frame is None:
                    raise RuntimeError(f"{cmd}: never showed its first frame:\n{self.screen(name)}")
                out["frame"] = t_frame - t0
            if not key_at_frame:
                t_paint = self.wait(name, painted)
                if t_paint is None:
                    raise RuntimeError(f"{cmd}: never painted:\n{self.screen(name)}")
                out["painted"] = t_paint - t0
            t_k = time.perf_counter()
            self.tmux("send-keys", "-t", name, "c")
            t_key = self.wait(name, key_ok)
            if t_key is None:
                raise RuntimeError(f"{cmd}: did not answer the key:\n{self.screen(name)}")
            out["latency"] = t_key - t_k
            out["ready"] = t_key - t0
            return out
        finally:
            self.tmux("send-keys", "-t", name, "C-q")
            time.sleep(0.05)
            self.tmux("kill-session", "-t", name)

    def close(self) -> None:
        self.tmux("kill-server")
        sock = Path(os.environ.get("TMUX_TMPDIR") or "/tmp") / f"tmux-{os.getuid()}" / self.sock
        sock.unlink(missing_ok=True)  # kill-server leaves the socket file behind


def overview_painted(repo_name: str) -> Callable[[str], bool]:
    """The overview's content is on screen, not only its frame (see the module docstring)."""
    verdict = re.compile(r"Current State [❌✅]")
    pending = re.compile(r"Pending: \d+ change")

    def check(text: str) -> bool:
        return (
            text.count(f"│ {repo_name}/") >= 2  # the root line of both trees
            and "reading the repo…" not in text
            and "planning…" not in text
            and bool(verdict.search(text))
            and "No non-root user in dev/test" in text  # the Problems list
            and bool(pending.search(text))
        )

    return check


def import_times(n: int) -> dict[str, float]:
    """Import cost alone: the wizard's TUI modules vs what the minimal app imports."""
    env = bench_env()

    def imp(stmt: str) -> float:
        code = f"import time; t = time.perf_counter(); {stmt}; print(time.perf_counter() - t)"
        return float(
            subprocess.run(
                [str(PY), "-c", code], capture_output=True, text=True, env=env, check=True
            ).stdout
        )

    s = interleave(
        {
            "wizard": lambda: imp("import dashtam_wizard.cli, dashtam_wizard.tui.wizard"),
            "minimal": lambda: imp("import textual.app, textual.widgets; textual.widgets.Static"),
        },
        n,
    )
    return {k: med(v) for k, v in s.items()}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument(
        "--wizard-from", type=Path, metavar="DIR", help="the wizard's code from this checkout"
    )
    args = ap.parse_args()
    require_venv()
    res = Results("tui", "3. TUI start (tmux, launch → overview content painted → key answered)")
    if not (REPO / "dashtam_wizard" / "tui" / "app.py").exists():
        res.skip("TUI start", "dashtam_wizard/tui/app.py does not exist yet")
        res.save()
        return 0
    if shutil.which("tmux") is None:
        res.skip("TUI start", "tmux is not installed (apt-get install tmux)")
        res.save()
        return 0
    sample = fresh_sample(RESULTS / "work" / "tui-sample")
    painted = overview_painted(sample.name)
    checklist = r"Migration Checklist +\d+/\d+ done"
    wizard = f"{WIZARD} {sample}"
    if args.wizard_from:
        wizard = f"env PYTHONPATH={args.wizard_from.resolve()} {wizard}"
        res.note(f"wizard code from {args.wizard_from}")
    cold = "DASHTAM_WIZARD_NO_CACHE=1"
    tm = Tmux()
    n = rounds(args.rounds)
    samples: dict[str, list[dict[str, float]]] = {
        "wizard": [],
        "cold": [],
        "cold-key": [],
        "minimal": [],
    }
    runs = {
        "wizard": lambda: tm.run_app(wizard, painted, checklist, frame=r"Current State"),
        "cold": lambda: tm.run_app(wizard, painted, checklist, frame=r"Current State", env=cold),
        "cold-key": lambda: tm.run_app(
            wizard,
            painted,
            r"Migration Checklist",
            frame=r"Current State",
            key_at_frame=True,
            env=cold,
        ),
        "minimal": lambda: tm.run_app(
            f"{PY} {BENCH / 'minimal_textual.py'}", r"bench-minimal-ready", r"bench-minimal-key-ok"
        ),
    }
    try:
        interleave(
            {k: (lambda k=k: samples[k].append(runs[k]()) or 0.0) for k in runs}, n, warmup=1
        )
    finally:
        tm.close()
    got = {k: v[1:] for k, v in samples.items()}  # the warm-up round is dropped

    def m(run: str, key: str) -> float:
        return med([s[key] for s in got[run]])

    def sp(run: str, key: str) -> str:
        return spread([s[key] for s in got[run]])

    mp, mr = m("minimal", "painted"), m("minimal", "ready")
    res.row(
        "launch → overview painted (content), repeat launch",
        ms(m("wizard", "painted")),
        f"minimal app {ms(mp)}",
        m("wizard", "painted") / mp,
        TARGET,
        note=f"{n} rounds; wizard {sp('wizard', 'painted')}, minimal {sp('minimal', 'painted')}; "
        "painted = trees, problems and status drawn; state from the state cache",
    )
    res.row(
        "launch → painted and key answered, repeat launch",
        ms(m("wizard", "ready")),
        f"minimal app {ms(mr)}",
        m("wizard", "ready") / mr,
        TARGET,
        note="`c` sent as soon as painted; answered = checklist screen with its N/M done",
    )
    res.row(
        "key latency right after the overview is painted",
        ms(m("wizard", "latency")),
        f"minimal app {ms(m('minimal', 'latency'))}",
        m("wizard", "latency") / m("minimal", "latency"),
        note="first visit of the checklist screen: composed on demand",
    )
    res.row(
        "launch → overview painted (content), cold",
        ms(m("cold", "painted")),
        f"minimal app {ms(mp)}",
        m("cold", "painted") / mp,
        TARGET,
        note=f"DASHTAM_WIZARD_NO_CACHE=1: all seven phases planned (first look at a repo, or after an edit); "
        f"cold {sp('cold', 'painted')}",
    )
    res.row(
        "launch → first frame (layout, content still coming), cold",
        ms(m("cold", "frame")),
        f"minimal app {ms(mp)}",
        m("cold", "frame") / mp,
        note="what the previous version of this benchmark called painted",
    )
    res.row(
        "key latency while the repo is planned (cold, `c` at first frame)",
        ms(m("cold-key", "latency")),
        f"minimal app {ms(m('minimal', 'latency'))}",
        m("cold-key", "latency") / m("minimal", "latency"),
        note="planning runs in the backend process: the UI keeps its GIL",
    )
    it = import_times(n)
    res.row(
        "import cost: cli + tui.wizard",
        ms(it["wizard"]),
        f"textual.app + widgets {ms(it['minimal'])}",
        it["wizard"] / it["minimal"],
        note="in-process import time of the UI process, part of the paint figures",
    )
    res.save()
    return 0


if __name__ == "__main__":
    sys.exit(main())
