"""Compose files that constrain each other: merged by one command, or sharing one env file.

Phase 4 migrates one file at a time. But `docker compose -f base.yml -f override.yml` merges
the files (a later file's `environment:` key wins over an earlier one's, env_file lists are
concatenated keeping the first occurrence), and every file of an environment ends up
reading the same env/.env.<env>. So a value may leave one file's `environment:` only if:

- no file merged with it sets the same key for the same service (moved out of the override,
  the base's own value would win again), and no merged copy of the service reads an env
  file (after migration that file could come after env/.env.<env> in the merged list);
- no other file of the environment interpolates `${KEY}` or passes KEY through (`- KEY`),
  and no env file another file's services read uses `${KEY}` (env_file values interpolate
  against the project's variables first): the new line would change those.

A merged service gets env/.env.<env> first in its env_file list, so every env file it read
keeps winning; but if another merged copy of it already reads that file, adding it to this
copy would move it earlier in the merged list: this copy is left without it (and keeps its
values). And `name:` is added to a file only if no file merged with it names the project.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from . import yamlio
from .compose import all_references, env_items, norm_rel
from .detect import ComposeFile
from .errors import BadInput
from .interpolate import references
from .snapshot import Tree

ALL = "*"  # every key of the service is held
_KEY = re.compile(
    r"^[ \t]*(?:export[ \t]+)?([A-Za-z0-9_.\[\]-]+)[ \t]*[=:]", re.M
)  # env file keys, loosely


@dataclass
class Held:
    """What the files around one compose file keep from moving, and from being written."""

    # service -> keys (or ALL) a merged file holds in `environment:`, and which file
    keys: dict[str, set[str]] = field(default_factory=dict)
    by: dict[str, str] = field(default_factory=dict)
    # `${KEY}` (or `- KEY`) used by the other files of the env and by the env files they read
    references: set[str] = field(default_factory=set)
    # a file merged with it sets `name:`
    named: bool = False
    # services a merged copy of which already reads the env file: they get no env_file here
    reads_target: set[str] = field(default_factory=set)
    # keys set by env files a merged service reads before the env file: one moved there would
    # come later in its env_file list and win over them
    shadowed: set[str] = field(default_factory=set)
    # service -> whether, merged with the other files, it runs an image the repo does not
    # build (an override that only adds `environment:` to the base's `image: postgres`)
    third_party: dict[str, bool] = field(default_factory=dict)


@dataclass
class _FileFacts:
    references: set[str]
    env_keys: dict[str, set[str]]  # service -> keys of its environment:
    env_file_services: set[str]
    named: bool
    # service -> the env files it reads: (path as written, repo path after the moves)
    env_entries: dict[str, list[tuple[str, str]]]
    # service -> (it has `build:`, it has `image:`)
    origin: dict[str, tuple[bool, bool]] = field(default_factory=dict)

    @property
    def env_files(self) -> dict[str, set[str]]:
        return {n: {p for _, p in entries} for n, entries in self.env_entries.items()}


def _norm(p: str) -> str:
    return str(PurePosixPath(p.removeprefix("./")))


class Siblings:
    """Built once per plan from the tree phase 4 starts with; files are parsed only when
    another file shares their env file or their command (most repos: never).

    `settled` (set by phase 4 between passes) replaces each file's references by those its
    migrated text keeps: a `${KEY}` inside a value that moves out becomes a literal, and
    a second plan, reading the migrated files, would no longer hold KEY for it.
    """

    def __init__(self, compose: list[ComposeFile], tree: Tree, moved: dict[str, str]) -> None:
        self.tree, self.moved = tree, moved
        self.files = [
            cf for cf in compose if cf.target in tree.files and not cf.target.endswith(".example")
        ]
        self.by_path = {cf.path: cf for cf in self.files}
        self.by_env: dict[str, list[ComposeFile]] = {}
        for cf in self.files:
            self.by_env.setdefault(cf.env, []).append(cf)
        self._facts: dict[str, _FileFacts | None] = {}
        self.settled: dict[str, set[str]] | None = None
        self._shadow: dict[str, set[str]] = {}

    @property
    def grouped(self) -> bool:
        """Some file shares its env file or a command with another (`logs -f app` names none)."""
        return any(len(fs) > 1 for fs in self.by_env.values()) or any(
            sum(_norm(f) in self.by_path for f in inv.files) > 1
            for cf in self.files
            for inv in cf.invocations
        )

    def settle(self, after: Tree) -> dict[str, set[str]]:
        """Each file's references as a plan of the migrated repo (`after`) would see them."""
        out: dict[str, set[str]] = {}
        for cf in self.files:
            facts = self._parse(cf, after, "compose")
            out[cf.target] = facts.references if facts is not None else set()
        return out

    def _read(self, cf: ComposeFile) -> _FileFacts | None:
        if cf.target not in self._facts:
            self._facts[cf.target] = self._parse(
                cf, self.tree, "" if cf.path != cf.target else "compose"
            )
        return self._facts[cf.target]

    def _parse(self, cf: ComposeFile, tree: Tree, base: str) -> _FileFacts | None:
        """What `cf` (its text in `tree`, its paths relative to `base`) means to the others."""
        try:
            doc = yamlio.load(tree.text(cf.target) or "", cf.target)
        except BadInput:  # that file's own migration reports it
            return None
        services = doc.get("services") if hasattr(doc, "get") else None
        if services is None or not hasattr(services, "items"):
            return None
        svcs = {str(n): s for n, s in services.items() if hasattr(s, "get")}
        # `- KEY` (no value) passes the project's KEY through: a reference too
        passed = {k for s in svcs.values() for k, v in _items(s.get("environment")) if v is None}
        entries = {n: self._env_files(base, s.get("env_file")) for n, s in svcs.items()}
        read = {p for es in entries.values() for _, p in es}
        return _FileFacts(
            all_references(doc)
            | passed
            | {k for p in read for k in references(tree.text(p) or "")},
            {n: {k for k, _ in _items(s.get("environment"))} for n, s in svcs.items()},
            {n for n, s in svcs.items() if s.get("env_file") is not None},
            "name" in doc,
            entries,
            {n: (s.get("build") is not None, s.get("image") is not None) for n, s in svcs.items()},
        )

    def _env_files(self, base: str, value: Any) -> list[tuple[str, str]]:
        items = [value] if isinstance(value, str) else value if isinstance(value, list) else []
        paths = [str(i.get("path")) if hasattr(i, "get") else str(i) for i in items]
        return [(p, self.moved.get(rel, rel)) for p in paths for rel in [norm_rel(base, p)]]

    def check_merge_order(self, cf: ComposeFile) -> None:
        """Refuse a merge whose env_file order the rewrite cannot keep.

        Compose concatenates a service's env_file lists in `-f` order and drops an entry
        whose path, *as written*, came before. `.env.dev` in one file and `./.env.dev` in
        another are both kept, and the later one wins over any env file between them;
        rewritten from compose/ both read `../env/.env.dev`, the later one is dropped, and
        the env file in between would win instead.
        """
        for inv in cf.invocations:
            files = [self.by_path.get(_norm(f)) for f in inv.files]
            if len(files) < 2 or files[-1] is None or files[-1].path != cf.path:
                continue  # each command checked once, with its last file
            read = [
                (f.path, x) for f in files if f is not None and (x := self._read(f)) is not None
            ]
            for name in sorted({n for _, x in read for n in x.env_entries}):
                merged: list[tuple[str, str, str]] = []  # (as written, repo path, file)
                for where, x in read:
                    for raw, path in x.env_entries.get(name, []):
                        if all(raw != m[0] for m in merged):
                            merged.append((raw, path, where))
                for i, (raw, path, where) in enumerate(merged):
                    for j in range(len(merged) - 1, i, -1):
                        other = merged[j]
                        between = {m[1] for m in merged[i + 1 : j]} - {path}
                        if other[1] == path and between:
                            raise BadInput(
                                other[2],
                                f"service `{name}` reads {path} as `{other[0]}` here and as `{raw}` in "
                                f"{where}: Compose keeps both, so this one wins over "
                                f"{', '.join(sorted(between))}; rewritten from compose/ the two would be "
                                "one path and the order would change. Spell them the same way, then "
                                "run again",
                            )

    def merged(self, cf: ComposeFile) -> list[ComposeFile]:
        """The other files some command merges with `cf` (`-f a -f b`)."""
        out: dict[str, ComposeFile] = {}
        for inv in cf.invocations:
            for f in inv.files:
                other = self.by_path.get(_norm(f))
                if other is not None and other.path != cf.path:
                    out[other.path] = other
        return list(out.values())

    def _merged_lists(self, inv: Any) -> dict[str, list[str]]:
        """Service -> the env files Compose reads for it when `inv` merges its files: the
        lists concatenated in `-f` order, an entry dropped if its path *as written* came before."""
        out: dict[str, list[tuple[str, str]]] = {}
        for f in inv.files:
            other = self.by_path.get(_norm(f))
            facts = self._read(other) if other is not None else None
            for name, es in (facts.env_entries if facts is not None else {}).items():
                merged = out.setdefault(name, [])
                merged += [(raw, p) for raw, p in es if all(raw != m[0] for m in merged)]
        return {name: [p for _, p in es] for name, es in out.items()}

    def _shadowed(self, env: str) -> set[str]:
        """Keys of the env files a merged service of this env reads before env/.env.<env>."""
        if env not in self._shadow:
            target, keys = f"env/.env.{env}", set()
            commands = {
                id(inv): inv
                for cf in self.by_env.get(env, [])
                for inv in cf.invocations
                if len(inv.files) > 1
            }
            for inv in commands.values():
                for paths in self._merged_lists(inv).values():
                    for p in paths[: paths.index(target)] if target in paths else []:
                        keys |= set(_KEY.findall(self.tree.text(p) or ""))
            self._shadow[env] = keys
        return self._shadow[env]

    def held(self, cf: ComposeFile) -> Held:
        held = Held()
        merged = self.merged(cf)
        sharing = [o for o in self.by_env.get(cf.env, []) if o.path != cf.path]
        if not merged and not sharing:
            return held
        own = self._read(cf)
        origins: dict[str, list[tuple[bool, bool]]] = {}
        for facts in [own, *(self._read(o) for o in merged)]:
            for name, pair in (facts.origin if facts is not None else {}).items():
                origins.setdefault(name, []).append(pair)
        held.third_party = {
            name: not any(b for b, _ in pairs) and any(i for _, i in pairs)
            for name, pairs in origins.items()
        }
        for other in merged:
            facts = self._read(other)
            if facts is None:
                continue
            held.named |= facts.named
            target = f"env/.env.{cf.env}"
            held.reads_target |= {
                n
                for n, files in facts.env_files.items()
                if target in files
                and own is not None
                and target not in own.env_files.get(n, {target})
            }
            for name, keys in facts.env_keys.items():
                if own is None or name not in own.env_keys:
                    continue
                hold = set(keys)
                if name in facts.env_file_services or name in own.env_file_services:
                    hold = {ALL}
                if hold:
                    held.keys.setdefault(name, set()).update(hold)
                    held.by.setdefault(name, other.path)
        held.shadowed = self._shadowed(cf.env)
        for other in {o.path: o for o in merged + sharing}.values():
            if self.settled is not None:
                held.references |= self.settled.get(other.target, set())
            elif (facts := self._read(other)) is not None:
                held.references |= facts.references
        return held


def _items(env: Any) -> list[tuple[str, str | None]]:
    try:
        return env_items(env)
    except (TypeError, AttributeError):  # a wrong shape: validate() reports it for that file
        return []
