#!/usr/bin/env python3
"""9. Key latency per screen: p50 / p99 of every key a reviewer presses, screen by screen.

The wizard runs in this process under Textual's test driver (headless, 120x40) on the
bundled sample, planned first (a repeat look: the bench's own plan cache). Each key is
handed to the app as the terminal driver does, and timed to two frames (App._display):
the first drawn after it (what the user sees move: "the key answered") and the last one
before the app is quiet (queues empty, no frame for 50 ms: a long diff is drawn after a
placeholder). Keys that change nothing on screen (`home` at the top) are left out.

Each round walks the same path: overview (down, tab) -> checklist (down) -> each phase 1-7
(first visit from the overview by its number, then down x8, tab, split on/off, tab x2
through the preview pane back to the changes, the last change switched and switched
back) -> history -> help -> back -> phase 1 applied, the overview, rolled back. The floor
is the smallest Textual app (one Static, `c` updates it) driven by the same driver in the
same rounds, interleaved. p99 is the highest of the samples when fewer than 100 were taken.

    bench/bench_keys.py [--rounds N] [--show-slow MS]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import sys
import time
from collections import defaultdict
from pathlib import Path

from textual import events

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (  # noqa: E402
    RESULTS,
    Results,
    bench_env,
    fresh_sample,
    interleave,
    med,
    ms,
    require_venv,
    rounds,
    use_bench_pycache,
)

SHOW_SLOW = 0  # --show-slow MS: name each key slower than this (stderr)
TARGET_MS = 100  # the "every key answers within 100 ms with something visible"
SIZE = (120, 40)


def pct(xs: list[float], p: float) -> float:
    s = sorted(xs)
    return s[max(0, math.ceil(p / 100 * len(s)) - 1)]


FRAMES: list[float] = []  # when the app handed each frame to its driver (App._display)


def _count_frames() -> None:
    from textual.app import App

    display = App._display

    def counted(self, screen, renderable) -> None:  # noqa: ANN001
        FRAMES.append(time.perf_counter())
        display(self, screen, renderable)

    App._display = counted  # type: ignore[method-assign]


async def _timed(pilot, key: str) -> tuple[float, float]:  # noqa: ANN001
    """(seen, done): seconds from the key reaching the app (as the terminal driver hands it
    over) to the first frame drawn after it, and to the last one before the app is quiet
    (message queues empty, no frame for 50 ms). Not `Pilot.press`: that waits until the
    process's CPU time stops advancing (up to 1 s), which a busy worker thread never
    allows: it would time the driver, not the key."""
    app = pilot.app
    event = events.Key(key, key if len(key) == 1 else None)
    event.set_sender(app)
    n = len(FRAMES)
    t = time.perf_counter()
    app._driver.send_message(event)
    end = t + 10
    while time.perf_counter() < end:
        await asyncio.sleep(0.001)
        quiet = app._message_queue.empty() and all(
            w._message_queue.empty() for w in app.screen.walk_children(with_self=True)
        )
        last = FRAMES[-1] if len(FRAMES) > n else t
        if quiet and time.perf_counter() - last > 0.05:
            break
    if len(FRAMES) == n:
        return 0.0, 0.0  # nothing to draw (e.g. `home` at the top): nothing to wait for
    return FRAMES[n] - t, FRAMES[-1] - t


async def _until_idle(pilot, timeout: float = 120) -> float:  # noqa: ANN001
    """Seconds until no worker runs (polled every 5 ms)."""
    t = time.perf_counter()
    end = t + timeout
    quiet = 0
    while time.perf_counter() < end:
        await pilot.pause(0.005)
        quiet = 0 if any(w.is_running for w in pilot.app.workers) else quiet + 1
        if quiet >= 2:
            return time.perf_counter() - t
    raise TimeoutError("workers still running")


def wizard_round(repo: Path) -> dict[str, list[tuple[float, float]]]:
    from dashtam_wizard.tui.app import WizardApp

    got: dict[str, list[tuple[float, float]]] = defaultdict(list)

    async def walk() -> None:
        app = WizardApp(repo, docker_probe=False)
        async with app.run_test(size=SIZE) as pilot:
            await _until_idle(pilot)  # planned: the overview is filled in

            async def key(screen: str, k: str, times: int = 1) -> None:
                for _ in range(times):
                    seen, done = await _timed(pilot, k)
                    if SHOW_SLOW and seen * 1000 > SHOW_SLOW:
                        print(f"  slow: {screen} {k!r}: first frame {ms(seen)}", file=sys.stderr)
                    if done:  # a key that changed nothing on screen has nothing to time
                        got[screen].append((seen, done))

            await key("overview", "down", 6)
            await key("overview", "tab", 2)
            await key("overview → checklist", "c")
            await key("checklist", "down", 8)
            for n in range(1, 8):
                await key("any screen → overview", "o")
                await key(f"overview → phase {n}", str(n))
                await _until_idle(pilot)
                await key(f"phase {n}", "down", 8)
                await key(f"phase {n}", "tab")
                await key(f"phase {n}", "d", 2)  # split view on and off again
                await key(f"phase {n}", "tab", 2)  # the preview pane, then the change list
                await key(f"phase {n}", "end")  # phase 2's first, `create compose/`, is needed
                await key(f"phase {n}", "space", 2)  # switch the last change, then back
                await _until_idle(pilot)
            await key("any screen → history", "h")
            await key("history", "down", 4)
            await key("any screen → help", "question_mark")
            await key("help", "down", 4)
            await key("help", "escape")
            # the "`o` after an apply": phase 1 applied, the overview shown with the
            # re-planned state, then rolled back so every round starts from the same repo
            await key("any screen → phase 1", "1")
            await key("apply dialog", "a")
            await key("apply (y)", "y")
            await _until_idle(pilot)
            await key("after an apply → overview", "o")
            await _until_idle(pilot)
            await key("rollback dialog", "ctrl+z")
            await key("rollback (y)", "y")
            await _until_idle(pilot)

    asyncio.run(walk())
    return got


def minimal_round(n: int) -> list[float]:
    from minimal_textual import Minimal

    out: list[float] = []

    async def walk() -> None:
        async with Minimal().run_test(size=SIZE) as pilot:
            await pilot.pause()
            for _ in range(n):
                out.append((await _timed(pilot, "c"))[0])

    asyncio.run(walk())
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--show-slow", type=int, default=0, metavar="MS")
    args = ap.parse_args()
    global SHOW_SLOW
    SHOW_SLOW = args.show_slow
    require_venv()
    os.environ.update(bench_env(XDG_CONFIG_HOME=str(RESULTS / "work" / "keys-config")))
    use_bench_pycache()
    _count_frames()
    res = Results("keys", "9. Key latency per screen (Textual driver, 120x40, sample planned)")
    repo = fresh_sample(RESULTS / "work" / "keys-sample")
    per_screen: dict[str, list[tuple[float, float]]] = defaultdict(list)
    floor: list[float] = []

    def wizard() -> float:
        for screen, xs in wizard_round(repo).items():
            per_screen[screen].append(xs)
        return 0.0

    def minimal() -> float:
        floor.append(minimal_round(40))
        return 0.0

    interleave({"wizard": wizard, "minimal": minimal}, rounds(args.rounds), warmup=1)
    # the warm-up round (the first of each list) is dropped
    samples = {k: [x for r in v[1:] for x in r] for k, v in per_screen.items()}
    floor_s = [x for r in floor[1:] for x in r]
    f50 = med(floor_s)
    res.row("floor: one Static updated by a key", f"p50 {ms(f50)} / p99 {ms(pct(floor_s, 99))}")
    worst = ("", 0.0)
    for screen, xs in samples.items():
        if not xs:
            continue
        seen, done = [a for a, _ in xs], [b for _, b in xs]
        p99 = pct(seen, 99)
        worst = max(worst, (screen, p99), key=lambda w: w[1])
        res.row(
            screen,
            f"first frame p50 {ms(med(seen))} / p99 {ms(p99)}; drawn in full p50 "
            f"{ms(med(done))} / p99 {ms(pct(done, 99))}",
            f"floor p50 {ms(f50)}",
            med(seen) / f50,
            note=f"{len(xs)} keys",
        )
    res.row(
        "slowest first frame (p99 of the slowest screen)",
        f"{ms(worst[1])} ({worst[0]})",
        f"{TARGET_MS} ms",
        worst[1] * 1000 / TARGET_MS,
        1.0,
    )
    res.save()
    return 0


if __name__ == "__main__":
    sys.exit(main())
