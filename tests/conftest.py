"""Shared fixtures: the bundled sample as a real git repo, the CLI, the Compose oracle."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from dashtam_wizard.core import changes as ch
from dashtam_wizard.core.snapshot import read_tree
from dashtam_wizard.demo import write_sample
from dashtam_wizard.plancache import plan_for
from tests.dockerd import dockerd_client  # noqa: F401  (the real daemon fixture)

BIN = Path(sys.executable).parent
COMPOSE = BIN / "docker-compose"


@pytest.fixture(scope="session", autouse=True)
def _private_plan_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Every CLI the suite starts shares one plan cache of its own, never the user's ~/.cache."""
    os.environ["DASHTAM_WIZARD_CACHE_DIR"] = str(tmp_path_factory.mktemp("plan-cache") / "plans")
    # and one per-user key (apply/trust.py) of its own, never the user's ~/.local/state
    os.environ["DASHTAM_WIZARD_KEY_FILE"] = str(tmp_path_factory.mktemp("user-key") / "key")
    os.environ.pop("DASHTAM_WIZARD_NO_CACHE", None)


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    """A fresh copy of the bundled legacy sample, committed in git, like `dashtam-wizard demo`."""
    return write_sample(tmp_path / "ledgerly")


def run_cli(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the installed entry point as a user would (a real process, real exit code)."""
    return subprocess.run(
        [str(BIN / "dashtam-wizard"), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
        timeout=300,
    )


def manifest(root: Path) -> dict[str, tuple[str, int]]:
    """Every file and folder under root (but .git internals and wizard state): hash and mode."""
    out: dict[str, tuple[str, int]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = os.path.relpath(dirpath, root)
        dirnames[:] = [
            d for d in dirnames if not (rel_dir == "." and d in (".git", ".dashtam-wizard"))
        ]
        for d in dirnames:
            p = Path(dirpath, d)
            out[os.path.normpath(os.path.join(rel_dir, d))] = (
                "dir",
                stat.S_IMODE(p.lstat().st_mode),
            )
        for f in filenames:
            p = Path(dirpath, f)
            out[os.path.normpath(os.path.join(rel_dir, f))] = (
                hashlib.sha256(p.read_bytes()).hexdigest(),
                stat.S_IMODE(p.lstat().st_mode),
            )
    if (root / ".git" / "index").exists():
        out[".git/index"] = (hashlib.sha256((root / ".git" / "index").read_bytes()).hexdigest(), 0)
    return out


def compose_config(root: Path, compose_file: str, env_file: str | None) -> dict:
    """What the real Compose v2 makes of a compose file: the oracle for every rewrite."""
    args = [str(COMPOSE), "-f", compose_file]
    if env_file:
        args += ["--env-file", env_file]
    res = subprocess.run(
        [*args, "config", "--format", "json"],
        capture_output=True,
        text=True,
        cwd=root,
        env={"PATH": os.environ["PATH"], "HOME": str(root)},
        timeout=60,
    )
    assert res.returncode == 0, f"docker compose rejected {compose_file}: {res.stderr}"
    return json.loads(res.stdout)


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:  # noqa: ANN001
    from .figures import FIGURES

    if FIGURES:
        terminalreporter.section("dashtam-wizard figures")
        for name, value in sorted(FIGURES.items()):
            terminalreporter.write_line(f"{name}: {value}")


@pytest.fixture(scope="module")
def planned(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    """The sample, its tree, and the tree its whole default plan would leave (nothing written):
    what the gate's mutation tests inject wrong rewrites into."""
    root = write_sample(tmp_path_factory.mktemp("mut") / "ledgerly")
    tree = read_tree(root)
    plan = plan_for(tree, root, use_cache=False)
    return root, tree, ch.apply_virtual(tree, [c for c in plan.changes() if c.default])


@pytest.fixture(scope="module")
def base() -> Iterator[Path]:
    """A scratch folder for generated repos; tmpfs when there is one (the apply journal
    fsyncs every step)."""
    shm = Path("/dev/shm")
    usable = shm.is_dir() and os.access(shm, os.W_OK)
    path = Path(tempfile.mkdtemp(prefix="dw-layout-", dir=shm if usable else None))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def schema_valid(doc: dict) -> dict:
    """`doc` checked against the JSON Schema the package ships for its `kind`
    (assets/schemas/KIND.schema.json, what scripts are told to rely on); returned for chaining."""
    from jsonschema import Draft202012Validator

    from dashtam_wizard.core.templates import assets_dir

    schema = json.loads((assets_dir() / "schemas" / f"{doc['kind']}.schema.json").read_text())
    Draft202012Validator.check_schema(schema)
    errors = sorted(Draft202012Validator(schema).iter_errors(doc), key=lambda e: e.json_path)
    assert not errors, "\n".join(f"{e.json_path}: {e.message}" for e in errors[:10])
    return doc


@pytest.fixture(autouse=True)
def _own_settings(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each test starts with no saved user settings (the TUI remembers its theme there):
    one test's `t` must not start the next one in the light theme, nor touch the user's."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("config")))
