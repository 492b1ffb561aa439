"""Messages the app's workers post back to the UI thread."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from ..apply.records import ApplyRecord
    from ..docker.report import VerifyReport
    from ..events import Progress
    from ..service.state import RepoState


class StateLoaded(Message):
    def __init__(self, state: RepoState, recovered: str | None = None) -> None:
        super().__init__()
        self.state = state
        self.recovered = recovered


class Activity(Message):
    """Progress of a long job: `done` of `total` steps, and what is happening."""

    def __init__(self, label: str, done: int, total: int | None) -> None:
        super().__init__()
        self.label = label
        self.done = done
        self.total = total


class Applied(Message):
    def __init__(self, record: ApplyRecord, count: int) -> None:
        super().__init__()
        self.record = record
        self.count = count


class RolledBack(Message):
    def __init__(self, summary: str) -> None:
        super().__init__()
        self.summary = summary


class DockerStatus(Message):
    def __init__(self, text: str, ok: bool | None) -> None:
        super().__init__()
        self.text = text
        self.ok = ok


class ReportWritten(Message):
    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = path


class VerifyProgress(Message):
    """A batch of progress objects from docker.verify, in the daemon's order."""

    def __init__(self, objs: list[Progress]) -> None:
        super().__init__()
        self.objs = objs


class VerifyDone(Message):
    def __init__(self, report: VerifyReport) -> None:
        super().__init__()
        self.report = report


class VerifyUnavailable(Message):
    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class GateChecked(Message):
    """The equivalence gate's answer for the state of `generation` (blocking lines, unjudged)."""

    def __init__(self, generation: int, blocked: list[str], unjudged: list[str]) -> None:
        super().__init__()
        self.generation = generation
        self.blocked = blocked
        self.unjudged = unjudged


class RollbackAsked(Message):
    """A screen asks for a rollback (the latest apply, back to `to`, or `everything`):
    the app confirms it and runs it, as for ctrl+z."""

    def __init__(self, to: str | None = None, everything: bool = False) -> None:
        super().__init__()
        self.to = to
        self.everything = everything
