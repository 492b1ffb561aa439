"""Build the whole Plan: read once, run the seven phases in order on a virtual tree.

Each phase sees the tree as the earlier phases (minus the changes the user switched off)
leave it, so `--phase 4` after applying 1-3 and a full dry run print the same changes.
"""

from __future__ import annotations

from pathlib import Path

from . import changes as ch
from .context import Ctx, Options
from .detect import detect
from .errors import BadInput
from .model import Plan
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


def plan_tree(tree: Tree, root: str, root_name: str, options: Options | None = None) -> Plan:
    options = options or Options()
    facts = detect(tree, root_name)
    if not facts.compose and facts.dockerfile is None:
        raise BadInput(root, "has no docker-compose*.yml, compose*.yaml or Dockerfile: nothing to migrate")
    ctx = Ctx(root_name=root_name, original=tree, facts=facts, options=options)
    phases = []
    current = tree
    for module in PHASES:
        pp = module.plan(ctx, current)
        phases.append(pp)
        current = ch.apply_virtual(current, [c for c in pp.changes if options.selected(c)])
    return Plan(root=root, project=facts.project, phases=phases)


def build_plan(root: Path, options: Options | None = None) -> Plan:
    root = root.resolve()
    return plan_tree(read_tree(root), str(root), root.name, options)
