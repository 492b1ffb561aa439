"""Round-trip YAML: load keeping comments, order and quoting; dump in the file's own style.
And a fast read-only load for the own Compose model."""

from __future__ import annotations

import io
import re
from functools import lru_cache
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from .errors import BadInput


def _yaml(mapping: int = 2, sequence: int = 4, offset: int = 2) -> YAML:
    y = YAML(typ="rt")
    y.preserve_quotes = True
    y.width = 4096
    y.indent(mapping=mapping, sequence=sequence, offset=offset)
    return y


def detect_indent(text: str) -> tuple[int, int, int]:
    """Guess (mapping, sequence, offset) so an untouched file dumps back byte-identical."""
    lines = text.splitlines()
    mapping = 2
    for a, b in zip(lines, lines[1:], strict=False):
        if re.match(r"^\S[^#]*:\s*$", a) and b.strip() and not b.lstrip().startswith(("-", "#")):
            mapping = len(b) - len(b.lstrip()) or 2
            break
    for a, b in zip(lines, lines[1:], strict=False):
        m = re.match(r"^(\s*)[^\s#-][^#]*:\s*$", a)
        d = re.match(r"^(\s*)- ", b)
        if m and d:
            offset = len(d.group(1)) - len(m.group(1))
            return mapping, offset + 2, offset
    return mapping, mapping + 2, mapping


MAX_YAML = 2 * 1024 * 1024  # a hand-written compose file is kilobytes; megabytes means generated


def load(text: str, path: str) -> Any:
    if len(text) > MAX_YAML:
        raise BadInput(
            path,
            f"is {len(text) / 1e6:.1f} MB; compose files over {MAX_YAML // 2**20} MB are "
            "not migrated (generated files should be regenerated, not rewritten)",
        )
    if "\t" in text:
        for n, line in enumerate(text.splitlines(), 1):
            if "\t" in line[: len(line) - len(line.lstrip())]:
                raise BadInput(path, "YAML indentation uses a tab", n)
    try:
        docs = list(_yaml().load_all(text))
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        at: int | None = mark.line + 1 if mark else None
        raise BadInput(
            path, f"is not valid YAML: {_without_values(exc.problem or exc.context)}", at
        ) from None
    except YAMLError as exc:
        raise BadInput(path, f"is not valid YAML: {str(exc).splitlines()[0]}") from None
    docs = [d for d in docs if d is not None]
    if len(docs) != 1:
        raise BadInput(path, f"holds {len(docs)} YAML documents; a compose file holds one")
    if not hasattr(docs[0], "items"):
        raise BadInput(path, "is not a YAML mapping")
    _bounded(docs[0], path)
    return docs[0]


@lru_cache(maxsize=4096)
def load_plain(text: str, path: str) -> Any:
    """The document as plain dicts and lists (merge keys applied), for reading only: the C
    loader when present (about 7× the round-trip one), the same refusals as `load`, and
    remembered by content (the gate reads the same bytes on both sides and in both views).
    Callers must not change what it returns."""
    if len(text) > MAX_YAML or "\t" in text:
        return load(text, path)  # its refusal, with the line
    try:
        docs = list(YAML(typ="safe", pure=False).load_all(text))  # one per call: not thread-safe
    except YAMLError:
        return load(text, path)  # its one-line error, with the line and without values
    docs = [d for d in docs if d is not None]
    if len(docs) != 1 or not isinstance(docs[0], dict):
        return load(text, path)
    _bounded(docs[0], path)
    return docs[0]


MAX_NODES = 100_000  # nodes with every alias expanded: a big compose file has a few thousand


def _bounded(doc: Any, path: str) -> None:
    """Refuse an alias bomb: aliases cost nothing to load (they share nodes), but every walk
    of the document visits each expansion, so nested fan-outs run forever. Sizes are
    counted once per node (memoised), so this costs as much as the file, bomb or not."""
    sizes: dict[int, int] = {}

    def size(node: Any, depth: int = 0) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if depth > 200:
            raise BadInput(
                path, "nests YAML deeper than 200 levels; refusing to read it", _line(node)
            )
        sizes[key] = 1  # a cycle counts once (the loader makes none, but be safe)
        if isinstance(node, dict):
            n = 1 + sum(size(k, depth + 1) + size(v, depth + 1) for k, v in node.items())
        elif isinstance(node, list):
            n = 1 + sum(size(v, depth + 1) for v in node)
        else:
            n = 1
        sizes[key] = n
        if n > MAX_NODES:
            raise BadInput(
                path,
                f"expands to over {MAX_NODES:,} YAML nodes through its aliases (an alias "
                "bomb?); refusing to read it",
                _line(node),
            )
        return n

    size(doc)


def _line(node: Any) -> int | None:
    lc = getattr(node, "lc", None)
    return lc.line + 1 if lc is not None and lc.line is not None else None


_DUPLICATE = re.compile(r'found duplicate key "(?P<key>[^"\n]{0,80})')


def _without_values(problem: str | None) -> str:
    """The parser's words without the values it quotes (a duplicate key's values may be
    secrets, or a whole block of them): the key's name is enough to find it."""
    text = str(problem or "")
    if m := _DUPLICATE.match(text):
        return f'found duplicate key "{m.group("key")}"'
    return text[:200]


def dump(doc: Any, text_before: str) -> str:
    buf = io.StringIO()
    _yaml(*detect_indent(text_before)).dump(doc, buf)
    out = buf.getvalue()
    if text_before.startswith("---") and not out.startswith("---"):
        out = "---\n" + out
    return out
