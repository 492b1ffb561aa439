"""The wizard's two themes (Textual's, with the colours that missed WCAG AA fixed) and the
one choice remembered across repos: which of them the user last picked (`t`)."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

from textual.theme import BUILTIN_THEMES, Theme

LIGHT, DARK = "dashtam-light", "dashtam-dark"


def dark_theme() -> Theme:
    """Textual's dark theme with the diffs' variable colour (text-secondary) lightened: 3.8:1
    on an added line's background, under the 4.5:1 text needs."""
    base = BUILTIN_THEMES["textual-dark"]
    lighter = {"text-secondary": "#A9C4E4"}
    return replace(base, name=DARK, variables={**base.variables, **lighter})


def light_theme() -> Theme:
    """Textual's light theme with the text colours darkened that are under the 4.5:1 text
    needs (WCAG AA) on it: success 3.8:1 and warning/accent 3.3:1 (the change list's ☑ and
    kind labels), secondary (variables in the diffs), the footer's keys 2.9:1."""
    base = BUILTIN_THEMES["textual-light"]
    darker = {
        "text-success": "#145228",
        "text-warning": "#633D0A",
        "text-accent": "#633D0A",
        "text-secondary": "#3F2A6B",  # variables in the diffs' syntax colours
        "footer-key-foreground": "#633D0A",  # the keys in the bottom line
    }
    return replace(base, name=LIGHT, variables={**base.variables, **darker})


def _settings() -> Path:
    """The user's choices that are not about one repo (the theme), beside their config."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "dashtam-wizard" / "settings.json"


def saved_theme() -> str | None:
    try:
        value = json.loads(_settings().read_text()).get("theme")
    except (OSError, ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None


def save_theme(theme: str) -> None:
    """Remembered for the next start; a settings file that cannot be written costs only that."""
    path = _settings()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps({"theme": theme}) + "\n")
        os.replace(tmp, path)
    except OSError:
        pass
