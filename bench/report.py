#!/usr/bin/env python3
"""Turn bench/results/*.json into the Markdown the README's "Performance" section pastes.

bench/report.py [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULTS, machine  # noqa: E402

ORDER = ("plan", "scale", "tui", "stream", "verify", "apply", "layers", "gate", "keys")


def cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def verdict(row: dict) -> str:
    if row["target"] is None:
        return ""
    sign = "≥" if row.get("higher") else "≤"
    return f"{sign} {row['target']:g} {'✅' if row['met'] else '❌'}"


def render() -> str:
    docs = []
    for name in ORDER:
        p = RESULTS / f"{name}.json"
        if p.exists():
            docs.append(json.loads(p.read_text()))
    when = max((d["when"] for d in docs), default="never")
    out = [
        f"Measured by `bench/run` ({when}; {docs[0]['machine'] if docs else machine()}). Each figure is the median of "
        "interleaved runs; each ratio compares two figures measured in the same run. Python bytecode caches "
        "were warm for every process (PYTHONPYCACHEPREFIX=bench/results/pycache, filled before timing).",
        "",
        "| # | Measure | Value | Reference (same run) | Ratio | Target |",
        "|---|---|---|---|---|---|",
    ]
    details: list[str] = []
    for d in docs:
        num = d["title"].split(".", 1)[0]
        for r in d["rows"]:
            ratio = "" if r["ratio"] is None else f"{r['ratio']:.2f}"
            value = r["value"] if r["value"] != "skipped" else "skipped"
            out.append(
                f"| {num} | {cell(r['metric'])} | {cell(value)} | {cell(r['ref'])} | {ratio} | {verdict(r)} |"
            )
            if r["note"]:
                details.append(f"- {num}. {cell(r['metric'])}: {r['note']}")
        for n in d["notes"]:
            details.append(f"- {num}. {n}")
    missing = [n for n in ORDER if not (RESULTS / f"{n}.json").exists()]
    if missing:
        details.append("- not run: " + ", ".join(missing))
    return "\n".join(out + ["", "Details:", "", *details, ""])


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    text = render()
    if args.out:
        args.out.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
