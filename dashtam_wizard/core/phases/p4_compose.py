"""Phase 4 — compose files: env_file, hard-coded values into env files, paths from compose/.

The rule is behaviour-preserving: every container must see the same values after as
before. A value moves into the shared env file only when no other service of the file
sets that key differently, the env file does not already say otherwise, and no remaining
`${KEY}` reference in the file would resolve differently; nor in the files merged with it by
`-f` or reading the same env file (siblings.py). The rewrite is then resolved as
Compose would (env_file included) and any value that would still differ goes back. Anything
else stays in the service's `environment:` (which overrides env_file) and the plan says why.
"""

from __future__ import annotations

from typing import Any

from .. import changes as ch
from .. import yamlio
from ..compose_schema import validate
from ..context import Ctx
from ..detect import ComposeFile
from ..envfile import append_lines, parse_env, render_value
from ..errors import BadInput
from ..interpolate import references
from ..model import ChecklistItem, Evidence, Note, PhasePlan
from ..siblings import Held, Siblings
from ..snapshot import Tree
from .compose_check import UNSET, compare_views, views_of, with_texts
from .compose_env import check_implicit_env, refuse_include, variables_of
from .compose_moves import decide_moves
from .compose_rewrite import rewrite

SECTION = "Migration"


def _moved_why(moving: int, new: int, env_target: str) -> str:
    """The numbers the env file's own change shows ("add 4 value(s)") agree with this one."""
    if new == moving:
        return f"{moving} hard-coded value(s) move to {env_target}"
    held = moving - new
    return (
        f"{moving} hard-coded value(s) leave environment: for {env_target}: {new} added to it, "
        f"{held} it already holds with the same value"
    )


def migrate_file(
    ctx: Ctx, tree: Tree, cf: ComposeFile, pp: PhasePlan, siblings: Siblings | None = None
) -> Tree:
    path = cf.target
    text = tree.text(path) or ""
    old_dir = "" if cf.path != cf.target else "compose"
    before = yamlio.load(text, path)
    validate(before, path)
    refuse_include(cf, before)
    held = Held()
    if siblings is not None:
        siblings.check_merge_order(cf)
        held = siblings.held(cf)
    example = path.endswith(".example")
    env_target = f"env/.env.{cf.env}"
    env_text = tree.text(env_target)
    p_before = (
        variables_of(ctx, cf)
        if old_dir == ""
        else (parse_env(env_text, env_target) if env_text else {})
    )
    env_now = parse_env(env_text, env_target) if env_text is not None else {}
    services = before.get("services") or {}
    if not hasattr(services, "items"):
        raise BadInput(path, "`services` is not a mapping")
    if old_dir == "" and env_text is not None:
        # against the env file as phase 4 found it: values other files move in are theirs to check
        start = siblings.tree.text(env_target) if siblings is not None else env_text
        check_implicit_env(
            ctx, cf, before, p_before, parse_env(start, env_target) if start else {}, env_target
        )

    # 1. decide which hard-coded values can move into the env file
    moving, reasons = decide_moves(cf, tree, before, services, held, p_before, env_text, env_now)

    # 2. rewrite, then check what every container would see; a moved value the env file
    # would hand back differently (env_file interpolates against the project's variables,
    # then the service's own) goes back to environment:, and we rewrite again.
    # Round-trip parsing is most of this phase's time: for a file that has not moved yet the
    # before-views depend on nothing the loop changes, so take them now and let the first
    # rewrite edit `before` itself instead of parsing the file a second time.
    views_before: Any = UNSET
    reuse: Any = None
    if old_dir == "":
        views_before = views_of(before, old_dir, p_before, ctx.original.text)
        reuse = before
    while True:
        doc, notes, added_ro = rewrite(
            ctx, tree, cf, text, old_dir, p_before, set(moving), reuse, held
        )
        reuse = None
        new_text = yamlio.dump(doc, text)
        lines = [f"{k}={render_value(v)}" for k, v in moving.items() if k not in env_now]
        new_env = env_text
        if lines and env_text is not None:
            block = [f"# Moved from {path} by dashtam-wizard (resolved as Compose did)"] + lines
            new_env = append_lines(env_text, block)
        new_tree = with_texts(tree, {path: new_text, env_target: new_env})
        # a service's `<<:` merged values are copies, stale once the anchor was rewritten:
        # what Compose will read is the text, so judge that
        judged = yamlio.load(new_text, path) if "<<" in new_text else doc
        changed, moved_binds, gained = compare_views(
            ctx, before, old_dir, p_before, judged, new_tree, env_target, views_before, tree
        )
        back = {k for _, k in changed if k in moving}
        why = (
            f"{env_target} would hand it back differently through env_file (which interpolates against "
            "the project's variables, then the service's own); stays in environment:"
        )
        if changed and not back:
            # an env file a service reads (this one, or one of its own) interpolates `${K}`
            # against the project's variables first: with a moved K there, its values change
            read = {
                p
                for v in (views_of(judged, "compose", {}, new_tree.text) or {}).values()
                for p in v.env_files
            }
            texts = [env_text or ""] + [new_tree.text(p) or "" for p in read - {env_target}]
            back = set(moving) & {k for t in texts for k in references(t)}
            why = (
                f"an env file a service reads interpolates ${{{{K}}}} in its values (against the project's "
                f"variables first); adding it to {env_target} would change them, so it stays in environment:"
            )
        if not back:
            break
        for k in sorted(back):
            reasons.append(f"{k}: " + why.replace("{K}", k))
            del moving[k]

    c = ch.write(
        4,
        tree,
        path,
        new_text,
        secret=True,
        summary=f"{path}: env_file ../{env_target}, paths relative to compose/",
        why=_moved_why(len(moving), len([k for k in moving if k not in env_now]), env_target)
        if moving
        else "",
    )
    if c:
        pp.changes.append(c)
    if new_env is not None and new_env != env_text:
        ec = ch.write(
            4,
            tree,
            env_target,
            new_env,
            secret=True,
            summary=f"{env_target}: add {len(lines)} value(s) moved out of {path}",
        )
        if ec:
            pp.changes.append(ec)
    for r in dict.fromkeys(reasons):
        notes.append(Note("info", f"{path}: {r}"))
    if added_ro:
        notes.append(
            Note(
                "info",
                f"{path}: mounted {', '.join(sorted(added_ro))} read-only into the app container",
            )
        )
    new_tree = ch.apply_virtual(tree, [x for x in pp.changes if x.path in (path, env_target)])
    if example and changed:
        # a template no command runs: its values come from the env file of the deployment
        # that uses it, not from the one a developer has at hand (nothing to compare with)
        notes.append(
            Note(
                "info",
                f"{cf.target}: a template no command runs; its values are read from "
                f"{env_target} where it is deployed, so they are not compared with today's",
            )
        )
    for name, k in changed if not example else []:
        notes.append(
            Note("warn", f"{cf.target}: service {name} would see a different {k} after migration")
        )
    for name, dst in moved_binds:
        notes.append(
            Note("warn", f"{cf.target}: service {name}'s mount of {dst} would change source")
        )
    if gained and not example:
        notes.append(
            Note(
                "info",
                f"{cf.target}: {', '.join(gained)} also receive keys of {env_target} they did "
                "not set before — env_file hands each service the whole file, as the plan intends; "
                "no value a service had changes",
            )
        )
    pp.notes += notes
    return new_tree


