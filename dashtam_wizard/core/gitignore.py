"""Ask git itself which paths a .gitignore ignores.

Typical Python .gitignores ignore `env/`, `.env.*` and sometimes `uv.lock`; re-including
a file under an ignored folder needs the folder re-included first. Rather than emulate
those rules we let git answer, in a scratch repo holding the proposed .gitignore (read
only: the user's repo is never touched).

The scratch repo is the three entries git needs to recognise a repository (HEAD,
objects/, refs/) rather than a `git init` (a process and a copy of the hook templates),
and several candidate .gitignore files are checked by concurrent git processes: `plan`
pays for one short-lived git process, not four in a row.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path


def _scratch_repo(root: Path, git: str, env: dict[str, str], full: bool) -> None:
    if full:
        subprocess.run(
            [git, "init", "-q", str(root)], check=True, capture_output=True, env=env, timeout=20
        )
        return
    git_dir = root / ".git"
    (git_dir / "objects").mkdir(parents=True)
    (git_dir / "refs").mkdir()
    (git_dir / "HEAD").write_text("ref: refs/heads/main\n")


def ignored_each(gitignores: list[str], paths: list[str]) -> list[set[str] | None]:
    """For each candidate root .gitignore, which of `paths` git ignores; None without git."""
    git = shutil.which("git")
    if git is None:
        return [None] * len(gitignores)
    stdin = "\0".join(paths).encode()
    with tempfile.TemporaryDirectory(prefix="dw-ignore-") as tmp:
        env = {"GIT_CONFIG_NOSYSTEM": "1", "HOME": tmp, "PATH": "/usr/bin:/bin"}

        def start(i: int, gitignore: str, full: bool) -> subprocess.Popen[bytes]:
            root = Path(tmp) / f"r{i}{'-init' if full else ''}"
            _scratch_repo(root, git, env, full)
            (root / ".gitignore").write_text(gitignore)
            return subprocess.Popen(
                [git, "-C", str(root), "check-ignore", "--no-index", "--stdin", "-z"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=env,
            )

        def finish(proc: subprocess.Popen[bytes]) -> tuple[int, bytes]:
            try:
                out, _err = proc.communicate(stdin, timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.communicate()
                raise
            return proc.returncode, out

        results: list[set[str] | None] = []
        procs: list[subprocess.Popen[bytes]] = []
        try:
            for i, gi in enumerate(gitignores):
                procs.append(start(i, gi, False))
            done = [finish(p) for p in procs]
            for i, (rc, out) in enumerate(done):
                if (
                    rc == 128
                ):  # this git does not take the bare skeleton as a repository: do it its way
                    rc, out = finish(start(i, gitignores[i], True))
                results.append({p for p in out.decode().split("\0") if p} if rc in (0, 1) else None)
        except (OSError, subprocess.SubprocessError):
            for p in procs:
                if p.poll() is None:
                    p.kill()
                    p.wait()
            return [None] * len(gitignores)
        return results


def ignored(gitignore: str, paths: list[str]) -> set[str] | None:
    """Which of `paths` git ignores under `gitignore` as the root .gitignore; None without git."""
    return ignored_each([gitignore], paths)[0]
