"""README's key table is what the app binds and what its command palette offers.

The table is read from README.md; the bindings are the classes' own BINDINGS (what
Textual dispatches); the palette is what `ctrl+p` lists on each screen of a running app.
A key added without a row, a row naming a key nothing binds, or an action missing from
the palette fails here.
"""

from __future__ import annotations

import re
from pathlib import Path

from textual.binding import Binding

from dashtam_wizard.tui.app import WizardApp
from dashtam_wizard.tui.screens.confirm import ConfirmModal
from dashtam_wizard.tui.screens.help import HelpScreen
from dashtam_wizard.tui.screens.history import HistoryScreen
from dashtam_wizard.tui.screens.overview import OverviewScreen
from dashtam_wizard.tui.screens.phase import PhaseScreen
from dashtam_wizard.tui.widgets.change_list import ChangeList
from dashtam_wizard.tui.widgets.checklist_list import ChecklistList
from dashtam_wizard.tui.widgets.diff_preview import DiffPreview

from .conftest import manifest, run_cli
from .test_tui_support import press, screen_text, settle

README = Path(__file__).resolve().parent.parent / "README.md"
# the table's "where" column -> the classes whose own bindings it names
WHERE: dict[str, tuple[type, ...]] = {
    "everywhere": (WizardApp,),
    "Overview": (OverviewScreen,),
    "phase screens": (PhaseScreen,),
    "phase screens, change list": (ChangeList,),
    "Checklist, and a phase's checklist": (ChecklistList,),
    "diff preview": (DiffPreview,),
    "History": (HistoryScreen,),
    "confirmations": (ConfirmModal,),
    "help": (HelpScreen,),
}
PALETTE_ON = ("overview", "phase-4", "checklist", "history")  # the screens whose palette is read
SPELLING = {"←": "left", "→": "right", "?": "question_mark", "esc": "escape"}
TEXTUAL_OWN = {"Theme", "Keys", "Screenshot", "Maximize", "Minimize"}  # not ours to list


def _key(token: str) -> str:
    token = re.sub(r"F(\d+)", r"f\1", token)
    for shown, name in SPELLING.items():
        token = token.replace(shown, name)
    return token


def table() -> list[tuple[set[str], str, list[str]]]:
    """(keys, where, palette titles) per row of the README's key table."""
    text = README.read_text(encoding="utf-8")
    start = text.index("<!-- keys:")
    rows = []
    for line in text[start:].splitlines()[3:]:
        if not line.startswith("|"):
            break
        keys_cell, where, _what, palette = (c.strip() for c in line.strip("|").split("|"))
        tokens = re.findall(r"`([^`]+)`", keys_cell)
        keys = {_key(t) for t in tokens}
        if "`1`–`7`" in keys_cell:
            keys |= {str(n) for n in range(1, 8)}
        titles = [t.strip() for t in palette.split(", ") if t.strip()]
        rows.append((keys, where, titles))
    return rows


def own_bindings(cls: type) -> list[Binding]:
    out = []
    for b in cls.__dict__.get("BINDINGS", []):
        b = b if isinstance(b, Binding) else Binding(*b)
        out += [Binding(k.strip(), b.action, b.description) for k in b.key.split(",")]
    return out


def test_every_row_names_a_bound_key_and_every_bound_key_has_a_row() -> None:
    rows = table()
    assert len(rows) > 15 and all(where in WHERE for _k, where, _p in rows), rows
    for keys, where, _titles in rows:
        bound = {b.key for cls in WHERE[where] for b in own_bindings(cls)}
        assert keys <= bound, f"README row ({where}) names keys nothing binds: {keys - bound}"
    documented = {(k, where) for keys, where, _t in rows for k in keys}
    for where, classes in WHERE.items():
        for cls in classes:
            for b in own_bindings(cls):
                if not b.description:
                    continue
                assert (b.key, where) in documented or (b.key, "everywhere") in documented, (
                    f"{cls.__name__} binds {b.key} ({b.description}): no row in README's key table"
                )


async def test_every_palette_entry_of_the_table_is_offered_and_every_action_is_listed(
    sample: Path,
) -> None:
    rows = table()
    listed = {t for _k, _w, titles in rows for t in titles}
    app = WizardApp(sample, docker_probe=False, gate_check=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        offered: dict[str, set[str]] = {}
        for screen in PALETTE_ON:
            if app.screen.name != screen:
                app.action_goto(screen)
                await settle(pilot)
            offered[screen] = {c.title for c in app.get_system_commands(app.screen)}
        anywhere = set().union(*offered.values())
        everywhere = set.intersection(*offered.values())
        for _keys, where, titles in rows:
            for title in titles:
                here = everywhere if where == "everywhere" else anywhere
                if title == "Go to …":
                    assert any(t.startswith("Go to ") for t in here)
                else:
                    assert title in here, (
                        f"README lists {title!r} ({where}); the palette has {here}"
                    )
        ours = anywhere - TEXTUAL_OWN
        missing = {t for t in ours if not t.startswith("Go to ") and t not in listed}
        assert not missing, f"in the palette, not in README's key table: {missing}"


async def test_enter_cancels_a_rollback_and_the_dialog_says_so(sample: Path) -> None:
    assert run_cli("apply", str(sample), "--phase", "1", "--yes").returncode == 0
    applied = manifest(sample)
    app = WizardApp(sample, docker_probe=False, gate_check=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "ctrl+z")
        assert isinstance(app.screen, ConfirmModal)
        assert "enter: Cancel · y: Roll back · n or esc: Cancel" in screen_text(app)
        await press(pilot, "enter")
        assert not isinstance(app.screen, ConfirmModal)
        await press(pilot, "2", "a")  # the apply dialog: enter applies
        assert "enter: Apply · y: Apply" in screen_text(app)
        await press(pilot, "escape")
    assert manifest(sample) == applied  # nothing rolled back, nothing applied
