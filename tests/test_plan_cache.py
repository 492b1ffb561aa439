"""The plan cache, as a user meets it: a repeat `plan` prints the same plan, any edit is seen,
the cache is owner-only (it holds env contents), and a damaged or foreign cache is ignored."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from .conftest import manifest, run_cli
from .test_plan_cli import secret_values


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    return tmp_path / "cache" / "plans"


def plan(sample: Path, cache: Path, *extra: str) -> str:
    res = run_cli("plan", *extra, str(sample), env={"DASHTAM_WIZARD_CACHE_DIR": str(cache)})
    assert res.returncode == 0, res.stderr
    assert not res.stderr
    return res.stdout


def entries(cache: Path) -> list[Path]:
    return sorted(cache.glob("*.pickle")) if cache.is_dir() else []


def test_repeat_plan_prints_the_same_and_the_cache_is_owner_only(sample: Path, cache: Path) -> None:
    before = manifest(sample)
    first = plan(sample, cache)
    assert len(entries(cache)) == 1
    assert plan(sample, cache) == first
    assert plan(sample, cache, "--no-cache") == first, "a cache hit must print what planning prints"
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    (entry,) = entries(cache)
    assert stat.S_IMODE(entry.stat().st_mode) == 0o600
    # it does hold env values (the diffs of env files): owner-only is what keeps them private
    data = entry.read_bytes()
    assert any(v.encode() in data for v in secret_values(sample))
    assert manifest(sample) == before, "plan (and its cache) must not touch the repo"


def test_an_edit_anywhere_the_plan_reads_is_seen(sample: Path, cache: Path) -> None:
    first = plan(sample, cache)
    compose = sample / "docker-compose.dev.yml"
    compose.write_text(
        compose.read_text().replace("services:", "services:\n  extra:\n    image: busybox:1", 1)
    )
    second = plan(sample, cache)
    assert second != first
    assert "extra" in second and "busybox:1" in second
    os.chmod(sample / "Makefile", 0o600)
    assert plan(sample, cache) == plan(sample, cache, "--no-cache")
    assert len(entries(cache)) == 3


def test_no_cache_flag_and_env_leave_no_entry(sample: Path, cache: Path) -> None:
    plan(sample, cache, "--no-cache")
    res = run_cli(
        "plan",
        str(sample),
        env={"DASHTAM_WIZARD_CACHE_DIR": str(cache), "DASHTAM_WIZARD_NO_CACHE": "1"},
    )
    assert res.returncode == 0
    assert entries(cache) == []


def test_a_damaged_entry_is_replanned_and_replaced(sample: Path, cache: Path) -> None:
    first = plan(sample, cache)
    (entry,) = entries(cache)
    entry.write_bytes(entry.read_bytes()[:1000])  # truncated, e.g. a full disk long ago
    assert plan(sample, cache) == first
    (entry,) = entries(cache)
    assert entry.stat().st_size > 1000


def test_a_cache_others_can_write_is_never_loaded(sample: Path, cache: Path) -> None:
    """Someone who can write the folder could plant a plan; such a folder is not trusted."""
    first = plan(sample, cache)
    (entry,) = entries(cache)
    planted = entry.read_bytes().replace(b"ledgerly", b"PLANTED!")
    entry.write_bytes(planted)
    os.chmod(cache, 0o777)
    assert plan(sample, cache) == first
    assert b"PLANTED!" in entry.read_bytes(), "an untrusted folder is neither read nor written"
    os.chmod(cache, 0o700)
    os.chmod(entry, 0o622)
    assert plan(sample, cache) == first


def test_an_unwritable_cache_does_not_fail_plan(sample: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    assert plan(sample, blocker / "plans") == plan(sample, blocker / "plans", "--no-cache")
