"""Phase by phase = all at once: the TUI's `1 a`, `2 a`, … flow ends where one apply does.

Before the fix, applying phase 2 alone moved the compose files and a later phase 4 took
them for migrated: `context: .`, `./src` binds and no `name:` from compose/ — project
`compose`, a new empty database volume, binds into compose/src, every checklist item ✅.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import compose_config, manifest, run_cli


def _apply(repo: Path, *args: str) -> None:
    res = run_cli("apply", str(repo), *args, "--yes")
    assert res.returncode == 0, res.stdout + res.stderr


@pytest.fixture
def once(sample: Path, tmp_path: Path) -> Path:
    from dashtam_wizard.demo import write_sample

    repo = write_sample(tmp_path / "once" / sample.name)
    _apply(repo)
    return repo


def _pending(repo: Path) -> list[str]:
    res = run_cli("plan", str(repo), "--json", "--no-diff")
    assert res.returncode == 0, res.stderr
    return [c["id"] for p in json.loads(res.stdout)["phases"] for c in p["changes"] if c["default"]]


@pytest.mark.parametrize(
    "groups",
    [
        [[1], [2], [3], [4], [5], [6], [7]],
        [[1, 2], [3, 4, 5], [6, 7]],
        [[1], [2, 3], [4], [5, 6, 7]],
    ],
)
def test_applying_in_steps_ends_in_the_same_tree_as_one_apply(
    sample: Path, once: Path, groups: list[list[int]]
) -> None:
    for group in groups:
        _apply(sample, *[a for n in group for a in ("--phase", str(n))])
    assert manifest(sample) == manifest(once) | {".git/index": manifest(sample)[".git/index"]}
    assert _pending(sample) == []
    # what Compose resolves from the migrated dev file: the project keeps its name and the
    # build context and binds point at the repo, not into compose/
    cfg = compose_config(sample, "compose/docker-compose.dev.yml", "env/.env.dev")
    assert cfg["name"] == "ledgerly"
    app = next(s for s in cfg["services"].values() if "build" in s)
    assert app["build"]["context"] == str(sample)
    assert all(
        not v["source"].startswith(str(sample / "compose"))
        for s in cfg["services"].values()
        for v in s.get("volumes", [])
        if v["type"] == "bind"
    )


def test_a_change_skipped_then_included_ends_in_the_same_tree(sample: Path, once: Path) -> None:
    ids = _pending(sample)
    skipped = next(i for i in ids if i.startswith("p2:move:env/"))
    _apply(sample, "--phase", "1")
    _apply(sample, "--phase", "2", "--skip", skipped)
    assert skipped in _pending(sample)
    res = run_cli("apply", str(sample), "--phase", "3", "--yes")
    assert res.returncode == 2 and "phase 2 has pending changes" in res.stdout + res.stderr
    _apply(sample, "--phase", "2")  # the skipped change, now included
    for n in range(3, 8):
        _apply(sample, "--phase", str(n))
    assert {k: v for k, v in manifest(sample).items() if k != ".git/index"} == {
        k: v for k, v in manifest(once).items() if k != ".git/index"
    }


def test_after_an_edit_of_an_applied_file_the_plan_is_made_from_the_tree_as_it_is(
    sample: Path,
) -> None:
    """The journal's baseline is only trusted while the applied paths are as the apply left them."""
    _apply(sample, "--phase", "1")
    (sample / "pyproject.toml.backup").write_text("edited by hand\n")
    res = run_cli("plan", str(sample), "--no-diff")
    assert res.returncode == 0, res.stderr


# -- random groupings, in process ------------------------------------------------------------

from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


def _apply_in_process(repo: Path, phases: set[int]) -> None:
    from dashtam_wizard.apply import apply_changes
    from dashtam_wizard.plancache import cached_plan

    plan = cached_plan(repo, use_cache=False)
    changes = [c for c in plan.changes(phases) if c.default]
    if changes:
        apply_changes(repo, changes, phases=sorted(phases))


@settings(
    max_examples=4,
    deadline=None,
    phases=[Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(cuts=st.sets(st.integers(1, 6)))
def test_any_grouping_of_phases_ends_where_one_apply_does(
    once: Path, tmp_path_factory, cuts: set[int]
) -> None:
    """Phases 1..7 cut into consecutive groups at random points, each group one apply."""
    from dashtam_wizard.demo import write_sample

    repo = write_sample(tmp_path_factory.mktemp("groups") / once.name)
    bounds = [0, *sorted(cuts), 7]
    for lo, hi in zip(bounds, bounds[1:], strict=False):
        _apply_in_process(repo, set(range(lo + 1, hi + 1)))
    want = {k: v for k, v in manifest(once).items() if k != ".git/index"}
    assert {k: v for k, v in manifest(repo).items() if k != ".git/index"} == want, bounds


def test_status_after_the_migration_says_the_old_compose_file_is_gone(once: Path) -> None:
    """It was 'still at the root' after it had moved to compose/…example."""
    res = run_cli("status", str(once), "--json")
    item = next(
        i for i in json.loads(res.stdout)["items"] if i["text"] == "Remove old docker-compose.yml"
    )
    assert item["done"] is True and "compose/docker-compose.prod.yml.example" in item["evidence"]


def test_history_names_the_phases_each_apply_changed(sample: Path) -> None:
    """`apply --phase 1`, then `apply --yes`: the second record is phases 2-7, not 1-7."""
    assert run_cli("apply", str(sample), "--phase", "1", "--yes").returncode == 0
    assert run_cli("apply", str(sample), "--yes").returncode == 0
    listed = run_cli("rollback", str(sample), "--list").stdout
    assert "phases 1 " in listed and "phases 2,3,4,5,6,7 " in listed, listed
