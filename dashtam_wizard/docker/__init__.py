"""The Docker SDK adapter: builds, checks, extraction and `verify` against a real daemon.

dashtam_wizard.core never imports this package (the planning core stays free of the
docker SDK); the CLI and the TUI do.
"""

from __future__ import annotations

from ..events import (
    BuildDone,
    BuildEvent,
    BuildResult,
    CacheHit,
    CheckResult,
    Output,
    StepFailed,
    StepStarted,
)
from .build import build_stage, iter_build
from .client import LABEL, LABELS, DaemonUnreachable, connect
from .context import ContextReport, context_report
from .extract import ExtractError, extract_project_files
from .report import VerifyReport
from .verify import verify_repo

__all__ = [
    "LABEL",
    "LABELS",
    "BuildDone",
    "BuildEvent",
    "BuildResult",
    "CacheHit",
    "CheckResult",
    "ContextReport",
    "DaemonUnreachable",
    "ExtractError",
    "Output",
    "StepFailed",
    "StepStarted",
    "VerifyReport",
    "build_stage",
    "connect",
    "context_report",
    "extract_project_files",
    "iter_build",
    "verify_repo",
]
