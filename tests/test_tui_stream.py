"""A flood of build lines: batched into few messages, none crash the screen, keys still work.

The build stream here is synthetic (the daemon cannot be made to print 50,000 lines on
cue): the same objects docker.verify emits, through the same Batcher the app uses.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from textual.widgets import Log

from dashtam_wizard.demo import write_sample
from dashtam_wizard.docker.build import Output, StepStarted
from dashtam_wizard.events import BuildStarted
from dashtam_wizard.tui import messages as msg
from dashtam_wizard.tui.app import WizardApp
from dashtam_wizard.tui.verify_run import Batcher
from dashtam_wizard.tui.widgets.stage_log import MAX_LINES, StageLog

from .test_tui_support import press, screen_text, settle

LINES = 50_000


def test_batcher_keeps_order_and_groups_lines() -> None:
    batches: list[list] = []
    batcher = Batcher(batches.append, interval=10.0)
    batcher(BuildStarted("development", 0, 1))
    for i in range(1000):
        batcher(Output(f"l{i}"))
    batcher(StepStarted(2, 3, "RUN x"))
    batcher.flush()
    flat = [o for b in batches for o in b]
    assert len(batches) == 2  # the stage start alone, then every line at once
    assert [o.line for o in flat if isinstance(o, Output)] == [f"l{i}" for i in range(1000)]


async def test_lines_before_the_log_is_mounted_and_a_flood_do_not_break_the_screen(
    tmp_path: Path,
) -> None:
    repo = write_sample(tmp_path / "x")
    app = WizardApp(repo, docker_probe=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        # the Verify screen without starting a real run (with DOCKER_HOST set, `v` would build)
        await app.switch_screen("verify")
        await pilot.pause()
        posted = []

        def produce() -> None:
            batcher = Batcher(
                lambda objs: (posted.append(1), app.post_message(msg.VerifyProgress(objs)))
            )
            batcher(BuildStarted("development", 0, 1))
            batcher(StepStarted(1, 2, "FROM base"))  # arrives before the StageLog has children
            for i in range(LINES):
                batcher(Output(f"line {i}"))
            batcher.flush()

        worker = threading.Thread(target=produce)
        worker.start()
        worker.join()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            await pilot.pause(0.05)
            logs = list(app.screen.query(StageLog))
            if logs and logs[0].lines >= LINES + 1:
                break
        log = app.screen.query_one(StageLog)
        assert log.lines == LINES + 1
        assert len(posted) < LINES / 50, f"{len(posted)} messages for {LINES} lines"
        assert app.screen.query_one(Log).line_count <= MAX_LINES
        text = screen_text(app)
        assert f"line {LINES - 1}" in text and "earlier line(s) dropped" in text
        await press(pilot, "c")  # keys still answered
        assert app.screen.name == "checklist"
