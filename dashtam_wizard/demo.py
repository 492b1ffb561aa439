"""Write the bundled legacy sample into a folder as a fresh git repo."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from .core.errors import BadInput
from .core.templates import assets_dir

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Sample Author",
    "GIT_AUTHOR_EMAIL": "sample@example.invalid",
    "GIT_COMMITTER_NAME": "Sample Author",
    "GIT_COMMITTER_EMAIL": "sample@example.invalid",
    "GIT_AUTHOR_DATE": "2025-10-05T12:00:00Z",
    "GIT_COMMITTER_DATE": "2025-10-05T12:00:00Z",
}
SECRET_FILES = (".env.dev", ".env.test")


def write_sample(dest: Path) -> Path:
    src = assets_dir() / "sample"
    if not src.is_dir():
        raise BadInput(str(src), "the bundled sample is missing from this installation")
    if dest.exists() and any(dest.iterdir()):
        raise BadInput(str(dest), "is not empty; give a new or empty folder for the sample")
    shutil.copytree(
        src, dest, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__", ".venv")
    )
    for name in SECRET_FILES:
        if (dest / name).exists():
            (dest / name).chmod(0o600)
    git = shutil.which("git")
    if git:
        env = {**os.environ, **GIT_ENV}
        for args in (
            ["init", "-q", "-b", "main"],
            ["add", "-A"],
            ["commit", "-q", "-m", "Legacy layout"],
        ):
            subprocess.run(
                [git, "-C", str(dest), "-c", "commit.gpgsign=false", *args],
                check=True,
                capture_output=True,
                env=env,
            )
    return dest


def temp_sample() -> Path:
    return write_sample(Path(tempfile.mkdtemp(prefix="dashtam-demo-")) / "ledgerly")
