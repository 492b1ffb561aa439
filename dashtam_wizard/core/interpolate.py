"""Compose-style variable interpolation, as compose-go resolves it.

Needed because moving a hard-coded `environment:` value into an env file changes *when*
it is resolved: in the compose file it is interpolated against the `--env-file`, in an
env_file it is taken literally (we write literals). To keep every container's
environment identical we resolve exactly as Compose would, then write the result.

This follows compose-go's `template` package step by step, quirks included: one regex
whose braced form runs greedily to the *last* `}`, cut back at the first balanced brace
(counting every `{`, and skipping the character after it), and the operator chosen by
its first occurrence in the match. `$` before anything but `$`, a name or `{` is literal.
An operator's argument is always interpolated, taken or not: an error in either branch
(`${A:-${B:?}}` with A set) is an error, as it is for Compose.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PATTERN = re.compile(
    r"\$(?i:(?P<escaped>\$)|(?P<named>[_a-z][_a-z0-9]*)"
    r"|\{(?:(?P<braced>[_a-z][_a-z0-9]*(?::?[-+?](.*))?)\}|(?P<invalid>)))"
)
_OPS = (":?", "?", ":-", "-", ":+", "+")


class InterpolationError(ValueError):
    pass


@dataclass(frozen=True)
class Resolved:
    value: str
    names: frozenset[str]  # variables referenced (whether set, and whether used, or not)


def resolve(text: str, env: Mapping[str, str]) -> Resolved:
    names: set[str] = set()
    out = _substitute(text, env, names)
    return Resolved(out, frozenset(names))


def references(text: str) -> frozenset[str]:
    """Variable names a string refers to, in any branch (without needing values)."""
    names: set[str] = set()
    try:
        _substitute(text, {}, names, strict=False)
    except InterpolationError:
        return frozenset(_NAME.findall(text))
    return frozenset(names)


def _closing_brace(s: str) -> int:
    """compose-go's getFirstBraceClosingIndex."""
    depth = 0
    i = 0
    while i < len(s):
        if s[i] == "}":
            depth -= 1
            if depth == 0:
                return i
        if s[i] == "{":
            depth += 1
            i += 1
        i += 1
    return -1


def _substitute(template: str, env: Mapping[str, str], names: set[str], strict: bool = True) -> str:
    def replace(m: re.Match[str]) -> str:
        substring = m.group(0)
        found = [(substring.find(op), op) for op in _OPS if op in substring]
        op = min(found)[1] if found else None
        close = _closing_brace(substring)
        rest = ""
        if close > -1:
            substring, rest = substring[: close + 1], substring[close + 1 :]
        g = _PATTERN.search(substring)
        if g is None:
            raise InterpolationError("invalid interpolation format (an unclosed or malformed `${`)")
        if g.group("escaped"):
            return "$"
        name = g.group("named")
        if not name:
            body = g.group("braced")
            if not body:
                raise InterpolationError(
                    "invalid interpolation format (an unclosed or malformed `${`)"
                )
            if op is not None and op in body:
                return _operator(body, op, env, names, strict) + _substitute(
                    rest, env, names, strict
                )
            name = body
        names.add(name)
        return env.get(name, "")

    return _PATTERN.sub(replace, template)


def _operator(body: str, op: str, env: Mapping[str, str], names: set[str], strict: bool) -> str:
    name, _, arg = body.partition(op)
    names.add(name)
    resolved = _substitute(arg, env, names, strict)  # eagerly, whichever branch is taken
    value = env.get(name)
    missing = value is None or (op.startswith(":") and value == "")
    kind = op[-1]
    if kind == "-":
        return resolved if missing else value  # type: ignore[return-value]
    if kind == "+":
        return (value or "") if missing else resolved
    if missing and strict:
        # the `:?` message is the file's own text: not repeated, it may hold anything
        raise InterpolationError(f"required variable {name} is missing a value")
    return value or ""
