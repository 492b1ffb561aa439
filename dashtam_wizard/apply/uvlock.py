"""`regenerate="uv-lock"`: re-lock a scratch copy with the real `uv lock`.

The plan cannot know the new uv.lock (it depends on the index at apply time), so the apply
layer runs uv on a scratch folder holding pyproject.toml as it will be after the earlier
changes and the current uv.lock (so unchanged pins stay), and writes the result. This runs
before the first write of the transaction: if uv is missing or fails, nothing was changed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from ..core.secrets import mask_value
from .records import ApplyError

# Env vars that would make `uv lock` refuse to update or point it at the wrong project.
_STRIP = ("UV_FROZEN", "UV_LOCKED", "UV_PROJECT", "UV_PROJECT_ENVIRONMENT", "VIRTUAL_ENV")


def find_uv() -> str | None:
    return os.environ.get("UV") or shutil.which("uv")


def uv_env() -> dict[str, str]:
    """The environment for a `uv lock` of a scratch project (also the one migrate-to-uv runs)."""
    return {k: v for k, v in os.environ.items() if k not in _STRIP}


def last_error(stderr: str) -> str:
    """uv's last word, without its box-drawing and with index-URL passwords masked."""
    lines = [ln.strip().lstrip("╰─▶×│ ").strip() for ln in stderr.splitlines()]
    lines = [ln for ln in lines if ln]
    return mask_value("", lines[-1]) if lines else ""


def regenerate_uv_lock(lock_path: str, files: dict[str, bytes], timeout: float = 600) -> bytes:
    """Run `uv lock` on `files` (name -> content, at least pyproject.toml) and return uv.lock."""
    uv = find_uv()
    if not uv:
        raise ApplyError(
            f"{lock_path}: cannot regenerate: `uv` not found (set UV or put uv on PATH)", lock_path
        )
    env = uv_env()
    with tempfile.TemporaryDirectory(prefix="dashtam-wizard-lock-") as tmp:
        for name, data in files.items():
            (Path(tmp) / name).write_bytes(data)
        try:
            res = subprocess.run(
                [uv, "lock", "--no-progress"],
                cwd=tmp,
                capture_output=True,
                env=env,
                timeout=timeout,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            raise ApplyError(f"{lock_path}: cannot run `uv lock` ({exc})", lock_path) from None
        if res.returncode != 0:
            why = last_error(res.stderr.decode(errors="replace")) or f"exit code {res.returncode}"
            raise ApplyError(f"{lock_path}: `uv lock` failed: {why}", lock_path)
        try:
            return (Path(tmp) / "uv.lock").read_bytes()
        except OSError:
            raise ApplyError(f"{lock_path}: `uv lock` wrote no uv.lock", lock_path) from None
