"""The selected change as the user will get it: a diff, a whole new file, or a move."""

from __future__ import annotations

from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from ...core.diff import before_after
from ...core.model import Change, Kind

MAX_LINES = 400  # beyond this a preview costs more than it tells; the CLI prints it all


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
        self.show_secrets = False

    def show_change(self, change: Change | None, empty: str = "No change selected.") -> None:
        self.change = change
        self.remove_children()
        if change is None:
            self.mount(Static(Content.from_markup(empty), classes="preview-note"))
            return
        head = f"[b]{Content(change.summary).markup}[/b]  [dim]{change.id}[/]"
        if change.why:
            head += f"\n[i]why:[/i] {Content(change.why).markup}"
        if change.secret:
            head += (
                "\n[b $text-error]secret values shown — press s to hide[/]"
                if self.show_secrets
                else "\n[dim]secret values masked — press s to reveal[/]"
            )
        widgets: list = [Static(Content.from_markup(head), classes="preview-head")]
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
                from textual_diff_view import DiffView

                widgets.append(
                    DiffView(
                        src, change.path, old, new, split=self.split and not whole, annotations=True
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
