"""Build the whole Plan: read once, run the seven phases in order on a virtual tree.

Each phase sees the tree as the earlier phases (minus the changes the user switched off)
leave it, so `--phase 4` after applying 1-3 and a full dry run print the same changes.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from . import changes as ch
from .context import Baseline, Conversion, Ctx, Options, input_digest
from .detect import detect
from .errors import BadInput, NothingToMigrate
from .model import Change, Kind, Note, Plan
from .phases import (
    p1_backup,
    p2_layout,
    p3_dockerfile,
    p4_compose,
    p5_references,
    p6_env,
    p7_dockerignore,
)
from .snapshot import Tree, read_tree

PHASES = (p1_backup, p2_layout, p3_dockerfile, p4_compose, p5_references, p6_env, p7_dockerignore)


def plan_tree(
    tree: Tree,
    root: str,
    root_name: str,
    options: Options | None = None,
    baseline: Baseline | None = None,
) -> Plan:
    """The plan for `tree`; with a `baseline` (earlier applies), the rest of the plan made from it.

    From the baseline, every phase is planned as one apply of everything would plan it, the
    changes already applied are taken as done, and only the others are left: so applying
    phase by phase ends in the same tree as applying all at once. That holds only while the
    applied paths are exactly as the applies left them; once the user has edited one (or
    the plan would now apply something else there), the plan is made from the tree as it is.
    """
    options = options or Options()
    plan = _plan_from(tree, root, root_name, options, baseline)
    _note_hard_links(plan, tree)
    for pp in plan.phases:
        pp.notes = group_notes(pp.notes)
    return plan


_FILE_NOTE = re.compile(r"(?P<path>[\w.-]*[./][\w./-]*): (?P<rest>.+)", re.S)


def group_notes(notes: list[Note]) -> list[Note]:
    """`a.yml: added name: x. Compose names …` said once for every file it applies to
    (`a.yml, b.yml: added …`), where it stands first: the notes pane has few lines."""
    out: list[Note] = []
    at: dict[tuple[str, str], int] = {}
    paths: dict[int, list[str]] = {}
    for n in notes:
        m = _FILE_NOTE.fullmatch(n.text)
        key = (n.level, m["rest"]) if m else None
        if key is not None and m is not None and key in at:
            paths[at[key]].append(m["path"])
            continue
        if key is not None and m is not None:
            at[key] = len(out)
            paths[len(out)] = [m["path"]]
        out.append(n)
    for i, ps in paths.items():
        first = _FILE_NOTE.fullmatch(out[i].text)
        if len(ps) > 1 and first is not None:
            out[i] = Note(out[i].level, f"{', '.join(ps)}: {first['rest']}")
    return out


def _plan_from(
    tree: Tree, root: str, root_name: str, options: Options, baseline: Baseline | None
) -> Plan:
    if baseline is None:
        return _plan(tree, root, root_name, options)
    if options.conversion is None:
        options = _applied_conversion(baseline, tree, options)
    full = _plan(baseline.tree, root, root_name, options, baseline.done, tree)
    done = [c for c in full.changes() if c.id in baseline.done]
    if {c.id for c in done} != baseline.done or not _left_as_applied(baseline.tree, tree, done):
        return _plan(tree, root, root_name, options)
    try:  # what the applied phases' checklists say is seen on the tree as it is now
        now: Plan | None = _plan(tree, root, root_name, options)
    except BadInput:
        now = None
    for i, pp in enumerate(full.phases):
        pp.applied = [c for c in pp.changes if c.id in baseline.done]
        pp.changes = [c for c in pp.changes if c.id not in baseline.done]
        applied = any(c.phase == pp.number for c in done)
        if now is not None and applied and not pp.changes:
            # the checklist as seen now; the notes as they were when planned: seen on the
            # applied tree, the wizard's own backups would read as "an earlier backup?"
            pp.checklist = now.phases[i].checklist
    return full


def _applied_conversion(baseline: Baseline, now: Tree, options: Options) -> Options:
    """A conversion applied earlier (`apply --convert --phase 1`) is part of the plan made
    from the baseline, so later phases need no `--convert`: its result is what that apply
    wrote, which the tree still holds (or the plan is made from the tree as it is)."""
    if ch.cid(1, Kind.CREATE, "uv.lock") not in baseline.done or "uv.lock" in baseline.tree.files:
        return options
    files = tuple((p, now.files[p].data) for p in ("pyproject.toml", "uv.lock") if p in now.files)
    inputs = input_digest(p1_backup.conversion_inputs(baseline.tree))
    return replace(options, conversion=Conversion("the conversion applied earlier", inputs, files))


def _plan(
    tree: Tree,
    root: str,
    root_name: str,
    options: Options,
    done: frozenset[str] = frozenset(),
    current: Tree | None = None,
) -> Plan:
    """The seven phases on `tree`; the `done` changes count as chosen whatever the options,
    and a done change whose content is only made at apply time (`uv lock`) has the content
    `current` holds."""
    facts = detect(tree, root_name)
    if not facts.compose and facts.dockerfile is None:
        raise NothingToMigrate(
            root, "has no docker-compose*.yml, compose*.yaml or Dockerfile: nothing to migrate"
        )
    ctx = Ctx(root_name=root_name, original=tree, facts=facts, options=options, root=root)
    phases = []
    for module in PHASES:
        pp = module.plan(ctx, tree)
        phases.append(pp)
        tree = ch.apply_virtual(
            tree, [c for c in pp.changes if c.id in done or options.selected(c)]
        )
        for c in pp.changes:
            if c.id in done and c.regenerate and current is not None and c.path in current.files:
                tree.files[c.path] = current.files[c.path]
    return Plan(root=root, project=facts.project, phases=phases)


def _note_hard_links(plan: Plan, tree: Tree) -> None:
    """Say which changed files have other hard links: every write (apply's and rollback's)
    is a new file renamed into place, so the other names keep the bytes they had and the
    link between them is not restored by rollback. Said rather than written in place, which
    would give up the atomic rename."""
    origin: dict[str, str] = {}  # a moved file is the same inode under its new name
    for pp in plan.phases:
        seen: list[str] = []
        for c in pp.changes:
            if c.kind == Kind.MOVE and c.source:
                origin[c.path] = origin.get(c.source, c.source)
            elif c.kind in (Kind.EDIT, Kind.DELETE):
                e = tree.files.get(origin.get(c.path, c.path))
                if e is not None and e.links > 1 and c.path not in seen:
                    seen.append(c.path)
        for path in seen:
            n = tree.files[origin.get(path, path)].links
            pp.notes.append(
                Note(
                    "warn",
                    f"{path} has {n} hard links: the wizard replaces it with a "
                    "new file, so the other links keep the old content, and rollback "
                    "restores the content but not the link",
                )
            )


def _left_as_applied(base: Tree, now: Tree, done: list[Change]) -> bool:
    """Every path the done changes touch holds what they left there (regenerated files: any)."""
    after = ch.apply_virtual(base, done)
    regenerated = {c.path for c in done if c.regenerate}
    for path in {p for c in done for p in (c.path, c.source) if p}:
        a, b = after.files.get(path), now.files.get(path)
        if path in regenerated and a is not None and b is not None:
            continue
        if (a is None) != (b is None) or (
            a is not None and b is not None and (a.data, a.mode) != (b.data, b.mode)
        ):
            return False
        if a is None and (path in after.dirs) != (path in now.dirs):
            return False
    return True


def build_plan(
    root: Path, options: Options | None = None, baseline: Baseline | None = None
) -> Plan:
    root = root.resolve()
    return plan_tree(read_tree(root), str(root), root.name, options, baseline)
