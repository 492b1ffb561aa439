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


@pytest.mark.parametrize("screen", SCREENS)
def test_screen_120x40(screen: str, tmp_path: Path, snap_compare) -> None:
    assert snap_compare(_app(tmp_path), run_before=_keys(*SCREENS[screen]), terminal_size=(120, 40))


def test_overview_80x24(tmp_path: Path, snap_compare) -> None:
    assert snap_compare(_app(tmp_path), run_before=_keys(), terminal_size=(80, 24))


def test_phase_2_80x24(tmp_path: Path, snap_compare) -> None:
    assert snap_compare(_app(tmp_path), run_before=_keys("2"), terminal_size=(80, 24))


def test_apply_confirmation(tmp_path: Path, snap_compare) -> None:
    assert snap_compare(_app(tmp_path), run_before=_keys("1", "a"), terminal_size=(120, 40))


def test_light_theme_phase_4(tmp_path: Path, snap_compare) -> None:
    assert snap_compare(_app(tmp_path), run_before=_keys("t", "4", "down"), terminal_size=(120, 40))


def test_help_120x40(tmp_path: Path, snap_compare) -> None:
    assert snap_compare(
        _app(tmp_path), run_before=_keys("4", "question_mark"), terminal_size=(120, 40)
    )


def test_help_80x24(tmp_path: Path, snap_compare) -> None:
    assert snap_compare(_app(tmp_path), run_before=_keys("2", "f1"), terminal_size=(80, 24))
