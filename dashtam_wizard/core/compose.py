"""Compose-file syntax the migration reads and rewrites: environment items, short volume
specs, env_file entries, comment-preserving edits. What each container *sees* is
`core.resolve` (the one Compose model); this module only knows how the file spells it.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from .interpolate import InterpolationError, references, resolve


def scalar(v: Any) -> str | None:
    """How Compose stringifies an environment value."""
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def env_items(env: Any) -> list[tuple[str, str | None]]:
    """`environment:` as (key, raw value) pairs, from the mapping or the list form."""
    if env is None:
        return []
    if hasattr(env, "items"):
        return [(str(k), scalar(v)) for k, v in env.items()]
    out = []
    for item in env:
        s = str(item)
        k, sep, v = s.partition("=")
        out.append((k, v if sep else None))
    return out


def is_path(src: str) -> bool:
    return src.startswith((".", "/", "~", "$"))


def _split_colons(spec: str) -> list[str]:
    """`spec` split at each `:` that is not inside a `${...}` (as in `${SRC:-./src}:/app`)."""
    parts, depth, start, i = [], 0, 0, 0
    while i < len(spec):
        if spec.startswith("$$", i):
            i += 2
            continue
        if spec.startswith("${", i):
            depth += 1
            i += 2
            continue
        c = spec[i]
        if c == "}" and depth:
            depth -= 1
        elif c == ":" and not depth:
            parts.append(spec[start:i])
            start = i + 1
        i += 1
    return [*parts, spec[start:]]


def split_short_volume(spec: str) -> tuple[str, str | None, str | None]:
    parts = _split_colons(spec)
    if len(parts) == 1:
        return parts[0], None, None
    if len(parts) == 2:
        return parts[0], parts[1], None
    return parts[0], parts[1], ":".join(parts[2:])


def join_short_volume(src: str, dst: str | None, mode: str | None) -> str:
    return ":".join(p for p in (src, dst, mode) if p is not None)


def norm_rel(base_dir: str, p: str) -> str:
    """Repo-relative path of `p` written in a file that lives in `base_dir`."""
    return posixpath.normpath(posixpath.join(base_dir or ".", p))


def _env_file_paths(value: Any) -> list[tuple[str, bool]]:
    if value is None:
        return []
    if isinstance(value, str):
        return [(value, True)]
    out = []
    for item in value:
        if hasattr(item, "get"):
            out.append((str(item.get("path")), bool(item.get("required", True))))
        else:
            out.append((str(item), True))
    return out


def resolve_str(raw: str, project_env: Mapping[str, str]) -> str:
    try:
        return resolve(raw, project_env).value
    except InterpolationError:
        return raw


def all_references(doc: Any, skip: set[int] | None = None) -> set[str]:
    """Every variable any string in the document interpolates (outside skipped nodes)."""
    found: set[str] = set()

    def walk(node: Any) -> None:
        if skip and id(node) in skip:
            return
        if isinstance(node, str):
            if "$" in node:
                found.update(references(node))
        elif hasattr(node, "items"):
            for k, v in node.items():
                walk(k)
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(doc)
    return found


def passed_through(doc: Any) -> set[str]:
    """Keys given without a value (`K:` or `- K` under `environment:` or `build.args`): Compose
    takes them from the project's variables, so they read the env file like a `${K}` does."""
    found: set[str] = set()
    for svc in (doc.get("services") or {}).values() if hasattr(doc, "get") else ():
        if not hasattr(svc, "get"):
            continue
        build = svc.get("build")
        args = build.get("args") if hasattr(build, "get") else None
        for value in (svc.get("environment"), args):
            if isinstance(value, (str, int, float)):
                continue
            found.update(k for k, v in env_items(value) if v is None)
    return found


