"""Phase 1 extraction: pyproject.toml and uv.lock copied out of a running app container."""

from __future__ import annotations

import io
import tarfile
import uuid
from pathlib import Path

import pytest
from rich.console import Console

from dashtam_wizard.docker.extract import ExtractError, extract_project_files
from dashtam_wizard.present.extract import run_extract
from tests.conftest import manifest, run_cli
from tests.dockerd import dockerd_client, legacy_repo  # noqa: F401

IMAGE = "python:3.13-slim"


def start_app(client, name: str, labels: dict[str, str], files: dict[str, bytes]):
    """A running container with `files` in /app, standing in for `docker compose up app`."""
    c = client.containers.run(
        IMAGE,
        ["sleep", "300"],
        name=name,
        detach=True,
        network_mode="none",
        labels={"dashtam-wizard": "1", **labels},
    )
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        dir_info = tarfile.TarInfo("app")
        dir_info.type = tarfile.DIRTYPE
        dir_info.mode = 0o755
        tar.addfile(dir_info)
        for fname, data in files.items():
            info = tarfile.TarInfo(f"app/{fname}")
            info.size = len(data)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
    assert c.put_archive("/", buf.getvalue())
    return c


@pytest.mark.docker
def test_extracts_from_compose_labelled_container(dockerd_client, tmp_path: Path) -> None:  # noqa: F811
    repo = legacy_repo(tmp_path / "ledgerly")
    files = {
        "pyproject.toml": (repo / "pyproject.toml").read_bytes(),
        "uv.lock": (repo / "uv.lock").read_bytes(),
    }
    decoy = start_app(
        dockerd_client,
        f"decoy-{uuid.uuid4().hex[:6]}",
        {"com.docker.compose.project": "ledgerly", "com.docker.compose.service": "postgres"},
        {"pyproject.toml": b"[project]\nname = 'wrong'\n"},
    )
    app = start_app(
        dockerd_client,
        f"ledgerly-app-{uuid.uuid4().hex[:6]}",
        {"com.docker.compose.project": "ledgerly", "com.docker.compose.service": "app"},
        files,
    )
    try:
        got = extract_project_files(dockerd_client, repo)
        assert got == files
    finally:
        app.remove(force=True)
        decoy.remove(force=True)


@pytest.mark.docker
def test_extracts_by_container_name_and_skips_missing_files(dockerd_client, tmp_path: Path) -> None:  # noqa: F811
    repo = legacy_repo(tmp_path / "ledgerly")
    pyproject = (repo / "pyproject.toml").read_bytes()
    app = start_app(
        dockerd_client,
        f"ledgerly-dev-app-{uuid.uuid4().hex[:6]}",
        {},
        {"pyproject.toml": pyproject},
    )
    try:
        assert extract_project_files(dockerd_client, repo) == {"pyproject.toml": pyproject}
    finally:
        app.remove(force=True)


@pytest.mark.docker
def test_no_running_container_is_a_clear_error(dockerd_client, tmp_path: Path) -> None:  # noqa: F811
    repo = tmp_path / f"nothing-runs-{uuid.uuid4().hex[:6]}"
    repo.mkdir()
    with pytest.raises(ExtractError, match="no running container"):
        extract_project_files(dockerd_client, repo)


@pytest.mark.docker
def test_run_extract_shows_a_diff_then_writes_with_backup(dockerd_client, tmp_path: Path) -> None:  # noqa: F811
    repo = legacy_repo(tmp_path / "ledgerly")
    before = manifest(repo)
    old = (repo / "pyproject.toml").read_bytes()
    new = old.replace(b'"redis>=5.0",', b'"redis>=5.0",\n    "email-validator>=2.1",')
    lock = (repo / "uv.lock").read_bytes()
    app = start_app(
        dockerd_client,
        f"ledgerly-app-{uuid.uuid4().hex[:6]}",
        {"com.docker.compose.project": "ledgerly", "com.docker.compose.service": "app"},
        {"pyproject.toml": new, "uv.lock": lock},
    )
    try:
        buf = io.StringIO()
        assert run_extract(repo, Console(file=buf, width=200, color_system=None)) == 0
        text = buf.getvalue()
        assert '+    "email-validator>=2.1",' in text and "uv.lock: identical" in text
        assert "--yes" in text
        assert (repo / "pyproject.toml").read_bytes() == old  # nothing written without --yes

        buf = io.StringIO()
        assert run_extract(repo, Console(file=buf, width=200, color_system=None), write=True) == 0
        assert (repo / "pyproject.toml").read_bytes() == new
        assert (repo / "pyproject.toml.backup").read_bytes() == old
        assert not (repo / "uv.lock.backup").exists()
        assert "Undo with `dashtam-wizard rollback" in buf.getvalue()
        # one transaction of the apply engine: listed, and undone byte for byte by rollback
        listed = run_cli("rollback", str(repo), "--list")
        assert listed.returncode == 0 and "applied" in listed.stdout, listed.stdout + listed.stderr
        undo = run_cli("rollback", str(repo), "--yes")
        assert undo.returncode == 0, undo.stdout + undo.stderr
        assert manifest(repo) == before
    finally:
        app.remove(force=True)


def test_run_extract_without_daemon_exits_2(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", "unix:///var/tmp/dashtam-no-such-dir/docker.sock")
    buf = io.StringIO()
    assert run_extract(tmp_path, Console(file=buf, width=200, color_system=None)) == 2
    assert "DOCKER_HOST" in buf.getvalue() and "Traceback" not in buf.getvalue()


def test_extract_errors_go_to_stderr_as_one_line(tmp_path: Path) -> None:
    """Like every command: stdout stays clean for a pipe, the error is one line on stderr."""
    from .conftest import run_cli

    res = run_cli(
        "extract",
        str(tmp_path),
        env={"DOCKER_HOST": "unix:///var/tmp/dashtam-no-such-dir/docker.sock"},
    )
    assert res.returncode == 2 and res.stdout == ""
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(
        "dashtam-wizard: cannot reach a Docker daemon"
    ), lines
