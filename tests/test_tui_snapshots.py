"""Every screen as the user sees it on the fresh sample (pytest-textual-snapshot).

Deterministic: the sample is written to a folder named `x` (only the folder name is ever
shown), the Docker probe is off (the screen says "not checked"), nothing is applied.
Regenerate with `uv run --group test pytest tests/test_tui_snapshots.py --snapshot-update`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dashtam_wizard.demo import write_sample
from dashtam_wizard.tui.app import WizardApp

from .legacy_repos import clone_breaker
from .test_tui_support import press, settle


def _app(tmp_path: Path) -> WizardApp:
    return WizardApp(
        write_sample(tmp_path / "x"), docker_probe=False, gate_check=False
    )  # both reach out


def _keys(*keys: str):
    async def run_before(pilot) -> None:
        await settle(pilot)
        await press(pilot, *keys)
        await settle(pilot)

    return run_before


SCREENS = {
    "overview": (),
    **{f"phase_{n}": (str(n),) for n in range(1, 8)},
    "verify": ("n",) * 8,
    "checklist": ("c",),
    "rollback": ("h",),
}


@pytest.mark.parametrize("theme", ["dark", "light"])
@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
@pytest.mark.parametrize("screen", SCREENS)
def test_screen(
    screen: str, size: tuple[int, int], theme: str, tmp_path: Path, snap_compare
) -> None:
    keys = ("t", *SCREENS[screen]) if theme == "light" else SCREENS[screen]
    assert snap_compare(_app(tmp_path), run_before=_keys(*keys), terminal_size=size)


def test_apply_confirmation(tmp_path: Path, snap_compare) -> None:
    assert snap_compare(_app(tmp_path), run_before=_keys("1", "a"), terminal_size=(120, 40))


def test_blocked_change(tmp_path: Path, snap_compare) -> None:
    """A repo the gate refuses (with the real Compose): the Overview says why, phase 4 too."""
    repo = clone_breaker(tmp_path / "svc")
    app = WizardApp(repo, docker_probe=False, gate_check=True)
    assert snap_compare(app, run_before=_keys("4"), terminal_size=(120, 40))


def test_applied_phase_review(tmp_path: Path, snap_compare) -> None:
    """Phase 1 after its apply: what was applied, read-only, instead of "Nothing to change"
    (the toast naming the apply's timestamped id is dismissed: it differs every run)."""

    async def run_before(pilot) -> None:
        await _keys("1", "a", "y", "1")(pilot)
        pilot.app.clear_notifications()
        await settle(pilot)

    assert snap_compare(_app(tmp_path), run_before=run_before, terminal_size=(120, 40))


def test_help_120x40(tmp_path: Path, snap_compare) -> None:
    assert snap_compare(
        _app(tmp_path), run_before=_keys("4", "question_mark"), terminal_size=(120, 40)
    )


def test_help_80x24(tmp_path: Path, snap_compare) -> None:
    assert snap_compare(_app(tmp_path), run_before=_keys("2", "f1"), terminal_size=(80, 24))
