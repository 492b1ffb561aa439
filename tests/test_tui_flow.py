"""The wizard driven with keys like a user: overview → phases (toggle, apply) → rollback.

Assertions are on the repo's files, not only on widgets.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import stat
import subprocess
from pathlib import Path

import pytest
from textual.widgets import DataTable

from dashtam_wizard.apply import apply_changes, last_point_count
from dashtam_wizard.apply.faults import ENV
from dashtam_wizard.core.planner import build_plan
from dashtam_wizard.demo import write_sample
from dashtam_wizard.tui.app import WizardApp
from dashtam_wizard.tui.screens.confirm import ConfirmModal
from dashtam_wizard.tui.screens.phase import PhaseScreen
from dashtam_wizard.tui.widgets.activity import ActivityBar
from dashtam_wizard.tui.widgets.change_list import ChangeList
from dashtam_wizard.tui.widgets.checklist_list import ChecklistList

from .conftest import BIN, manifest
from .test_plan_cli import secret_values
from .test_tui_support import docker_checked, press, screen_text, settle

SKIPPED = "p2:copy:env/.env.prod.example"
# What each phase's apply leaves on disk (phase -> check on the repo root).
AFTER = {
    1: lambda r: (
        (r / "pyproject.toml.backup").is_file()
        and "email-validator" in (r / "pyproject.toml").read_text()
    ),
    2: lambda r: (
        (r / "compose/docker-compose.dev.yml").is_file()
        and not (r / "docker-compose.dev.yml").exists()
        and (r / "env/.env.dev").is_file()
        and not (r / ".env.dev").exists()
    ),
    3: lambda r: "USER appuser" in (r / "docker/Dockerfile").read_text(),
    4: lambda r: "../env/.env.dev" in (r / "compose/docker-compose.dev.yml").read_text(),
    5: lambda r: "compose/docker-compose.dev.yml" in (r / "Makefile").read_text(),
    6: lambda r: (r / "env/README.md").is_file(),
    7: lambda r: ".env" in (r / ".dockerignore").read_text(),
}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return write_sample(tmp_path / "x")


def select(app: WizardApp, change_id: str) -> ChangeList:
    changes = app.screen.query_one(ChangeList)
    changes.focus()
    changes.highlighted = changes.get_option_index(change_id)
    return changes


async def test_walk_every_phase_in_order_skipping_one_change(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The review the product exists for, end to end: read the overview, skip a change,
    apply phase by phase, verify (no daemon here: the screen says so), roll everything back."""
    monkeypatch.setenv("DOCKER_HOST", f"unix://{repo}/no-such-docker.sock")
    before = manifest(repo)
    app = WizardApp(repo, docker_probe=False)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await settle(pilot)
        assert app.screen.name == "overview"
        text = screen_text(app)
        assert "Current State" in text and "Target State" in text
        assert "🔴 No non-root user in dev/test" in text and "docker/Dockerfile:" in text
        assert "not started" in text

        for n in range(1, 8):
            await press(pilot, "n")  # overview → phase 1 → … → phase 7, in order
            assert isinstance(app.screen, PhaseScreen) and app.screen.number == n
            if n == 2:
                select(app, SKIPPED)
                await press(pilot, "space")
                assert SKIPPED in app.options.skip
                assert "skipped" in screen_text(app)
            assert app.state.selected({n}), f"phase {n} has nothing to apply on the sample"
            assert not AFTER[n](repo), f"phase {n} already applied?"
            await press(pilot, "a")
            assert isinstance(app.screen, ConfirmModal)
            await press(pilot, "y")
            assert AFTER[n](repo), f"phase {n}: files not as the plan says"
            assert "done — nothing left to apply" in screen_text(app)
            if n >= 2:
                assert not (repo / "env/.env.prod.example").exists(), (
                    "the skipped change was applied"
                )
        assert app.state.stage().startswith("migrated")
        failed = [n for n, check in AFTER.items() if not check(repo)]
        assert not failed, f"phases whose files are not as the plan says: {failed}"

        await press(pilot, "n")  # after phase 7: Verify
        assert app.screen.name == "verify"
        await press(pilot, "v")
        for _ in range(100):
            if app.busy is None and "Cannot verify" in screen_text(app):
                break
            await pilot.pause(0.1)
        text = screen_text(app)
        assert "Cannot verify" in text and "cannot reach a Docker daemon" in text, text

        await press(pilot, "h")
        table = app.screen.query_one("#history", DataTable)
        rows = [table.get_row_at(i) for i in range(table.row_count)]
        assert [(r[2], r[4]) for r in rows] == [(str(n), "applied") for n in range(7, 0, -1)]
        await pilot.click("#rollback-all")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        assert "Roll back 7 applies?" in screen_text(app)
        await press(pilot, "y")
        assert "Rolled back" in screen_text(app)
        assert app.state.stage().startswith("not started")
    assert manifest(repo) == before, "rollback did not restore every byte"


