"""The wizard app: screens, key bindings, and every background job.

The app owns the state (the engine's plan for the user's toggles), the workers and the
one error handler; screens only draw the state and forward the user's intent. Nothing
slow runs on the UI thread. The first state comes from the state cache or from the
backend process, both set going by `app.run` before Textual was imported; re-plans,
checklist saves and the Docker probe go to the backend (`backend.py`) too, so the UI
process keeps the GIL for drawing and keys and a worker thread only waits for the answer
(or does the work itself if the backend process is gone). Applying, rolling back,
building and checking run in thread workers and report back as messages.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from functools import partial
from pathlib import Path
from threading import Lock
from typing import TYPE_CHECKING, Any, cast

from textual import events, work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.reactive import reactive
from textual.screen import Screen
from textual.worker import Worker, WorkerState, get_current_worker

from ..core.context import Options
from ..core.model import Change, ChecklistItem
from ..events import StepStarted
from ..service.ids import split_change_id
from . import messages as msg
from .backend import Backend, BackendGone
from .errors import describe
from .screens.overview import OverviewScreen
from .themes import DARK, LIGHT, dark_theme, light_theme, save_theme, saved_theme
from .widgets.navbar import SCREENS as SCREEN_KEYS
from .widgets.navbar import label

if TYPE_CHECKING:
    from ..service.state import RepoState
    from .screens.verify import VerifyScreen

WATCH_INTERVAL = 2.0  # s between looks at the repo for changes made outside the wizard
IDLE_GC_EVERY = 2.0  # s: a full GC runs this often, when no key or click came for as long
BACKGROUND_DELAY = 0.5  # s after the first frame: the Docker probe (and a cached start's backend)
JOBS = ("apply", "rollback", "report", "verify")  # one at a time; quitting waits for apply/rollback


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


class WizardApp(App[int]):
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
        Binding("a", "apply", "Apply"),
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

    generation: reactive[int] = reactive(0, init=False)  # bumped whenever state/manual ticks change
    # the equivalence gate for the shown state: (blocking lines, calls not judged); None: checking
    gate: tuple[list[str], list[str]] | None = None
    _loads = 0  # states shown so far: a gate answer is for one of them
    activity: reactive[tuple[str, int, int | None] | None] = reactive(None, init=False)
    docker_status: reactive[tuple[str, bool | None]] = reactive(("not checked", None))

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
        super().__init__()
        self.register_theme(light_theme())
        self.register_theme(dark_theme())
        self.theme = LIGHT if saved_theme() == LIGHT else DARK
        self.root = Path(root).resolve()
        self.demo = demo
        self.docker_probe = docker_probe
        self.gate_check = gate_check  # off: screens say nothing of the gate until apply runs it
        self._gc_threshold: tuple[int, int, int] | None = None  # the thresholds before the app
        self._last_input = 0.0  # time.monotonic() of the last key or click
        self.watch_interval = watch_interval  # s between looks for changes made outside (0: none)
        self._early_state = (state, recovered) if state is not None else None
        self._recovered_early = None if state is not None else recovered  # (see on_mount)
        self.backend = backend if backend or state else Backend.start(self.root)
        self._start_backend_later = state is not None and backend is None
        self._backend_lock = Lock()
        self.options = Options()
        self.state: RepoState | None = None
        self.load_error: tuple[str, str] | None = None
        self.manual: dict[str, bool] = {}  # checklist items only a person can tick (saved)
        self._manual_loaded = False  # taken from the first state; the app's copy leads after
        self._first_taken = False  # the first load (started by the backend itself) asked for
        self._followups_started = False  # after the first load: GC back on, Docker probe
        self._save_lock = Lock()  # saves in threads (backend gone) must not interleave
        self.busy: str | None = None
        self._seen: str | None = None  # the repo's fingerprint at the last look (watch_repo)
        self.last_rollback: str | None = None
        self.last_verify: Any = None  # docker.report.VerifyReport of this session
        self._quit_when_idle = False

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

    @work(thread=True, exclusive=True, group="watch", exit_on_error=False)
    def watch_repo(self) -> None:
        """Another editor or shell changed the repo (or applied, or rolled back): plan again,
        and say so, rather than show (and apply) a plan of files that are gone."""
        from ..core.snapshot import fingerprint

        if self.busy is not None or self.state is None:
            self._seen = None  # the wizard's own writes are not "changed outside"
            return
        now = fingerprint(self.root)
        seen, self._seen = self._seen, now
        if seen is not None and now != seen:
            self.call_from_thread(self._changed_outside)

    def _changed_outside(self) -> None:
        if self.busy is None:
            self.notify(
                "The repo changed outside the wizard (an editor, another shell): planned again.",
                timeout=4,
            )
            self.reload(self.options)

    def _get_backend(self) -> Backend | None:
        """The backend; started now if the first state came from the cache (any thread)."""
        with self._backend_lock:
            if self._start_backend_later:
                self._start_backend_later = False
                self.backend = Backend.start(self.root, first=False)
            return self.backend

    @property
    def current_key(self) -> str:
        return self.screen.name or ""

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
        seen: dict[str, tuple[str, str]] = {}
        for active in self.active_bindings.values():
            b = active.binding
            own = active.node is self or active.node is self.screen  # not a widget's scroll keys
            if not b.description or b.action in ("help", "command_palette") or not (b.show or own):
                continue
            if b.description.startswith("Phase ") and b.description != "Phase":
                continue  # "1-7 Phase" says them all
            shown = b.key_display or self.get_key_display(b)
            seen.setdefault(b.description, (shown, b.description))
        self.push_screen(HelpScreen(label(self.current_key), list(seen.values()), str(self.root)))

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

    @work(thread=True, exclusive=True, group="plan", exit_on_error=False)
    def reload(self, options: Options, first: bool = False) -> None:
        worker = get_current_worker()
        answer = self._in_backend(
            "load", self.root, options, first, cancelled=lambda: worker.is_cancelled
        )
        if worker.is_cancelled:
            return
        state, recovered = answer
        self.post_message(msg.StateLoaded(state, recovered))

    def _in_backend(
        self, op: str, *args: Any, cancelled: Callable[[], bool] = lambda: False
    ) -> Any:
        """Run a backend request from a worker thread; in the thread itself if it is gone."""
        backend = self._get_backend()
        if backend is not None:
            try:
                return backend.call(op, *args, cancelled=cancelled)
            except BackendGone:
                self.backend = None  # from now on every job works in this process
        from .backend import answer_here

        return answer_here(op, args)

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
        with self._backend_lock:
            self._start_backend_later = False  # none is started after this
            backend = self.backend
        if backend is not None:
            backend.close()

    def on_state_loaded(self, message: msg.StateLoaded) -> None:
        self._show_state(message.state, message.recovered)

    def _show_state(self, state: RepoState, recovered: str | None) -> None:
        self.state = state
        if self.load_error is not None:
            self.clear_notifications()  # the error they repeat is gone
        self.load_error = None
        if not self._manual_loaded:
            self._manual_loaded = True
            self.manual = {**state.manual, **self.manual}
        if recovered:
            self._notify_recovered(recovered)
        self.gate = None  # this state is not judged yet
        self._loads += 1
        self.generation += 1
        self._first_load_done()
        if state.selected() and self.gate_check:
            self.check_gate(self.options, self._loads)

    @work(thread=True, exclusive=True, group="gate", exit_on_error=False)
    def check_gate(self, options: Options, generation: int) -> None:
        """The gate apply runs, ahead of time: the Overview and the phase screens show what
        it blocks before the user asks to apply."""
        worker = get_current_worker()
        blocked, unjudged = self._in_backend(
            "gate", self.root, options, cancelled=lambda: worker.is_cancelled
        )
        if not worker.is_cancelled:
            self.post_message(msg.GateChecked(generation, blocked, unjudged))

    def on_gate_checked(self, message: msg.GateChecked) -> None:
        if message.generation != self._loads:
            return  # an answer for a state no longer shown
        self.gate = (message.blocked, message.unjudged)
        self.generation += 1

    def _notify_recovered(self, summary: str) -> None:
        self.notify(
            summary,
            severity="warning",
            timeout=8,
            markup=False,
        )

    def toggle_change(self, change: Change) -> bool:
        """Switch a change on/off; re-plan (later phases depend on it). Returns the new state."""
        o = self.options
        skip, include = set(o.skip), set(o.include)
        now = not o.selected(change)
        if change.default:
            (skip.discard if now else skip.add)(change.id)
        else:
            (include.add if now else include.discard)(change.id)
        self.options = replace(o, skip=frozenset(skip), include=frozenset(include))
        self.reload(self.options)
        return now

    def tick(self, item: ChecklistItem) -> None:
        """Tick or untick an item only a person can judge; saved in the state dir."""
        self.manual[item.text] = not self.manual.get(item.text, False)
        self.generation += 1
        self.save_manual()

    @work(thread=True, group="manual", exit_on_error=False)
    def save_manual(self) -> None:
        with self._save_lock:  # one save at a time, each of the latest ticks: the last wins
            self._in_backend("save_manual", self.root, dict(self.manual))

    # ---- apply / rollback -------------------------------------------------------------

    def _idle_state(self) -> RepoState | None:
        """The state to act on; None (and the user is told why) while a job runs or loads."""
        if self.busy:
            self.notify(f"Wait: {self.busy} is still running.", severity="warning")
            return None
        if self.state is None:
            self.notify("Still reading the repo…", severity="warning")
            return None
        return self.state

    def action_apply(self, everything: bool = False) -> None:
        from .screens.confirm import ConfirmModal

        state = self._idle_state()
        if state is None:
            return
        pending = state.pending_phases()
        from .screens.phase import PhaseScreen  # loaded once a phase screen was shown

        screen = self.screen
        if not everything and isinstance(screen, PhaseScreen):
            earlier = [n for n in pending if n < screen.number]
            if earlier:
                self.notify(
                    f"Phase {earlier[0]} has pending changes: apply it first (or A for all remaining).",
                    severity="warning",
                    markup=False,
                )
                return
            phases = {screen.number}
        else:
            phases = set(pending)
        changes = state.selected(phases)
        if not changes:
            self.notify(
                "Nothing to apply here: "
                + ("this phase is done." if len(phases) == 1 else "the repo is migrated.")
            )
            return
        which = (
            f"phase {min(phases)}"
            if len(phases) == 1
            else f"phases {', '.join(map(str, sorted(phases)))}"
        )
        lines = [f"{c.kind.value:<6} {c.summary}" for c in changes]
        skipped = [c for c in state.plan.changes(phases) if not self.options.selected(c)]
        if skipped:
            lines += ["", f"left out ({len(skipped)}):"] + [f"       {c.summary}" for c in skipped]

        def confirmed(ok: bool | None) -> None:
            if ok and self._idle_state():
                self.busy = "apply"
                self.activity = (f"applying {which}…", 0, len(changes))
                self.run_apply(changes, sorted(phases))

        self.push_screen(
            ConfirmModal(f"Apply {len(changes)} change(s) of {which}?", lines, "Apply"), confirmed
        )

    @work(thread=True, group="apply", exit_on_error=False)
    def run_apply(self, changes: list[Change], phases: list[int]) -> None:
        from ..service.doors import apply_chosen

        def step(i: int, n: int, change: Change) -> None:
            self.post_message(msg.Activity(f"{change.kind.value} {change.path}", i, n))

        state = self.state
        if state is None:
            return
        # the same door as `apply`: the gate (a difference stops it, one line), then the
        # transaction of what the dialog listed
        self.post_message(msg.Activity("checking with Compose…", 0, len(changes)))
        record = apply_chosen(self.root, state.plan, state.options, set(phases), on_step=step)
        self.post_message(msg.Applied(record, len(changes)))

    def on_activity(self, message: msg.Activity) -> None:
        if self.busy:
            self.activity = (message.label, message.done, message.total)

    def on_applied(self, message: msg.Applied) -> None:
        self.notify(
            f"Applied {message.count} change(s) as {message.record.id}. ctrl+z undoes it.",
            title="Applied",
            markup=False,
        )

    def action_rollback(self, to: str | None = None, everything: bool = False) -> None:
        from .screens.confirm import ConfirmModal

        state = self._idle_state()
        if state is None:
            return
        live = [r for r in state.history if r.status == "applied"]
        if not live:
            self.notify("Nothing to roll back: no apply is recorded in this repo.")
            return
        if everything:
            undo = live
        elif to is not None:
            ids = [r.id for r in live]
            if to not in ids:
                self.notify(
                    f"{to} cannot be rolled back (already rolled back?).",
                    severity="warning",
                    markup=False,
                )
                return
            undo = live[ids.index(to) :]
        else:
            undo = live[-1:]
        lines: list[str] = []
        for r in reversed(undo):
            lines.append(f"{r.id} — phase(s) {r.what(', ')}, {len(r.change_ids)} change(s):")
            for cid in r.change_ids:
                _phase, kind, path = split_change_id(cid)
                lines.append(f"    undo {kind:<6} {path}")
        title = (
            f"Roll back {len(undo)} {'apply' if len(undo) == 1 else 'applies'}? "
            "Every file is restored byte for byte."
        )

        def confirmed(ok: bool | None) -> None:
            if ok and self._idle_state():
                self.busy = "rollback"
                self.activity = ("rolling back…", 0, None)
                self.run_rollback(None if everything else to, everything)

        self.push_screen(ConfirmModal(title, lines, "Roll back", danger=True), confirmed)

    @work(thread=True, group="rollback", exit_on_error=False)
    def run_rollback(self, to: str | None, everything: bool) -> None:
        from ..apply import rollback

        def step(i: int, n: int, *_: object) -> None:
            self.post_message(msg.Activity("restoring…", i, n))

        result = rollback(self.root, to=to, all=everything, on_step=step)
        self.post_message(msg.RolledBack(result.summary()))

    def on_rolled_back(self, message: msg.RolledBack) -> None:
        self.last_rollback = message.summary
        self.notify(message.summary, title="Rolled back", markup=False, timeout=6)

    # ---- verify, docker, report -------------------------------------------------------

    async def action_verify(self) -> None:
        if self.current_key != "verify":
            await self.switch_screen("verify")
        if self._idle_state() is None:
            return
        self.busy = "verify"
        self.verify_screen.reset()
        self.activity = ("verifying…", 0, None)
        self.run_verify()

    @property
    def verify_screen(self) -> VerifyScreen:
        return cast("VerifyScreen", self.get_screen("verify"))

    @work(thread=True, exclusive=True, group="verify", exit_on_error=False)
    def run_verify(self) -> None:
        from .verify_run import Batcher, Stopped, Unavailable, run

        worker = get_current_worker()
        batcher = Batcher(lambda objs: self.post_message(msg.VerifyProgress(objs)))
        try:
            report = run(
                self.root,
                batcher,
                lambda: worker.is_cancelled,
                lambda text: self.post_message(msg.DockerStatus(text, True)),
            )
        except Unavailable as exc:
            batcher.flush()
            self.post_message(msg.VerifyUnavailable(str(exc)))
            return
        except Stopped:
            return
        batcher.flush()
        self.post_message(msg.VerifyDone(report))

    def on_verify_progress(self, message: msg.VerifyProgress) -> None:
        self.verify_screen.events(message.objs)
        steps = [o for o in message.objs if isinstance(o, StepStarted)]
        if steps and self.busy == "verify":
            self.activity = (f"building: {steps[-1].text[:60]}", steps[-1].n, steps[-1].total)

    def on_verify_unavailable(self, message: msg.VerifyUnavailable) -> None:
        self.verify_screen.unavailable(message.text)
        self.docker_status = (message.text, False)
        if self.current_key != "verify":  # the Verify screen says it already: no toast over it
            self.notify(
                message.text, title="Cannot verify", severity="error", timeout=8, markup=False
            )

    def on_verify_done(self, message: msg.VerifyDone) -> None:
        self.last_verify = message.report
        self.verify_screen.done(message.report)
        self.reload(self.options)

    @work(thread=True, exclusive=True, group="docker", exit_on_error=False)
    def probe_docker(self) -> None:
        """Is a daemon reachable? Asked of the backend (the Docker SDK never loads here)."""
        worker = get_current_worker()
        answer = self._in_backend("docker", cancelled=lambda: worker.is_cancelled)
        if answer is not None and not worker.is_cancelled:
            ok, text = answer
            self.post_message(msg.DockerStatus(text, ok))

    def on_docker_status(self, message: msg.DockerStatus) -> None:
        self.docker_status = (message.text, message.ok)

    def action_report(self) -> None:
        if self._idle_state():
            self.busy = "report"
            self.write_report(self.state, dict(self.manual), self.last_verify)

    @work(thread=True, group="report", exit_on_error=False)
    def write_report(self, state: RepoState, manual: dict[str, bool], verify: Any) -> None:
        from ..service.report import write

        path = write(state, manual, verify)
        self.post_message(msg.ReportWritten(path))

    def on_report_written(self, message: msg.ReportWritten) -> None:
        self.notify(
            f"Wrote {message.path} (what changed, verification, rollback ids).",
            title="Report",
            markup=False,
        )
        self.reload(self.options)

    # ---- one error handler, job bookkeeping, quitting ----------------------------------

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one place errors surface: a notification (and the overview's panel for planning)."""
        worker = event.worker
        if event.state is WorkerState.ERROR and worker.error is not None:
            title, text = describe(worker.error, worker.group)
            if worker.group == "plan":
                self.load_error = (title, text)
                self.generation += 1
                self._first_load_done()
            if worker.group == "docker":
                self.docker_status = (text, False)
            elif worker.group == "plan" and self.current_key == "overview":
                pass  # the overview's error panel says it; a toast over it would repeat it
            else:
                self.notify(text, title=title, severity="error", timeout=10, markup=False)
        if (
            event.state in (WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED)
            and worker.group in JOBS
        ):
            if self.busy == worker.group:
                self.busy = None
                self.activity = None
            if worker.group in ("apply", "rollback"):
                self.reload(self.options)
            if self._quit_when_idle and self.busy is None:
                self.exit(0)

    async def action_quit(self) -> None:
        if self.busy in ("apply", "rollback", "report"):
            self._quit_when_idle = True
            self.notify(
                f"Quitting when the {self.busy} finishes (files are never left half-written).",
                severity="warning",
            )
            return
        if self.busy == "verify":
            self.workers.cancel_group(self, "verify")
        self.exit(0)
