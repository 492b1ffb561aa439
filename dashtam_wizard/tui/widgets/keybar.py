"""The bottom line of keys: what Textual's Footer shows, drawn as one widget.

Footer mounts a widget per key (a dozen here, each styled, laid out and watched) and
recomposes them on every focus change; on the overview that was the largest part of the
wizard's start-up beyond Textual's own. This draws the same line — each key and what it
does, disabled ones dimmed, the command palette key on the right — as one Content, and
maps a click back to the key under the pointer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import events
from textual.content import Content
from textual.widget import Widget

if TYPE_CHECKING:
    from textual.screen import Screen


class KeyBar(Widget, can_focus=False):
    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
    }
    """
    ALLOW_SELECT = False

    def __init__(self) -> None:
        super().__init__()
        self._spans: list[tuple[int, int, str, bool]] = []  # (first cell, end, key, enabled)

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: Screen[Any]) -> None:
        if screen is self.screen:
            self.refresh()

    def render(self) -> Content:
        app = self.app
        bindings = self.screen.active_bindings
        palette = bindings.get(app.COMMAND_PALETTE_BINDING) if app.ENABLE_COMMAND_PALETTE else None
        parts: list[Content] = []
        spans: list[tuple[int, int, str, bool]] = []
        seen: set[str] = set()
        x = 0
        for _node, binding, enabled, _tooltip in bindings.values():
            if not binding.show or binding.action in seen:
                continue
            seen.add(binding.action)  # several keys for one action: the first is shown
            part = self._key(app.get_key_display(binding), binding.description, enabled)
            spans.append((x, x + part.cell_length, binding.key, enabled))
            parts.append(part)
            x += part.cell_length
        line = Content("").join(parts)
        if palette is not None:  # on the right, always shown; keys that do not fit are cut
            _node, binding, enabled, _tooltip = palette
            right = Content.assemble(
                ("▏", "$foreground 20%"),
                (app.get_key_display(binding), "bold $footer-key-foreground"),
                (f" {binding.description}", "$footer-description-foreground"),
            )
            if not enabled:
                right = right.stylize("dim")
            room = self.size.width - right.cell_length
            if room >= 0:
                line = line.truncate(room, pad=True)
                spans = [(a, min(b, room), k, e) for a, b, k, e in spans if a < room]
                spans.append((room, self.size.width, binding.key, enabled))
                line = Content.assemble(line, right)
        self._spans = spans
        return line

    @staticmethod
    def _key(key: str, description: str, enabled: bool) -> Content:
        part = Content.assemble(
            (f" {key} ", "bold $footer-key-foreground"),
            (f"{description} ", "$footer-description-foreground"),
        )
        return part if enabled else part.stylize("dim")

    def on_mouse_down(self, event: events.MouseDown) -> None:
        for start, end, key, enabled in self._spans:
            if start <= event.x < end:
                if enabled:
                    self.app.simulate_key(key)
                else:
                    self.app.bell()
                return