def _plan_files(ctx: Ctx, tree: Tree, siblings: Siblings) -> tuple[PhasePlan, Tree]:
    pp = PhasePlan(4, "Docker Compose Refactoring")
    for cf in ctx.facts.compose:
        if cf.target in tree.files:
            try:
                tree = migrate_file(ctx, tree, cf, pp, siblings)
            except BadInput as exc:
                if exc.path != cf.target or cf.path not in ctx.original.files:
                    raise
                # the file is still at its old place on disk (and its lines unchanged): name that
                raise BadInput(cf.path, exc.message, exc.line) from None
    return pp, tree


def plan(ctx: Ctx, tree: Tree) -> PhasePlan:
    siblings = Siblings(
        ctx.facts.compose, tree, ctx.moved
    )  # files merged by one command or sharing an env file
    pp, after = _plan_files(ctx, tree, siblings)
    if siblings.grouped:
        # such files hold each other's values back by the `${KEY}`s they use, but a value that
        # moves out takes its `${KEY}`s with it: planned again with the references the migrated
        # files keep, until they agree (a second plan then has nothing left to move)
        first = pp, after
        for attempt in range(4):
            settled = siblings.settle(after)
            if settled == siblings.settled:
                break
            if attempt == 3:  # no agreement: the first pass held every original reference
                pp, after = first
                break
            siblings.settled = settled
            pp, after = _plan_files(ctx, tree, siblings)
    tree = after
    done = bool([cf for cf in ctx.facts.compose if cf.target in tree.files]) and not pp.changes
    pp.checklist.append(
        ChecklistItem(
            SECTION,
            "Update all compose files (env_file, paths)",
            done,
            Evidence(
                "every compose file uses env_file"
                if done
                else f"{len(pp.changes)} compose/env change(s) pending"
            ),
        )
    )
    return pp
