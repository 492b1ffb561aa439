"""Draw a repo tree the way the plan's "Current State" / "Target State" blocks do.

Only what the migration is about is drawn (docker/, compose/, env/, compose and env
files, dependency files, Makefile, ignore files, and anything a change touches); the rest
is summarised on one line. Entries a change touches carry a marker: moved, new, edited.
"""

from __future__ import annotations

import contextlib
import re
from pathlib import PurePosixPath

from rich.text import Text

from ..core.model import Change, Kind
from ..core.snapshot import Tree

EXPAND = ("docker", "compose", "env")
RELEVANT = re.compile(
    r"^(.*compose.*\.ya?ml(\.example)?|\.env.*|requirements.*\.(txt|in)|pyproject\.toml.*|uv\.lock.*"
    r"|Makefile|GNUmakefile|makefile|.*\.mk|\.dockerignore|Dockerfile)$"
)
# the terminal's own colours until the app says its theme's (`palette`): ANSI colours are
# whatever the terminal makes of them, the theme's text colours are made to be read on it
STYLE = {"new": "green", "moved": "cyan", "edited": "yellow", "gone": "red", "dir": "blue"}
THEMED = {
    "new": "text-success",
    "moved": "text-primary",
    "edited": "text-warning",
    "gone": "text-error",
    "dir": "text-primary",
}


def palette(variables: dict[str, str]) -> dict[str, str]:
    """STYLE in the theme's text colours (from `App.get_css_variables()`), where they parse."""
    from textual.color import Color, ColorParseError

    out = dict(STYLE)
    for key, var in THEMED.items():
        with contextlib.suppress(KeyError, ColorParseError):
            out[key] = Color.parse(variables[var]).hex
    return out


def _short(other: str, here: str) -> str:
    """Where a moved file comes from / goes to, as short as still unambiguous."""
    a, b = PurePosixPath(other), PurePosixPath(here)
    if a.name == b.name:
        return f"{a.parent}/" if str(a.parent) != "." else "./"
    return other


def marks(changes: list[Change], target: bool) -> dict[str, tuple[str, str]]:
    """path -> (kind of mark, note) for the current tree (target=False) or the target tree."""
    out: dict[str, tuple[str, str]] = {}
    for c in changes:
        k = c.kind
        if target:
            if k is Kind.MOVE and c.source:
                out[c.path] = ("moved", f"← {_short(c.source, c.path)}")
            elif k in (Kind.CREATE, Kind.COPY, Kind.MKDIR):
                out.setdefault(
                    c.path, ("new", "+ new" if k is not Kind.COPY else f"+ copy of {c.source}")
                )
            elif k in (Kind.EDIT, Kind.CHMOD):
                out.setdefault(c.path, ("edited", "✎"))
        else:
            if k is Kind.MOVE and c.source:
                out[c.source] = ("moved", f"→ {_short(c.path, c.source)}")
            elif k is Kind.DELETE:
                out[c.path] = ("gone", "✗ removed")
            elif k in (Kind.EDIT, Kind.CHMOD):
                out.setdefault(c.path, ("edited", "✎"))
    return out


def legend(colors: dict[str, str] = STYLE) -> Text:
    return Text.assemble(
        ("→ ← moved  ", colors["moved"]),
        ("+ new  ", colors["new"]),
        ("✎ edited  ", colors["edited"]),
        ("✗ removed", colors["gone"]),
    )


LEGEND = legend()


def _children(tree: Tree, folder: str) -> list[tuple[str, bool]]:
    prefix = f"{folder}/" if folder else ""
    return [(name, f"{prefix}{name}" not in tree.files) for name in tree.listdir(folder)]


def render(
    tree: Tree,
    root_name: str,
    mark: dict[str, tuple[str, str]],
    room: int = 0,
    colors: dict[str, str] = STYLE,
) -> Text:
    """The tree with what the migration touches; the rest of the top level is one "+N more"
    line unless the pane has `room` (rows) for all of it, then it is listed, dimmed."""
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(f"{root_name}/\n", style="bold")
    shown: list[tuple[str, bool]] = []
    hidden: list[str] = []
    inside: dict[str, int] = {}  # folder not drawn open -> how many marked paths it holds
    for path in mark:
        head, sep, _rest = path.partition("/")
        if sep and head not in EXPAND:
            inside[head] = inside.get(head, 0) + 1
    for name, is_dir in _children(tree, ""):
        if name in EXPAND and is_dir or RELEVANT.match(name) or name in mark or name in inside:
            shown.append((name, is_dir))
        else:
            hidden.append(name + ("/" if is_dir else ""))
    opened = sum(len(_children(tree, n)) for n, d in shown if d and n in EXPAND)
    quiet: set[str] = set()
    if hidden and room and 1 + len(shown) + opened + len(hidden) <= room:
        quiet = {h.rstrip("/") for h in hidden}
        shown += [(h.rstrip("/"), h.endswith("/")) for h in hidden]
        hidden = []
    shown.sort(key=lambda e: (not e[1], e[0].lower()))

    def line(prefix: str, branch: str, name: str, path: str, is_dir: bool) -> None:
        text.append(f"{prefix}{branch}")
        m = mark.get(path)
        style = f"bold {colors['dir']}" if is_dir else (colors[m[0]] if m else "")
        text.append(name + ("/" if is_dir else ""), style="dim" if path in quiet else style)
        if m:
            text.append(f" {m[1]}", style=f"italic {colors[m[0]]}")
        elif path in inside:
            text.append(f" ✎ {inside[path]} file(s) inside", style=f"italic {colors['edited']}")
        text.append("\n")

    items = [*shown, ("", False)] if hidden else shown
    for i, (name, is_dir) in enumerate(items):
        last = i == len(items) - 1
        branch = "└── " if last else "├── "
        if not name:
            more = ", ".join(hidden[:3]) + (", …" if len(hidden) > 3 else "")
            text.append(f"{branch}", style="")
            text.append(f"+{len(hidden)} more: {more}\n", style="dim")
            continue
        line("", branch, name, name, is_dir)
        if is_dir and name in EXPAND:
            kids = _children(tree, name)
            for j, (kid, kid_dir) in enumerate(kids):
                kb = "└── " if j == len(kids) - 1 else "├── "
                line("    " if last else "│   ", kb, kid, f"{name}/{kid}", kid_dir)
    text.rstrip()
    return text
