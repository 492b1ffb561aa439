"""The results: each scenario's timings per side, the report with its notes, and its JSON
file in `.dashtam-wizard/` (where the migration report reads the ratios)."""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dashtam_wizard.apply.fsio import write_atomic
from dashtam_wizard.apply.state import State

from ...core.statedir import COMPARE_FILE as COMPARE_FILE
from .timing import Timed, _round, _short


@dataclass
class Scenario:
    id: str
    label: str
    change: str  # what was edited, e.g. "src/main.py"
    legacy: list[Timed] = field(default_factory=list)
    migrated: list[Timed] = field(default_factory=list)

    @property
    def legacy_s(self) -> float:
        return statistics.median(t.seconds for t in self.legacy)

    @property
    def migrated_s(self) -> float:
        return statistics.median(t.seconds for t in self.migrated)

    @property
    def ratio(self) -> float:
        return self.migrated_s / self.legacy_s if self.legacy_s > 0 else float("nan")

    def lock_s(self, side: str) -> float | None:
        locks = [t.lock for t in getattr(self, side) if t.lock is not None]
        return statistics.median(locks) if locks else None

    @property
    def ratio_with_lock(self) -> float | None:
        """Both sides with their host-side `uv lock` (the step each workflow requires)."""
        lm, ll = self.lock_s("migrated"), self.lock_s("legacy")
        if lm is None and ll is None:
            return None
        den = self.legacy_s + (ll or 0.0)
        return (self.migrated_s + (lm or 0.0)) / den if den > 0 else float("nan")

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "label": self.label,
            "change": self.change,
            "legacy_seconds": round(self.legacy_s, 3),
            "migrated_seconds": round(self.migrated_s, 3),
            "ratio": _round(self.ratio),
            "legacy_uv_lock_seconds": _round(self.lock_s("legacy")),
            "migrated_uv_lock_seconds": _round(self.lock_s("migrated")),
            "ratio_with_uv_lock": _round(self.ratio_with_lock),
            "legacy": [t.to_json() for t in self.legacy],
            "migrated": [t.to_json() for t in self.migrated],
        }


@dataclass
class CompareReport:
    repo: Path
    host: str
    rounds: int
    applies: list[str]
    legacy: dict[str, Any]
    migrated: dict[str, Any]
    source_file: str
    dependency: str
    scenarios: list[Scenario]
    when: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    builder: str = ""

    def notes(self) -> list[str]:
        """Where the time went, from the builds' own output: why a ratio is what it is."""
        out = []
        for s in self.scenarios:
            if s.id == "none" or not s.legacy or not s.migrated:
                continue
            m, lg = s.migrated[-1], s.legacy[-1]
            if m.slowest and lg.slowest and max(m.slowest[1], lg.slowest[1]) >= 1.0:
                out.append(
                    f"{s.label}: slowest step migrated `{_short(m.slowest[0])}` "
                    f"{m.slowest[1]:.1f} s, legacy `{_short(lg.slowest[0])}` {lg.slowest[1]:.1f} s"
                )
            if m.uv or lg.uv:
                out.append(
                    f"{s.label}: uv's own work (resolve + download + install) legacy "
                    f"{lg.uv_work:.1f} s, migrated {m.uv_work:.1f} s; the rest of a dependency "
                    "step is the container and Docker committing its layer"
                )
            for side, t in (("migrated", m), ("legacy", lg)):
                if t.compiled_files:
                    other = lg if side == "migrated" else m
                    defer = (
                        "; the other image leaves that to the first import in every new container"
                        if not other.compiled_files
                        else ""
                    )
                    out.append(
                        f"{s.label}: the {side} build compiles {t.compiled_files} files to "
                        f"bytecode ({t.uv.get('bytecode', 0.0):.1f} s, UV_COMPILE_BYTECODE){defer}"
                    )
        return out

    def to_json(self) -> dict[str, Any]:
        from ...core.meta import json_meta

        return {
            **json_meta("compare-builds"),
            "version": 1,
            "when": self.when,
            "repo": str(self.repo),
            "docker_host": self.host,
            "builder": self.builder,
            "rounds": self.rounds,
            "applies": self.applies,
            "legacy": self.legacy,
            "migrated": self.migrated,
            "source_file": self.source_file,
            "dependency": self.dependency,
            "scenarios": [s.to_json() for s in self.scenarios],
            "notes": self.notes(),
        }


def save(report: CompareReport) -> Path:
    """`.dashtam-wizard/compare-builds.json`, where the migration report reads the ratios."""
    state = State(report.repo)
    state.ensure()
    path = state.path / COMPARE_FILE
    write_atomic(path, json.dumps(report.to_json(), indent=2).encode(), 0o600, points=False)
    return path
