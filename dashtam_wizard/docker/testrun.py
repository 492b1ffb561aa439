"""`verify --run-tests`: the repo's tests in its development image, as Compose would mount it.

Not a check on the image: it runs the project's own code, read-only against the checkout,
and streams its output to the same callback as the builds.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import docker
from docker.errors import DockerException

from ..events import CheckResult, Progress, TestOutput
from . import checks as ck
from .containers import run_once
from .services import ComposeService


def run_tests(
    client: docker.DockerClient,
    repo: Path,
    targets: list[str | None],
    images: dict[str | None, str],
    services: list[ComposeService],
    test_cmd: str,
    say: Callable[[Progress], None],
    local: bool,
) -> CheckResult:
    dev = next(
        (t for t in targets if t and t.lower().startswith("dev")), targets[0] if targets else None
    )
    name = f"tests `{test_cmd}` [{dev or 'default'}]"
    if dev not in images:
        return CheckResult(name, False, "the development image did not build")
    service = next((s for s in services if s.target == dev), None)
    binds: dict[str, dict[str, str]] = {}
    env: dict[str, str] = {}
    if service is not None:
        env, _problems = ck.expected_env(service)
        if local:
            for b in service.binds:
                if b.source.exists():
                    binds[str(b.source)] = {
                        "bind": b.target,
                        "mode": "ro",
                    }  # never write to the repo
    if (
        local
        and (repo / "tests").is_dir()
        and not any(v["bind"] == "/app/tests" for v in binds.values())
    ):
        binds[str(repo / "tests")] = {"bind": "/app/tests", "mode": "ro"}
    last: list[str] = []

    def line(text: str) -> None:
        last.append(text)
        del last[:-3]
        say(TestOutput(text))

    try:
        ran = run_once(
            client,
            images[dev],
            f"cd /app && {test_cmd}",
            environment=env,
            binds=binds,
            network=True,
            timeout=1800,
            on_line=line,
        )
    except DockerException as exc:
        return ck.error(name, exc)
    tail = next((t.strip() for t in reversed(last) if t.strip()), "")
    if ran.exit_code is None:
        return CheckResult(name, False, "timed out after 30 min")
    return CheckResult(name, ran.ok, f"exit {ran.exit_code}: {tail}"[:200])