async def test_apply_all_then_roll_everything_back_byte_for_byte(repo: Path) -> None:
    before = manifest(repo)
    app = WizardApp(repo, docker_probe=False)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await settle(pilot)
        await press(pilot, "2")
        select(app, SKIPPED)
        await press(pilot, "space", "A")
        assert isinstance(app.screen, ConfirmModal)
        lines = app.screen.lines
        left_out = lines[next(i for i, line in enumerate(lines) if line.startswith("left out")) :]
        assert any("env/.env.prod.example" in line for line in left_out)
        await press(pilot, "y")
        failed = [n for n, check in AFTER.items() if not check(repo)]
        assert not failed, f"phases whose files are not as the plan says: {failed}"
        assert not (repo / "env/.env.prod.example").exists(), "the skipped change was applied"
        assert app.state.stage().startswith("migrated")
        await press(pilot, "o")
        text = screen_text(app)
        assert not [p.title for p in app.state.problems if p.present]  # checked on the files
        assert "✅ No non-root user in dev/test  fixed" in text and "Current State ✅" in text

        await press(pilot, "h")
        assert app.screen.name == "history"
        await pilot.click("#rollback-all")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        assert "undo move" in screen_text(app)
        await press(pilot, "y")
        assert manifest(repo) == before, "rollback did not restore every byte"
        assert "Rolled back" in screen_text(app)


async def test_ctrl_z_from_any_screen_undoes_the_latest_apply(repo: Path) -> None:
    before = manifest(repo)
    app = WizardApp(repo, docker_probe=False)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await settle(pilot)
        await press(pilot, "1", "a", "y")
        assert AFTER[1](repo)
        await press(pilot, "c")  # the checklist screen
        assert app.screen.name == "checklist"
        await press(pilot, "ctrl+z")
        assert isinstance(app.screen, ConfirmModal)
        text = screen_text(app)
        assert "pyproject.toml.backup" in text and "byte for byte" in text
        await press(pilot, "y")
        assert manifest(repo) == before


async def test_cancelled_confirmations_change_nothing(repo: Path) -> None:
    before = manifest(repo)
    app = WizardApp(repo, docker_probe=False)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await settle(pilot)
        await press(pilot, "2", "a")
        assert isinstance(app.screen, PhaseScreen), (
            "phase 1 is pending: phase 2 must not offer an apply"
        )
        await press(pilot, "1", "a", "n")
        assert isinstance(app.screen, PhaseScreen)
        await press(pilot, "ctrl+z")  # nothing to roll back: a notice, no modal
        assert isinstance(app.screen, PhaseScreen)
    assert manifest(repo) == before


async def test_report_after_apply(repo: Path) -> None:
    secrets = secret_values(repo)
    app = WizardApp(repo, docker_probe=False)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await settle(pilot)
        await press(pilot, "A", "y")
        assert all(check(repo) for check in AFTER.values())
        await press(pilot, "e")
        report = (repo / "docs/migration-report.md").read_text()
        latest = next(r.id for r in reversed(app.state.history) if r.what() != "report")
        assert "## What changed" in report and f"`{latest}`" in report
        assert "move `compose/docker-compose.dev.yml`" in report
        assert "## Migration Checklist" in report and "- [x] Create directory structure" in report
        assert not {s for s in secrets if s in report}
        # the checklist now sees the report
        await press(pilot, "c")
        assert "Add migration notes" in screen_text(app)
        # the wizard's own output is not a doc with old paths to rewrite
        assert not any("migration-report" in c.id for c in build_plan(repo).changes())
        # written as a transaction: History lists it, ctrl+z undoes it, then the migration
        assert app.state.history[-1].what() == "report"
        await press(pilot, "ctrl+z", "y")
        assert not (repo / "docs/migration-report.md").exists()
        assert all(check(repo) for check in AFTER.values())


