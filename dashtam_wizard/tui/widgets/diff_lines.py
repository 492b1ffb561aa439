"""A diff drawn row by row: Textual asks only for the rows on screen.

textual-diff-view lays a diff out as one widget per hunk and column, each rendering every
line it holds; a 400-line diff took 0.2-1 s to lay out, and a key pressed meanwhile waited.
Here the whole diff is one widget as tall as its rows, and `render_line` draws the few the
pane shows (the Line API), so the cost of a frame does not grow with the diff. The line
numbers stay put while the code scrolls sideways (left/right), and a row cut at either edge
says so (‹ ›).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from rich.segment import Segment
from textual.content import Content
from textual.geometry import Size
from textual.strip import Strip
from textual.style import Style
from textual.widget import Widget

Opcodes = Sequence[Sequence[tuple[str, int, int, int, int]]]


@dataclass(frozen=True)
class Half:
    """One side of a row: its line number, its mark (+, -, a space, / for no line), code."""

    number: int | None
    mark: str
    code: Content | None
    more: bool = False  # a wrapped line's continuation (↪)


# a row: unified (numbers before and after, one line of code), split (before, after), or
# None: the gap between two hunks
Row = tuple[Half, Half] | None


@dataclass(frozen=True)
class Styles:
    """The colours DiffView takes from its component classes, by mark."""

    number: Mapping[str, Style]
    edge: Mapping[str, Style]
    annotation: Mapping[str, Style]
    line: Mapping[str, Style]


def rows_of(
    opcodes: Opcodes, lines_a: list[Content], lines_b: list[Content], split: bool
) -> list[Row]:
    """The rows of a diff, hunk by hunk, as DiffView orders them (removed lines first)."""
    rows: list[Row] = []
    for n, group in enumerate(opcodes):
        if n:
            rows.append(None)
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                for k in range(i2 - i1):
                    line = lines_a[i1 + k]
                    rows.append((Half(i1 + k + 1, " ", line), Half(j1 + k + 1, " ", line)))
                continue
            removed = (
                [Half(i + 1, "-", lines_a[i]) for i in range(i1, i2)] if tag != "insert" else []
            )
            added = [Half(j + 1, "+", lines_b[j]) for j in range(j1, j2)] if tag != "delete" else []
            if split:
                none = Half(None, "/", None)
                for k in range(max(len(removed), len(added))):
                    rows.append(
                        (
                            removed[k] if k < len(removed) else none,
                            added[k] if k < len(added) else none,
                        )
                    )
            else:
                rows.extend((h, Half(None, "-", None)) for h in removed)
                rows.extend((Half(None, "+", None), h) for h in added)
    return rows


def _pieces(code: Content | None, room: int) -> list[Content | None]:
    """One line of code as the rows it wraps to at `room` columns."""
    if code is None or code.cell_length <= room:
        return [code]
    return list[Content | None](code.wrap(room))


class DiffLines(Widget):
    """The rows of one diff, unified or split, cut or wrapped at the pane's width."""

    COMPONENT_CLASSES = {"diff-lines--gap", "diff-lines--cut"}
    DEFAULT_CSS = """
    DiffLines { width: 1fr; height: auto; background: $foreground 4%; }
    DiffLines > .diff-lines--gap { color: $text-primary; text-style: bold; }
    DiffLines > .diff-lines--cut { color: $text-warning; text-style: bold; }
    """

    def __init__(self, rows: list[Row], styles: Styles, split: bool, wrap: bool) -> None:
        super().__init__()
        self.rows = rows
        self.styles_ = styles
        self.split = split
        self.wrap = wrap
        self.x = 0  # columns of code scrolled past, on both sides alike
        numbers = [h.number for r in rows if r for h in r if h.number is not None]
        self.digits = len(str(max(numbers, default=1)))
        self.widest = max(
            (h.code.cell_length for r in rows if r for h in r if h.code is not None), default=0
        )
        self._wrapped: tuple[int, list[Row]] | None = None

    # -- geometry -----------------------------------------------------------------------

    def _gutter(self) -> int:
        """Columns before the code: unified `▎ 12  34  + `, each split side `▎ 12  + `."""
        return (
            (1 + self.digits + 1) + (1 + self.digits + 1) + 3 if not self.split else self.digits + 5
        )

    def code_width(self, width: int | None = None) -> int:
        width = self.size.width if width is None else width
        if self.split:
            return max(1, width // 2 - self._gutter())
        return max(1, width - self._gutter())

    def _visual(self, width: int) -> list[Row]:
        """The rows as drawn: with wrap, each long line continues on rows of its own."""
        if not self.wrap:
            return self.rows
        if self._wrapped is not None and self._wrapped[0] == width:
            return self._wrapped[1]
        room = self.code_width(width)
        out: list[Row] = []
        for row in self.rows:
            if row is None:
                out.append(None)
                continue
            a, b = row
            if not self.split:  # unified: the code is one of the two halves
                code = a.code if a.code is not None else b.code
                pieces = _pieces(code, room)
                holder = 0 if a.code is not None else 1
                for k, piece in enumerate(pieces):
                    na, nb = (a.number, b.number) if k == 0 else (None, None)
                    ha = Half(na, a.mark, piece if holder == 0 else None, k > 0)
                    hb = Half(nb, b.mark, piece if holder == 1 else None, k > 0)
                    out.append((ha, hb))
                continue
            pieces_a, pieces_b = _pieces(a.code, room), _pieces(b.code, room)
            for k in range(max(len(pieces_a), len(pieces_b))):
                out.append(
                    (
                        Half(
                            a.number if k == 0 else None,
                            a.mark,
                            pieces_a[k] if k < len(pieces_a) else None,
                        ),
                        Half(
                            b.number if k == 0 else None,
                            b.mark,
                            pieces_b[k] if k < len(pieces_b) else None,
                        ),
                    )
                )
        self._wrapped = (width, out)
        return out

    def get_content_width(self, container: Size, viewport: Size) -> int:
        return container.width

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self._visual(width))

    def scroll_code(self, delta: int) -> bool:
        """Move the code sideways (the numbers stay); False when it cannot go further."""
        if self.wrap:
            return False
        x = max(0, min(self.x + delta, self.widest - self.code_width() + 1))
        if x == self.x:
            return False
        self.x = x
        self.refresh()
        return True

    def on_resize(self) -> None:
        self._wrapped = None
        self.x = max(0, min(self.x, self.widest - self.code_width() + 1))

    # -- drawing ------------------------------------------------------------------------

    def _code(self, code: Content | None, mark: str, width: int, base: Style) -> Strip:
        line = self.styles_.line.get(mark, Style())
        bg = (base + line).rich_style
        if code is None:
            if mark == "/":
                return Strip(
                    [Segment("╲" * width, (base + self.styles_.annotation["/"]).rich_style)]
                )
            return Strip.blank(width, bg)
        content = code.stylize_before(line).stylize_before(base)
        strip = Strip(content.render_segments(), content.cell_length)
        if self.wrap:
            return strip.crop(0, width).extend_cell_length(width, bg)
        left = self.x > 0 and code.cell_length > 0
        right = code.cell_length > self.x + width
        strip = strip.crop(self.x, self.x + width).extend_cell_length(width, bg)
        if not (left or right):
            return strip
        cut = (base + line + self.get_visual_style("diff-lines--cut")).rich_style
        parts = [Strip([Segment("‹", cut)])] if left else []
        parts.append(strip.crop(1 if left else 0, width - 1 if right else width))
        if right:
            parts.append(Strip([Segment("›", cut)]))
        return Strip.join(parts)

    def _number(self, half: Half, edge: bool, base: Style) -> Strip:
        s = self.styles_
        if half.mark == "/" and self.split:
            hatch = (base + s.annotation["/"]).rich_style
            return Strip([Segment("╲" * (self.digits + 2), hatch)])
        text = " " * self.digits if half.number is None else f"{half.number:>{self.digits}}"
        number = (base + s.number.get(half.mark, Style())).rich_style
        if not edge:
            return Strip([Segment(f" {text} ", number)])
        return Strip(
            [
                Segment("▎", (base + s.edge.get(half.mark, Style())).rich_style),
                Segment(f"{text} ", number),
            ]
        )

    def _mark(self, mark: str, shown: str, base: Style, more: bool = False) -> Strip:
        s = self.styles_
        if more:
            style = base + s.line.get(mark, Style()) + s.annotation.get(mark, Style())
            return Strip([Segment(" ↪ ", style.rich_style)])
        if mark == "/":
            return Strip([Segment("╲" * 3, (base + s.annotation["/"]).rich_style)])
        if mark != shown:
            return Strip([Segment("   ", (base + s.line.get(mark, Style())).rich_style)])
        style = base + s.line.get(mark, Style()) + s.annotation.get(mark, Style())
        return Strip([Segment(f" {mark} ", style.rich_style)])

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        rows = self._visual(width)
        base = self.visual_style
        if y >= len(rows):
            return Strip.blank(width, base.rich_style)
        row = rows[y]
        if row is None:
            gap = (base + self.get_visual_style("diff-lines--gap")).rich_style
            if self.split:
                half = width // 2
                return Strip.join(
                    [
                        Strip([Segment("⋮".center(half), gap)]),
                        Strip([Segment("⋮".center(width - half), gap)]),
                    ]
                )
            return Strip([Segment("⋮".center(width), gap)])
        a, b = row
        room = self.code_width(width)
        if self.split:
            parts = [
                self._number(a, True, base),
                self._mark(a.mark, "-", base, a.more),
                self._code(a.code, a.mark, room, base),
                self._number(b, True, base),
                self._mark(b.mark, "+", base, b.more),
                self._code(b.code, b.mark, room, base),
            ]
        else:
            mark = a.mark if a.code is not None else b.mark
            code = a.code if a.code is not None else b.code
            parts = [
                self._number(Half(a.number, mark, None), True, base),
                self._number(Half(b.number, mark, None), False, base),
                self._mark(mark, mark, base, a.more),
                self._code(code, mark, room, base),
            ]
        return Strip.join(parts).adjust_cell_length(width, base.rich_style)
