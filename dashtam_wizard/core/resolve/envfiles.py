"""Env files read as Compose reads them, and a service's environment built from them.

Apart because every reading goes through one cache, keyed by the text and the values it
consults, whoever reads: the project's variables (project.py), the gate's services
(config.py), docker/'s services and phase 4's views (services.py).
"""

from __future__ import annotations

import re
from collections import ChainMap
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from ..envfile import parse_env
from ..errors import BadInput
from ..interpolate import references
from .shapes import Unmodelled, rel_path

Reader = Callable[[str], str | None]


def read_env(
    read: Reader, rel: str, lookup: Mapping[str, str], earlier: Mapping[str, str] | None = None
) -> dict[str, str] | None:
    text = read(rel)
    if text is None:
        return None
    try:
        # the answer depends on the text and the values of the names it refers to only
        seen = tuple((n, lookup.get(n), (earlier or {}).get(n)) for n in sorted(_names(text)))
        return dict(_parse_cached(text, rel, seen))
    except BadInput as exc:
        raise Fails(f"failed to read {rel}: {exc.message}") from None


_KEY = re.compile(r"(?m)^[ \t]*(?:export[ \t]+)?([^\s=:#'\"]+)")


@lru_cache(maxsize=4096)
def _names(text: str) -> frozenset[str]:
    """The names whose values an env file's reading can consult: those it interpolates, and
    its keys (a key without `=` takes the looked-up value)."""
    keys = frozenset(_KEY.findall(text))
    return keys | references(text) if "$" in text else keys


@lru_cache(maxsize=4096)
def _parse_cached(
    text: str, rel: str, seen: tuple[tuple[str, str | None, str | None], ...]
) -> dict[str, str]:
    lookup = {n: v for n, v, _ in seen if v is not None}
    earlier = {n: e for n, _, e in seen if e is not None}
    return parse_env(text, rel, lookup, earlier)


class Fails(Exception):
    """What Compose would answer instead of a configuration (it refuses the command)."""


def service_environment(
    read: Reader, svc: dict[str, Any], env: Mapping[str, str], reads: set[str], strict: bool = True
) -> dict[str, str | None]:
    """A service's environment: its env files' values (each interpolated against the
    project's variables, then the service's `environment:`, then the files read before it),
    then `environment:` itself; `K:` takes K from the project's variables (None: unset).
    Not `strict`: a missing or outside env file adds nothing instead of failing."""
    own = {k: (env.get(k) if v is None else v) for k, v in (svc.get("environment") or {}).items()}
    from_files: dict[str, str] = {}
    lookup = ChainMap(dict(env), {k: v for k, v in own.items() if v is not None})
    for path, required in svc.get("env_file") or []:
        rel = rel_path(path)
        if rel is None:
            if not strict:
                continue
            raise Unmodelled(f"the env file `{path}` outside the repo")
        reads.add(rel)
        got = read_env(read, rel, lookup, from_files)
        if got is None:
            if required and strict:
                raise Fails(f"env file {path} not found")
            continue
        from_files.update(got)
    return {**from_files, **own}
