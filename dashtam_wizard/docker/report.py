"""What one verify run found, as the TUI, the CLI (table, JSON, SARIF) and `status` read it.

Apart from the run that fills it: results.py (saving it for `status`) and present/ (rendering
it) read it without running verify.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..events import BuildResult, CheckResult
from .buildkit import CLASSIC
from .context import ContextReport


@dataclass
class VerifyReport:
    repo: Path
    host: str
    dockerfile: str
    targets: list[str | None]
    context: ContextReport | None = None
    builds: list[BuildResult] = field(default_factory=list)
    checks: list[CheckResult] = field(default_factory=list)
    unsaved: str | None = None  # why the results were not saved for `status`, if they were not
    builder: str = CLASSIC
    endpoint: str = ""  # how the daemon was chosen: DOCKER_HOST, context NAME, default socket

    @property
    def ok(self) -> bool:
        return all(c.passed for c in self.checks)

    def to_json(self) -> dict[str, Any]:
        from ..core.meta import json_meta

        return {
            **json_meta("verify"),
            "ok": self.ok,
            "repo": str(self.repo),
            "docker_host": self.host,
            "docker_endpoint": self.endpoint,
            "builder": self.builder,
            "dockerfile": self.dockerfile,
            "context": None
            if self.context is None
            else {
                "files": self.context.files,
                "bytes": self.context.bytes,
                "dockerignore": self.context.dockerignore,
                "secret_files": self.context.secret_files,
            },
            "builds": [
                {
                    "target": b.target,
                    "ok": b.ok,
                    "image_id": b.image_id,
                    "tag": b.tag,
                    "steps": b.steps,
                    "cache_hits": b.cache_hits,
                    "seconds": round(b.seconds, 2),
                    "error": b.failed.error if b.failed else None,
                    "where": b.where,
                }
                for b in self.builds
            ],
            "checks": [c.to_json() for c in self.checks],
        }
