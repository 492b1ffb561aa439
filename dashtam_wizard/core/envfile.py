"""Env files: read exactly as Compose reads them, write values both Compose and python-dotenv read back.

`parse_env` follows compose-go's `dotenv` parser step by step (python-dotenv differs in
ways that change values: backslashes in single quotes, `\\$` in double quotes, a bare
`#`...). Unquoted and double-quoted values are interpolated with `${VAR}` forms against
`lookup` first, then the keys above them; single-quoted values are literal.

`lookup` is what Compose consults first: nothing (the shell, which the wizard does not
see) for an `--env-file`; the project's variables, then the service's `environment:`,
for a service's `env_file`.
"""

from __future__ import annotations

import re
from collections import ChainMap
from collections.abc import Mapping

from .errors import BadInput
from .interpolate import InterpolationError, resolve

_PLAIN = re.compile(r"^[A-Za-z0-9_./:@,+\-=%^~]*$")
_EXPORT = re.compile(r"export[\t\n\f\r ]+")
_ESCAPE = re.compile(r"\\(?:[abcfnrtv$\"\\]|0[0-9]{0,3})")
_SIMPLE_ESCAPES = {
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "v": "\v",
    "\\": "\\",
    '"': '"',
}
_SPACE = "\t\v\f\r \x85\xa0"  # compose-go's isSpace: blanks, but not the line break


def _is_space(c: str) -> bool:
    """Go's unicode.IsSpace (which, unlike isSpace above, includes the line break)."""
    return c in _SPACE or c == "\n" or (ord(c) > 0xFF and c.isspace())


def _key_char(c: str) -> bool:
    return c in "_.-[]" or c.isalpha() or c.isnumeric()


def _unescape(match: re.Match[str]) -> str:
    s = match.group(0)
    if s == "\\$":
        return "$$"  # the template's own escape: a literal `$`
    if s.startswith("\\0"):
        s = "\\" + s[2:]  # `\0ddd` is Go's `\ddd`
    rest = s[1:]
    if rest in _SIMPLE_ESCAPES:
        return _SIMPLE_ESCAPES[rest]
    if len(rest) == 3 and all(c in "01234567" for c in rest) and int(rest, 8) <= 0xFF:
        return chr(int(rest, 8))
    return s  # not an escape Go's UnquoteChar accepts: kept as written (after the `\0` rewrite)


def parse_env(
    text: str,
    path: str,
    lookup: Mapping[str, str] | None = None,
    earlier: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """`earlier`: what a service's previous env files set, consulted after this file's own
    keys (Compose reads a service's env files in order, each seeing the ones before)."""
    out: dict[str, str] = {}
    look: Mapping[str, str] = lookup or {}
    # interpolation: lookup first, then the keys read so far, then earlier files'
    scope: ChainMap[str, str] = ChainMap(dict(look), out, dict(earlier or {}))
    text = text.removeprefix("\ufeff")
    n = len(text)
    pos = 0

    def line_at(p: int) -> int:
        return text.count("\n", 0, p) + 1

    def expand(value: str, start: int) -> str:
        try:
            return resolve(value, scope).value
        except InterpolationError as exc:
            raise BadInput(path, str(exc), line_at(start)) from None

    def skip_blanks(p: int) -> int:
        while p < n and text[p] in _SPACE:
            p += 1
        return p

    while True:
        # the next statement: skip white space (line breaks too) and comment lines
        while pos < n and _is_space(text[pos]):
            pos += 1
        if pos >= n:
            return out
        if text[pos] == "#":
            nl = text.find("\n", pos)
            if nl < 0:
                return out
            pos = nl
            continue
        start = pos
        if _EXPORT.match(text, pos):
            pos = skip_blanks(pos + len("export"))
        # the key ends at `=`, `:` (YAML style) or a line break (inherited from `lookup`)
        key, inherited, i = "", False, pos
        while i < n:
            c = text[i]
            if c in "=:\n":
                key, inherited = text[pos:i], c == "\n"
                i += 1
                break
            if c not in _SPACE and not _key_char(c):
                raise BadInput(path, f"unexpected character {c!r} in variable name", line_at(start))
            i += 1
        else:
            i = pos  # no terminator: Compose reads the rest as the value of an empty key
        key = key.rstrip(_SPACE + "\n")
        if " " in key:
            raise BadInput(path, "key cannot contain a space", line_at(start))
        pos = skip_blanks(i)
        if inherited:
            if key in look:
                out[key] = look[key]
            continue
        if pos < n and text[pos] in "'\"":
            quote = text[pos]
            chars: list[str] = []
            escaped = False
            j = pos + 1
            while j < n:
                c = text[j]
                if escaped:
                    escaped = False
                    if c != quote:  # only the quote itself loses its backslash
                        chars.append("\\")
                    chars.append(c)
                elif c == "\\":
                    escaped = True
                elif c == quote:
                    break
                else:
                    chars.append(c)
                j += 1
            else:
                raise BadInput(path, "unterminated quoted value", line_at(start))
            value = "".join(chars)
            if quote == '"':
                value = expand(_ESCAPE.sub(_unescape, value), start)
            pos = j + 1
        else:
            nl = text.find("\n", pos)
            end = n if nl < 0 else nl
            raw = text[pos:end].split(" #", 1)[0]
            while raw and _is_space(raw[-1]):
                raw = raw[:-1]
            value = expand(raw, start)
            pos = end
        out[key] = value


def render_value(value: str) -> str | None:
    """The env-file spelling that both Compose and python-dotenv read back as `value`.

    None when no spelling is safe for both (a value with a line break; one with a single
    quote and a `$`, `\\` or `"`; one whose backslashes single quotes would not keep); the
    caller then leaves that key in the compose file.
    """
    if "\n" in value or "\r" in value:
        return None
    if _PLAIN.match(value) and not value.startswith("#"):
        return value
    # single quotes are literal to Compose, but for `\'` (and so a final `\`); python-dotenv
    # also reads `\\` as one backslash
    if "'" not in value and "\\\\" not in value and not value.endswith("\\"):
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
