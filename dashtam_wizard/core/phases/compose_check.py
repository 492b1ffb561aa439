"""Phase 4's own check: what each container sees before and after a rewrite, asked of
the one Compose model (core.resolve.services.service_views), nothing written."""

from __future__ import annotations

from typing import Any

from .. import changes as ch
from ..context import Ctx
from ..envfile import parse_env
from ..errors import BadInput
from ..resolve.services import service_views
from ..snapshot import Tree
from .compose_paths import is_env_path


def with_texts(tree: Tree, texts: dict[str, str | None]) -> Tree:
    """`tree` with some files' text replaced (a virtual tree, nothing is written)."""
    changes = [c for p, t in texts.items() if t is not None and (c := ch.write(4, tree, p, t))]
    return ch.apply_virtual(tree, changes)


UNSET = object()


def views_of(doc: Any, base_dir: str, project_env: dict[str, str], read: Any) -> Any:
    """service_views, or None when Compose itself would reject the file (nothing to compare)."""
    try:
        return service_views(doc, base_dir, project_env, read)
    except BadInput:
        return None


def compare_views(
    ctx: Ctx,
    before: Any,
    old_dir: str,
    p_before: dict[str, str],
    after: Any,
    new_tree: Tree,
    env_target: str,
    views_before: Any = UNSET,
    start: Tree | None = None,
) -> tuple[list[tuple[str, str]], list[tuple[str, str]], list[str]]:
    """What each container sees before and after: the (service, key) values and (service, target)
    bind mounts that differ, and the services that receive keys they did not have. `start`:
    the tree phase 4 began this file with (a file already in compose/ reads its env files
    there, as they were before this rewrite appended to one)."""
    if views_before is UNSET:
        read_before = ctx.original.text if old_dir == "" else (start or new_tree).text
        views_before = views_of(before, old_dir, p_before, read_before)
    env_after_text = new_tree.text(env_target)
    p_after = parse_env(env_after_text, env_target) if env_after_text else {}
    vb = views_before
    va = views_of(after, "compose", p_after, new_tree.text)
    if vb is None or va is None:
        return [], [], []
    changed: list[tuple[str, str]] = []
    binds: list[tuple[str, str]] = []
    gained: list[str] = []
    for name, b in vb.items():
        a = va.get(name)
        if a is None:
            continue
        changed += [(name, k) for k, v in b.env.items() if a.env.get(k) != v]
        for dst, src in b.binds.items():
            if not is_env_path(src) and a.binds.get(dst) != ctx.new_path(src):
                binds.append((name, dst))
        if set(a.env) - set(b.env):
            gained.append(name)
    return changed, binds, gained
