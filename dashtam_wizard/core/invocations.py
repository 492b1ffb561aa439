"""The `docker compose` command lines a Makefile, workflow or script runs, and what they pass.

Compose's options reach it through several spellings (`-f x`, `--file=x`, `-fx`, a make
variable holding part of the command, COMPOSE_FILE exported by make or a script); phase 5
reads these same lines when it rewrites them, so the parsing lives apart from detection.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

MAKE_ASSIGN = re.compile(
    r"^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*(?::{1,3}=|\?=|\+=|=|!=)\s*(.*)$"
)
_MAKE_REF = re.compile(r"\$[({]([A-Za-z_][A-Za-z0-9_]*)[)}]")


@dataclass
class Invocation:
    """One `docker compose` command line found in a Makefile, workflow or script."""

    path: str
    line: int
    files: list[str]  # -f arguments (as written, variables expanded)
    env_file: str | None
    project: str | None
    files_from_env: bool = False  # the files came from COMPOSE_FILE, not from -f
    # a make variable holding part of a command (`DC = docker compose -f x.yml`): its
    # options count where it is used, but it runs nothing by itself
    partial: bool = False


def _expand_make(text: str) -> list[tuple[int, str]]:
    """Makefile lines (joined continuations) with simple `$(VAR)` references expanded.

    `$(CURDIR)` and `$(PWD)` are the folder make runs in: the repo root, `.`."""
    variables: dict[str, str] = {"CURDIR": ".", "PWD": "."}
    lines: list[tuple[int, str]] = []
    buf, start = "", 0
    for n, raw in enumerate(text.splitlines(), 1):
        if not buf:
            start = n
        if raw.endswith("\\"):
            buf += raw[:-1] + " "
            continue
        line = buf + raw
        buf = ""
        m = MAKE_ASSIGN.match(line)
        if m and not line.startswith("\t"):
            variables[m.group(1)] = m.group(2).strip()
        lines.append((start, line))
    for _ in range(3):  # nested references, bounded
        lines = [
            (n, _MAKE_REF.sub(lambda m: variables.get(m.group(1), m.group(0)), s)) for n, s in lines
        ]
    return lines


_COMPOSE_WORDS = {"docker": 2, "docker-compose": 1}  # words of the command itself
# Compose's global options that take a value (anything else before the subcommand is a flag)
_VALUED = {
    "-f",
    "--file",
    "--env-file",
    "-p",
    "--project-name",
    "--profile",
    "--project-directory",
    "--ansi",
    "--progress",
    "--parallel",
}


_LOCAL_CF = re.compile(r"""(?:^|\s)COMPOSE_FILE=("[^"]*"|'[^']*'|\S+)""")
_SCRIPT_CF = re.compile(
    r"""^\s*(?:export\s+)?COMPOSE_FILE=("[^"]*"|'[^']*'|\S+)\s*(?:;\s*export\s+COMPOSE_FILE)?\s*$"""
)
_MAKE_EXPORT = re.compile(r"^\s*export(?:\s+(.*))?$")


def _compose_file_list(value: str) -> list[str]:
    """COMPOSE_FILE's files: separated by `:` (COMPOSE_PATH_SEPARATOR's default on POSIX)."""
    return [f for f in value.strip().strip("\"'").split(":") if f]


def command_lines(path: str, text: str, is_make: bool) -> list[tuple[int, str, str | None]]:
    """Each line as it runs (a Makefile's joined and `$(VAR)`-expanded) and the COMPOSE_FILE
    exported to it, if any: make exports before any recipe runs (the last assignment wins,
    wherever it is written); a script exports from its `export COMPOSE_FILE=…` line on."""
    if is_make:
        lines = _expand_make(text)
        value: str | None = None
        exported = export_all = False
        for _n, line in lines:
            if line.startswith("\t"):
                continue
            export_all = export_all or line.startswith(".EXPORT_ALL_VARIABLES:")
            m = MAKE_ASSIGN.match(line)
            if m and m.group(1) == "COMPOSE_FILE":
                value = m.group(2).strip()
                exported = exported or line.lstrip().startswith("export")
            elif (e := _MAKE_EXPORT.match(line)) and not (m and e.group(1) and "=" in e.group(1)):
                names = (e.group(1) or "").split()
                export_all = export_all or not names
                exported = exported or "COMPOSE_FILE" in names
        env = value if value is not None and (exported or export_all) else None
        return [(n, line, env) for n, line in lines]
    out: list[tuple[int, str, str | None]] = []
    env = None
    for n, line in enumerate(text.splitlines(), 1):
        if m := _SCRIPT_CF.match(line):
            env = m.group(1) if "export" in line else None
        out.append((n, line, env))
    return out


def parse_invocation(
    path: str, n: int, line: str, exported: str | None = None
) -> Invocation | None:
    """The compose command on `line`, if any. `exported`: the COMPOSE_FILE in the command's
    environment; a `COMPOSE_FILE=…` prefix on the line itself wins, and `-f` wins over both."""
    if "docker compose" not in line and "docker-compose " not in line:
        return None
    start = (
        line.find("docker compose") if "docker compose" in line else line.find("docker-compose ")
    )
    seg = line[start:]
    seg = re.split(r"&&|\|\||;|\|", seg)[0]
    prefix = re.split(r"&&|\|\||;|\|", line[:start])[-1]
    try:
        words = shlex.split(seg, comments=False)
    except ValueError:  # e.g. COMPOSE="docker compose -f x.yml" cut mid-quote
        words = [w.strip("\"'") for w in seg.split()]
    files: list[str] = []
    env_file = project = None
    it = iter(range(len(words)))
    for i in it:
        w = words[i]
        nxt = words[i + 1] if i + 1 < len(words) else None
        if (
            i >= _COMPOSE_WORDS.get(words[0], 1)
            and not w.startswith("-")
            and (i == 0 or words[i - 1] not in _VALUED)
        ):
            break  # the subcommand: what follows is its own (`logs -f app` follows app)
        if w in ("-f", "--file") and nxt:
            files.append(nxt)
            next(it, None)
        elif w.startswith(("--file=", "-f=")):
            files.append(w.split("=", 1)[1])
        elif w.startswith("-f") and len(w) > 2 and not w.startswith("--"):
            files.append(w[2:])  # `-fdocker-compose.yml`: a short flag takes its value attached
        elif w == "--env-file" and nxt:
            env_file = nxt
            next(it, None)
        elif w.startswith("--env-file="):
            env_file = w.split("=", 1)[1]
        elif w in ("-p", "--project-name") and nxt:
            project = nxt
            next(it, None)
        elif w.startswith(("--project-name=", "-p=")):
            project = w.split("=", 1)[1]
        elif w.startswith("-p") and len(w) > 2 and not w.startswith("--"):
            project = w[2:]
    from_env = False
    if not files:
        local = _LOCAL_CF.findall(prefix)
        value = local[-1] if local else exported
        if value:
            files, from_env = _compose_file_list(value), True
    return Invocation(path, n, files, env_file, project, from_env)
