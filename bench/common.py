"""Shared helpers for the benchmark scripts in bench/ (stdlib only, no project imports).

Every figure is a median of several runs, and every ratio compares two figures measured
in the same run, interleaved round by round (A, B, A, B, ...), so a noisy neighbour slows
both sides alike. Each script prints its figures and writes bench/results/<name>.json;
`bench/report.py` turns those into the Markdown table `bench/run` prints.

Bytecode: this machine sets PYTHONDONTWRITEBYTECODE=1 and `uv sync` does not compile the
editable project, so an unprepared run would re-compile every module on every start and
measure the compiler. Every subprocess here runs with PYTHONPYCACHEPREFIX pointing at
bench/results/pycache (written on the first, discarded warm-up run of each command) and
without PYTHONDONTWRITEBYTECODE: timed runs always find warm .pyc files, for the
wizard and for the references alike.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
RESULTS = BENCH / "results"
PYCACHE = RESULTS / "pycache"
VENV = REPO / ".venv"
PY = VENV / "bin" / "python"
WIZARD = VENV / "bin" / "dashtam-wizard"
COMPOSE_WRAPPER = VENV / "bin" / "docker-compose"
SITE = next((VENV / "lib").glob("python3*/site-packages"), VENV / "lib")
COMPOSE_BIN = SITE / "compose" / "docker-compose"  # the Go binary the pip wrapper execs

QUICK = os.environ.get("BENCH_QUICK") == "1"  # fewer rounds, for trying the scripts out


def bench_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    env["DASHTAM_WIZARD_CACHE_DIR"] = str(RESULTS / "plancache")  # the bench's own plan cache
    env.pop("VIRTUAL_ENV", None)
    env.update(extra)
    return env


def use_bench_pycache() -> None:
    """For in-process benchmarks: import with the same warm bytecode cache as subprocesses.

    Only effective before the imports it should speed up; `bench/run` also exports it.
    """
    sys.pycache_prefix = str(PYCACHE)
    sys.dont_write_bytecode = False


def rounds(n: int) -> int:
    return max(3, n // 3) if QUICK else n


def timed(
    cmd: Sequence[str | os.PathLike],
    cwd: Path | None = None,
    env: dict | None = None,
    check: bool = True,
) -> tuple[float, float]:
    """(wall seconds from spawn to exit, CPU seconds user+sys) of a real process and its children.

    Output goes to /dev/null. CPU time is far less sensitive than wall time to other load
    on a small shared machine, so the benchmarks report it next to wall time.
    """
    t = time.perf_counter()
    p = subprocess.Popen(
        [str(c) for c in cmd],
        cwd=cwd,
        env=env or bench_env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _pid, status, ru = os.wait4(p.pid, 0)
    dt = time.perf_counter() - t
    p.returncode = os.waitstatus_to_exitcode(status)
    if check and p.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))} exited {p.returncode}")
    # rusage of wait4 covers the process and the descendants it waited for
    return dt, ru.ru_utime + ru.ru_stime


def wall(
    cmd: Sequence[str | os.PathLike],
    cwd: Path | None = None,
    env: dict | None = None,
    check: bool = True,
) -> float:
    """Seconds from spawn to exit of a real process (stdout and stderr to /dev/null)."""
    return timed(cmd, cwd, env, check)[0]


def interleave(jobs: dict[str, Callable[[], Any]], n: int, warmup: int = 1) -> dict[str, list[Any]]:
    """Run every job once per round, rotating the order each round; returns the samples."""
    names = list(jobs)
    for _ in range(warmup):
        for name in names:
            jobs[name]()
    out: dict[str, list[Any]] = {k: [] for k in names}
    for i in range(n):
        order = names[i % len(names) :] + names[: i % len(names)]
        for name in order:
            out[name].append(jobs[name]())
    return out


def med(xs: Sequence[float]) -> float:
    return statistics.median(xs)


def spread(xs: Sequence[float]) -> str:
    """`min–max` of the samples, to show how noisy a figure was."""
    return f"{min(xs) * 1000:.0f}–{max(xs) * 1000:.0f} ms"


def ms(s: float) -> str:
    return f"{s * 1000:.0f} ms" if s < 10 else f"{s:.1f} s"


class Results:
    """Rows of one benchmark script; printed as they come and saved as JSON at the end."""

    def __init__(self, name: str, title: str) -> None:
        self.name, self.title = name, title
        self.rows: list[dict] = []
        self.notes: list[str] = []
        print(f"== {title}", flush=True)

    def row(
        self,
        metric: str,
        value: str,
        ref: str = "",
        ratio: float | None = None,
        target: float | None = None,
        note: str = "",
        higher_is_better: bool = False,
    ) -> None:
        met = None
        if ratio is not None and target is not None:
            met = ratio >= target if higher_is_better else ratio <= target
        self.rows.append(
            {
                "metric": metric,
                "value": value,
                "ref": ref,
                "ratio": ratio,
                "target": target,
                "met": met,
                "note": note,
                "higher": higher_is_better,
            }
        )
        r = f"  ratio {ratio:.2f}" if ratio is not None else ""
        t = ""
        if target is not None:
            t = f" (target {'≥' if higher_is_better else '≤'} {target:g}: {'met' if met else 'MISSED'})"
        print(
            f"  {metric}: {value}"
            + (f"  vs {ref}" if ref else "")
            + r
            + t
            + (f"  — {note}" if note else ""),
            flush=True,
        )

    def skip(self, metric: str, why: str) -> None:
        self.rows.append(
            {
                "metric": metric,
                "value": "skipped",
                "ref": "",
                "ratio": None,
                "target": None,
                "met": None,
                "note": why,
                "higher": False,
            }
        )
        print(f"  {metric}: SKIPPED — {why}", flush=True)

    def note(self, text: str) -> None:
        self.notes.append(text)
        print(f"  note: {text}", flush=True)

    def save(self) -> Path:
        RESULTS.mkdir(parents=True, exist_ok=True)
        path = RESULTS / f"{self.name}.json"
        path.write_text(
            json.dumps(
                {
                    "name": self.name,
                    "title": self.title,
                    "rows": self.rows,
                    "notes": self.notes,
                    "when": time.strftime("%Y-%m-%d %H:%M:%S"),
                    "machine": machine(),
                },
                indent=2,
            )
        )
        return path


def machine() -> str:
    try:
        load = os.getloadavg()[0]
    except OSError:
        load = float("nan")
    return (
        f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} cores, "
        f"load {load:.2f}"
    )


def fresh_sample(dest: Path) -> Path:
    """`dashtam-wizard demo DEST`: the bundled sample as a fresh git repo."""
    if dest.exists():
        shutil.rmtree(dest)
    subprocess.run(
        [str(WIZARD), "demo", str(dest)],
        check=True,
        env=bench_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    return dest


def require_venv() -> None:
    if not WIZARD.exists():
        sys.exit(f"bench: {WIZARD} missing: run `uv sync` first (bench/run does)")
