"""Whose `.dashtam-wizard/` is this? State the wizard acts on must be this user's, from here.

A repository can arrive with a `.dashtam-wizard/` folder in it (committed by mistake, or
crafted): its apply journals name paths to delete and contents to write, its verify
results tick checklist items. Nothing in it may be acted on unless this wizard created it
for this user on this machine. Proof: a marker file holding an HMAC, under a per-user key
kept outside every repository (`$XDG_STATE_HOME/dashtam-wizard/key`), of the folder's device
and inode. A clone, a checkout or a copy makes a new folder (a new inode) whose marker
cannot be forged without the key; moving the repo keeps the inode and stays trusted.

Also refused: a folder owned by another uid, or one git tracks (it came with the repo).
A folder holding nothing to act on (a crash between its mkdir and its marker) is adopted.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import hmac
import os
import secrets
import stat
import subprocess
from pathlib import Path
from typing import Any

from ..core import seal as seal_mod
from ..core.seal import read_key
from ..core.statedir import LOCK, LOGS, MARKER, STATE_DIR
from .fsio import PRIVATE_DIR, PRIVATE_FILE, fsync_dir, write_atomic
from .records import ApplyError

# what a state folder may hold that is never acted on: nothing to trust in it
_INERT = {".gitignore", MARKER, LOCK, LOGS, f".{MARKER}.dwtmp", ".gitignore.dwtmp"}
TRUST_HINT = (
    "inspect it; if it is yours, run `dashtam-wizard rollback --trust-state` (paths are still "
    "checked), otherwise delete the folder"
)


def user_key() -> bytes:
    """The key, created (0600 in a 0700 folder) on first use."""
    key = read_key()
    if key is not None:
        return key
    path = seal_mod.key_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, PRIVATE_FILE)
    except FileExistsError:
        key = read_key()
        if key is None:
            raise ApplyError(
                f"{path}: the wizard's key is not a private file of this user; fix or delete it",
                str(path),
            ) from None
        return key
    try:
        os.write(fd, secrets.token_bytes(32))
        os.fsync(fd)
    finally:
        os.close(fd)
    fsync_dir(path.parent)
    key = read_key()
    assert key is not None
    return key


def seal(data: dict[str, Any]) -> dict[str, Any]:
    """`data` plus a MAC under the user's key: a results file nobody else could have written."""
    body = {k: v for k, v in data.items() if k != "mac"}
    return {**body, "mac": seal_mod.mac(user_key(), body)}


def _marker_for(key: bytes, st: os.stat_result) -> bytes:
    msg = f"dashtam-wizard state v1\0{st.st_dev}:{st.st_ino}".encode()
    return hmac.new(key, msg, hashlib.sha256).hexdigest().encode() + b"\n"


def mark(state: Path) -> None:
    """Write the marker of a state folder this process created (or the user adopted)."""
    st = os.lstat(state)
    write_atomic(state / MARKER, _marker_for(user_key(), st), PRIVATE_FILE, points=False)


def _tracked(root: Path) -> bool:
    try:
        out = subprocess.run(
            ["git", "-C", str(root), "ls-files", "-z", "--", STATE_DIR],
            capture_output=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return out.returncode == 0 and bool(out.stdout)


def _inert(state: Path) -> bool:
    try:
        return set(os.listdir(state)) <= _INERT
    except OSError:
        return False


def problem(root: Path) -> str | None:
    """Why the state folder of `root` must not be acted on, or None when it is this user's.

    Read-only, except that an inert folder with no marker (nothing in it to act on) gets one.
    """
    state = root / STATE_DIR
    try:
        st = os.lstat(state)
    except FileNotFoundError:
        return None
    if not stat.S_ISDIR(st.st_mode):
        return f"{STATE_DIR}: is not a folder (or is a symlink); refusing to use it"
    if st.st_uid != os.geteuid():
        return (
            f"{STATE_DIR}: is owned by uid {st.st_uid}, not by you (uid {os.geteuid()}); the "
            "wizard does not act on another user's apply records; run it as that user"
        )
    if _tracked(root):
        return (
            f"{STATE_DIR}: is tracked by git, so it came with the repository and was not made "
            f"here; nothing in it is used — {TRUST_HINT}"
        )
    key = read_key()
    try:
        have = (state / MARKER).read_bytes()
    except OSError:
        have = None
    if key is not None and have is not None and hmac.compare_digest(have, _marker_for(key, st)):
        return None
    if _inert(state):
        with contextlib.suppress(OSError, ApplyError):
            mark(state)
            return None
    return (
        f"{STATE_DIR}: was not created by dashtam-wizard for this user on this machine (it may "
        f"have come with a clone or a copy); nothing in it is used — {TRUST_HINT}"
    )


def require(root: Path) -> None:
    """Raise ApplyError (one line) unless the state folder is this user's (or absent)."""
    why = problem(root)
    if why is not None:
        raise ApplyError(why, STATE_DIR)


def adopt(root: Path, check: Any) -> None:
    """The user vouches for the folder: `check()` validates every record first, then mark it."""
    state = root / STATE_DIR
    st = os.lstat(state)
    if not stat.S_ISDIR(st.st_mode):
        raise ApplyError(f"{STATE_DIR}: is not a folder (or is a symlink); refusing to use it")
    if st.st_uid != os.geteuid():
        raise ApplyError(
            f"{STATE_DIR}: is owned by uid {st.st_uid}, not by you; run the wizard as that user"
        )
    check()
    try:
        mark(state)
    except OSError as exc:
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            raise ApplyError(f"{STATE_DIR}/{MARKER}: cannot be written ({exc.strerror})") from None
        raise
