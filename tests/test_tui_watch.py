"""The TUI notices what happens to the repo outside it: another shell's apply, an editor.

Without this, the wizard would keep showing (and offering to apply) a plan of files that
have moved. Here the wizard is open on the sample while `dashtam-wizard apply --phase 1`
runs from another shell, and then while an editor changes the Makefile: each time the
screen says the repo changed and shows the plan of the repo as it now is.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from dashtam_wizard.tui.app import WizardApp

from .conftest import run_cli
from .test_tui_support import screen_text, settle


async def _wait_for(pilot, text: str, seconds: float = 30) -> str:  # noqa: ANN001
    shown = ""
    for _ in range(int(seconds * 10)):
        await pilot.pause(0.1)
        shown = screen_text(pilot.app)
        if text in shown:
            return shown
    raise AssertionError(f"{text!r} never shown:\n{shown}")


async def test_an_apply_from_another_shell_and_an_editor_are_noticed(sample: Path) -> None:
    app = WizardApp(sample, docker_probe=False, gate_check=False, watch_interval=0.2)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await settle(pilot)
        assert "Pending: 31 change(s)" in screen_text(app)
        res = await asyncio.to_thread(run_cli, "apply", str(sample), "--phase", "1", "--yes")
        assert res.returncode == 0, res.stdout + res.stderr
        await _wait_for(pilot, "The repo changed outside the wizard")
        await _wait_for(pilot, "Pending: 25 change(s)")
        await settle(pilot)
        app.clear_notifications()
        makefile = sample / "Makefile"
        makefile.write_text(makefile.read_text().replace("docker-compose.ci.yml", "ci.yml"))
        shown = await _wait_for(pilot, "The repo changed outside the wizard")
        assert "Pending: 25 change(s)" in shown or "Pending:" in shown
        await settle(pilot)
        assert app.state is not None
        assert "ci.yml" in (app.state.tree.text("Makefile") or "")


async def test_a_change_before_the_first_look_is_noticed(
    sample: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The watch starts a moment after the first frame (the first keys come first). An
    editor saving in that moment, after the repo was read, is noticed too: the watch
    compares with the repo as it was when read, not with its own first look."""
    from dashtam_wizard.tui import wizard

    monkeypatch.setattr(wizard, "BACKGROUND_DELAY", 2.0)  # the first look comes late
    app = WizardApp(sample, docker_probe=False, gate_check=False, watch_interval=0.2)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await settle(pilot)
        makefile = sample / "Makefile"
        makefile.write_text(makefile.read_text().replace("docker-compose.ci.yml", "ci.yml"))
        await _wait_for(pilot, "The repo changed outside the wizard")
        await settle(pilot)
        assert app.state is not None and "ci.yml" in (app.state.tree.text("Makefile") or "")


async def test_git_status_in_another_shell_is_not_a_change(sample: Path) -> None:
    """`git status` rewrites .git/index (its cached stat data), which the watch sees; the
    repo read again is the same, so nothing says it changed. An edit still does."""
    import subprocess

    from dashtam_wizard.core.snapshot import fingerprint

    app = WizardApp(sample, docker_probe=False, gate_check=False, watch_interval=0.2)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await settle(pilot)
        await pilot.pause(1.0)  # the watch has looked
        before = fingerprint(sample)
        subprocess.run(["git", "-C", str(sample), "status", "-s"], check=True, capture_output=True)
        if fingerprint(sample) == before:  # git left the index alone this time: as it does
            os.utime(sample / ".git/index")  # when it refreshes it, the rest the same
        assert fingerprint(sample) != before  # the watch sees something move
        loads = app._loads  # noqa: SLF001
        for _ in range(50):
            await pilot.pause(0.1)
            if app._loads > loads:  # noqa: SLF001 - read again
                break
        assert app._loads > loads, "the watch did not read the repo again"  # noqa: SLF001
        await settle(pilot)
        said = [n.message for n in app._notifications]  # noqa: SLF001
        assert not [m for m in said if "changed outside" in m], said
        (sample / "Makefile").write_text((sample / "Makefile").read_text() + "\n# edited\n")
        await _wait_for(pilot, "The repo changed outside the wizard")
