"""Env files: parse with python-dotenv's parser (for line numbers), write losslessly.

Values are resolved the way Compose reads an `--env-file`: later lines may refer to earlier
keys with `${VAR}` forms, single-quoted values are literal.
"""

from __future__ import annotations

import io
import re

from dotenv.parser import parse_stream

from .errors import BadInput
from .interpolate import InterpolationError, resolve

_PLAIN = re.compile(r"^[A-Za-z0-9_./:@,+\-=%^~]*$")


def parse_env(text: str, path: str) -> dict[str, str]:
    values: dict[str, str] = {}
    for b in parse_stream(io.StringIO(text)):
        if b.error:
            raise BadInput(path, "cannot be parsed as an env file", b.original.line)
        if b.key is None:
            continue
        raw = b.original.string
        after_eq = raw.split("=", 1)[1].lstrip() if "=" in raw else ""
        value = b.value or ""
        if b.value is not None and not after_eq.startswith("'"):
            try:
                value = resolve(value, values).value
            except InterpolationError as exc:
                raise BadInput(path, str(exc), b.original.line) from None
        values[b.key] = value
    return values


def render_value(value: str) -> str | None:
    """The env-file spelling that both Compose and python-dotenv read back as `value`.

    None when no spelling is safe for both (a value with a newline, or with both a single
    quote and a `$`); the caller then leaves that key in the compose file.
    """
    if "\n" in value or "\r" in value:
        return None
    if _PLAIN.match(value) and not value.startswith("#"):
        return value
    if "'" not in value:
        return f"'{value}'"
    if "$" in value or "\\" in value or '"' in value:
        return None
    return f'"{value}"'


def append_lines(text: str, lines: list[str]) -> str:
    if not lines:
        return text
    if text and not text.endswith("\n"):
        text += "\n"
    return text + "".join(line + "\n" for line in lines)
