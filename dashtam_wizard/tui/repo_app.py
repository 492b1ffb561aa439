"""The repo as the TUI holds it: its planned state, the user's toggles and ticks, the gate.

The base of the app (`WizardApp` adds start-up and navigation, `JobsApp` the jobs).
Every job (planning, the gate, checklist saves, and `JobsApp`'s apply, rollback, report,
verify) is started by `in_backend` from a worker thread: it goes to the backend process
(`backend.py`), so this process keeps the GIL for drawing and keys, and the thread only
waits for the answer (and passes progress on), or does the work itself if the backend
is gone. Screens draw `state` whenever
`generation` changes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from threading import Lock
from typing import TYPE_CHECKING, Any

from textual import work
from textual.app import App
from textual.reactive import reactive
from textual.worker import get_current_worker

from ..core.context import Options
from . import messages as msg
from .backend import Backend, BackendGone, BackendStopped
from .ops import WRITES, Progress, run, stop_builds

if TYPE_CHECKING:
    from ..service.state import RepoState
    from .widgets.change_list import ChangeList
    from .widgets.checklist_list import ChecklistList


class RepoApp(App[int]):
    generation: reactive[int] = reactive(0, init=False)  # bumped whenever state/manual ticks change
    # the equivalence gate for the shown state: (blocking lines, calls not judged); None: checking
    gate: tuple[list[str], list[str]] | None = None
    _loads = 0  # states shown so far: a gate answer is for one of them

    def __init__(
        self,
        root: Path,
        *,
        gate_check: bool,
        backend: Backend | None,
        state: RepoState | None,
    ) -> None:
        """A `state` from the state cache starts the backend later (first needed), for the
        jobs; a `backend` may be planning already; otherwise the backend starts now."""
        super().__init__()
        self.root = Path(root).resolve()
        self.gate_check = gate_check  # off: screens say nothing of the gate until apply runs it
        self.backend = backend if backend or state else Backend.start(self.root)
        self._start_backend_later = state is not None and backend is None
        self._backend_lock = Lock()
        self.options = Options()
        self.state: RepoState | None = None
        self.load_error: tuple[str, str] | None = None
        self.manual: dict[str, bool] = {}  # checklist items only a person can tick (saved)
        self._manual_loaded = False  # taken from the first state; the app's copy leads after
        self._save_lock = Lock()  # saves in threads (backend gone) must not interleave

    def _first_load_done(self) -> None:
        """The repo is on screen (or its error): start-up's follow-ups (WizardApp)."""

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

    @work(thread=True, exclusive=True, group="plan", exit_on_error=False)
    def reload(self, options: Options, first: bool = False) -> None:
        worker = get_current_worker()
        answer = self.in_backend(
            "load", self.root, options, first, cancelled=lambda: worker.is_cancelled
        )
        if worker.is_cancelled:
            return
        state, recovered = answer
        self.post_message(msg.StateLoaded(state, recovered))

    def in_backend(
        self,
        op: str,
        *args: Any,
        progress: Progress | None = None,
        cancelled: Callable[[], bool] = lambda: False,
    ) -> Any:
        """Run a job (`ops.run`) from a worker thread: in the backend, or in this thread if
        there is none. The one way every job is started."""
        backend = self._get_backend()
        if backend is not None:
            try:
                return backend.call(op, *args, progress=progress, cancelled=cancelled)
            except BackendGone as gone:
                self.backend = None  # from now on every job works in this process
                if gone.sent and op in WRITES:
                    from ..service.repo import recover_interrupted

                    recovered = recover_interrupted(self.root, untrusted_ok=True)
                    raise BackendStopped(op, recovered) from None
        return run(op, args, progress, cancelled)

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
        blocked, unjudged = self.in_backend(
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

    # the screens' lists post these; they bubble up to the app, which records them

    def on_change_list_toggled(self, event: ChangeList.Toggled) -> None:
        """A change switched on/off: re-plan (later phases depend on it)."""
        o, change = self.options, event.change
        skip, include = set(o.skip), set(o.include)
        if change.default:
            (skip.discard if event.selected else skip.add)(change.id)
        else:
            (include.add if event.selected else include.discard)(change.id)
        options = replace(o, skip=frozenset(skip), include=frozenset(include))
        from ..service.doors import skipped_folder_needed  # loads the apply layer: on use

        why = skipped_folder_needed(self.state.plan, options) if self.state else None
        if why is not None:  # apply would refuse this choice: say so now, keep the row
            event.control.undo_toggle(change)
            self.notify(why, severity="warning", timeout=6, markup=False)
            return
        self.options = options
        self.reload(self.options)

    def on_checklist_list_ticked(self, event: ChecklistList.Ticked) -> None:
        """An item only a person can judge, ticked or unticked; saved in the state dir."""
        self.manual[event.item.text] = not self.manual.get(event.item.text, False)
        self.generation += 1
        self.save_manual()

    @work(thread=True, group="manual", exit_on_error=False)
    def save_manual(self) -> None:
        with self._save_lock:  # one save at a time, each of the latest ticks: the last wins
            self.in_backend("save_manual", self.root, dict(self.manual))

    def on_unmount(self) -> None:
        with self._backend_lock:
            self._start_backend_later = False  # none is started after this
            backend = self.backend
        if backend is not None:
            backend.close()
        else:  # jobs ran in this process's threads: a verify's build must not outlive it
            stop_builds()
