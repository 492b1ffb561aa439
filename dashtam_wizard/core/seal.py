"""Results files only this user's wizard could have written: a MAC under a per-user key.

`verify.json` ticks the checklist's Testing items and `checklist.json` the ones a person
ticks; a repository can arrive with either already in `.dashtam-wizard/`. Each is sealed
with an HMAC under a key kept outside every repository (`$XDG_STATE_HOME/dashtam-wizard/key`,
made by apply/trust.py on first use), so a file that came with a clone never counts.
Read-only here: core never creates the key.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import stat
from pathlib import Path
from typing import Any

from .snapshot import Tree


def key_path() -> Path:
    explicit = os.environ.get("DASHTAM_WIZARD_KEY_FILE")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "dashtam-wizard" / "key"


def read_key() -> bytes | None:
    """The user's key, or None when there is none (or it is not private to this user)."""
    try:
        fd = os.open(key_path(), os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if st.st_uid != os.geteuid() or st.st_mode & 0o077 or not stat.S_ISREG(st.st_mode):
            return None
        data = os.read(fd, 256)
    finally:
        os.close(fd)
    return data if len(data) >= 32 else None


def mac(key: bytes, body: dict[str, Any]) -> str:
    canon = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    return hmac.new(key, b"dashtam-wizard results v1\0" + canon, hashlib.sha256).hexdigest()


def unseal(data: Any) -> dict[str, Any] | None:
    """`data` without its MAC when the MAC is this user's, else None (never an exception)."""
    key = read_key()
    if key is None or not isinstance(data, dict) or not isinstance(data.get("mac"), str):
        return None
    body = {k: v for k, v in data.items() if k != "mac"}
    return body if hmac.compare_digest(mac(key, body), data["mac"]) else None


def tree_digest(tree: Tree) -> str:
    """Every file the plan reads (path, mode, bytes): what a verify run was a run of."""
    h = hashlib.sha256()
    for path in sorted(tree.files):
        e = tree.files[path]
        h.update(f"{path}\0{e.mode:o}\0{len(e.data)}\0".encode())
        h.update(e.data)
    return h.hexdigest()
