"""The selected change as the user will get it: a diff, a whole new file, or a move."""

from __future__ import annotations

from functools import cache
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content, Span
from textual.style import Style
from textual.widgets import Static

from ...core.diff import before_after, copy_size
from ...core.model import Change, Kind

if TYPE_CHECKING:
    from textual.app import ComposeResult

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


Lines = tuple[list[Content], list[Content]]


def _language(code: str, path: str) -> str:
    """`language_for`, then Pygments. Pygments' own guess (by file name, then by content)
    imports every lexer module: the first preview took 0.6-0.9 s, and names like
    `.env.dev` or `uv.lock` came out as Genshi or T-SQL. Only unknown names go to it."""
    from textual.highlight import guess_language

    return language_for(path) or guess_language(code, path)


def _char_diff(a: Content, b: Content, added: Style, removed: Style) -> tuple[Content, Content]:
    """One line against its replacement, character by character."""
    import difflib

    matcher = difflib.SequenceMatcher(lambda c: c in {" ", "\t"}, a.plain, b.plain)
    spans_a: list[Span] = []
    spans_b: list[Span] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag in {"delete", "replace"}:
            spans_a.append(Span(i1, i2, removed))
        if tag in {"insert", "replace"}:
            spans_b.append(Span(j1, j2, added))
    return a.add_spans(spans_a), b.add_spans(spans_b)


def highlight_lines(
    code_a: str,
    code_b: str,
    path_a: str,
    path_b: str,
    ansi: bool,
    dark: bool,
    added: Style,
    removed: Style,
) -> Lines:
    """Both sides highlighted and, where a block of lines is replaced by as many, marked
    character by character — what DiffView computes, made safe to run in a thread (no
    widget, no app).

    DiffView compares a replaced block as one text, which is quadratic in its length: a
    hundred changed lines took most of a second. Line against line costs a few ms."""
    import difflib

    from textual import highlight

    theme: type[highlight.HighlightTheme]
    if ansi:
        theme = highlight.ANSIDarkHighlightTheme if dark else highlight.ANSILightHighlightTheme
    else:
        theme = highlight.HighlightTheme
    text_a, text_b = code_a.splitlines(), code_b.splitlines()
    lines_a = highlight.highlight(
        "\n".join(text_a), path=path_a, language=_language(code_a, path_a), theme=theme
    ).split("\n")
    lines_b = highlight.highlight(
        "\n".join(text_b), path=path_b, language=_language(code_b, path_b), theme=theme
    ).split("\n")
    if code_a:
        matcher = difflib.SequenceMatcher(lambda c: c in {" ", "\t"}, text_a, text_b)
        for group in matcher.get_grouped_opcodes():
            for tag, i1, i2, j1, j2 in group:
                if tag == "replace" and (j2 - j1) == (i2 - i1):
                    for k in range(i2 - i1):
                        lines_a[i1 + k], lines_b[j1 + k] = _char_diff(
                            lines_a[i1 + k], lines_b[j1 + k], added, removed
                        )
    return lines_a, lines_b


_Key = tuple[str, str, str, str, bool, bool, Style, Style]
_DONE: dict[_Key, Lines] = {}  # a change seen before is drawn at once
SYNC_LINES = 120  # fewer lines than this are highlighted at once (tens of ms)


def cached_lines(key: _Key) -> Lines:
    """highlight_lines, remembered for the last few diffs (dict writes are atomic: a
    thread may fill it)."""
    lines = _DONE.get(key)
    if lines is None:
        lines = highlight_lines(*key)
        while len(_DONE) >= 32:
            _DONE.pop(next(iter(_DONE)), None)
        _DONE[key] = lines
    return lines


@cache
def diff_view_class() -> type:
    """DiffView, highlighting in a thread with `language_for` (imported on the first preview
    only)."""
    from textual import work
    from textual_diff_view import DiffView

    from .diff_lines import DiffLines, Styles, rows_of

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

        def _key(self) -> _Key:
            theme = self.app.current_theme
            return (
                self.code_original,
                self.code_modified,
                self.path_original,
                self.path_modified,
                bool(getattr(theme, "ansi", False)),
                theme.dark,
                self.get_visual_style("diff-view--inline-added"),
                self.get_visual_style("diff-view--inline-removed"),
            )

        @work(thread=True, exclusive=True, group="highlight", exit_on_error=False)
        def _highlight(self, key: _Key) -> None:
            """Highlighting a long file takes Pygments a few hundred ms: off the event loop,
            so the keys pressed meanwhile are answered."""
            lines = cached_lines(key)
            self.app.call_from_thread(self._highlighted, key, lines)

        def _highlighted(self, key: _Key, lines: Lines) -> None:
            if self.is_attached and key == self._key():
                self._highlighted_code_lines = lines
                self.refresh(recompose=True)

        def compose(self) -> ComposeResult:
            if self._highlighted_code_lines is None:
                key = self._key()
                size = key[0].count("\n") + key[1].count("\n")
                if key in _DONE or size < SYNC_LINES:
                    self._highlighted_code_lines = cached_lines(key)
                else:
                    yield Static(self.get_title(), classes="title")
                    yield Static(
                        f"⋯ highlighting {size} lines", classes="preview-note preview-pending"
                    )
                    self.call_later(self._highlight, key)
                    return
            lines_a, lines_b = self._highlighted_code_lines
            yield Static(self.get_title(), classes="title")
            styles = Styles(
                self.number_styles, self.edge_styles, self.annotation_styles, self.line_styles
            )
            rows = rows_of(self.grouped_opcodes, lines_a, lines_b, self.split)
            yield DiffLines(rows, styles, self.split, self.wrap)

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
    """Header (summary, why, id) and the diff of one change. `s` reveals secrets, `d` splits,
    left/right scroll long lines."""

    BINDINGS = [
        Binding("left", "code(-8)", "Scroll left", show=False),
        Binding("right", "code(8)", "Scroll right", show=False),
        Binding("shift+left", "code(-10000)", "Line starts", show=False),
        Binding("shift+right", "code(40)", "Scroll right a lot", show=False),
    ]

    def action_code(self, delta: int) -> None:
        """Long lines move sideways under fixed line numbers (the diff's own, not the pane)."""
        from .diff_lines import DiffLines

        for lines in self.query(DiffLines):
            lines.scroll_code(delta)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.change: Change | None = None
        self.split = False  # unified fits the preview pane; d switches
        self.wrap = False  # long lines scroll sideways; w wraps them
        self.show_secrets = False

    def show_change(self, change: Change | None, empty: str = "No change selected.") -> None:
        self.change = change
        self.remove_children()
        if change is None:
            self.mount(Static(Content.from_markup(empty), classes="preview-note"))
            return
        lock = ("🔓 " if self.show_secrets else "🔒 ") if change.secret else ""
        head = f"{lock}[b]{Content(change.summary).markup}[/b]  [dim]{change.id}[/]"
        if change.why:
            head += f"\n[i]why:[/i] {Content(change.why).markup}"
        widgets: list[Any] = [Static(Content.from_markup(head), classes="preview-head")]
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
            # no diff under it: it may wrap, even where notes are one cut line (24 rows)
            widgets.append(Static(Content.from_markup(text), classes="preview-note -what"))
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
                                "(or ←/→ scroll them under the line numbers)"
                            ),
                            classes="preview-note",
                        )
                    )
                # drawn with the rest: a long file is highlighted in a thread (a placeholder
                # until then) and only the rows on screen are ever rendered
                widgets.append(
                    diff_view_class()(
                        src, change.path, old, new, split=split, annotations=True, wrap=self.wrap
                    )
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
