"""Phase 3's Dockerfile follows the project: applications skip the post-source sync."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from .conftest import run_cli

HADOLINT = Path(sys.executable).parent / "hadolint"


def _dockerfile(root: Path) -> str:
    data = json.loads(run_cli("plan", str(root), "--json", "--show-secrets").stdout)
    change = next(
        c for p in data["phases"] for c in p["changes"] if c["path"] == "docker/Dockerfile"
    )
    return "".join(
        line[1:]
        for line in change["diff"].splitlines(True)
        if line.startswith(("+", " ")) and not line.startswith("+++")
    )


def _lint(tmp: Path, text: str) -> None:
    f = tmp / "Dockerfile"
    f.write_text(text)
    res = subprocess.run([str(HADOLINT), str(f)], capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr


def test_application_dockerfile_has_no_post_source_sync(sample: Path, tmp_path: Path) -> None:
    text = _dockerfile(sample)
    dev = text.split("AS development", 1)[1].split("FROM ", 1)[0]
    assert "uv sync --frozen --no-install-project" in dev
    assert "RUN uv sync --frozen\n" not in dev  # a source-only change re-runs no dependency step
    _lint(tmp_path, text)


def test_packaged_project_installs_itself_after_the_source(sample: Path, tmp_path: Path) -> None:
    py = sample / "pyproject.toml"
    py.write_text(
        py.read_text()
        + '\n[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n'
    )
    text = _dockerfile(sample)
    dev = text.split("AS development", 1)[1].split("FROM ", 1)[0]
    assert "RUN uv sync --frozen\n" in dev
    assert "--no-editable" in text.split("AS builder", 1)[1]
    _lint(tmp_path, text)
