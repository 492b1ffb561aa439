"""The jobs the user starts: apply, rollback, verify, the report, the Docker probe.

One at a time (`busy`), each started the one way every job is (`in_backend` from a
thread worker: `ops.run` in the backend process), each through the same service door the
CLI uses, reporting back as messages; `on_worker_state_changed` is the one place their
errors surface. Quitting waits for an apply or a rollback: files are never left
half-written.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from textual import work
from textual.reactive import reactive
from textual.worker import Worker, WorkerState, get_current_worker

from ..core.model import Change
from ..events import StepStarted
from ..service.ids import split_change_id
from . import messages as msg
from .backend import Backend
from .errors import describe
from .repo_app import RepoApp

if TYPE_CHECKING:
    from ..docker.report import VerifyReport
    from ..service.state import RepoState
    from .screens.verify import VerifyScreen

JOBS = ("apply", "rollback", "report", "verify")  # one at a time; quitting waits for apply/rollback


class JobsApp(RepoApp):
    activity: reactive[tuple[str, int, int | None] | None] = reactive(None, init=False)
    docker_status: reactive[tuple[str, bool | None]] = reactive(("not checked", None))

    def __init__(
        self,
        root: Path,
        *,
        gate_check: bool,
        backend: Backend | None,
        state: RepoState | None,
    ) -> None:
        super().__init__(root, gate_check=gate_check, backend=backend, state=state)
        self.busy: str | None = None
        self.last_rollback: str | None = None
        self.last_verify: VerifyReport | None = None  # of this session
        self._quit_when_idle = False

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
            from ..service.doors import earlier_pending

            first = earlier_pending(state.plan, state.options, {screen.number})
            if first is not None:
                self.notify(
                    f"Phase {first} has pending changes: apply it first (or A for all remaining).",
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

    def _activity(self, value: tuple[str, int, int | None]) -> None:
        self.post_message(msg.Activity(*value))

    @work(thread=True, group="apply", exit_on_error=False)
    def run_apply(self, changes: list[Change], phases: list[int]) -> None:
        state = self.state
        if state is None:
            return
        record = self.in_backend(
            "apply", self.root, state.plan, state.options, phases, progress=self._activity
        )
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

    def on_rollback_asked(self, message: msg.RollbackAsked) -> None:
        self.action_rollback(message.to, message.everything)

    @work(thread=True, group="rollback", exit_on_error=False)
    def run_rollback(self, to: str | None, everything: bool) -> None:
        summary = self.in_backend("rollback", self.root, to, everything, progress=self._activity)
        self.post_message(msg.RolledBack(summary))

    def on_rolled_back(self, message: msg.RolledBack) -> None:
        self.last_rollback = message.summary
        self.notify(message.summary, title="Rolled back", markup=False, timeout=6)

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
        from .verify_run import Stopped, Unavailable

        worker = get_current_worker()

        def progress(value: list[Any] | str) -> None:  # a batch of events, or the daemon's answer
            if isinstance(value, str):
                self.post_message(msg.DockerStatus(value, True))
            else:
                self.post_message(msg.VerifyProgress(value))

        try:
            report = self.in_backend(
                "verify", self.root, progress=progress, cancelled=lambda: worker.is_cancelled
            )
        except Unavailable as exc:
            self.post_message(msg.VerifyUnavailable(str(exc)))
            return
        except Stopped:
            return
        if not worker.is_cancelled:
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
        answer = self.in_backend("docker", cancelled=lambda: worker.is_cancelled)
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
    def write_report(
        self, state: RepoState, manual: dict[str, bool], verify: VerifyReport | None
    ) -> None:
        path = self.in_backend("report", state, manual, verify)
        self.post_message(msg.ReportWritten(path))

    def on_report_written(self, message: msg.ReportWritten) -> None:
        self.notify(
            f"Wrote {message.path} (what changed, verification, rollback ids).",
            title="Report",
            markup=False,
        )
        self.reload(self.options)

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
