"""Phase 4's rewrite of one compose document: env_file, moved keys out, paths from compose/.

It runs once per round of phase 4's check (a value handed back differently goes back to
`environment:` and the file is rewritten), so it takes the decision as given and writes
the document only; every edit it makes is said in a note for the plan.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .. import yamlio
from ..compose import drop_empty, remove_env_keys, set_env_file
from ..context import Ctx
from ..detect import ComposeFile, compose_dir_name
from ..model import Note
from ..siblings import Held
from ..snapshot import Tree
from .compose_moves import is_local_only, third_party
from .compose_paths import Rewriter


def _owner(node: Any, key: str) -> Any:
    """The mapping that writes `key` for `node`: itself, or the anchor it merges it from."""
    own = getattr(node, "_ok", None)
    if own is None or key in own:
        return node
    for src in getattr(node, "merge", None) or []:
        if hasattr(src, "get") and key in src:
            return _owner(src, key)
    return node


def rewrite(
    ctx: Ctx,
    tree: Tree,
    cf: ComposeFile,
    text: str,
    old_dir: str,
    p_before: dict[str, str],
    moving: set[str],
    doc: Any = None,
    held: Held | None = None,
) -> tuple[Any, list[Note], set[str]]:
    """The migrated document: env_file, `moving` keys out of environment:, paths from compose/.

    `doc` is edited in place when given (a parse of `text` nobody reads afterwards).
    `held`: what files merged with this one by `-f` decide (siblings.py): a service another
    copy of which already reads the env file gets no env_file here; no `name:` if one names it."""
    held = held or Held()
    path = cf.target
    env_target = f"env/.env.{cf.env}"
    local_only = is_local_only(cf, tree)
    # parsed afresh, not copy.deepcopy(before): a deep copy turns `<<: *anchor` merge keys into
    # inline copies (with the merged keys repeated), which the dump would then write out
    if doc is None:
        doc = yamlio.load(text, path)
    rw = Rewriter(ctx, tree, old_dir, p_before)
    notes: list[Note] = []
    added_ro: set[str] = set()
    missing_env: set[str] = set()
    outside: list[str] = []  # services run from someone else's image
    env_text = tree.text(env_target)
    done: set[tuple[str, int]] = set()

    def first(key: str, node: Any) -> bool:
        """A value merged from an `x-` anchor (`<<: *app`) is one node for every service
        that merges it: rewritten once, where it is written, not once per service."""
        if (key, id(node)) in done:
            return False
        done.add((key, id(node)))
        return True

    for name, svc in (doc.get("services") or {}).items():
        if svc is None:
            continue
        ef_owner = _owner(svc, "env_file")
        if svc.get("env_file") is not None and first("env_file", ef_owner):
            ef = ef_owner["env_file"]
            if isinstance(ef, str):
                ef_owner["env_file"] = rw.path(ef)
            else:
                for i, item in enumerate(ef):
                    if isinstance(item, str):
                        ef[i] = rw.path(item)
                    elif hasattr(item, "get") and "path" in item:
                        item["path"] = rw.path(str(item["path"]))
        foreign = held.third_party.get(str(name), third_party(svc))
        if foreign:
            # no env_file, no key removed: what it sees is what it saw (paths still follow)
            if env_text is not None and not path.endswith(".example"):
                outside.append(str(name))
        elif str(name) in held.reads_target:
            notes.append(
                Note(
                    "info",
                    f"{path}: {name} gets no env_file ../{env_target} here: a file merged "
                    "with this one by `-f` already reads it for that service, later in the merged list",
                )
            )
        elif env_target not in tree.files and not path.endswith(".example"):  # a template may
            # name a file a deployment provides; naming a file nobody creates would make Compose fail ("env file not found")
            missing_env.add(str(name))
        elif first("set_env_file", ef_owner):
            set_env_file(ef_owner, f"../{env_target}", required=not local_only)
        if not foreign:
            remove_env_keys(svc, moving)
        if first("build", b_owner := _owner(svc, "build")):
            rw.build(b_owner)
        if first("volumes", v_owner := _owner(svc, "volumes")):
            rw.volumes(v_owner, notes, str(name))
            drop_empty(v_owner, "volumes")
            if old_dir == "":
                added_ro.update(rw.ro_mounts(v_owner if "build" in v_owner else svc))
        if isinstance(svc.get("extends"), Mapping) and "file" in svc["extends"]:
            svc["extends"]["file"] = rw.path(str(svc["extends"]["file"]))
    for section in ("secrets", "configs"):
        for item in (doc.get(section) or {}).values():
            if hasattr(item, "get") and isinstance(item.get("file"), str):
                item["file"] = rw.path(item["file"])
    if missing_env:
        notes.append(
            Note(
                "warn",
                f"{path}: {', '.join(sorted(missing_env))} get no env_file: {env_target} does "
                "not exist and nothing creates it; create it (e.g. from env/.env.example) and add "
                f"`env_file: ../{env_target}` by hand",
            )
        )
    if outside:
        notes.append(
            Note(
                "plan",
                f"{path}: {', '.join(outside)} (images not built here) "
                f"{'gets' if len(outside) == 1 else 'get'} no env_file ../{env_target}, which "
                "would hand {} the app's secrets; environment: stays as written".format(
                    "it" if len(outside) == 1 else "them"
                ),
            )
        )
    notes += list(dict.fromkeys(rw.notes))
    named_by = next((i.project for i in cf.invocations if i.project), None)
    if (
        old_dir == ""
        and not path.endswith(".example")
        and "name" not in doc
        and not named_by
        and "COMPOSE_PROJECT_NAME" not in p_before
        and not held.named
    ):
        project = compose_dir_name(ctx.root_name)
        doc.insert(0, "name", project)
        notes.append(
            Note(
                "plan",
                f"{path}: added `name: {project}`. Compose names a project after the compose "
                "file's folder; from compose/ it would become `compose`, and containers, networks and "
                f"volumes (your database!) would be new. `{project}` is what it was called before.",
            )
        )
    return doc, notes, added_ro