async def test_quit_during_an_apply_waits_for_it(repo: Path) -> None:
    """The apply runs in the backend process: it is held there, stopped by the OS."""
    import dashtam_wizard.apply as apply_api

    app = WizardApp(repo, docker_probe=False)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await settle(pilot)
        assert app.backend is not None
        child = app.backend._proc.pid
        os.kill(child, signal.SIGSTOP)  # the apply is asked of a process that cannot run yet
        try:
            await press(pilot, "1", "a")
            await pilot.press("y")
            await pilot.pause(0.1)
            assert (
                app.busy == "apply" and app.screen.query_one(ActivityBar).display
            )  # progress is shown
            await pilot.press("ctrl+q")  # quit while the apply runs
            await pilot.pause(0.2)
            assert app.is_running and "Quitting when the apply finishes" in screen_text(app)
            assert not AFTER[1](repo)
        finally:
            os.kill(child, signal.SIGCONT)
        for _ in range(2000):
            if not app.is_running:
                break
            await pilot.pause(0.05)
    assert app.return_code == 0
    assert AFTER[1](repo)
    assert [r.status for r in apply_api.history(repo)] == ["applied"]


async def test_a_repo_without_docker_files_shows_one_line_not_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    app = WizardApp(tmp_path / "empty", docker_probe=False)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await settle(pilot)
        text = screen_text(app)
        assert "Cannot plan this repo" in text and "nothing to migrate" in text
        assert "Traceback" not in text
        await press(pilot, "3", "a")  # nothing to act on: still no crash
        assert app.is_running


