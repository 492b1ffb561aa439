"""After `verify`, `status` ticks the plan's Testing items from what the daemon showed."""

from __future__ import annotations

import json
from pathlib import Path

from .conftest import run_cli
from .dockerd import legacy_repo, migrated_repo


def _testing(root: Path) -> dict[str, bool | None]:
    data = json.loads(run_cli("status", str(root), "--json").stdout)
    return {i["text"]: i["done"] for i in data["items"] if i["section"] == "Testing"}


def test_status_ticks_testing_after_verify(dockerd_client, tmp_path: Path) -> None:  # noqa: ANN001
    root = migrated_repo(tmp_path / "m")
    assert _testing(root)["Verify non-root user in dev"] is None  # nothing verified yet
    res = run_cli("verify", str(root))
    assert res.returncode == 0, res.stdout[-3000:]
    ticks = _testing(root)
    assert ticks["Verify non-root user in dev"] is True
    assert ticks["Test file permissions"] is True
    assert ticks["Verify env vars loaded correctly"] is True
    assert ticks["Test dev build (no cache)"] is True


def test_status_shows_failures_on_the_legacy_repo(dockerd_client, tmp_path: Path) -> None:  # noqa: ANN001
    root = legacy_repo(tmp_path / "l")
    assert run_cli("verify", str(root)).returncode == 1
    assert _testing(root)["Verify non-root user in dev"] is False
