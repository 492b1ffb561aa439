"""DOCKER_HOST=ssh://…: the wizard reaches the daemon through a real sshd and the ssh binary.

The sshd (its own port, host key and authorized key, under tmp) forces every session to
`docker system dial-stdio` against the test daemon, as a remote Docker host's sshd would
run it; the client's ssh reads a config of its own through a wrapper first on PATH (ssh
reads ~/.ssh/config from the passwd home, not $HOME). `.ci/run` installs openssh-server;
the `ssh` extra (paramiko, which the SDK needs even with the ssh binary) is in the test group.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.dockerd import _unavailable, dockerd_client  # noqa: F401  (fixture)

from .conftest import BIN
from .dockerd import migrated_repo


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def ssh_env(dockerd_client, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:  # noqa: F811
    sshd, docker_cli = shutil.which("sshd") or "/usr/sbin/sshd", shutil.which("docker")
    if not Path(sshd).exists() or docker_cli is None:
        _unavailable("sshd or the docker CLI is missing (.ci/run installs openssh-server)")
    local = os.environ.get("DOCKER_HOST", "")
    if not local.startswith("unix://"):
        _unavailable("the test daemon is not on a unix socket")
    d = tmp_path_factory.mktemp("ssh")
    port = _free_port()
    for key in ("host_key", "user_key"):
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(d / key)], check=True
        )
    dial = f"DOCKER_HOST={local} {docker_cli} system dial-stdio"
    pub = (d / "user_key.pub").read_text().strip()
    (d / "authorized_keys").write_text(f'command="{dial}",no-pty {pub}\n')
    (d / "authorized_keys").chmod(0o600)
    (d / "sshd_config").write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {d / 'host_key'}\n"
        f"AuthorizedKeysFile {d / 'authorized_keys'}\nPasswordAuthentication no\n"
        f"PermitRootLogin prohibit-password\nStrictModes no\nUsePAM no\nPidFile {d / 'pid'}\n"
    )
    (d / "ssh_config").write_text(
        f"Host 127.0.0.1\n  Port {port}\n  User {os.environ.get('USER') or 'root'}\n"
        f"  IdentityFile {d / 'user_key'}\n  IdentitiesOnly yes\n  StrictHostKeyChecking no\n"
        "  UserKnownHostsFile /dev/null\n  LogLevel ERROR\n"
    )
    (d / "bin").mkdir()
    wrapper = d / "bin" / "ssh"
    wrapper.write_text(f'#!/bin/sh\nexec {shutil.which("ssh")} -F {d / "ssh_config"} "$@"\n')
    wrapper.chmod(0o755)
    Path("/run/sshd").mkdir(exist_ok=True)  # sshd's privilege-separation folder
    server = subprocess.Popen([sshd, "-D", "-f", str(d / "sshd_config"), "-E", str(d / "log")])
    try:
        for _ in range(100):
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        yield {
            **os.environ,
            "DOCKER_HOST": f"ssh://127.0.0.1:{port}",
            "PATH": f"{d / 'bin'}{os.pathsep}{os.environ['PATH']}",
        }
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.mark.docker
def test_extract_reaches_the_daemon_over_ssh(ssh_env: dict[str, str], tmp_path: Path) -> None:
    repo = migrated_repo(tmp_path / "shop")
    res = subprocess.run(
        [str(BIN / "dashtam-wizard"), "extract", str(repo)],
        env=ssh_env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    out = res.stdout + res.stderr
    # it listed the daemon's containers over ssh and found none of this project's
    assert "no running container of shop" in out, out
    assert "cannot reach" not in out and res.returncode != 0
