"""The wizard's own Compose model answers like the real Compose, and `plan` judges with it.

`plan` resolves every command with the own model (no subprocess); `apply` asks the real
Compose. A disagreement between the two is a bug: here both resolve every command of the
test corpus, the sample and generated layouts, before and after the planned migration,
and must agree on what the gate compares (project name, environment, mounts, builds,
top-level volume and network names), or on Compose refusing the command. What the own
model says it does not model (`include:`, `extends`) is left to Compose and counted.
"""

from __future__ import annotations

import json
import os
import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from dashtam_wizard.core import changes as ch
from dashtam_wizard.core.gate import pairs
from dashtam_wizard.core.resolve.config import resolve_call
from dashtam_wizard.core.resolve.shapes import Unmodelled
from dashtam_wizard.core.snapshot import Tree, read_tree
from dashtam_wizard.judge.binary import compose_cli
from dashtam_wizard.judge.scratch import resolve_tree
from dashtam_wizard.judge.verdict import judge
from dashtam_wizard.plancache import plan_for

from .compose_strategies import Layout, layouts, write_layout
from .conftest import manifest, run_cli
from .figures import record
from .legacy_repos import clone_breaker, write_repo
from .test_gate import DOCKERFILE, MUTATIONS
from .test_legacy_corpus import CORPUS

pytestmark = pytest.mark.skipif(compose_cli() is None, reason="needs a Compose v2 CLI")

SEEN: Counter[str] = Counter()


def projection(answer: Any) -> Any:
    """What the gate compares, in a form both answers share."""
    if isinstance(answer, str):
        return "Compose refuses the command"
    services = {}
    for name, s in answer.get("services", {}).items():
        build = s.get("build")
        services[name] = {
            "environment": s.get("environment") or {},
            "mounts": sorted(
                (v["target"], v.get("type"), v.get("source"), bool(v.get("read_only")))
                for v in s.get("volumes") or []
            ),
            "build": (build.get("context"), build.get("dockerfile"), build.get("target"))
            if isinstance(build, dict)
            else build,
            "image": s.get("image"),
            "networks": sorted(s.get("networks") or {}),
        }
    return {
        "name": answer.get("name"),
        "services": services,
        **{
            section: {k: (v or {}).get("name") for k, v in (answer.get(section) or {}).items()}
            for section in ("volumes", "networks")
        },
    }


def check_agreement(tree: Tree, root_name: str, calls: list[tuple[str, ...]], what: str) -> None:
    real = resolve_tree(tree, root_name, calls)
    for args in dict.fromkeys(calls):
        try:
            own = resolve_call(tree, root_name, args)
        except Unmodelled as exc:
            SEEN[f"left to Compose: {exc}"] += 1
            continue
        a, b = projection(own), projection(real[args])
        assert a == b, (
            f"{what}: `{' '.join(args)}`: own model and Compose disagree\n"
            f"own:     {json.dumps(a, sort_keys=True)}\n"
            f"compose: {json.dumps(b, sort_keys=True)}\n(Compose said: {real[args]!r})"[:4000]
        )
        SEEN["commands agreed"] += 1


def check_repo(root: Path, what: str) -> None:
    """Both models on every command of the repo, before and after its planned migration."""
    before = read_tree(root)
    try:
        plan = plan_for(before, root, use_cache=False)
    except Exception:  # noqa: BLE001 — a refused repo: its baseline is still judged
        plan = None
    after = ch.apply_virtual(before, [c for c in plan.changes() if c.default]) if plan else before
    calls = pairs(before, after, root.name)
    check_agreement(before, root.name, [b.args for b, _ in calls], f"{what} (before)")
    check_agreement(
        after, root.name, [a.args for _, a in calls if a is not None], f"{what} (planned)"
    )


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_own_model_agrees_with_compose_on_the_corpus(tmp_path: Path, name: str) -> None:
    check_repo(write_repo(tmp_path / name, CORPUS[name]), name)


# shapes the real repos tried showed the own model getting wrong, each kept as a test
SHAPES = {
    "trailing slashes and home paths": {
        "Dockerfile": DOCKERFILE,
        "src/main.py": "print(1)\n",
        "docker-compose.yml": (
            "services:\n  web:\n    build: .\n    volumes:\n      - ./logs/:/var/log/nginx/\n"
            "      - ~/.ssh:/root/.ssh:ro\n      - ~/.gitconfig:/root/.gitconfig:ro\n"
            "      - /etc/localtime/:/etc/localtime:ro\n      - type: bind\n"
            "        source: ./src/\n        target: /app/src/\n  db:\n    image: postgres:16\n"
            "    volumes:\n      - data:/var/lib/postgresql/data/\nvolumes:\n  data:\n"
        ),
        "Makefile": "up:\n\tdocker compose up -d\n",
    },
}


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_own_model_agrees_with_compose_on_shapes_seen_in_real_repos(
    tmp_path: Path, name: str
) -> None:
    check_repo(write_repo(tmp_path / "svc", SHAPES[name]), name)


