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


THEMES = pytest.mark.parametrize("theme", ["dark", "light"])
SIZES = pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])


def _themed(theme: str, *keys: str) -> tuple[str, ...]:
    return ("t", *keys) if theme == "light" else keys


@THEMES
@SIZES
@pytest.mark.parametrize("screen", SCREENS)
def test_screen(
    screen: str, size: tuple[int, int], theme: str, tmp_path: Path, snap_compare
) -> None:
    keys = _themed(theme, *SCREENS[screen])
    assert snap_compare(_app(tmp_path), run_before=_keys(*keys), terminal_size=size)


@THEMES
@SIZES
def test_apply_confirmation(
    size: tuple[int, int], theme: str, tmp_path: Path, snap_compare
) -> None:
    keys = _themed(theme, "1", "a")
    assert snap_compare(_app(tmp_path), run_before=_keys(*keys), terminal_size=size)


@THEMES
@SIZES
def test_blocked_change(size: tuple[int, int], theme: str, tmp_path: Path, snap_compare) -> None:
    """A repo the gate refuses (with the real Compose): the Overview says why, phase 4 too."""
    repo = clone_breaker(tmp_path / "svc")
    app = WizardApp(repo, docker_probe=False, gate_check=True)
    assert snap_compare(app, run_before=_keys(*_themed(theme, "4")), terminal_size=size)


@THEMES
@SIZES
def test_applied_phase_review(
    size: tuple[int, int], theme: str, tmp_path: Path, snap_compare
) -> None:
    """Phase 1 after its apply: what was applied, read-only, instead of "Nothing to change"
    (the toast naming the apply's timestamped id is dismissed: it differs every run)."""

    async def run_before(pilot) -> None:
        await _keys(*_themed(theme, "1", "a", "y", "1"))(pilot)
        pilot.app.clear_notifications()
        await settle(pilot)

    assert snap_compare(_app(tmp_path), run_before=run_before, terminal_size=size)


@THEMES
@SIZES
@pytest.mark.parametrize("key", ["question_mark", "f1"])
def test_help(key: str, size: tuple[int, int], theme: str, tmp_path: Path, snap_compare) -> None:
    """`?` on phase 4 and F1 on phase 2: the help names the keys of the screen under it."""
    screen = "4" if key == "question_mark" else "2"
    keys = _themed(theme, screen, key)
    assert snap_compare(_app(tmp_path), run_before=_keys(*keys), terminal_size=size)
