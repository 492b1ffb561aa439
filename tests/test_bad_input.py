"""Bad input: one line naming the file (and line), exit 2, and nothing changed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from .conftest import manifest, run_cli


def _break(root: Path, case: str) -> str:
    """Damage the sample; return the file the error must name."""
    dev = root / "docker-compose.dev.yml"
    if case == "yaml-tab":
        dev.write_text(dev.read_text().replace("  app:", "\tapp:", 1))
        return "docker-compose.dev.yml:"
    if case == "yaml-unclosed-quote":
        dev.write_text(dev.read_text() + '\nx-broken: "never closed\n')
        return "docker-compose.dev.yml:"
    if case == "yaml-duplicate-key":
        dev.write_text(dev.read_text() + "\nservices: {}\n")
        return "docker-compose.dev.yml:"
    if case == "toml":
        (root / "pyproject.toml").write_text("[project\nname = 'x'\n")
        return "pyproject.toml"
    if case == "binary":
        dev.write_bytes(b"\x00\x01\x02binary")
        return "docker-compose.dev.yml"
    if case == "symlink-outside":
        os.symlink("/etc/passwd", root / "requirements-extra.txt")
        return "requirements-extra.txt"
    if case == "compose-dir-conflict":
        (root / "compose").mkdir()
        (root / "compose/docker-compose.dev.yml").write_text("services: {}\n")
        return "compose/docker-compose.dev.yml"
    if case == "env-bad-line":
        (root / ".env.dev").write_text("GOOD=1\nthis line is not an assignment\n")
        return ".env.dev:2"
    raise AssertionError(case)


CASES = ["yaml-tab", "yaml-unclosed-quote", "yaml-duplicate-key", "toml", "binary", "symlink-outside",
         "compose-dir-conflict", "env-bad-line"]


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("command", ["plan", "apply"])
def test_bad_input_is_one_line_exit_2_and_nothing_changes(sample: Path, case: str, command: str) -> None:
    named = _break(sample, case)
    before = manifest(sample)
    args = [command, str(sample)] + (["--yes"] if command == "apply" else [])
    res = run_cli(*args)
    assert res.returncode == 2, res.stdout + res.stderr
    err = res.stderr.strip()
    assert len(err.splitlines()) == 1, err
    assert named in err and "Traceback" not in err
    assert manifest(sample) == before
