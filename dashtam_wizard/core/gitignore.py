"""Ask git itself which paths a .gitignore ignores.

Typical Python .gitignores ignore `env/`, `.env.*` and sometimes `uv.lock`; re-including
a file under an ignored folder needs the folder re-included first. Rather than emulate
those rules we let git answer, in a scratch repo holding the proposed .gitignore (read
only: the user's repo is never touched).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path


def ignored(gitignore: str, paths: list[str]) -> set[str] | None:
    """Which of `paths` git ignores under `gitignore` as the root .gitignore; None without git."""
    git = shutil.which("git")
    if git is None:
        return None
    with tempfile.TemporaryDirectory(prefix="dw-ignore-") as tmp:
        root = Path(tmp)
        env = {"GIT_CONFIG_NOSYSTEM": "1", "HOME": tmp, "PATH": "/usr/bin:/bin"}
        try:
            subprocess.run([git, "init", "-q", str(root)], check=True, capture_output=True, env=env, timeout=20)
            (root / ".gitignore").write_text(gitignore)
            res = subprocess.run(
                [git, "-C", str(root), "check-ignore", "--no-index", "--stdin", "-z"],
                input="\0".join(paths).encode(), capture_output=True, env=env, timeout=20,
            )
        except (OSError, subprocess.SubprocessError):
            return None
        if res.returncode not in (0, 1):
            return None
        return {p for p in res.stdout.decode().split("\0") if p}
