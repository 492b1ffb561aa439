"""Contrast measured from what the TUI renders, in both themes (WCAG AA).

Every text segment on every screen, as Textual renders it (its colour and the background
under it, after the theme, the CSS and the markup), is at least 4.5:1; the focus bar of the
focused list and the pane borders at least 3:1. Disabled widgets and line-drawing glyphs
(separators, gutter marks) are not text. Found by this test before: the selected change
row 3.8:1, the focus bar 1.3:1 and the pane borders 1.9:1 (light: ☑ 3.2:1, `edit` 2.7:1,
the footer keys 2.9:1, diff line numbers 1.8:1), and tree colours left to the terminal.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.color import Color
from textual.widget import Widget

from dashtam_wizard.demo import write_sample
from dashtam_wizard.tui.app import WizardApp

from .test_tui_support import press, settle

SCREENS = [(), ("1",), ("2",), ("3",), ("4",), ("5",), ("6",), ("7",), ("c",), ("h",)]


def luminance(c: Color) -> float:
    def channel(v: int) -> float:
        x = v / 255
        return x / 12.92 if x <= 0.03928 else ((x + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(c.r) + 0.7152 * channel(c.g) + 0.0722 * channel(c.b)


def ratio(a: Color, b: Color) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def _drawing(text: str) -> bool:
    return all(0x2500 <= ord(ch) <= 0x259F or ch.isspace() for ch in text)


def low_text(app: WizardApp) -> list[str]:
    """Every rendered text segment under 4.5:1 on the current screen."""
    out = []
    for w in app.screen.walk_children(Widget):
        if not w.display or not w.region.area or w.children or w.disabled:
            continue
        for y in range(w.size.height):
            for seg in w.render_line(y):
                style = seg.style
                if style is None or style.color is None or _drawing(seg.text):
                    continue
                fg = Color.from_rich_color(style.color)
                bg = (
                    Color.from_rich_color(style.bgcolor)
                    if style.bgcolor
                    else w.background_colors[1]
                )
                if (r := ratio(fg, bg)) < 4.5:
                    out.append(f"{type(w).__name__}#{w.id}: {seg.text.strip()[:30]!r} {r:.2f}:1")
    return out


@pytest.mark.parametrize("theme_keys", [(), ("t",)], ids=["dark", "light"])
async def test_every_screen_reads_at_aa_in_both_themes(tmp_path: Path, theme_keys) -> None:
    app = WizardApp(write_sample(tmp_path / "x"), docker_probe=False, gate_check=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, *theme_keys)
        assert app.current_theme.dark is not bool(theme_keys)
        low: list[str] = []
        for keys in SCREENS:
            await press(pilot, *keys)
            await settle(pilot)
            low += [f"{keys or 'overview'} {x}" for x in low_text(app)]
            if keys == ("4",):  # the change list focused, its first row selected
                changes = app.screen.query_one("#changes")
                assert app.focused is changes
                base, bg = changes.background_colors
                _, bar = changes.styles.border_left
                assert ratio(bg + bar, bg) >= 3, "the focus bar"
                preview = app.screen.query_one("#preview")
                pbase, _ = preview.background_colors
                _, border = preview.styles.border_top
                assert ratio(pbase + border, pbase) >= 3, "the preview pane's border"
        assert not low, "\n".join(sorted(set(low)))


async def test_the_theme_chosen_is_the_next_starts(tmp_path: Path) -> None:
    repo = write_sample(tmp_path / "x")
    app = WizardApp(repo, docker_probe=False, gate_check=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.current_theme.dark
        await press(pilot, "t")
        assert not app.current_theme.dark
    again = WizardApp(repo, docker_probe=False, gate_check=False)
    async with again.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert not again.current_theme.dark  # remembered
        await press(pilot, "t")
    third = WizardApp(repo, docker_probe=False, gate_check=False)
    async with third.run_test(size=(80, 24)) as pilot:
        assert third.current_theme.dark


@pytest.mark.parametrize("theme_keys", [(), ("t",)], ids=["dark", "light"])
async def test_tab_on_the_overview_shows_which_tree_it_scrolls(tmp_path: Path, theme_keys) -> None:
    """The two trees scroll with the arrows once focused: tab moves between them, and the
    focused one's border stands out (3:1 on the screen, unlike the other's)."""
    app = WizardApp(write_sample(tmp_path / "x"), docker_probe=False, gate_check=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, *theme_keys)
        panes = list(app.screen.query(".tree-pane"))
        for n in range(2):
            await press(pilot, "tab")
            focused = app.focused
            assert focused in panes, focused
            other = next(p for p in panes if p is not focused)
            base, _ = focused.background_colors  # type: ignore[union-attr]
            _, border = focused.styles.border_top  # type: ignore[union-attr]
            _, dull = other.styles.border_top
            assert ratio(base + border, base) >= 3, (n, border)
            assert ratio(base + dull, base) < ratio(base + border, base), (n, dull, border)
