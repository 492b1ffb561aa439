"""Verify screen: live logs per stage (bounded), results as they come, on a real daemon."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from textual.app import App, ComposeResult
from textual.widgets import Log, OptionList

from dashtam_wizard.demo import write_sample
from dashtam_wizard.tui.app import WizardApp
from dashtam_wizard.tui.verify_run import log_path
from dashtam_wizard.tui.widgets.stage_log import MAX_LINES, StageLog
from tests.dockerd import dockerd_client  # noqa: F401  (fixture)

from .test_plan_cli import secret_values
from .test_tui_support import docker_checked, press, screen_text


class OneLog(App):
    def compose(self) -> ComposeResult:
        yield StageLog("development", 0, 1, ".dashtam-wizard/logs/verify-development.log")


async def test_a_stage_log_keeps_a_bounded_tail_and_says_what_it_dropped() -> None:
    app = OneLog()
    async with app.run_test(size=(120, 40)) as pilot:
        log = app.query_one(StageLog)
        log.step(1, 3, "FROM python:3.13-slim")
        for i in range(MAX_LINES + 49):
            log.write(f"line {i}")
        await pilot.pause()
        assert app.query_one(Log).line_count == MAX_LINES
        text = screen_text(app)
        assert f"{MAX_LINES + 50 - MAX_LINES} earlier line(s) dropped" in text
        assert "verify-development.log" in text
        assert f"line {MAX_LINES + 48}" in text  # the newest line is on screen


@pytest.mark.docker
async def test_verify_streams_builds_and_fills_the_results(tmp_path: Path, dockerd_client) -> None:  # noqa: F811
    repo = write_sample(tmp_path / "x")
    secrets = secret_values(repo)
    app = WizardApp(repo)
    async with app.run_test(size=(120, 40)) as pilot:
        await docker_checked(pilot)
        assert "reachable — Docker" in screen_text(app)
        await press(pilot, "A", "y")
        await press(pilot, "v")
        assert app.screen.name == "verify"
        text = screen_text(app)
        assert "Verify finished" in text
        logs = list(app.screen.query(StageLog))
        assert logs and all(log.has_class("-ok") for log in logs), "a stage did not build"
        assert all(log.lines > 0 for log in logs)
        for log in logs:
            assert (repo / log_path(log.target)).read_text().startswith("Step 1/")
        results = app.screen.query_one("#checks", OptionList)
        assert results.option_count == len(app.last_verify.checks) > 5
        prompts = [str(results.get_option_at_index(i).prompt) for i in range(results.option_count)]
        assert any(p.startswith("✅ non-root USER [development]") for p in prompts), prompts
        assert app.last_verify.ok
        shown = (
            "".join(prompts)
            + text
            + "".join((repo / log_path(log.target)).read_text() for log in logs)
        )
        assert not {s for s in secrets if s in shown}


def processes_in(folder: Path) -> list[str]:
    """The command lines of the processes working in `folder` (their cwd is in it)."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and Path(os.readlink(proc / "cwd")).is_relative_to(folder):
                found.append((proc / "cmdline").read_bytes().replace(b"\0", b" ").decode())
        except OSError:
            continue  # gone meanwhile, or not ours to read
    return found


@pytest.mark.docker
async def test_quitting_during_a_verify_stops_it_and_leaves_no_process(
    tmp_path: Path,
    dockerd_client,  # noqa: F811
) -> None:
    """Verify runs in the backend process: quitting while it builds ends the build there
    too, with nothing left running in the repo."""
    repo = write_sample(tmp_path / "x")
    app = WizardApp(repo)
    async with app.run_test(size=(120, 40)) as pilot:
        await docker_checked(pilot)
        assert app.backend is not None
        child = app.backend._proc
        await pilot.press("v")
        for _ in range(1200):  # until the first stage's log is on screen
            if app.busy == "verify" and app.screen.query(StageLog):
                break
            await pilot.pause(0.05)
        assert app.busy == "verify" and app.screen.query(StageLog), screen_text(app)
        await pilot.press("ctrl+q")
        for _ in range(200):
            if not app.is_running:
                break
            await pilot.pause(0.05)
        assert not app.is_running
    assert child.wait(timeout=10) is not None
    assert processes_in(repo) == []
