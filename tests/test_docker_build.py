"""Build streaming on a real daemon, and the build-context report (as the SDK sends it)."""

from __future__ import annotations

import tarfile
import time
import uuid
from pathlib import Path

import pytest
from docker.utils.build import tar as sdk_tar

from dashtam_wizard.docker.build import (
    BuildDone,
    CacheHit,
    Output,
    StepFailed,
    StepStarted,
    build_stage,
    iter_build,
)
from dashtam_wizard.docker.context import context_report, read_dockerignore
from tests.dockerd import dockerd_client  # noqa: F401  (fixture)


def small_repo(root: Path, token: str) -> Path:
    (root / "docker").mkdir(parents=True)
    (root / "docker" / "Dockerfile").write_text(
        "FROM python:3.13-slim AS base\n"
        f"RUN echo one-{token} \\\n"
        "    && sleep 2 \\\n"
        f"    && echo two-{token}\n"
        "\n"
        "FROM base AS second\n"
        f"RUN echo three-{token}\n"
        "\n"
        "FROM base AS broken\n"
        f"RUN echo about-to-fail-{token} && exit 3\n"
    )
    return root


@pytest.mark.docker
def test_build_streams_typed_events(dockerd_client, tmp_path: Path) -> None:  # noqa: F811
    token = uuid.uuid4().hex[:8]
    repo = small_repo(tmp_path / "r", token)
    seen: list[tuple[float, object]] = []
    result = build_stage(
        dockerd_client.api, repo, "second", lambda ev: seen.append((time.monotonic(), ev))
    )
    events = [ev for _, ev in seen]
    steps = [ev for ev in events if isinstance(ev, StepStarted)]
    assert steps[0] == StepStarted(1, steps[0].total, "FROM python:3.13-slim AS base")
    assert [s.n for s in steps] == list(range(1, steps[0].total + 1))
    assert steps[1].text.startswith(f"RUN echo one-{token}")
    assert StepStarted(3, steps[0].total, "FROM base AS second") in steps
    # streamed, not buffered: the two echoes arrive about 2 s apart, in order
    at = {ev.line: t for t, ev in seen if isinstance(ev, Output)}
    assert at[f"two-{token}"] - at[f"one-{token}"] > 1.0
    assert f"three-{token}" in at
    assert not any(
        isinstance(ev, Output) and ev.line.startswith((" --->", "Removing intermediate"))
        for ev in events
    )
    assert (
        isinstance(events[-1], BuildDone) and result.ok and result.image_id == events[-1].image_id
    )
    assert dockerd_client.images.get(result.image_id).labels.get("dashtam-wizard") == "1"

    # the same build again: every RUN comes from the cache, no output is replayed
    again = list(iter_build(dockerd_client.api, repo, "second"))
    assert sum(isinstance(ev, CacheHit) for ev in again) >= 2
    assert not any(isinstance(ev, Output) and token in ev.line for ev in again)
    assert isinstance(again[-1], BuildDone)


@pytest.mark.docker
def test_failing_step_reports_step_error_and_line(dockerd_client, tmp_path: Path) -> None:  # noqa: F811
    token = uuid.uuid4().hex[:8]
    repo = small_repo(tmp_path / "r", token)
    result = build_stage(dockerd_client.api, repo, "broken")
    assert not result.ok and result.image_id is None
    failed = result.failed
    assert isinstance(failed, StepFailed)
    assert failed.text == f"RUN echo about-to-fail-{token} && exit 3"
    assert "non-zero code: 3" in failed.error
    assert result.where == "docker/Dockerfile:10"


@pytest.mark.docker
def test_bad_target_fails_without_raising(dockerd_client, tmp_path: Path) -> None:  # noqa: F811
    repo = small_repo(tmp_path / "r", "x")
    events = list(iter_build(dockerd_client.api, repo, "no-such-stage"))
    assert isinstance(events[-1], StepFailed)
    assert "no-such-stage" in events[-1].error


def test_context_report_matches_what_the_sdk_sends(tmp_path: Path) -> None:
    root = tmp_path / "ctx"
    (root / "docker").mkdir(parents=True)
    (root / "docker" / "Dockerfile").write_text("FROM python:3.13-slim\n")
    (root / "src").mkdir()
    (root / "src" / "app.py").write_text("print('hi')\n" * 100)
    (root / ".venv" / "lib").mkdir(parents=True)
    (root / ".venv" / "lib" / "big.bin").write_bytes(b"\0" * 50_000)
    (root / ".env.dev").write_text("SECRET_KEY=s3cr3t\n")
    (root / ".env.example").write_text("SECRET_KEY=\n")
    (root / "env").mkdir()
    (root / "env" / ".env.test").write_text("A=1\n")
    (root / ".dockerignore").write_text("# comment\n.venv/\n\n")

    rep = context_report(root)
    assert rep.dockerignore == ".dockerignore"
    assert rep.secret_files == [".env.dev", "env/.env.test"]
    with tarfile.open(
        fileobj=sdk_tar(
            str(root), exclude=read_dockerignore(root), dockerfile=("docker/Dockerfile", None)
        )
    ) as t:
        sent = {m.name: m.size for m in t.getmembers() if not m.isdir()}
    assert rep.files == len(sent)
    assert rep.bytes == sum(sent.values())
    assert ".venv/lib/big.bin" not in sent

    (root / ".dockerignore").write_text(".venv/\n.env*\n!.env.example\nenv/\n")
    rep = context_report(root)
    assert rep.secret_files == []
    assert rep.files == len(sent) - 2


def test_podman_compat_build_lines_are_steps_and_cache_hits() -> None:
    """Podman's Docker-compatible API streams `STEP n/m: …`, `--> Using cache <id>`, `--> <id>`
    and `COMMIT` where Docker's classic builder writes `Step n/m : …`. No Podman service runs
    in every environment, so these are lines in the shape Podman 4 prints them (a transcript);
    Docker's own shape is checked against the real daemon above; tests/test_podman.py
    builds on a real Podman service."""
    from dashtam_wizard.docker.build import CacheHit, Output, StepStarted, classify_line

    transcript = [
        "STEP 1/3: FROM python:3.12-slim",
        "STEP 2/3: RUN pip install uv",
        "--> Using cache 3b8a3f0c2d1e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a",
        "--> 3b8a3f0c2d1e",
        "STEP 3/3: COPY . /app",
        "COMMIT ledgerly:dev",
        "--> 9f8e7d6c5b4a",
        "Successfully tagged localhost/ledgerly:dev",
    ]
    step = None
    events = []
    for line in transcript:
        event, _ = classify_line(line, step)
        if isinstance(event, StepStarted):
            step = event
        if event is not None:
            events.append(event)
    assert events == [
        StepStarted(1, 3, "FROM python:3.12-slim"),
        StepStarted(2, 3, "RUN pip install uv"),
        CacheHit(2),
        StepStarted(3, 3, "COPY . /app"),
    ]
    staged = classify_line("[2/3] STEP 1/4: FROM base AS builder", None)[0]
    assert staged == StepStarted(1, 4, "stage 2/3: FROM base AS builder")
    docker_line = classify_line("Step 4/9 : RUN uv sync --frozen", None)[0]
    assert docker_line == StepStarted(4, 9, "RUN uv sync --frozen")
    assert classify_line(" ---> Using cache", docker_line)[0] == CacheHit(4)
    assert classify_line("Successfully built 0123456789ab", None) == (None, "0123456789ab")
    assert classify_line("collected 3 items", None)[0] == Output("collected 3 items")