def test_own_model_agrees_with_compose_on_the_sample(sample: Path) -> None:
    check_repo(sample, "the sample")


@settings(
    max_examples=int(os.environ.get("DASHTAM_WIZARD_HYPOTHESIS_EXAMPLES", 30)),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(layout=layouts())
def test_own_model_agrees_with_compose_on_generated_layouts(base: Path, layout: Layout) -> None:
    root = base / f"l{SEEN['layouts']}" / "proj"
    SEEN["layouts"] += 1
    write_layout(root, layout)
    try:
        check_repo(root, layout.describe())
    finally:
        shutil.rmtree(root.parent, ignore_errors=True)


@pytest.fixture(scope="module", autouse=True)
def _report() -> Iterator[None]:
    yield
    if SEEN["commands agreed"]:
        left = sum(n for k, n in SEEN.items() if k.startswith("left to Compose"))
        record(
            "own Compose model vs Compose (config --format json)",
            f"{SEEN['commands agreed']} command resolutions agreed ({SEEN['layouts']} generated "
            f"layouts, the corpus and the sample, before and after); {left} left to Compose",
        )


# -- the own model judges: wrong rewrites are caught without a Compose CLI --------------------


def test_the_own_model_passes_the_unmutated_plan(planned) -> None:  # noqa: ANN001
    root, before, after = planned
    verdict = judge(before, after, root.name, own=True)
    assert verdict.compared > 0 and verdict.differences == [] and verdict.unjudged == []


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_the_own_model_blocks_each_wrong_rewrite(planned, name: str) -> None:  # noqa: ANN001
    root, before, after = planned
    mutated = after.copy()
    MUTATIONS[name](mutated)
    own = judge(before, mutated, root.name, own=True)
    real = judge(before, mutated, root.name)
    assert own.differences, f"{name}: not caught"
    assert {(d.where, d.service, d.key) for d in own.differences} == {
        (d.where, d.service, d.key) for d in real.differences
    }


# -- plan shows what is blocked, by which changes ----------------------------------------------


@pytest.fixture
def breaker(tmp_path: Path) -> Path:
    return clone_breaker(tmp_path / "svc")


def test_plan_shows_the_blocked_command_and_the_changes_behind_it(breaker: Path) -> None:
    before = manifest(breaker)
    res = run_cli("plan", str(breaker), "--no-diff")
    assert res.returncode == 0, res.stderr
    out = res.stdout
    assert "gate: 1 of 1 command(s) would behave differently (own Compose model)" in out
    assert "blocked: Makefile:2: in a fresh clone, the command would change" in out
    by = next(line for line in out.splitlines() if line.strip().startswith("by:"))
    assert "p5:edit:Makefile" in by and "p6:edit:.gitignore" in by
    assert "next: skip or fix what is blocked" in out and "--yes" not in out.split("gate:")[1]
    check = run_cli("plan", str(breaker), "--check")
    assert check.returncode == 1 and "blocked: Makefile:2" in check.stdout
    doc = json.loads(run_cli("plan", str(breaker), "--json").stdout)
    [blocked] = doc["gate"]["blocked"]
    assert blocked["where"] == "Makefile:2" and "p5:edit:Makefile" in blocked["changes"]
    assert doc["gate"]["judge"] == "own Compose model"
    real = json.loads(run_cli("plan", str(breaker), "--json", "--with-compose").stdout)
    assert [(b["where"], b["key"]) for b in real["gate"]["blocked"]] == [
        (blocked["where"], blocked["key"])
    ]
    assert manifest(breaker) == before


def test_apply_without_a_compose_cli_is_judged_by_the_own_model(breaker: Path) -> None:
    before = manifest(breaker)
    res = run_cli("apply", str(breaker), "--yes", env={"DASHTAM_WIZARD_COMPOSE": "none"})
    assert res.returncode == 2, res.stdout + res.stderr
    assert "Makefile:2: in a fresh clone, the command would change" in res.stderr
    assert manifest(breaker) == before
