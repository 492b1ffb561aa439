"""The engine on repos that differ from the sample in the ways real repos do."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from .conftest import compose_config, manifest, run_cli
from .test_apply_sample import _views


def _no_ci(root: Path) -> dict[str, tuple[str, str]]:
    (root / "docker-compose.ci.yml").unlink()
    shutil.rmtree(root / ".github")
    return {"dev": ("docker-compose.dev.yml", "compose/docker-compose.dev.yml")}


def _no_makefile(root: Path) -> dict[str, tuple[str, str]]:
    (root / "Makefile").unlink()
    return {"test": ("docker-compose.test.yml", "compose/docker-compose.test.yml")}


def _compose_yaml_naming(root: Path) -> dict[str, tuple[str, str]]:
    (root / "docker-compose.dev.yml").rename(root / "compose.dev.yaml")
    mk = root / "Makefile"
    mk.write_text(mk.read_text().replace("docker-compose.dev.yml", "compose.dev.yaml"))
    return {"dev": ("compose.dev.yaml", "compose/compose.dev.yaml")}


def _anchors_and_long_volumes(root: Path) -> dict[str, tuple[str, str]]:
    dev = root / "docker-compose.dev.yml"
    text = dev.read_text()
    text = "x-tz: &tz\n  TZ: UTC\n\n" + text
    text = re.sub(
        r"\n(\s+)- \./src:/app/src\n",
        r"\n\1- type: bind\n\1  source: ./src\n\1  target: /app/src\n",
        text,
        count=1,
    )
    text = text.replace("  redis:\n", "  redis:\n    environment: *tz\n", 1)
    dev.write_text(text)
    return {"dev": ("docker-compose.dev.yml", "compose/docker-compose.dev.yml")}


VARIANTS = {
    "no-ci": _no_ci,
    "no-makefile": _no_makefile,
    "compose-yaml": _compose_yaml_naming,
    "anchors-long-volumes": _anchors_and_long_volumes,
}


@pytest.mark.parametrize("variant", VARIANTS)
def test_variant_migrates_and_compose_agrees(sample: Path, variant: str) -> None:
    checks = VARIANTS[variant](sample)
    before_tree = manifest(sample)
    before = {
        env: _views(compose_config(sample, old, f".env.{env}"))
        for env, (old, _new) in checks.items()
    }
    res = run_cli("apply", str(sample), "--yes")
    assert res.returncode == 0, res.stdout + res.stderr
    for env, (_old, new) in checks.items():
        after = _views(compose_config(sample, new, f"env/.env.{env}"))
        for name, (env_b, binds_b) in before[env].items():
            assert {k: after[name][0].get(k) for k in env_b} == env_b, (
                f"{variant}/{name}: env changed"
            )
            for target, src in binds_b.items():
                if ".env" not in src:
                    assert after[name][1][target] == src
    assert run_cli("plan", str(sample), "--check").returncode == 0
    assert run_cli("rollback", str(sample), "--yes").returncode == 0
    assert manifest(sample) == before_tree


def test_another_project_name_is_detected(sample: Path) -> None:
    py = sample / "pyproject.toml"
    py.write_text(py.read_text().replace('name = "ledgerly"', 'name = "acme-billing"'))
    data = json.loads(run_cli("plan", str(sample), "--json").stdout)
    assert data["project"] == "acme-billing"
    dockerfile = next(
        c for p in data["phases"] for c in p["changes"] if c["path"] == "docker/Dockerfile"
    )
    assert "acme-billing" in dockerfile["diff"]
    assert "dashtam" not in json.dumps(data).replace("dashtam-wizard", "").lower()
