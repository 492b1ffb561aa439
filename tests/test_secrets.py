"""No secret value reaches any output or unprotected file; wizard state is owner-only."""

from __future__ import annotations

import stat
from pathlib import Path

from .conftest import run_cli
from .test_plan_cli import secret_values


def test_no_secret_in_any_command_output(sample: Path) -> None:
    secrets = secret_values(sample)
    outputs = []
    for args in (
        ["plan", str(sample)],
        ["plan", str(sample), "--json"],
        ["status", str(sample)],
        ["apply", str(sample), "--yes"],
        ["status", str(sample), "--json"],
        ["rollback", str(sample), "--list"],
        ["rollback", str(sample), "--yes"],
    ):
        res = run_cli(*args)
        assert res.returncode == 0, res.stdout + res.stderr
        outputs.append(res.stdout + res.stderr)
    for value in secrets:
        assert not any(value in out for out in outputs), "a secret value was printed"


def test_state_dir_is_owner_only_and_ignored(sample: Path) -> None:
    assert run_cli("apply", str(sample), "--yes").returncode == 0
    state = sample / ".dashtam-wizard"
    assert stat.S_IMODE(state.stat().st_mode) == 0o700
    for p in state.rglob("*"):
        mode = stat.S_IMODE(p.lstat().st_mode)
        if p.is_dir() or p.is_file():
            assert mode & 0o077 == 0, f"{p} is {mode:o}"
    for env in ("dev", "test"):
        assert stat.S_IMODE((sample / "env" / f".env.{env}").stat().st_mode) == 0o600
    ignore = (sample / ".dockerignore").read_text()
    assert ".dashtam-wizard/" in ignore and "env/" in ignore


def test_internal_error_message_carries_no_secret(sample: Path, tmp_path: Path) -> None:
    """Even an unexpected failure prints one line, no traceback, and no value."""
    secrets = secret_values(sample)
    (sample / "docker-compose.dev.yml").write_text("services:\n  app:\n    environment: 12\n")
    res = run_cli("plan", str(sample))
    assert res.returncode == 2
    assert "Traceback" not in res.stderr and len(res.stderr.strip().splitlines()) == 1
    assert "docker-compose.dev.yml:3" in res.stderr and "internal error" not in res.stderr
    assert not any(v in res.stderr + res.stdout for v in secrets)
