"""`verify` against a daemon reached over tcp:// (the other way DOCKER_HOST is spelled).

The test daemon listens on a unix socket only; a relay in the test forwards a localhost
TCP port to it byte for byte, so the wizard really speaks HTTP over TCP to the real daemon
(the same bytes `dockerd -H tcp://127.0.0.1:2375` would receive). An unreachable tcp://
host is covered in test_docker_verify.py.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.dockerd import dockerd_client, migrated_repo  # noqa: F401


def _pump(src: socket.socket, dst: socket.socket) -> None:
    with contextlib.suppress(OSError):
        while data := src.recv(65536):
            dst.sendall(data)
    with contextlib.suppress(OSError):
        dst.shutdown(socket.SHUT_WR)


@pytest.fixture
def tcp_host(dockerd_client) -> Iterator[str]:  # noqa: ANN001, F811
    host = os.environ.get("DOCKER_HOST", "")
    if not host.startswith("unix://"):
        pytest.skip(f"the relay forwards to a unix socket; DOCKER_HOST is {host}")
    path = host.removeprefix("unix://")
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    port = listener.getsockname()[1]
    conns: list[socket.socket] = []

    def serve() -> None:
        with contextlib.suppress(OSError):
            while True:
                client, _ = listener.accept()
                upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                upstream.connect(path)
                conns.extend((client, upstream))
                threading.Thread(target=_pump, args=(client, upstream), daemon=True).start()
                threading.Thread(target=_pump, args=(upstream, client), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield f"tcp://127.0.0.1:{port}"
    finally:
        listener.close()
        for c in conns:
            with contextlib.suppress(OSError):
                c.close()


def test_verify_over_tcp_builds_and_checks(tcp_host: str, tmp_path: Path) -> None:
    repo = migrated_repo(tmp_path / "ledgerly")
    res = run_cli(
        "verify", str(repo), "--stage", "development", "--json", env={"DOCKER_HOST": tcp_host}
    )
    doc = json.loads(res.stdout) if res.stdout.lstrip().startswith("{") else {}
    failed = [c for c in doc.get("checks", []) if c["status"] == "fail"]
    broken = [b for b in doc.get("builds", []) if not b["ok"]]
    assert res.returncode == 0, (failed, broken, doc.get("error"), res.stderr, res.stdout[-800:])
    assert doc["ok"] is True and doc["docker_host"] == tcp_host
    assert [b["target"] for b in doc["builds"] if b["ok"]] == ["development"]
    names = [c["name"] for c in doc["checks"]]
    # 127.0.0.1 is this machine: the bind-mount ownership check runs, as over the socket
    for wanted in (
        "runs as appuser",
        "/app owned by appuser",
        "bind-mount files owned by",
        "env_file variables reach the container",
        "no .env files in the image",
    ):
        assert any(wanted in n for n in names), (wanted, names)
    assert all(c["status"] in ("pass", "warn") for c in doc["checks"]), doc["checks"]