async def test_verify_without_a_daemon_says_so(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{repo}/no-such-docker.sock")
    app = WizardApp(repo)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await docker_checked(pilot)
        assert "not reachable" in screen_text(app) or "cannot reach" in screen_text(app)
        await press(pilot, "v")
        assert app.screen.name == "verify"
        text = screen_text(app)
        assert "Cannot verify" in text and "cannot reach a Docker daemon" in text
        assert not app._notifications, "the error on screen is repeated in a toast"  # noqa: SLF001
        assert app.busy is None


async def test_a_refused_apply_is_one_notification_and_changes_nothing(repo: Path) -> None:
    app = WizardApp(repo, docker_probe=False)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await settle(pilot)
        await press(pilot, "1", "a")
        with (repo / "requirements.txt").open(
            "a"
        ) as fh:  # edited after the plan was made: it is stale
            fh.write("# a late edit\n")
        before = manifest(repo)
        await press(pilot, "y")
        text = screen_text(app)
        assert "nothing was changed" in text and "requirements.txt: changed since the plan" in text
        assert "Traceback" not in text
        assert manifest(repo) == before
        assert app.busy is None and app.is_running
        await press(pilot, "a", "y")  # re-planned after the failure: applies now
        assert AFTER[1](repo)


def test_an_interrupted_apply_is_recovered_when_the_wizard_starts(
    repo: Path, tmp_path: Path
) -> None:
    scratch = write_sample(
        tmp_path / "scratch" / "x"
    )  # count the journal points of phase 1's apply
    apply_changes(scratch, build_plan(scratch).changes({1}), phases=[1])
    points = last_point_count()
    before = manifest(repo)
    crash = subprocess.run(
        [str(BIN / "dashtam-wizard"), "apply", str(repo), "--yes", "--phase", "1"],
        env={**os.environ, ENV: str(points * 2 // 3)},
        capture_output=True,
        timeout=300,
    )
    assert crash.returncode == -signal.SIGKILL, crash.stderr
    assert manifest(repo) != before

    async def run() -> str:
        app = WizardApp(repo, docker_probe=False)
        async with app.run_test(size=(120, 40), notifications=True) as pilot:
            await settle(pilot)
            return screen_text(app)

    text = asyncio.run(run())
    assert "Recovered an interrupted operation" in text
    assert manifest(repo) == before


async def test_manual_checklist_ticks_are_saved_and_survive_a_restart(repo: Path) -> None:
    item = "Clean up unused files"  # only a person can judge this one
    saved = repo / ".dashtam-wizard" / "checklist.json"

    async def tick(app: WizardApp, pilot) -> None:
        await press(pilot, "c")
        checklist = app.screen.query_one(ChecklistList)
        oid = next(oid for oid, i in checklist.items.items() if i.text == item)
        checklist.focus()
        checklist.highlighted = checklist.get_option_index(oid)
        await press(pilot, "space")

    app = WizardApp(repo, docker_probe=False)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await settle(pilot)
        await tick(app, pilot)
        assert app.manual == {item: True}
        assert f"✅ {item}  ticked by you" in screen_text(app)
    assert json.loads(saved.read_text())["ticked"] == {item: True}  # sealed with the user's key
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    assert stat.S_IMODE(saved.parent.stat().st_mode) == 0o700  # it sits next to env secrets
    git = subprocess.run(
        ["git", "-C", str(repo), "status", "--porcelain"], capture_output=True, text=True
    )
    assert ".dashtam-wizard" not in git.stdout  # the state dir stays out of git
    # the headless checklist shows the same tick
    from .conftest import run_cli

    res = run_cli("status", "--json", str(repo))
    (shown,) = [i for i in json.loads(res.stdout)["items"] if i["text"] == item]
    assert shown["done"] is True and shown["evidence"] == "ticked by you in the wizard"

    app = WizardApp(repo, docker_probe=False)  # a restart: the tick is read back
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await settle(pilot)
        assert app.manual == {item: True}
        await press(pilot, "c")
        assert f"✅ {item}  ticked by you" in screen_text(app)
        await tick(app, pilot)  # and unticked again
        assert not app.manual[item]
    assert json.loads(saved.read_text())["ticked"] == {}


async def test_without_the_backend_process_the_app_works_in_threads(repo: Path) -> None:
    app = WizardApp(repo, docker_probe=False)
    assert app.backend is not None
    app.backend._proc.kill()  # the planning process dies before answering
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await settle(pilot)
        assert app.backend is None  # given up on: every job now runs in this process
        assert app.state is not None and "not started" in screen_text(app)
        await press(pilot, "2")
        select(app, SKIPPED)
        await press(pilot, "space")  # a re-plan, in a thread
        assert SKIPPED in app.options.skip and "skipped" in screen_text(app)


async def test_a_backend_lost_during_an_apply_is_not_applied_twice(
    repo: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The process doing the apply dies halfway (the crash tests' fault injection: SIGKILL at
    a journal point): the app does not apply again in its own thread; it finishes the
    interrupted apply's undo, as a start after any crash does, and says so in one line."""
    scratch = write_sample(tmp_path / "scratch" / "x")  # count phase 1's journal points
    apply_changes(scratch, build_plan(scratch).changes({1}), phases=[1])
    before = manifest(repo)
    monkeypatch.setenv(ENV, str(last_point_count() * 2 // 3))  # the backend's apply dies
    app = WizardApp(repo, docker_probe=False)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await settle(pilot)
        await press(pilot, "1", "a")
        await pilot.press("y")
        for _ in range(600):
            if app.busy is None and app.backend is None:
                break
            await pilot.pause(0.05)
        await settle(pilot)
        text = screen_text(app)
        assert "Interrupted" in text and "Traceback" not in text, text
        said = " ".join(n.message for n in app._notifications)
        assert "stopped during the apply. Recovered an interrupted operation: Rolled back" in said
        assert app.backend is None  # later jobs run in this process
        assert manifest(repo) == before  # undone, not applied a second time
        monkeypatch.delenv(ENV)
        await press(pilot, "a", "y")  # the phase is still there to apply, in this process
        assert AFTER[1](repo)


def test_previews_name_the_language_of_the_files_the_wizard_changes() -> None:
    """Known files are highlighted by name: Pygments' guessing is slow, and wrong for these."""
    from dashtam_wizard.tui.widgets.diff_preview import language_for

    assert language_for("docker/Dockerfile") == "docker"
    assert language_for("pyproject.toml.backup") == language_for("uv.lock") == "toml"
    assert language_for("compose/docker-compose.prod.yml.example") == "yaml"
    assert language_for("env/.env.dev") == language_for(".env.example") == "bash"
    assert language_for(".dockerignore") == language_for("requirements.txt") == "text"
    assert language_for("Makefile") == "make" and language_for("scripts/x.sh") == "bash"
    assert language_for("notes.unknown") is None  # Pygments guesses these


@pytest.mark.parametrize("phase", ["4", "5"])
async def test_at_80x24_the_preview_shows_at_least_ten_diff_lines(repo: Path, phase: str) -> None:
    """On a laptop's default terminal the notes and the preview's header are compacted:
    the diff itself (numbered lines) keeps at least ten rows of the screen."""
    import re

    app = WizardApp(repo)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        await press(pilot, phase)
        text = screen_text(app)
    numbered = [ln for ln in text.splitlines() if re.search(r"│▎\s*\d+\s", ln)]
    assert len(numbered) >= 10, text


async def test_every_phase_opens_with_its_change_list_focused(repo: Path) -> None:
    """Phase 2 left on its checklist, phase 1 applied: phase 2 opens again with the change
    list focused: space then includes/skips a change and the footer says so, instead of
    ticking a checklist item."""
    app = WizardApp(repo, docker_probe=False)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await settle(pilot)
        await press(pilot, "2", "tab")  # looked at phase 2 first, left it on its checklist
        assert isinstance(app.focused, ChecklistList)
        await press(pilot, "1")
        assert isinstance(app.focused, ChangeList)
        await press(pilot, "a", "y")
        await press(pilot, "n")
        assert isinstance(app.screen, PhaseScreen) and app.screen.number == 2
        assert isinstance(app.focused, ChangeList) and not app.focused.applied
        assert "space Include/skip" in screen_text(app).splitlines()[-1]
        await press(pilot, "end")  # the last change (the first, `create compose/`, is needed)
        last = app.focused.current
        await press(pilot, "space")
        assert last is not None and last.id in app.options.skip


async def test_help_explains_the_phases_the_keys_the_state_and_undo(repo: Path) -> None:
    """`?` (or F1) on a phase screen: that screen's keys, what every phase does, where the
    state lives and how to undo; esc closes it."""
    from dashtam_wizard.core.model import PHASE_TITLES
    from dashtam_wizard.tui.screens.help import HelpScreen

    app = WizardApp(repo, docker_probe=False)
    async with app.run_test(size=(120, 60), notifications=True) as pilot:
        await settle(pilot)
        await press(pilot, "4", "question_mark")
        assert isinstance(app.screen, HelpScreen)
        help_text = " ".join(w.render().plain for w in app.screen.query("Static"))  # type: ignore[attr-defined]
        for expected in (
            "Keys on Phase 4",
            "Include/skip",
            "Split",
            "Rollback",
            f".dashtam-wizard/ in the repo ({repo.name})",
            "`dashtam-wizard rollback --yes` in the repo",
            *PHASE_TITLES.values(),
        ):
            assert expected in help_text, expected
        # the screen's own keys in the footer's order come first, Textual's tab/^c last
        keys = help_text.split("Keys on Phase 4", 1)[1].split("The phases", 1)[0]
        order = [keys.index(word) for word in ("Include/skip", "Apply phase", "Focus Next")]
        assert order == sorted(order), keys
        await press(pilot, "escape")
        assert isinstance(app.screen, PhaseScreen)
        await press(pilot, "f1")
        assert isinstance(app.screen, HelpScreen)


async def test_a_report_written_mid_migration_changes_nothing_the_rest_applies(
    repo: Path, tmp_path: Path
) -> None:
    """Phases 1-2 applied, the report written (`e`), then the rest applied from the CLI: the
    repo ends as one `apply --yes` leaves it, plus the report (not rewritten by phase 5)."""
    import subprocess

    once = write_sample(tmp_path / "once" / "x")
    assert (
        subprocess.run(
            [str(BIN / "dashtam-wizard"), "apply", str(once), "--yes"], capture_output=True
        ).returncode
        == 0
    )
    app = WizardApp(repo, docker_probe=False)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await settle(pilot)
        await press(pilot, "1", "a", "y", "2", "a", "y", "e")  # after the moves of phase 2
    report = (repo / "docs/migration-report.md").read_bytes()
    res = subprocess.run(
        [str(BIN / "dashtam-wizard"), "apply", str(repo), "--yes"], capture_output=True, text=True
    )
    assert res.returncode == 0, res.stdout + res.stderr
    assert (repo / "docs/migration-report.md").read_bytes() == report

    def files(
        root: Path,
    ) -> dict:  # the index holds stat times: compared as `git ls-files -s` below
        return {k: v for k, v in manifest(root).items() if not k.startswith(("docs", ".git/"))}

    assert files(repo) == files(once)
    staged = [
        subprocess.run(
            ["git", "-C", str(r), "ls-files", "-s"], capture_output=True, text=True
        ).stdout
        for r in (repo, once)
    ]
    assert staged[0] == staged[1]


async def test_a_repo_that_cannot_be_planned_says_so_and_r_reads_it_again(repo: Path) -> None:
    """A broken compose file: the error with its file and line, trees that say they are not
    planned (no "planning…" forever, no ✅); fixed in an editor, `r` plans it."""
    good = (repo / "docker-compose.dev.yml").read_text()
    (repo / "docker-compose.dev.yml").write_text("services:\n  app: [\n")
    app = WizardApp(repo, docker_probe=False)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await settle(pilot)
        text = screen_text(app)
        assert "docker-compose.dev.yml:3: is not valid YAML" in text
        assert "planning…" not in text and "reading the repo…" not in text and "not planned" in text
        assert "Target State ✅" not in text
        (repo / "docker-compose.dev.yml").write_text(good)
        await press(pilot, "r")
        for _ in range(50):
            if app.state is not None:
                break
            await pilot.pause(0.1)
        await settle(pilot)
        text = screen_text(app)
        assert app.state is not None and "not valid YAML" not in text and "Target State ✅" in text


async def test_an_applied_phase_stays_reviewable_read_only(repo: Path) -> None:
    """After `a` on phase 1 its screen lists what was applied, with each change's diff in the
    preview, instead of "nothing to change"; space there changes nothing."""
    app = WizardApp(repo, docker_probe=False)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await settle(pilot)
        await press(pilot, "1")
        planned = [c.id for c in app.state.plan.phases[0].changes]
        await press(pilot, "a", "y")
        assert (repo / "pyproject.toml.backup").is_file()
        changes = app.screen.query_one(ChangeList)
        assert changes.display and changes.applied
        assert [c.id for c in changes.changes] == planned
        select(app, "p1:edit:pyproject.toml")
        await settle(pilot)
        text = screen_text(app)
        assert "Applied  (6, read-only)" in text, text
        assert "already exists and differs" not in text  # its own backups are not "earlier" ones
        assert "email-validator>=2.1" in text  # the applied edit's diff, in the preview
        before = manifest(repo)
        await press(pilot, "space")
        assert manifest(repo) == before and not app.options.skip


async def test_long_lines_are_marked_wrap_on_w_and_split_falls_back_when_narrow(repo: Path) -> None:
    """The Makefile's changed lines are wider than the preview at 120 columns: the preview
    says so, `w` wraps them (continuations marked ↪), `d` asks for split view but a side
    would be under 60 columns, so it stays unified and says why."""
    app = WizardApp(repo, docker_probe=False)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await settle(pilot)
        await press(pilot, "5")
        text = screen_text(app)
        assert "line(s) run past the pane's edge: w wraps them" in text, text
        # the two docs are off by default, not skipped by the user: the header says which
        header = text.splitlines()[1]
        assert header.rstrip().endswith("· 2 off by default") and "skipped" not in header
        # cut lines end in ›; ←/→ in the preview move the code under fixed line numbers
        echo = next(ln for ln in text.splitlines() if '@echo "Development (compose/' in ln)
        assert echo.rstrip(" │▅▁").endswith("›") and "env/.env.dev" not in echo, echo
        app.set_focus(app.screen.query_one("#preview"))
        await press(pilot, *["right"] * 5)
        text = screen_text(app)
        echo = [ln for ln in text.splitlines() if "compose.dev.yml, env/.env.dev" in ln]
        assert echo and "▎    12  + ‹" in echo[0], text
        await press(pilot, "shift+left")
        assert "‹" not in screen_text(app)
        await press(pilot, "w")
        text = screen_text(app)
        assert "run past the pane's edge" not in text and "↪" in text, text
        await press(pilot, "d")
        assert "unified: split needs 132 columns, the pane has" in screen_text(app)
        skipped_doc = next(c for c in app.state.plan.phases[4].changes if not c.default)
        row = app.screen.query_one(ChangeList).get_option(skipped_doc.id).prompt
        assert str(row).endswith(
            f"{skipped_doc.summary}  off by default: review, space includes it"
        ), row


async def test_history_shows_local_times_and_what_each_apply_did(repo: Path) -> None:
    app = WizardApp(repo, docker_probe=False)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await settle(pilot)
        await press(pilot, "1", "a", "y", "h")
        text = screen_text(app)
    assert "(just now)" in text and "+00:00" not in text, text


async def test_full_garbage_collection_waits_for_a_pause_in_the_keys(repo: Path) -> None:
    """A full collection scans every object a planned repo holds (most of a second): it
    must not run mid-keystroke, and must still run once the user pauses (memory stays
    bounded); the process gets its GC thresholds back when the app ends."""
    import gc

    before_app = gc.get_threshold()
    app = WizardApp(repo, docker_probe=False)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await settle(pilot)
        await press(pilot, "1", "down", "down")
        assert gc.get_threshold()[2] > 100_000  # not started by allocation
        full = gc.get_stats()[2]["collections"]
        await pilot.pause(5)  # no key for longer than IDLE_GC_EVERY
        assert gc.get_stats()[2]["collections"] > full
    assert gc.get_threshold() == before_app
