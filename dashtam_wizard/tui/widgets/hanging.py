"""A list row with a hanging indent, for the option lists of changes and checklist items."""

from __future__ import annotations

from textual.content import Content
from textual.css.styles import RulesMap
from textual.strip import Strip
from textual.style import Style
from textual.visual import RenderOptions, Visual


class Hanging(Visual):
    """A row whose wrapped lines start under its text, not under its mark: in a narrow
    pane a change's summary takes two or three lines, and with a hanging indent each
    change still reads as one item (the box and kind stand alone in their column)."""

    NARROWEST = 12  # below this the summary gets the full width and wraps under the mark

    def __init__(self, head: Content, body: Content) -> None:
        self.head = head
        self.body = body
        self.indent = head.cell_length

    def __str__(self) -> str:
        return self.head.plain + self.body.plain

    def _hangs(self, width: int) -> bool:
        return width - self.indent >= self.NARROWEST

    def get_optimal_width(self, rules: RulesMap, container_width: int) -> int:
        return self.indent + self.body.get_optimal_width(rules, container_width)

    def get_height(self, rules: RulesMap, width: int) -> int:
        if not self._hangs(width):
            return (self.head + self.body).get_height(rules, width)
        return self.body.get_height(rules, width - self.indent)

    def render_strips(
        self, width: int, height: int | None, style: Style, options: RenderOptions
    ) -> list[Strip]:
        if not self._hangs(width):
            return (self.head + self.body).render_strips(width, height, style, options)
        head = self.head.render_strips(self.indent, 1, style, options)[0]
        body = self.body.render_strips(width - self.indent, height, style, options)
        pad = Strip.blank(self.indent, style.rich_style)
        return [Strip.join([head if n == 0 else pad, line]) for n, line in enumerate(body)]
