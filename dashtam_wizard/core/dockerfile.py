"""Read what a Dockerfile says (stages, images, packages, commands) to carry it over."""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field


@dataclass
class Instr:
    op: str
    args: str
    line: int


@dataclass
class Stage:
    name: str
    image: str
    line: int
    instrs: list[Instr] = field(default_factory=list)
    text: str = ""

    def all(self, op: str) -> list[Instr]:
        return [i for i in self.instrs if i.op == op]

    def last(self, op: str) -> Instr | None:
        found = self.all(op)
        return found[-1] if found else None


def parse(text: str) -> list[Stage]:
    stages: list[Stage] = []
    lines = text.splitlines()
    buf, start = "", 0
    raw_lines: list[str] = []
    for n, raw in enumerate(lines, 1):
        if not buf:
            start = n
            raw_lines = []
        raw_lines.append(raw)
        stripped = raw.strip()
        if not buf and (not stripped or stripped.startswith("#")):
            if stages:
                stages[-1].text += raw + "\n"
            continue
        if stripped.startswith("#"):
            continue  # comment inside a continuation
        if stripped.endswith("\\"):
            buf += stripped[:-1] + " "
            continue
        logical = (buf + stripped).strip()
        buf = ""
        op, _, args = logical.partition(" ")
        op = op.upper()
        if op == "FROM":
            words = args.split()
            words = [w for w in words if not w.startswith("--platform")]
            image = words[0] if words else ""
            name = words[2] if len(words) >= 3 and words[1].lower() == "as" else str(len(stages))
            stages.append(Stage(name, image, start))
        if stages:
            stages[-1].instrs.append(Instr(op, args.strip(), start))
            stages[-1].text += "\n".join(raw_lines) + "\n"
    return stages


def apt_packages(stage: Stage) -> list[str]:
    pkgs: list[str] = []
    for ins in stage.all("RUN"):
        for m in re.finditer(r"apt-get\s+install\s+([^&|;]*)", ins.args):
            for w in m.group(1).split():
                if (
                    not w.startswith("-")
                    and w not in pkgs
                    and re.match(r"^[a-z0-9][a-z0-9.+:=~-]*$", w)
                ):
                    pkgs.append(w)
    return pkgs


def pip_packages(stage: Stage) -> list[str]:
    pkgs: list[str] = []
    for ins in stage.all("RUN"):
        for m in re.finditer(r"pip3?\s+install\s+([^&|;]*)", ins.args):
            for w in shlex.split(m.group(1)):
                if not w.startswith("-") and w not in pkgs:
                    pkgs.append(w)
    return pkgs


def cmd_json(stage: Stage) -> str | None:
    """The stage's CMD in exec form text (shell form is wrapped in `sh -c`)."""
    ins = stage.last("CMD")
    if ins is None:
        return None
    try:
        value = json.loads(ins.args)
        if isinstance(value, list):
            return json.dumps(value)
    except json.JSONDecodeError:
        pass
    return json.dumps(["sh", "-c", ins.args])


def exposed(stage: Stage) -> list[int]:
    ports = []
    for ins in stage.all("EXPOSE"):
        for w in ins.args.split():
            m = re.match(r"^(\d+)", w)
            if m:
                ports.append(int(m.group(1)))
    return ports


def copied_sources(stage: Stage) -> list[str]:
    out = []
    for ins in stage.all("COPY") + stage.all("ADD"):
        words = [w for w in ins.args.split() if not w.startswith("--")]
        out += words[:-1]
    return out
