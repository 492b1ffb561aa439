"""The SDK build fallback against a real Podman service (its Docker-compatible API).

Podman streams `STEP n/m: …` and `--> Using cache …` where Docker's classic builder writes
`Step n/m : …`; where the fallback talks to Podman those must still be steps and cache hits
(the Verify screen's progress and the CLI's `[n/m]`). The service runs with storage of its
own (vfs, a temporary folder), fed the test daemon's base image; `.ci/run` installs Podman.
"""

from __future__ import annotations

import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from dashtam_wizard.docker.build import BuildDone, CacheHit, Output, StepStarted, build_stage
from tests.dockerd import _unavailable, dockerd_client  # noqa: F401  (fixture)

from .test_docker_build import small_repo


@pytest.fixture(scope="module")
def podman_api(dockerd_client, tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:  # noqa: F811
    if shutil.which("podman") is None:
        _unavailable("podman is not installed (.ci/run installs it: apt-get install podman)")
    root = tmp_path_factory.mktemp("podman")
    podman = [
        "podman",
        "--root",
        str(root / "storage"),
        "--runroot",
        str(root / "run"),
        "--storage-driver",
        "vfs",
        "--cgroup-manager",
        "cgroupfs",
        "--events-backend",
        "none",
    ]
    image = root / "base.tar"
    with image.open("wb") as out:
        for chunk in dockerd_client.images.get("python:3.13-slim").save(named=True):
            out.write(chunk)
    subprocess.run([*podman, "load", "-i", str(image)], check=True, capture_output=True)
    sock = root / "podman.sock"
    service = subprocess.Popen(
        [*podman, "system", "service", "--time=0", f"unix://{sock}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        api = None
        for _ in range(400):
            if sock.exists():
                try:
                    api = docker.APIClient(base_url=f"unix://{sock}", timeout=300)
                    break
                except docker.errors.DockerException:  # not answering yet
                    pass
            time.sleep(0.05)
        if api is None:
            _unavailable("the Podman service did not answer on its socket")
        yield api
    finally:
        service.terminate()
        service.wait(timeout=30)
        shutil.rmtree(root, ignore_errors=True)


@pytest.mark.docker
def test_podman_build_streams_steps_and_cache_hits(podman_api, tmp_path: Path) -> None:
    token = uuid.uuid4().hex[:8]
    repo = small_repo(tmp_path / "r", token)
    events: list[object] = []
    result = build_stage(podman_api, repo, "second", events.append)
    assert result.ok, events[-5:]
    assert podman_api.version().get("Components", [{}])[0].get("Name", "").startswith("Podman")
    steps = [ev for ev in events if isinstance(ev, StepStarted)]
    # Podman counts steps per stage (`[2/2] STEP 1/2: …`): each stage's steps in order
    assert [(s.n, s.total, s.text.split(":")[0]) for s in steps] == [
        (1, 2, "stage 1/2"),
        (2, 2, "stage 1/2"),
        (1, 2, "stage 2/2"),
        (2, 2, "stage 2/2"),
    ], steps
    assert steps[0].text == "stage 1/2: FROM python:3.13-slim AS base"
    assert steps[3].text == f"stage 2/2: RUN echo three-{token}"
    lines = [ev.line for ev in events if isinstance(ev, Output)]
    assert f"one-{token}" in lines and f"three-{token}" in lines
    assert lines == [f"one-{token}", f"two-{token}", f"three-{token}"], lines
    assert isinstance(events[-1], BuildDone) and events[-1].image_id

    again: list[object] = []
    assert build_stage(podman_api, repo, "second", again.append).ok
    assert sum(isinstance(ev, CacheHit) for ev in again) >= 2, again
    assert not any(isinstance(ev, Output) and token in ev.line for ev in again)
