"""Where things are in a Dockerfile: stage lines, USER/HEALTHCHECK lines, ARG defaults.

Only used to point a failed check at the line to fix ("docker/Dockerfile:42").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .build import _instructions

_FROM = re.compile(
    r"^FROM\s+(?:--platform=\S+\s+)?(?P<image>\S+)(?:\s+AS\s+(?P<name>\S+))?\s*$", re.I
)


@dataclass
class StageInfo:
    name: str  # "AS" name, or its index as text
    image: str  # the FROM image (or parent stage)
    line: int
    users: list[tuple[str, int]] = field(default_factory=list)  # (USER value, line)
    healthchecks: list[int] = field(default_factory=list)
    args: dict[str, str | None] = field(default_factory=dict)


def read_stages(text: str) -> list[StageInfo]:
    stages: list[StageInfo] = []
    for line, instr in _instructions(text):
        op, _, rest = instr.partition(" ")
        op = op.upper()
        rest = rest.strip()
        if op == "FROM":
            m = _FROM.match(instr)
            image = m["image"] if m else rest
            name = m["name"] if m and m["name"] else str(len(stages))
            stages.append(StageInfo(name=name, image=image, line=line))
        elif not stages:
            continue
        elif op == "USER":
            stages[-1].users.append((rest, line))
        elif op == "HEALTHCHECK":
            stages[-1].healthchecks.append(line)
        elif op == "ARG":
            k, sep, v = rest.partition("=")
            stages[-1].args[k.strip()] = v.strip().strip("\"'") if sep else None
    return stages


def chain(stages: list[StageInfo], target: str | None) -> list[StageInfo]:
    """`target` then the stages it is built FROM, nearest first (None: the last stage)."""
    by = {s.name.lower(): s for s in stages}
    cur = by.get(target.lower()) if target else (stages[-1] if stages else None)
    out: list[StageInfo] = []
    while cur is not None and cur not in out:
        out.append(cur)
        cur = by.get(cur.image.lower())
    return out


def target_line(stages: list[StageInfo], target: str | None) -> int | None:
    c = chain(stages, target)
    return c[0].line if c else None


def user_line(stages: list[StageInfo], target: str | None) -> tuple[str | None, int | None]:
    """The USER in effect for `target` and its line (None, FROM line) when there is none."""
    c = chain(stages, target)
    for s in c:
        if s.users:
            return s.users[-1]
    return None, (c[0].line if c else None)


def arg_default(stages: list[StageInfo], target: str | None, name: str) -> str | None:
    for s in chain(stages, target):
        if s.args.get(name):
            return s.args[name]
    return None
