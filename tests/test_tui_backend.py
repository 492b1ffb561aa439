"""The TUI's backend process and state cache: the same state as planning in the app, faster.

The app's start-up path (`tui.app.run`) reads the state cache before Textual loads and
otherwise has the backend process plan the repo; these check that what either returns is
what the planner says, that any change to the repo is a miss, and that errors cross the
process boundary as the one-line errors the app shows.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from dashtam_wizard.core.context import Options
from dashtam_wizard.core.errors import BadInput
from dashtam_wizard.demo import write_sample
from dashtam_wizard.service.loader import save_manual
from dashtam_wizard.tui import ops, statecache
from dashtam_wizard.tui.backend import Backend
from dashtam_wizard.tui.wizard import WizardApp

from .test_tui_support import screen_text, settle


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return write_sample(tmp_path / "x")


def ids(state) -> list[str]:
    return [c.id for c in state.plan.changes()]


def test_the_state_cache_answers_only_for_an_unchanged_repo(repo: Path) -> None:
    assert ops.first_load_here(repo) == (None, None)  # never looked at
    planned = ops.load(repo, Options())  # plans and caches
    cached, recovered = ops.first_load_here(repo)
    assert cached is not None and recovered is None
    assert ids(cached) == ids(planned) and cached.items == planned.items
    assert cached.problems == planned.problems and cached.target.files == planned.target.files

    folder = statecache.folder()
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700  # states hold the env files
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in folder.glob("*.pickle"))

    save_manual(repo, {"Clean up unused files": True})  # ticks are read fresh, not keyed
    cached, _ = ops.first_load_here(repo)
    assert cached is not None and cached.manual == {"Clean up unused files": True}

    with (repo / "requirements.txt").open("a") as fh:
        fh.write("# an edit\n")
    assert ops.first_load_here(repo) == (None, None)  # any edit is a miss
    assert ids(ops.load(repo, Options())) == ids(planned)


def test_no_cache_means_no_state_cache(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DASHTAM_WIZARD_NO_CACHE", "1")
    ops.load(repo, Options())
    assert ops.first_load_here(repo) == (None, None)


def test_the_backend_process_plans_and_sends_errors_back(repo: Path, tmp_path: Path) -> None:
    proc = Backend.start(repo)
    assert proc is not None
    try:
        state, recovered = proc.call("load", repo, Options(), True)  # started on its own
        assert recovered is None and ids(state) == ids(ops.load(repo, Options()))
        skip = ids(state)[0]
        again, _ = proc.call("load", repo, Options(skip=frozenset({skip})), False)
        assert skip in again.options.skip and again.selected() == state.selected()[1:]
        (tmp_path / "empty").mkdir()
        with pytest.raises(BadInput) as err:  # rebuilt in this process, one line as ever
            proc.call("load", tmp_path / "empty", Options(), False)
        assert "nothing to migrate" in err.value.one_line()
    finally:
        proc.close()
    assert proc._proc.returncode == 0


def test_the_child_imports_no_ui_and_a_cached_start_no_planner(repo: Path) -> None:
    """The backend never loads Textual; a cache hit in `app.run` loads no planner."""
    ops.load(repo, Options())
    code = (
        "import sys\nfrom pathlib import Path\nfrom dashtam_wizard.tui import ops\n"
        f"state, _ = ops.first_load_here(Path({str(repo)!r}))\nassert state is not None\n"
        "print(' '.join(m for m in ('textual', 'ruamel', 'jinja2', 'dashtam_wizard.core.planner')"
        " if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=os.environ
    )
    assert out.stdout.strip() == ""


async def test_a_cached_start_shows_the_overview_at_once_and_starts_the_backend_later(
    repo: Path,
) -> None:
    ops.load(repo, Options())
    state, _ = ops.first_load_here(repo)
    app = WizardApp(repo, docker_probe=False, state=state)
    assert app.backend is None  # nothing planned in the background for the first frame
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert app.state is state and "not started" in screen_text(app)
        await pilot.pause(0.8)  # the backend starts a moment after the first frame
        assert app.backend is not None
        await settle(pilot)
