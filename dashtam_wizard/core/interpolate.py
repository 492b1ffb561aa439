"""Compose-style variable interpolation, as compose-go resolves it.

Needed because moving a hard-coded `environment:` value into an env file changes *when*
it is resolved: in the compose file it is interpolated against the `--env-file`, in an
env_file it is taken literally (we write literals). To keep every container's
environment identical we resolve exactly as Compose would, then write the result.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class InterpolationError(ValueError):
    pass


@dataclass(frozen=True)
class Resolved:
    value: str
    names: frozenset[str]  # variables referenced (whether set or not)


def _find_close(s: str, start: int) -> int:
    """Index of the `}` matching the `${` whose body starts at `start` (nesting allowed)."""
    depth = 1
    i = start
    while i < len(s):
        if s.startswith("$$", i):
            i += 2
            continue
        if s.startswith("${", i):
            depth += 1
            i += 2
            continue
        if s[i] == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    raise InterpolationError(f"unclosed '${{' in {s!r}")


def resolve(text: str, env: Mapping[str, str]) -> Resolved:
    names: set[str] = set()
    out = _resolve(text, env, names)
    return Resolved(out, frozenset(names))


def _resolve(s: str, env: Mapping[str, str], names: set[str]) -> str:
    out: list[str] = []
    i = 0
    while i < len(s):
        c = s[i]
        if c != "$":
            out.append(c)
            i += 1
            continue
        nxt = s[i + 1 : i + 2]
        if nxt == "$":
            out.append("$")
            i += 2
            continue
        if nxt == "{":
            close = _find_close(s, i + 2)
            out.append(_braced(s[i + 2 : close], env, names))
            i = close + 1
            continue
        m = _NAME.match(s, i + 1)
        if m:
            names.add(m.group())
            out.append(env.get(m.group(), ""))
            i = m.end()
            continue
        out.append("$")  # a lone `$` is kept literally by compose-go
        i += 1
    return "".join(out)


def _braced(body: str, env: Mapping[str, str], names: set[str]) -> str:
    m = _NAME.match(body)
    if not m:
        raise InterpolationError(f"invalid interpolation format '${{{body}}}'")
    name = m.group()
    names.add(name)
    rest = body[m.end() :]
    value = env.get(name)
    if rest == "":
        return value or ""
    for op in (":-", ":?", ":+", "-", "?", "+"):
        if rest.startswith(op):
            arg = rest[len(op) :]
            strict = op.startswith(":")
            missing = value is None or (strict and value == "")
            kind = op[-1]
            if kind == "-":
                return _resolve(arg, env, names) if missing else value  # type: ignore[return-value]
            if kind == "?":
                if missing:
                    raise InterpolationError(
                        f"required variable {name} is missing a value: {_resolve(arg, env, names)}"
                    )
                return value  # type: ignore[return-value]
            return "" if missing else _resolve(arg, env, names)
    raise InterpolationError(f"invalid interpolation format '${{{body}}}'")


def references(text: str) -> frozenset[str]:
    """Variable names a string refers to (without needing values)."""
    try:
        return resolve(text, {}).names
    except InterpolationError:
        return frozenset(_NAME.findall(text))
