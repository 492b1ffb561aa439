"""The TUI runs the equivalence gate ahead of apply: Overview and phase screens say what it blocks.

A repo whose migration would break a fresh clone (bare `docker compose` reading the
developer's ignored root .env when present; migrated, it would require an env file no
clone has): the wizard says
so on the Overview and on the phase screens before any apply, and `a` refuses with the
same line, nothing written.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dashtam_wizard.judge.binary import compose_cli
from dashtam_wizard.tui.app import WizardApp

from .conftest import manifest
from .legacy_repos import clone_breaker, write_repo
from .test_gate import DOCKERFILE
from .test_tui_support import press, screen_text, settle

pytestmark = pytest.mark.skipif(compose_cli() is None, reason="needs a Compose v2 CLI")


async def test_the_blocking_difference_is_shown_before_apply_and_apply_is_refused(
    tmp_path: Path,
) -> None:
    repo = clone_breaker(tmp_path / "svc")
    before = manifest(repo)
    app = WizardApp(repo, docker_probe=False)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await settle(pilot)
        assert app.gate is not None and app.gate[0], app.gate
        text = screen_text(app)
        assert "Apply is blocked: a command would behave differently" in text
        assert "Makefile:2: in a fresh clone" in text
        await press(pilot, "4")
        assert "Apply is blocked by the equivalence gate: Makefile:2" in screen_text(app)
        await press(pilot, "A", "y")  # apply every pending phase
        text = screen_text(app)
        assert "Apply stopped — nothing was changed" in text and "Makefile:2" in text
    assert manifest(repo) == before and not (repo / ".dashtam-wizard").exists()


async def test_a_repo_that_passes_says_so(tmp_path: Path) -> None:
    repo = write_repo(
        tmp_path / "svc",
        {
            "src/main.py": "print(1)\n",
            "Dockerfile": DOCKERFILE,
            "docker-compose.yml": "services:\n  app:\n    build: .\n",
            "Makefile": "up:\n\tdocker compose up -d\n",
        },
    )
    app = WizardApp(repo, docker_probe=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert app.gate == ([], [])
        assert "Every Compose call resolves the same after the changes" in screen_text(app)