def set_env_file(svc: CommentedMap, path: str, required: bool = True) -> bool:
    """Make the service read `path` (`required: false`: only if it exists); True if anything changed.

    It goes first among the env files the service already reads (or stays where it is): a
    later env file wins, so each of those keeps handing the service the values it did. A
    value moved into `path` that one of them also sets would change; phase 4's check sees it
    and keeps that value in `environment:`.
    """
    current = svc.get("env_file")
    paths = [p for p, _ in _env_file_paths(current)]
    if path in paths:
        return False
    entry: Any = path if required else CommentedMap([("path", path), ("required", False)])
    if current is None:
        seq = CommentedSeq([entry])
        keys = list(svc.keys())
        anchor = next((k for k in ("environment",) if k in svc), None)
        if anchor is not None:
            pos = keys.index(anchor)
        else:
            after = [k for k in ("container_name", "build", "image") if k in svc]
            pos = keys.index(after[-1]) + 1 if after else len(keys)
        svc.insert(pos, "env_file", seq)
        return True
    if isinstance(current, str):
        svc["env_file"] = CommentedSeq([entry, current])
        return True
    current.insert(0, entry)
    return True


# --- removing items without losing the comments that describe the *next* line -------------
# ruamel attaches a full-line comment to the item *before* it; deleting that item would
# delete a comment about something else. These helpers move such comments up.


def _full_line_part(token: Any) -> str:
    """The full-line comments of a comment token (drops an inline `# ...` on the item's line)."""
    value = token.value if token is not None else ""
    if not value or value.startswith("\n"):
        return value
    nl = value.find("\n")
    return "" if nl < 0 else value[nl:]


def _take_comment(node: Any, key: Any) -> str:
    slot = 2 if isinstance(node, CommentedMap) else 0
    entry = node.ca.items.pop(key, None)
    return _full_line_part(entry[slot]) if entry and len(entry) > slot else ""


def _give_comment(node: Any, key: Any, text: str) -> None:
    """Append full-line comment text after item `key` of `node` (descending to the last leaf)."""
    if not text.strip():
        return
    value = node[key]
    if isinstance(value, (CommentedMap, CommentedSeq)) and len(value):
        last = list(value.keys())[-1] if isinstance(value, CommentedMap) else len(value) - 1
        _give_comment(value, last, text)
        return
    from ruamel.yaml.error import CommentMark
    from ruamel.yaml.tokens import CommentToken

    slot, size = (2, 4) if isinstance(node, CommentedMap) else (0, 2)
    entry = node.ca.items.setdefault(key, [None] * size)
    if entry[slot] is None:
        entry[slot] = CommentToken(
            text if text.startswith("\n") else "\n" + text, CommentMark(0), None
        )
    else:
        entry[slot].value = entry[slot].value.rstrip("\n") + "\n" + text.lstrip("\n")


def remove_env_keys(svc: CommentedMap, keys: set[str]) -> None:
    env = svc.get("environment")
    if env is None or not keys:
        return
    orphan = ""
    if isinstance(env, CommentedMap):
        names = list(env.keys())
        for i, k in enumerate(names):
            if str(k) in keys:
                orphan += _take_comment(env, k)
                del env[k]
                prev = next((names[j] for j in range(i - 1, -1, -1) if names[j] in env), None)
                if orphan and prev is not None:
                    _give_comment(env, prev, orphan)
                    orphan = ""
    elif isinstance(env, CommentedSeq):
        for i in range(len(env) - 1, -1, -1):
            if str(env[i]).partition("=")[0] in keys:
                text = _take_comment(env, i)
                # later items shift down by one: move their comment entries too
                for j in range(i + 1, len(env)):
                    if j in env.ca.items:
                        env.ca.items[j - 1] = env.ca.items.pop(j)
                del env[i]
                if text and i > 0:
                    _give_comment(env, i - 1, text)
                else:
                    orphan = text + orphan
    if len(env) == 0:
        orphan = _take_comment(svc, "environment") + orphan
        names = list(svc.keys())
        idx = names.index("environment")
        del svc["environment"]
        if idx > 0:
            _give_comment(svc, names[idx - 1], orphan)


def drop_empty(svc: CommentedMap, key: str) -> None:
    value = svc.get(key)
    if value is not None and hasattr(value, "__len__") and len(value) == 0:
        names = list(svc.keys())
        idx = names.index(key)
        orphan = _take_comment(svc, key)
        del svc[key]
        if idx > 0:
            _give_comment(svc, names[idx - 1], orphan)
