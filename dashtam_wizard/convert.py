"""`--convert`: what `migrate-to-uv` makes of a Poetry, Pipenv, pip-tools or requirements project.

The plan's Dockerfile installs from pyproject.toml and uv.lock. Converting a project is a
job for a maintained converter, not for the wizard: this runs it on a scratch copy of the
package files (never on the repo), and hands the result to the planner as an option, where
phase 1 shows it as changes to review, the gate judges it with the rest and the apply
journal can undo it. Flags chosen so that nothing the user runs today changes:

- `--keep-current-data`: the old tool's tables and lock stay, so `poetry install` (or
  pipenv, or pip-compile) still works for whoever runs it;
- `--keep-current-build-backend`: `pip install .` builds the package as before;
- `--dependency-groups-strategy include-in-dev`: groups other than dev are part of dev, so
  the production image (`uv sync --no-dev`) gets the main dependencies only.

`uv lock` inside it needs the package index; the result is cached by the bytes it read
(and the converter's version), so `plan --convert` and `apply --convert` show and apply the
same lock.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from .apply.uvlock import find_uv, last_error, uv_env
from .core.context import Conversion, input_digest
from .core.errors import BadInput
from .core.phases.p1_backup import conversion_inputs, other_manager
from .core.snapshot import Tree
from .plancache import cache_dir

FLAGS = (
    "--keep-current-data",
    "--keep-current-build-backend",
    "--dependency-groups-strategy",
    "include-in-dev",
)
TIMEOUT = 600.0


def _command() -> list[str] | None:
    """The converter: installed with the wizard, on PATH, or through `uv tool run`."""
    beside = Path(sys.executable).parent / "migrate-to-uv"
    if beside.is_file() and os.access(beside, os.X_OK):
        return [str(beside)]
    found = shutil.which("migrate-to-uv")
    if found:
        return [found]
    uv = find_uv()
    return [uv, "tool", "run", "migrate-to-uv"] if uv else None


def _env() -> dict[str, str]:
    env = uv_env()  # the converter runs `uv lock` on the scratch copy
    uv = find_uv()
    if uv:  # the converter runs `uv lock`: the same uv the wizard would use
        env["PATH"] = os.pathsep.join([str(Path(uv).parent), env.get("PATH", "")])
    return env


def convert(tree: Tree, name: str) -> Conversion | None:
    """migrate-to-uv's result for this project, or None when it has nothing to convert
    (uv.lock present, or no other package manager's files). BadInput, one line naming the
    file, when the converter is missing or fails; the repo is never touched."""
    if "uv.lock" in tree.files:
        return None
    manager = other_manager(tree)
    if manager is None:
        return None
    inputs = conversion_inputs(tree)
    blame = next(
        (f for f in ("pyproject.toml", "Pipfile", "requirements.txt") if f in inputs),
        sorted(inputs)[0],
    )
    command = _command()
    if command is None:
        raise BadInput(blame, "cannot convert: migrate-to-uv not found and no uv to run it with")
    try:
        version = subprocess.run(
            [*command, "--version"], capture_output=True, text=True, timeout=120, env=_env()
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError) as exc:
        raise BadInput(blame, f"cannot run migrate-to-uv ({exc})") from None
    tool = version or "migrate-to-uv"
    digest = input_digest(inputs)
    key = hashlib.sha256(f"{tool}\0{FLAGS}\0{name}\0{digest}".encode()).hexdigest()
    cached = _load(key)
    if cached is not None:
        return cached
    with tempfile.TemporaryDirectory(prefix="dashtam-wizard-convert-") as tmp:
        scratch = Path(tmp) / name  # a requirements project is named after its folder
        scratch.mkdir()
        for rel, data in inputs.items():
            (scratch / rel).write_bytes(data)
        if "pyproject.toml" not in inputs:
            # from requirements files alone the converter writes `name = ""`, which uv rejects
            (scratch / "pyproject.toml").write_text(
                f'[project]\nname = "{_project_name(name)}"\nversion = "0.1.0"\n'
            )
        try:
            res = subprocess.run(
                [*command, *FLAGS, str(scratch)],
                capture_output=True,
                text=True,
                timeout=TIMEOUT,
                env=_env(),
                cwd=scratch,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            raise BadInput(blame, f"cannot run migrate-to-uv ({exc})") from None
        if res.returncode != 0 or not (scratch / "uv.lock").is_file():
            why = last_error(res.stderr) or last_error(res.stdout) or f"exit code {res.returncode}"
            raise BadInput(blame, f"migrate-to-uv could not convert it: {why}")
        files: list[tuple[str, bytes | None]] = []
        for entry in sorted(scratch.iterdir()):
            if entry.is_file() and inputs.get(entry.name) != (data := entry.read_bytes()):
                files.append((entry.name, data))
        files += [(name, None) for name in sorted(inputs) if not (scratch / name).exists()]
    conv = Conversion(tool, digest, tuple(files))
    _save(key, conv)
    return conv


def _project_name(folder: str) -> str:
    """A valid project name from the repo's folder name (what `uv init` would choose)."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", folder).strip("-._") or "app"


def _path(key: str) -> Path:
    return cache_dir().parent / "convert" / f"{key}.json"


def _load(key: str) -> Conversion | None:
    """A cached result, if this user wrote it (another user's file could plant a lock)."""
    path = _path(key)
    try:
        st = path.stat()
        if st.st_uid != os.getuid() or st.st_mode & 0o022:
            return None
        doc = json.loads(path.read_text())
        files = tuple((str(p), None if d is None else base64.b64decode(d)) for p, d in doc["files"])
        return Conversion(str(doc["tool"]), str(doc["inputs"]), files)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _save(key: str, conv: Conversion) -> None:
    path = _path(key)
    doc = {
        "tool": conv.tool,
        "inputs": conv.inputs,
        "files": [[p, None if d is None else base64.b64encode(d).decode()] for p, d in conv.files],
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".convert-")
        with os.fdopen(fd, "w") as f:
            json.dump(doc, f)
        os.replace(tmp, path)
    except OSError:
        pass  # a cache that cannot be written only costs a second run
