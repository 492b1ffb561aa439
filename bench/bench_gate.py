#!/usr/bin/env python3
"""8. The equivalence gate: what it adds to `apply`, on the sample and on the 50x repo.

In-process, with the function both front ends call before an apply writes anything
(`judge.check.check_plan`: the baseline and the planned tree written to scratch
folders, every distinct Compose call resolved on both, and on a fresh clone's view of
both, in parallel). Measured with the Compose binary, and with the wizard's own Compose
model (`own=True`: what `plan` judges with, and `apply` when there is no Compose CLI).
Reference in the same run, interleaved: one `config --format json` per distinct
call of the repo, run one after another — the cost the issue allows the gate on 2 cores.

    bench/bench_gate.py [--sizes 1,50] [--rounds N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (  # noqa: E402
    RESULTS,
    Results,
    fresh_sample,
    interleave,
    med,
    ms,
    require_venv,
    rounds,
    use_bench_pycache,
)

use_bench_pycache()

from gen_scale import generate  # noqa: E402

from dashtam_wizard.core.changes import apply_virtual  # noqa: E402
from dashtam_wizard.core.context import Options, chosen  # noqa: E402
from dashtam_wizard.core.gate import pairs  # noqa: E402
from dashtam_wizard.core.snapshot import read_tree  # noqa: E402
from dashtam_wizard.judge import binary, check, scratch  # noqa: E402
from dashtam_wizard.plancache import plan_for  # noqa: E402


def measure(res: Results, label: str, root: Path, n: int) -> None:
    tree = read_tree(root)
    plan = plan_for(tree, root, use_cache=False)
    cli = binary.compose_cli()
    if cli is None:
        res.skip(f"{label}: gate", "no Compose v2 CLI")
        return
    calls = sorted({b.args for b, _a in pairs(tree, tree, root.name) if not b.unknown})
    after = apply_virtual(tree, chosen(plan, Options()))
    after_root = RESULTS / "work" / f"{label.replace(' ', '-')}-after" / root.name
    shutil.rmtree(after_root.parent, ignore_errors=True)
    scratch.write(after, after_root)
    judged_calls = [(root, b.args) for b, a in pairs(tree, after, root.name) if a and not b.unknown]
    judged_calls += [
        (after_root, a.args) for b, a in pairs(tree, after, root.name) if a and not b.unknown
    ]
    judged_calls = sorted(set(judged_calls))

    def judged(cold: bool, own: bool = False) -> float:
        os.environ["DASHTAM_WIZARD_NO_CACHE"] = "1" if cold else "0"
        try:
            t = time.perf_counter()
            verdict = check.check_plan(root, tree, plan, Options(), own=own)
            assert not verdict.differences, verdict.differences[:1]
            return time.perf_counter() - t
        finally:
            os.environ.pop("DASHTAM_WIZARD_NO_CACHE", None)

    def gate() -> float:
        return judged(cold=True)

    def repeat() -> float:  # the same bytes judged before (plan --with-compose, then apply)
        return judged(cold=False)

    def without() -> float:  # the own model: what `plan` runs, and apply without a CLI
        return judged(cold=True, own=True)

    def configs(runs: list[tuple[Path, tuple[str, ...]]]) -> float:
        t = time.perf_counter()
        for where, args in runs:
            subprocess.run(
                [*cli, *args, "config", "--format", "json"],
                cwd=where,
                capture_output=True,
                env={"PATH": os.environ["PATH"], "HOME": str(root)},
                check=False,
            )
        return time.perf_counter() - t

    def reference() -> float:  # the baseline's distinct calls, once each
        return configs([(root, args) for args in calls])

    def both() -> float:  # every distinct invocation judged: the baseline's and the migrated
        return configs(judged_calls)

    samples = interleave(
        {"gate": gate, "repeat": repeat, "none": without, "ref": reference, "both": both}, n
    )
    g, r, r2 = med(samples["gate"]), med(samples["ref"]), med(samples["both"])
    res.row(
        f"{label}: gate with Compose, cold ({len(calls)} distinct calls)",
        ms(g),
        f"one `config` per call, sequential {ms(r)}",
        g / r,
        1.0,
    )
    res.row(
        f"{label}: gate with Compose, cold, against every distinct invocation it judges"
        f" ({len(judged_calls)}: the baseline's and the migrated tree's)",
        ms(g),
        f"one `config` per invocation, sequential {ms(r2)}",
        g / r2,
        1.0,
    )
    res.row(
        f"{label}: gate with Compose, same bytes judged before",
        ms(med(samples["repeat"])),
        f"{ms(r)}",
        med(samples["repeat"]) / r,
        1.0,
    )
    res.row(
        f"{label}: gate with the own Compose model (plan's), cold",
        ms(med(samples["none"])),
        f"{ms(r)}",
        med(samples["none"]) / r,
        1.0,
        note="no subprocess; also what apply runs when there is no Compose CLI",
    )


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1,50")
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    require_venv()
    res = Results("gate", "8. equivalence gate before apply (in-process, real Compose)")
    for size in (int(x) for x in args.sizes.split(",")):
        if size == 1:
            root, label = fresh_sample(RESULTS / "work" / "gate-sample"), "sample"
        else:
            root = RESULTS / "work" / f"gate-{size}x"
            shutil.rmtree(root, ignore_errors=True)
            generate(root, size)
            label = f"{size}x repo"
        measure(
            res, label, root, rounds(args.rounds) if size == 1 else max(3, rounds(args.rounds) - 2)
        )
    res.save()
    return 0


if __name__ == "__main__":
    sys.exit(main())
