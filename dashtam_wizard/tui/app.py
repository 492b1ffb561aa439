"""The wizard app: screens, key bindings, and every background job (as workers).

The app owns the state (the engine's plan for the user's toggles), the workers and the
one error handler; screens only draw the state and forward the user's intent. Nothing
slow runs on the UI thread: reading and planning the repo, applying, rolling back,
building and checking all run in thread workers and report back as messages.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.reactive import reactive
from textual.screen import Screen
from textual.worker import Worker, WorkerState, get_current_worker

from ..core.context import Options
from ..core.model import Change, ChecklistItem
from . import messages as msg
from .errors import describe
from .ids import split_change_id
from .screens.checklist import ChecklistScreen
from .screens.confirm import ConfirmModal
from .screens.history import HistoryScreen
from .screens.overview import OverviewScreen
from .screens.phase import PhaseScreen
from .screens.verify import VerifyScreen
from .widgets.navbar import SCREENS, label

if TYPE_CHECKING:
    from .state import RepoState

JOBS = ("apply", "rollback", "report", "verify")  # one at a time; quitting waits for apply/rollback


class WizardApp(App[int]):
    CSS_PATH = ["app.tcss"]
    TITLE = "dashtam-wizard"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]
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
        Binding("question_mark", "keys", "Keys"),
        Binding("ctrl+q", "quit", "Quit", priority=True),
    ]

    generation: reactive[int] = reactive(0, init=False)  # bumped whenever state/manual ticks change
    activity: reactive[tuple[str, int, int | None] | None] = reactive(None, init=False)
    docker_status: reactive[tuple[str, bool | None]] = reactive(("not checked", None))

    def __init__(self, root: Path, *, demo: bool = False, docker_probe: bool = True) -> None:
        super().__init__()
        self.root = Path(root).resolve()
        self.demo = demo
        self.docker_probe = docker_probe
        self.options = Options()
        self.state: RepoState | None = None
        self.load_error: tuple[str, str] | None = None
        self.manual: dict[str, bool] = {}  # checklist items only a person can tick
        self.busy: str | None = None
        self.last_rollback: str | None = None
        self.last_verify: Any = None  # docker.verify.VerifyReport of this session
        self._quit_when_idle = False

    # ---- screens and navigation -------------------------------------------------------

    def on_mount(self) -> None:
        self.install_screen(OverviewScreen(), "overview")
        for n in range(1, 8):
            self.install_screen(PhaseScreen(n), f"phase-{n}")
        self.install_screen(VerifyScreen(), "verify")
        self.install_screen(ChecklistScreen(), "checklist")
        self.install_screen(HistoryScreen(), "history")
        self.push_screen("overview")
        if self.demo:
            self.notify(
                f"Demo: a fresh copy of the sample repo at {self.root}", timeout=8, markup=False
            )
        self.call_after_refresh(self._start_background)

    def _start_background(self) -> None:
        """After the first paint: read and plan the repo, probe Docker (both in threads)."""
        self.reload(self.options, first=True)
        if self.docker_probe:
            self.docker_status = ("checking…", None)
            self.probe_docker()

    @property
    def current_key(self) -> str:
        return self.screen.name or ""

    def action_goto(self, key: str) -> None:
        if key in SCREENS and key != self.current_key:
            self.switch_screen(key)

    def action_step(self, delta: int) -> None:
        keys = list(SCREENS)
        here = keys.index(self.current_key) if self.current_key in keys else 0
        self.action_goto(keys[(here + delta) % len(keys)])

    def action_keys(self) -> None:
        """Every binding of this screen, with its description, in a side panel."""
        if self.screen.query("HelpPanel"):
            self.action_hide_help_panel()
        else:
            self.action_show_help_panel()

    def action_toggle_theme(self) -> None:
        self.theme = "textual-light" if self.current_theme.dark else "textual-dark"

    def get_system_commands(self, screen: Screen):
        yield from super().get_system_commands(screen)
        for key in SCREENS:
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
        yield SystemCommand(
            "Toggle dark/light",
            "Switch between the dark and light theme (t)",
            self.action_toggle_theme,
        )

    # ---- state ------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="plan", exit_on_error=False)
    def reload(self, options: Options, first: bool = False) -> None:
        from .state import load  # the engine loads here, off the startup path

        recovered = self._recover() if first else None
        state = load(self.root, options)
        if not get_current_worker().is_cancelled:
            self.post_message(msg.StateLoaded(state, recovered))

    def _recover(self) -> str | None:
        from ..apply import recover

        result = recover(self.root)
        return None if result is None else result.summary()

    def on_state_loaded(self, message: msg.StateLoaded) -> None:
        self.state = message.state
        self.load_error = None
        if message.recovered:
            self.notify(
                f"Recovered an interrupted operation: {message.recovered}",
                severity="warning",
                timeout=10,
                markup=False,
            )
        self.generation += 1

    def toggle_change(self, change: Change) -> bool:
        """Switch a change on/off; re-plan (later phases depend on it). Returns the new state."""
        o = self.options
        skip, include = set(o.skip), set(o.include)
        now = not o.selected(change)
        if change.default:
            (skip.discard if now else skip.add)(change.id)
        else:
            (include.add if now else include.discard)(change.id)
        self.options = Options(o.uid, o.gid, frozenset(skip), frozenset(include))
        self.reload(self.options)
        return now

    def tick(self, item: ChecklistItem) -> None:
        self.manual[item.text] = not self.manual.get(item.text, False)
        self.generation += 1

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
        state = self._idle_state()
        if state is None:
            return
        pending = state.pending_phases()
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
        from ..apply import apply_changes

        def step(i: int, n: int, change: Change) -> None:
            self.post_message(msg.Activity(f"{change.kind.value} {change.path}", i, n))

        record = apply_changes(self.root, changes, phases=phases, on_step=step)
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
            lines.append(
                f"{r.id} — phase(s) {', '.join(map(str, r.phases))}, {len(r.change_ids)} change(s):"
            )
            for cid in r.change_ids:
                _phase, kind, path = split_change_id(cid)
                lines.append(f"    undo {kind:<6} {path}")
        title = f"Roll back {len(undo)} apply(s)? Every file is restored byte for byte."

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
        self.notify(message.summary, title="Rolled back", markup=False, timeout=10)

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
        return cast(VerifyScreen, self.get_screen("verify"))

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
        steps = [o for o in message.objs if type(o).__name__ == "StepStarted"]
        if steps and self.busy == "verify":
            self.activity = (f"building: {steps[-1].text[:60]}", steps[-1].n, steps[-1].total)

    def on_verify_unavailable(self, message: msg.VerifyUnavailable) -> None:
        self.verify_screen.unavailable(message.text)
        self.docker_status = (message.text, False)
        self.notify(message.text, title="Cannot verify", severity="error", timeout=12, markup=False)

    def on_verify_done(self, message: msg.VerifyDone) -> None:
        self.last_verify = message.report
        self.verify_screen.done(message.report)
        self.reload(self.options)

    @work(thread=True, exclusive=True, group="docker", exit_on_error=False)
    def probe_docker(self) -> None:
        from .docker_probe import probe

        ok, text = probe()
        self.post_message(msg.DockerStatus(text, ok))

    def on_docker_status(self, message: msg.DockerStatus) -> None:
        self.docker_status = (message.text, message.ok)

    def action_report(self) -> None:
        if self._idle_state():
            self.busy = "report"
            self.write_report(self.state, dict(self.manual), self.last_verify)

    @work(thread=True, group="report", exit_on_error=False)
    def write_report(self, state: RepoState, manual: dict[str, bool], verify: Any) -> None:
        from .report import write

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
            if worker.group == "docker":
                self.docker_status = (text, False)
            else:
                self.notify(text, title=title, severity="error", timeout=15, markup=False)
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


def run(root: Path, demo: bool = False) -> int:
    """Entry point used by `dashtam-wizard [PATH]` and `dashtam-wizard --demo`."""
    app = WizardApp(root, demo=demo)
    app.run()
    return app.return_code or 0
