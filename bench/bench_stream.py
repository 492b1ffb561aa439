#!/usr/bin/env python3
"""4. Streaming: 200,000 build lines into the Verify screen as fast as possible.

Runs bench/stream_harness.py in a real terminal (a private tmux server, 120x40) four ways:
  wizard-backend  the wizard's Verify screen, fed as the backend process feeds it: a child
                process writes the full log and batches the events, one pickled frame per
                batch, unpickled by a reader thread that posts one VerifyProgress each
  wizard        the same screen fed from a thread of the UI process (full log file +
                batches), as verify ran before it moved to the backend
  peer          a bare Textual Log(max_lines=400), one message per line (same pattern)
  peer-batched  the same Log, 1,000 lines per message (what batching gives)
Figures: lines rendered per second, RSS high-water, latency of a key pressed every 50 ms
while streaming (p50/p99; keys still unanswered at the end count with their age), and
whether the saved full log holds every line. A run stops once everything is on screen or
BUDGET seconds after the stream started (the rest of the backlog is estimated).

    bench/bench_stream.py [--lines N] [--budget S]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_tui import Tmux  # noqa: E402
from common import BENCH, PY, PYCACHE, REPO, RESULTS, Results, fresh_sample, require_venv  # noqa: E402


def run_mode(tm: Tmux, mode: str, repo: Path, lines: int, budget: float) -> dict:
    out = RESULTS / f"stream-{mode}.json"
    err = Path(f"{out}.err")
    for p in (out, err):
        p.unlink(missing_ok=True)
    tm.n += 1
    name = f"stream{tm.n}"
    env = f"env -u PYTHONDONTWRITEBYTECODE PYTHONPYCACHEPREFIX={PYCACHE} "
    tm.tmux(
        "new-session",
        "-d",
        "-s",
        name,
        "-x",
        "120",
        "-y",
        "40",
        env + f"{PY} {BENCH / 'stream_harness.py'} {mode} {repo} {out} {lines} {budget}",
    )
    end = time.time() + budget + 240
    while time.time() < end:
        if out.exists() and out.stat().st_size:
            time.sleep(0.2)
            break
        if err.exists() or tm.tmux("has-session", "-t", name).returncode != 0:
            break
        time.sleep(0.25)
    tm.tmux("kill-session", "-t", name)
    if err.exists():
        raise RuntimeError(f"{mode}: {err.read_text()}")
    if not out.exists():
        raise RuntimeError(f"{mode}: the harness wrote no result")
    return json.loads(out.read_text())


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--lines", type=int, default=200_000)
    ap.add_argument("--budget", type=float, default=20.0)
    args = ap.parse_args()
    require_venv()
    res = Results("stream", f"4. streaming {args.lines:,} build lines into the Verify screen")
    screen = REPO / "dashtam_wizard" / "tui" / "screens" / "verify.py"
    if not screen.exists():
        res.skip("streaming", "dashtam_wizard/tui/screens/verify.py does not exist yet")
        res.save()
        return 0
    if shutil.which("tmux") is None:
        res.skip("streaming", "tmux is not installed")
        res.save()
        return 0
    repo = fresh_sample(RESULTS / "work" / "stream-sample")
    backend = REPO / "dashtam_wizard" / "tui" / "backend.py"
    # a checkout whose verify runs in the backend process streams its events from there
    in_child = backend.exists() and "PROGRESS" in backend.read_text()
    modes = (
        ("wizard-backend", "wizard", "peer", "peer-batched")
        if in_child
        else ("wizard", "peer", "peer-batched")
    )
    tm = Tmux()
    try:
        r = {m: run_mode(tm, m, repo, args.lines, args.budget) for m in modes}
    finally:
        tm.close()
    w = r["wizard-backend"] if in_child else r["wizard"]
    batched = bool(w.get("batched"))
    # the peer with the same message pattern as this checkout's wizard gives the ratio
    p, o = (r["peer-batched"], r["peer"]) if batched else (r["peer"], r["peer-batched"])
    pname = "Log, 1,000 lines/msg" if batched else "Log, 1 msg/line"
    oname = "Log, 1 msg/line" if batched else "Log, 1,000 lines/msg"
    how = "batched (verify_run.Batcher, ≤ 50 ms per message)" if batched else "one message per line"

    def done(x: dict) -> str:
        return (
            "all on screen"
            if x["finished"]
            else f"{x['lines_rendered']:,} on screen after {x['seconds']:.0f} s, backlog ≈ "
            f"{x['backlog_drain_estimate_s']:.0f} s more"
        )

    def lat(x: float) -> str:
        return f"{x * 1000:.0f} ms" if x < 1 else f"{x:.1f} s"

    res.row(
        "lines rendered per second",
        f"{w['lines_per_s']:,.0f}/s",
        f"{pname} {p['lines_per_s']:,.0f}/s",
        w["lines_per_s"] / p["lines_per_s"],
        note=f"wizard feeds the screen {how}: {done(w)}; {oname}: {o['lines_per_s']:,.0f}/s",
        higher_is_better=True,
    )
    res.row(
        "memory high-water (RSS)",
        f"{w['rss_peak_mb']:.0f} MB",
        f"{pname} {p['rss_peak_mb']:.0f} MB",
        w["rss_peak_mb"] / p["rss_peak_mb"],
        note=f"wizard before the stream {w['rss_before_mb']:.0f} MB; {oname} {o['rss_peak_mb']:.0f} MB; "
        "growth = messages queued and not yet handled",
    )
    res.row(
        "key latency p50 while streaming",
        lat(w["key_p50"]),
        f"{pname} {lat(p['key_p50'])}",
        w["key_p50"] / p["key_p50"],
        note=f"{oname} {lat(o['key_p50'])}; keys sent {w['keys_sent']}, "
        f"answered {w['keys_answered']} (the rest counted with their age)",
    )
    res.row(
        "key latency p99 while streaming",
        lat(w["key_p99"]),
        f"{pname} {lat(p['key_p99'])}",
        w["key_p99"] / p["key_p99"],
        note=f"{oname} {lat(o['key_p99'])}",
    )
    if in_child:
        t = r["wizard"]
        for q in ("p50", "p99"):
            res.row(
                f"key latency {q} while streaming: verify in the backend vs in the UI process",
                lat(w[f"key_{q}"]),
                f"in the UI process {lat(t[f'key_{q}'])}",
                w[f"key_{q}"] / t[f"key_{q}"],
                note="the same events; in the backend process the log writes and batching "
                f"leave the UI's GIL (lines/s {w['lines_per_s']:,.0f} vs {t['lines_per_s']:,.0f})",
            )
    complete = bool(w.get("log_complete"))
    res.row(
        "saved full log has every line",
        "yes" if complete else "NO",
        f"{w.get('log_lines', 0):,} of {args.lines:,} lines in order",
        note=w.get("log_file", "").replace(str(repo), "<sample>"),
    )
    if "stage_mount_wait_s" in w:
        res.note(
            f"the harness waited {w['stage_mount_wait_s'] * 1000:.0f} ms after BuildStarted for the StageLog "
            "to compose: in this checkout an Output/StepStarted that arrives before that crashes the screen "
            "(NoMatches in StageLog.step)"
        )
    else:
        res.note(
            "lines were sent right after BuildStarted (no wait): this checkout's StageLog keeps what "
            "arrives before it is mounted"
        )
    res.save()
    return 0 if complete else 1


if __name__ == "__main__":
    sys.exit(main())
