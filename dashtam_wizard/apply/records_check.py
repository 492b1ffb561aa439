"""Every value an apply record hands to the filesystem, checked before it is used.

An apply folder's plan.json names the paths rollback deletes, writes and renames. Even in
a state folder this user made (see trust.py), a damaged or edited record must not reach
outside the repository: every path must be relative, normalised, free of `..`, outside
`.git` and the state folder, and each blob name and temp name of the shape the engine
itself writes. One checker, used by rollback, recovery and the build comparison alike.
"""

from __future__ import annotations

import posixpath
import re
from typing import Any

from ..core.statedir import STATE_DIR

ID_RE = re.compile(r"\d{4,}-\d{8}-\d{6}")
SAVED_RE = re.compile(r"\d{8}-\d{6}(-\d+)?")
BLOB_RE = re.compile(r"pre/\d+")
HEX_RE = re.compile(r"[0-9a-f]{64}")
KINDS = ("file", "dir", "absent")


def path_problem(rel: Any) -> str | None:
    """Why `rel` is not a plain path inside the repo (None when it is one)."""
    if not isinstance(rel, str) or not rel or len(rel) > 4096 or "\0" in rel:
        return f"names an invalid path {rel!r:.80}"
    if rel.startswith("/") or posixpath.normpath(rel) != rel:
        return f"names a path that is absolute or not normalised ({rel!r:.80})"
    parts = rel.split("/")
    if ".." in parts or "." in parts:
        return f"names a path outside the repository ({rel!r:.80})"
    if parts[0] in (".git", STATE_DIR):
        return f"names a path inside {parts[0]} ({rel!r:.80})"
    return None


def _mode_problem(mode: Any, kind: str) -> str | None:
    if not isinstance(mode, int) or isinstance(mode, bool) or not 0 <= mode <= 0o7777:
        return f"holds an invalid mode {mode!r:.40}"
    if kind == "file" and mode & 0o6000:
        return f"asks for a set-uid/set-gid file mode {oct(mode)}"
    return None


def plan_problem(plan: Any, folder: str) -> str | None:
    """Why a plan.json must not be acted on, or None. Never raises."""
    try:
        return _plan_problem(plan, folder)
    except (AttributeError, TypeError, KeyError, ValueError):
        return "is damaged"


def _plan_problem(plan: Any, folder: str) -> str | None:
    if not isinstance(plan, dict):
        return "is damaged"
    rid = plan.get("id")
    if not isinstance(rid, str) or rid != folder or not ID_RE.fullmatch(rid):
        return f"has an id {rid!r:.40} that is not its folder's"
    pre = plan.get("pre")
    if not isinstance(pre, dict):
        return "is damaged (no pre-apply state)"
    for rel, e in pre.items():
        if why := path_problem(rel):
            return why
        if not isinstance(e, dict) or e.get("kind") not in KINDS:
            return f"holds an unknown kind of path for {rel!r:.80}"
        if e["kind"] != "absent" and (why := _mode_problem(e.get("mode"), e["kind"])):
            return why
        if e["kind"] == "file" and (
            not isinstance(e.get("blob"), str)
            or not BLOB_RE.fullmatch(e["blob"])
            or not isinstance(e.get("sha"), str)
            or not HEX_RE.fullmatch(e["sha"])
        ):
            return f"names an invalid pre-apply copy for {rel!r:.80}"
    tmp_re = re.compile(rf"\..+\.{re.escape(rid)}\.dwtmp")
    for t in _strings(plan.get("tmp"), "tmp"):
        if why := path_problem(t):
            return why
        if not tmp_re.fullmatch(posixpath.basename(t)):
            return f"names {t!r:.80} as a temp file, which is not one of this apply's"
    for rel in _strings(plan.get("made_dirs"), "made_dirs"):
        if why := path_problem(rel):
            return why
    known = plan.get("known", {})
    if not isinstance(known, dict):
        return "is damaged (known)"
    for rel, shas in known.items():
        if why := path_problem(rel):
            return why
        if not all(isinstance(h, str) and HEX_RE.fullmatch(h) for h in _strings(shas, "known")):
            return "is damaged (known)"
    for key in ("steps", "changes"):
        for s in plan.get(key) or []:
            if not isinstance(s, dict):
                return f"is damaged ({key})"
            for field in ("path", "source"):
                if s.get(field) is not None and (why := path_problem(s[field])):
                    return why
    git = plan.get("git")
    if git is not None:
        entries = git.get("entries") if isinstance(git, dict) else None
        if not isinstance(entries, dict):
            return "is damaged (git)"
        for rel, m in entries.items():
            if why := path_problem(rel):
                return why
            if m is not None and not isinstance(m, str):
                return "is damaged (git entries)"
        if not isinstance(git.get("index_sha"), str) or not HEX_RE.fullmatch(git["index_sha"]):
            return "is damaged (git index checksum)"
    for key in ("phases", "change_ids"):
        if not isinstance(plan.get(key), list):
            return f"is damaged ({key})"
    return None


def _strings(value: Any, what: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(what)
    return value


def saved_name_ok(name: Any) -> bool:
    return isinstance(name, str) and bool(SAVED_RE.fullmatch(name))
