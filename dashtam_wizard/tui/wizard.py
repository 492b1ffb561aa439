"""The wizard app: start-up, screens, navigation, key bindings.

Three layers of one app: `RepoApp` (repo_app.py) holds the repo's planned state and the
user's toggles, `JobsApp` (jobs.py) runs apply, rollback, verify and the report, and
`WizardApp` here starts it all and moves between screens. Screens only draw the state
and forward the user's intent; nothing slow runs on the UI thread. The first state comes
from the state cache or from the backend process, both set going by `app.run` before
Textual was imported.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Iterable, Iterator
from functools import partial
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from textual import events, work
from textual.app import SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from .backend import Backend
from .jobs import JobsApp
from .screens.base import WizardScreen
from .screens.overview import OverviewScreen
from .themes import DARK, LIGHT, dark_theme, light_theme, save_theme, saved_theme
from .widgets.navbar import SCREENS as SCREEN_KEYS
from .widgets.navbar import label

if TYPE_CHECKING:
    from ..service.state import RepoState

WATCH_INTERVAL = 2.0  # s between looks at the repo for changes made outside the wizard
IDLE_GC_EVERY = 2.0  # s: a full GC runs this often, when no key or click came for as long
# Textual's own keys, the same on every screen: listed after the wizard's in help
GENERIC_ACTIONS = frozenset({"focus_next", "focus_previous", "copy_text"})
BACKGROUND_DELAY = 0.5  # s after the first frame: the Docker probe (and a cached start's backend)


def make_screen(key: str) -> Screen[Any]:
    """The screen for a key of SCREEN_KEYS, its module imported only now.

    The app lists these as factories (App.SCREENS): Textual creates each screen the first
    time it is shown, so start-up imports, composes and styles the overview alone.
    """
    if key.startswith("phase-"):
        from .screens.phase import PhaseScreen

        return PhaseScreen(int(key.removeprefix("phase-")))
    if key == "verify":
        from .screens.verify import VerifyScreen

        return VerifyScreen()
    if key == "checklist":
        from .screens.checklist import ChecklistScreen

        return ChecklistScreen()
    if key == "history":
        from .screens.history import HistoryScreen

        return HistoryScreen()
    raise KeyError(key)


class WizardApp(JobsApp):
    CSS_PATH = ["app.tcss"]
    TITLE = "dashtam-wizard"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]
    # 24 rows (a laptop's default terminal): notes and the preview's header are compacted
    # so the diff itself keeps at least ten lines
    VERTICAL_BREAKPOINTS = [(0, "-short"), (32, "-tall")]
    SCREENS = {key: partial(make_screen, key) for key in SCREEN_KEYS if key != "overview"}
    BINDINGS = [
        Binding("o", "goto('overview')", "Overview", show=False),
        Binding("1", "goto('phase-1')", "Phase", key_display="1-7"),
        *(Binding(str(n), f"goto('phase-{n}')", f"Phase {n}", show=False) for n in range(2, 8)),
        Binding("n", "step(1)", "Next"),
        Binding("p", "step(-1)", "Prev"),
        Binding("a", "apply", "Apply all"),  # on a phase screen its own `a` applies that phase
        Binding("A", "apply(True)", "Apply all", show=False),
        Binding("v", "verify", "Verify"),
        Binding("c", "goto('checklist')", "Checklist", show=False),
        Binding("h", "goto('history')", "History", show=False),
        Binding("ctrl+z", "rollback", "Rollback"),
        Binding("e", "report", "Report"),
        Binding("t", "toggle_theme", "Theme", show=False),
        Binding("r,f5", "refresh", "Re-read the repo", show=False, key_display="r"),
        Binding("question_mark,f1", "help", "Help", key_display="?"),
        Binding("ctrl+q", "quit", "Quit", priority=True),
    ]

    def __init__(
        self,
        root: Path,
        *,
        demo: bool = False,
        docker_probe: bool = True,
        gate_check: bool = True,
        watch_interval: float = WATCH_INTERVAL,
        backend: Backend | None = None,
        state: RepoState | None = None,
        recovered: str | None = None,
    ) -> None:
        """`app.run` passes what it prepared before importing Textual: the repo's `state`
        from the state cache (then the backend starts after the first frame, for later
        jobs) or a `backend` already planning it; otherwise the backend starts now."""
        super().__init__(root, gate_check=gate_check, backend=backend, state=state)
        self.register_theme(light_theme())
        self.register_theme(dark_theme())
        self.theme = LIGHT if saved_theme() == LIGHT else DARK
        self.demo = demo
        self.docker_probe = docker_probe
        self._gc_threshold: tuple[int, int, int] | None = None  # the thresholds before the app
        self._last_input = 0.0  # time.monotonic() of the last key or click
        self.watch_interval = watch_interval  # s between looks for changes made outside (0: none)
        self._early_state = (state, recovered) if state is not None else None
        self._recovered_early = None if state is not None else recovered  # (see on_mount)
        self._first_taken = False  # the first load (started by the backend itself) asked for
        self._followups_started = False  # after the first load: GC back on, Docker probe
        self._seen: str | None = None  # the repo's fingerprint at the last look (watch_repo)
        self._seen_state: RepoState | None = None  # the state whose `seen` it started from
        self._outside: RepoState | None = None  # shown when a change outside was seen

    # ---- screens and navigation -------------------------------------------------------

    def on_mount(self) -> None:
        # The repo's state may be here already (from the state cache, via `app.run`, or the
        # backend, planning since launch, has answered): taken before the overview exists,
        # it is in the overview's first frame.
        ready = self._early_state or (self.backend.take_first_load() if self.backend else None)
        if ready is not None:
            self._first_taken = True
            self._show_state(*ready)
        if self.backend is not None:  # the workers only wait for the backend's answers
            self._start_background()
        else:  # planning in a thread would hold the GIL: not before the first frame
            self.call_after_refresh(self._start_background)
        self.install_screen(OverviewScreen(), "overview")
        self.push_screen("overview")
        if self._recovered_early:  # `app.run` recovered, the backend is planning
            self._notify_recovered(self._recovered_early)
        if self.demo:
            self.notify(
                f"Demo: a fresh copy of the sample repo at {self.root}", timeout=8, markup=False
            )

    def _start_background(self) -> None:
        """Read and plan the repo, then probe Docker: workers that wait for the backend."""
        if not self._first_taken:
            self._first_taken = True
            self.reload(self.options, first=True)
        if self.docker_probe:
            self.docker_status = ("checking…", None)

    def _first_load_done(self) -> None:
        """The repo is on screen (or its error): now the jobs that must not delay that."""
        if self._followups_started:
            return
        self._followups_started = True
        self.call_after_refresh(self._after_first_paint)

    def _after_first_paint(self) -> None:
        if not gc.isenabled():  # `app.run` kept the cyclic GC off for the start-up
            gc.freeze()  # what start-up made lives as long as the app: never scan it again
            gc.enable()
        # A full collection scans every object the app holds (~250,000 once a repo is
        # planned): 0.3-1 s, and a key pressed meanwhile waited for it — the p99 of
        # bench_keys.py was those. The young generations stay automatic (cheap); the full
        # one runs when no key or click came for a second.
        self._gc_threshold = gc.get_threshold()
        gc.set_threshold(self._gc_threshold[0], self._gc_threshold[1], 1_000_000)
        self.set_interval(IDLE_GC_EVERY, self._collect_when_idle)
        # The Docker probe (the SDK loads in the backend, which may still have to start)
        # can wait a moment: the user's first keys come first on a busy machine.
        self.set_timer(BACKGROUND_DELAY, self._background_after_paint)

    def _background_after_paint(self) -> None:
        self._get_backend()
        self._warm_screens()
        if self.docker_probe:
            self.probe_docker()
        if self.watch_interval:
            self.set_interval(self.watch_interval, self.watch_repo)

    def _warm_screens(self) -> None:
        """Import the other screens' modules now, while the user reads the overview: a
        first visit to a phase otherwise spent ~25 ms of its first frame importing (and
        History's table ~10 ms loading rich's emoji names)."""
        import rich.emoji  # noqa: F401

        for key in SCREEN_KEYS:
            if key != "overview":
                make_screen(key)
        from .widgets.diff_preview import diff_view_class

        diff_view_class()  # the diff widget and its highlighter: ~20 ms of the first preview
        self.set_timer(0.1, self._warm_css)  # a frame may come between the two

    def _warm_css(self) -> None:
        """Parse the DEFAULT_CSS of every widget class imported by now (the other screens'
        too), once, while the user reads the overview. Textual parses a class's CSS when
        its first instance mounts, and rebuilds its rule map then: 10-20 ms of a first
        visit's first frame (History's table: most). A class's CSS is the same whenever
        it is added, so the mount then finds it parsed."""
        from textual.dom import DOMNode
        from textual.widget import Widget

        def subclasses(cls: type[Widget]) -> Iterator[type[Widget]]:
            for sub in cls.__subclasses__():
                yield sub
                yield from subclasses(sub)

        sheet = self.stylesheet
        for cls in set(subclasses(Widget)):
            # what `Widget._post_register` adds for an instance: it reads only the class
            bases = SimpleNamespace(_node_bases=DOMNode._css_bases(cls))
            for read_from, css, tie_breaker, scope in DOMNode._get_default_css(bases):  # type: ignore[arg-type]
                sheet.add_source(
                    css,
                    read_from=read_from,
                    is_default_css=True,
                    tie_breaker=tie_breaker,
                    scope=scope,
                )
        sheet.rules_map  # noqa: B018 - parses the new sources and builds the map now

    @work(thread=True, exclusive=True, group="watch", exit_on_error=False)
    def watch_repo(self) -> None:
        """Another editor or shell changed the repo (or applied, or rolled back): plan again,
        and say so, rather than show (and apply) a plan of files that are gone."""
        from ..core.snapshot import fingerprint

        state = self.state
        if self.busy is not None or state is None:
            self._seen = None  # the wizard's own writes are not "changed outside"
            return
        if state is not self._seen_state:  # a state just read: compare with the repo it read
            self._seen_state, self._seen = state, state.seen or self._seen
        now = fingerprint(self.root)
        seen, self._seen = self._seen, now
        if seen is not None and now != seen:
            self.call_from_thread(self._changed_outside)

    def _changed_outside(self) -> None:
        """Something under the repo moved: read it again, and say so once the answer shows
        a different repo (`git status` in another shell rewrites .git/index: no news)."""
        if self.busy is None:
            self._outside = self.state
            self.reload(self.options)

    def _show_state(self, state: RepoState, recovered: str | None) -> None:
        before, self._outside = self._outside, None
        super()._show_state(state, recovered)
        if before is None or state.options != before.options:
            return  # not the answer to a change seen outside (a toggle's came first)
        if state.source is None or state.source != before.source:
            self.notify(
                "The repo changed outside the wizard (an editor, another shell): planned again.",
                timeout=4,
            )

    def action_goto(self, key: str) -> None:
        if key in SCREEN_KEYS and key != self.current_key:
            self.switch_screen(key)

    def action_step(self, delta: int) -> None:
        keys = list(SCREEN_KEYS)
        here = keys.index(self.current_key) if self.current_key in keys else 0
        self.action_goto(keys[(here + delta) % len(keys)])

    def action_help(self) -> None:
        """What the phases do, this screen's keys, where state lives, how to undo."""
        from .screens.help import HelpScreen

        if isinstance(self.screen, HelpScreen):
            return
        seen: dict[str, tuple[int, str, str]] = {}
        for active in self.active_bindings.values():
            b = active.binding
            action = b.action.split(".")[-1]  # "app.help" is help
            own = active.node is self or active.node is self.screen  # not a widget's scroll keys
            if not b.description or action in ("help", "command_palette") or not (b.show or own):
                continue
            if b.description.startswith("Phase ") and b.description != "Phase":
                continue  # "1-7 Phase" says them all
            shown = b.key_display or self.get_key_display(b)
            # this screen's footer keys first, Textual's own (tab, ^c) last
            rank = 0 if b.show else 2 if action in GENERIC_ACTIONS else 1
            seen.setdefault(b.description, (rank, shown, b.description))
        keys = [(k, d) for _, k, d in sorted(seen.values(), key=lambda row: row[0])]
        self.push_screen(HelpScreen(label(self.current_key), keys, str(self.root)))

    def action_keys(self) -> None:
        """Every binding of this screen, with its description, in a side panel."""
        if self.screen.query("HelpPanel"):
            self.action_hide_help_panel()
        else:
            self.action_show_help_panel()

    def action_refresh(self) -> None:
        """Read and plan the repo again: an edit in another editor, an apply from a shell."""
        if self.busy is None:
            self.notify("Reading the repo again…", timeout=3)
            self.reload(self.options)

    def action_toggle_theme(self) -> None:
        self.theme = LIGHT if self.current_theme.dark else DARK
        save_theme(self.theme)

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        if isinstance(screen, WizardScreen):
            yield from screen.commands()
        for key in SCREEN_KEYS:
            yield SystemCommand(
                f"Go to {label(key)}",
                f"Show the {label(key)} screen",
                lambda k=key: self.action_goto(k),
            )
        yield SystemCommand(
            "Apply this phase", "Apply the current phase's selected changes (a)", self.action_apply
        )
        yield SystemCommand(
            "Apply all remaining", "Apply every pending phase (A)", lambda: self.action_apply(True)
        )
        yield SystemCommand(
            "Verify", "Build the stages on Docker and run the checks (v)", self.action_verify
        )
        yield SystemCommand(
            "Rollback", "Undo the latest apply byte for byte (ctrl+z)", self.action_rollback
        )
        yield SystemCommand(
            "Write report", "Write docs/migration-report.md (e)", self.action_report
        )
        yield SystemCommand("Refresh", "Read and plan the repo again (r, F5)", self.action_refresh)
        yield SystemCommand(
            "Help",
            "What the phases do, the keys, where state lives, how to undo (?)",
            self.action_help,
        )
        yield SystemCommand(
            "Keys panel", "Every binding of this screen in a side panel", self.action_keys
        )
        yield SystemCommand(
            "Toggle dark/light",
            "Switch between the dark and light theme (t)",
            self.action_toggle_theme,
        )

    # ---- state ------------------------------------------------------------------------

    async def on_event(self, event: events.Event) -> None:
        if isinstance(
            event, events.Key | events.MouseDown | events.MouseScrollDown | events.MouseScrollUp
        ):
            self._last_input = time.monotonic()
        await super().on_event(event)

    def _collect_when_idle(self) -> None:
        """The full collection the thresholds no longer start, while nobody is typing."""
        if time.monotonic() - self._last_input >= IDLE_GC_EVERY:
            gc.collect()

    def on_unmount(self) -> None:
        if self._gc_threshold is not None:  # the process may live on (tests, an embedding)
            gc.set_threshold(*self._gc_threshold)
        # (RepoApp.on_unmount, which Textual calls after this one, closes the backend)

    # ---- apply / rollback -------------------------------------------------------------

    # ---- verify, docker, report -------------------------------------------------------

    # ---- one error handler, job bookkeeping, quitting ----------------------------------
