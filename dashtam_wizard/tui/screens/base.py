"""What every wizard screen shares: the nav bar, the activity line, the footer, refresh."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, cast

from textual import events
from textual.app import ComposeResult, SystemCommand
from textual.screen import Screen

from ..widgets.activity import ActivityBar
from ..widgets.keybar import KeyBar
from ..widgets.navbar import NavBar

if TYPE_CHECKING:
    from ...service.state import RepoState
    from ..app import WizardApp


class WizardScreen(Screen[Any]):
    """Subclasses compose `body()` and draw the app's RepoState in `show_state()`."""

    key = ""
    # A screen whose state is slow to draw (a phase's lists and diff) draws it just after
    # its first frame, so the key that opened it answers at once (bench_keys: a phase's
    # first visit took 90-160 ms to its first frame otherwise). A cheap one draws it in that
    # frame: the second layout costs more than it saves (bench_tui: checklist +50 ms).
    DRAW_AFTER_FIRST_FRAME = False

    def __init__(self) -> None:
        super().__init__(name=self.key)
        self._shown = -1  # the app generation last drawn
        self._resumed = False  # shown once: its styles are Textual's to refresh from then on

    @property
    def wizard(self) -> WizardApp:
        return cast("WizardApp", self.app)

    def compose(self) -> ComposeResult:
        yield NavBar(self.key)
        yield from self.body()
        yield ActivityBar()
        yield KeyBar()

    def body(self) -> ComposeResult:
        yield from ()

    def commands(self) -> Iterable[SystemCommand]:
        """This screen's own actions for the command palette (the app adds its own)."""
        yield from ()

    def on_mount(self) -> None:
        self.watch(self.app, "generation", self._generation_changed, init=False)
        if self.DRAW_AFTER_FIRST_FRAME:
            self._shown = self.wizard.generation  # (on_screen_resume: not before that frame)
            self.query_one(NavBar).show_state(self.wizard.state)  # cheap: where you are, now
            self.call_after_refresh(self.redraw)
        else:
            self.redraw()

    def on_screen_resume(self, event: events.ScreenResume) -> None:
        # Textual recomputes the style of every node of a screen each time it is shown.
        # The first time, they were computed as the screen mounted, in the same frame:
        # doing it again was ~20 ms of a first visit's first frame. (Textual calls one
        # handler per class along the MRO, subclass first: this runs before Screen's own,
        # and a subclass's own runs too, without calling this one.)
        if not self._resumed:
            self._resumed = True
            event.refresh_styles = False
        if self._shown != self.wizard.generation:
            self.redraw()

    def _generation_changed(self, _generation: int) -> None:
        if self.is_current:
            self.redraw()

    def redraw(self) -> None:
        self._shown = self.wizard.generation
        state = self.wizard.state
        self.query_one(NavBar).show_state(state)
        self.show_state(state)

    def show_state(self, state: RepoState | None) -> None:
        """Draw `state` (None while the first read of the repo is still running)."""
