"""The selected change as the user will get it: a diff, a whole new file, or a move."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import PurePosixPath

from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from ...core.diff import before_after, copy_size
from ...core.model import Change, Kind

MAX_LINES = 400  # beyond this a preview costs more than it tells; the CLI prints it all
SPLIT_MIN = 60  # columns a side of the split view needs to show a line of a compose file

# The Pygments lexer for the files this wizard changes, by name, then by suffix; names
# ending in one of COPY_SUFFIXES are looked up without it (pyproject.toml.backup: TOML).
LANGUAGE_BY_NAME = {
    "Dockerfile": "docker",
    "Makefile": "make",
    "GNUmakefile": "make",
    "makefile": "make",
    ".gitignore": "text",
    ".dockerignore": "text",
    "uv.lock": "toml",
}
LANGUAGE_BY_SUFFIX = {
    ".py": "python",
    ".toml": "toml",
    ".yml": "yaml",
    ".yaml": "yaml",
    ".md": "markdown",
    ".json": "json",
    ".sh": "bash",
    ".ini": "ini",
    ".cfg": "ini",
    ".txt": "text",
    ".mk": "make",
}
COPY_SUFFIXES = (".backup", ".example", ".bak", ".orig")


def language_for(path: str) -> str | None:
    """The language of a file this wizard knows by its name; None: let Pygments guess."""
    name = PurePosixPath(path).name
    while name.endswith(COPY_SUFFIXES) and "." in name[1:]:
        name = name.rsplit(".", 1)[0]
    if name in LANGUAGE_BY_NAME:
        return LANGUAGE_BY_NAME[name]
    if name.startswith(".env"):
        return "bash"  # KEY=value lines and # comments
    return LANGUAGE_BY_SUFFIX.get(PurePosixPath(name).suffix)


@contextmanager
def _languages_by_name() -> Iterator[None]:
    """textual.highlight.guess_language, answering from `language_for` first.

    Pygments' own guess (by file name, then by content) imports every lexer module: the
    first preview took 0.6-0.9 s, and names like `.env.dev` or `uv.lock` came out as
    Genshi or T-SQL. Only unknown names still go to Pygments.
    """
    from textual import highlight

    guess: Callable[[str, str | None], str] = highlight.guess_language

    def by_name(code: str, path: str | None) -> str:
        return (path and language_for(path)) or guess(code, path)

    highlight.guess_language = by_name  # type: ignore[assignment]
    try:
        yield
    finally:
        highlight.guess_language = guess  # type: ignore[assignment]


@cache
def _diff_view_class() -> type:
    """DiffView, highlighting with `language_for` (imported on the first preview only)."""
    from textual_diff_view import DiffView

    class PreviewDiff(DiffView):
        _styled_for: str | None = None  # the theme its lines were highlighted for

        def notify_style_update(self) -> None:
            """DiffView highlights every line again and recomposes on any style update,
            and focus entering the preview pane is one (`:focus-within`): half a second
            for a long diff. Its colours follow the theme only, so only a theme change
            needs that."""
            theme = self.app.current_theme.name
            if self._styled_for in (None, theme):
                self._styled_for = theme
                super(DiffView, self).notify_style_update()
                return
            self._styled_for = theme
            super().notify_style_update()

        def compose(self):  # noqa: ANN202 - DiffView's ComposeResult
            with _languages_by_name():
                self.highlighted_code_lines  # noqa: B018 - computed now, and kept by DiffView
            yield from super().compose()

    return PreviewDiff


def _cap(text: str) -> tuple[str, int]:
    lines = text.splitlines(keepends=True)
    if len(lines) <= MAX_LINES:
        return text, 0
    return "".join(lines[:MAX_LINES]), len(lines) - MAX_LINES


def describe(change: Change) -> str:
    """What the change does, in one line, when there is no text diff to show."""
    k = change.kind
    if k is Kind.MOVE:
        return f"rename [b]{change.source}[/] → [b]{change.path}[/]  (content unchanged; git history follows)"
    if k is Kind.MKDIR:
        return f"create directory [b]{change.path}/[/]"
    if k is Kind.COPY:
        return f"copy [b]{change.source}[/] → [b]{change.path}[/]  ({copy_size(change)})"
    if k is Kind.CHMOD:
        return f"set mode of [b]{change.path}[/] to [b]{change.mode:o}[/] (content unchanged)"
    if change.regenerate:
        return f"[b]{change.path}[/] is regenerated at apply time by `uv lock` (its new content is not known before)"
    return ""


class DiffPreview(VerticalScroll):
    """Header (summary, why, id) and the diff of one change. `s` reveals secrets, `d` splits."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.change: Change | None = None
        self.split = False  # unified fits the preview pane; d switches
        self.wrap = False  # long lines scroll sideways; w wraps them
        self.show_secrets = False
        self._drawn = 0  # which show_change a deferred diff belongs to

    def _draw_diff(
        self, token: int, pending: Static, args: tuple[str, str, str, str, bool]
    ) -> None:
        """Put the diff in place of its placeholder, unless another change was chosen since."""
        if token != self._drawn or not pending.is_attached:
            return
        src, path, old, new, split = args
        view = _diff_view_class()(
            src, path, old, new, split=split, annotations=True, wrap=self.wrap
        )
        self.mount(view, after=pending)
        pending.remove()

    def show_change(self, change: Change | None, empty: str = "No change selected.") -> None:
        self.change = change
        self._drawn += 1
        self.remove_children()
        if change is None:
            self.mount(Static(Content.from_markup(empty), classes="preview-note"))
            return
        lock = ("🔓 " if self.show_secrets else "🔒 ") if change.secret else ""
        head = f"{lock}[b]{Content(change.summary).markup}[/b]  [dim]{change.id}[/]"
        if change.why:
            head += f"\n[i]why:[/i] {Content(change.why).markup}"
        widgets: list = [Static(Content.from_markup(head), classes="preview-head")]
        if change.secret:  # the 🔒 says it where 24 rows leave no room for this line
            widgets.append(
                Static(
                    Content.from_markup(
                        "[b $text-error]secret values shown — s hides them[/]"
                        if self.show_secrets
                        else "[dim]secret values masked — s reveals them[/]"
                    ),
                    classes="preview-secret",
                )
            )
        text = describe(change)
        if text:
            widgets.append(Static(Content.from_markup(text), classes="preview-note"))
        else:
            old, new = before_after(change, self.show_secrets)
            if "\0" in old[:8192] or "\0" in new[:8192]:
                widgets.append(Static(f"binary file {change.path}", classes="preview-note"))
            else:
                old, cut_a = _cap(old)
                new, cut_b = _cap(new)
                whole = change.kind in (Kind.CREATE, Kind.COPY, Kind.DELETE)
                src = change.source if change.kind is Kind.COPY and change.source else change.path
                # a side narrower than ~60 columns shows too little of a line: unified then
                room = max(20, (self.size.width or 80) - 12)  # the line numbers and gutter
                split = self.split and not whole and room // 2 >= SPLIT_MIN
                if self.split and not whole and not split:
                    widgets.append(
                        Static(
                            f"unified: split needs {2 * SPLIT_MIN + 12} columns, the pane has "
                            f"{self.size.width}",
                            classes="preview-note",
                        )
                    )
                width = room // 2 if split else room
                long = sum(
                    1
                    for line in new.splitlines() + (old.splitlines() if split else [])
                    if len(line.expandtabs()) > width
                )
                if long and not self.wrap:
                    widgets.append(
                        Static(
                            Content.from_markup(
                                f"[b]⇢ {long} line(s) run past the pane's edge[/b]: [b]w[/b] wraps them "
                                "(or scroll sideways)"
                            ),
                            classes="preview-note",
                        )
                    )
                # the diff itself takes a frame or more to lay out (a long one, most of a
                # second): the key that chose it is answered first, the diff drawn after
                token = self._drawn
                pending = Static(
                    f"⋯ drawing the diff ({max(old.count(chr(10)), new.count(chr(10))) + 1} lines)",
                    classes="preview-note preview-pending",
                )
                widgets.append(pending)
                self.call_after_refresh(
                    self._draw_diff, token, pending, (src, change.path, old, new, split)
                )
                if cut_a or cut_b:
                    widgets.append(
                        Static(
                            f"… {max(cut_a, cut_b)} more lines not shown "
                            "(`dashtam-wizard plan` prints the whole diff)",
                            classes="preview-note",
                        )
                    )
        self.mount_all(widgets)
        self.scroll_home(animate=False)
