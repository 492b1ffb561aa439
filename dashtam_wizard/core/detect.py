"""Detect the repo's current state: names, compose files, env files, who uses what.

Everything here is read from the repo (never from the plan's Dashtam names), so the same
engine works for any FastAPI/Postgres/Redis-style service.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from .errors import BadInput
from .invocations import MAKE_ASSIGN, Invocation, command_lines, parse_invocation
from .snapshot import Tree

COMPOSE_RE = re.compile(r"^(docker-)?compose([.-](?P<env>[A-Za-z0-9_-]+?))?\.ya?ml$")
ENV_RE = re.compile(r"^\.env\.(?P<env>[A-Za-z0-9_-]+)$")
MAKEFILES = ("GNUmakefile", "makefile", "Makefile")
DEFAULT_COMPOSE = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")
_ENV_ALIASES = {"development": "dev", "testing": "test", "production": "prod", "local": "dev"}


@dataclass
class ComposeFile:
    path: str  # current location
    env: str  # dev, test, ci, prod, ...
    used: bool
    target: str  # where it belongs after migration
    env_file_before: str | None  # --env-file used for interpolation before migration
    invocations: list[Invocation] = field(default_factory=list)

    @property
    def migrated(self) -> bool:
        return self.path == self.target


@dataclass
class Facts:
    project: str
    compose: list[ComposeFile]
    env_files: dict[str, str]  # env name -> current path of its local env file (root or env/)
    example_env: str | None  # .env.example (root or env/)
    env_examples: dict[str, str]  # env name -> .env.<env>.example path
    makefiles: list[str]
    scripts: list[str]  # workflows and shell scripts that may reference paths
    docs: list[str]
    dockerfile: str | None
    requirements: list[str]
    invocations: list[Invocation]


def normalize_project(name: str) -> str:
    name = re.sub(r"[^a-z0-9_-]", "", name.lower())
    return name.lstrip("_-") or "app"


def project_name(tree: Tree, root_name: str) -> str:
    text = tree.text("pyproject.toml")
    if text is not None:
        try:
            name = tomllib.loads(text).get("project", {}).get("name")
        except tomllib.TOMLDecodeError as exc:
            raise BadInput(
                "pyproject.toml", f"is not valid TOML ({exc})", getattr(exc, "lineno", None)
            ) from None
        if isinstance(name, str) and name.strip():
            return normalize_project(name)
    return normalize_project(root_name)


def compose_dir_name(root_name: str) -> str:
    """The project name Compose derives from a directory when nothing else names it."""
    return normalize_project(root_name)


_STEP_LABEL = re.compile(r"^\s*(?:-\s*)?(?:name|description|if)\s*:")


def default_files(tree: Tree, folder: str) -> list[str]:
    """What `docker compose` with no -f reads in `folder`: the first default file found (in
    Compose's order) and the override file of the same family, if present."""
    prefix = f"{folder}/" if folder else ""
    first = next((f for f in DEFAULT_COMPOSE if prefix + f in tree.files), None)
    if first is None:
        return []
    stem, ext = first.rsplit(".", 1)
    override = f"{prefix}{stem}.override.{ext}"
    alt = f"{prefix}{stem}.override.{'yml' if ext == 'yaml' else 'yaml'}"
    return [prefix + first] + [o for o in (override, alt) if o in tree.files][:1]


def _norm(p: str) -> str:
    return str(PurePosixPath(p.removeprefix("./")))


def _env_of(name: str) -> str | None:
    m = COMPOSE_RE.match(name)
    if not m:
        return None
    env = m.group("env")
    return _ENV_ALIASES.get(env, env) if env else None


_PATH_RUN = re.compile(r"[\w./-]+")


def _path_words(texts: list[str]) -> set[str]:
    r"""Every path-like word of `texts`, and each of its prefixes that ends before a `.` or `/`.

    A path P is mentioned, in the sense of `(?<![\w./-])P(?![\w-])`, exactly when P is in this
    set and P itself consists of path characters: the match must start a run of [\w./-]
    and end where the run ends or continues with `.` or `/`.
    """
    out: set[str] = set()
    for text in texts:
        for run in set(_PATH_RUN.findall(text)):
            out.add(run)
            for i, c in enumerate(run):
                if c in "./" and i:
                    out.add(run[:i])
    return out


def _mentioned(path: str, texts: list[str], words: set[str]) -> bool:
    if _PATH_RUN.fullmatch(path):
        return path in words
    pattern = re.compile(rf"(?<![\w./-]){re.escape(path)}(?![\w-])")
    return any(pattern.search(t) for t in texts)


def detect(tree: Tree, root_name: str) -> Facts:
    makefiles = (
        [m for m in MAKEFILES if m in tree.files]
        + tree.glob("*.mk")
        + sorted(
            p
            for p in tree.listdir("")
            if p in tree.files
            and p.startswith("Makefile.")
            and not p.endswith((".bak", ".orig", ".backup", "~"))
        )
    )
    scripts = sorted(
        set(tree.glob(".github/workflows/*.yml") + tree.glob(".github/workflows/*.yaml"))
        | {p for p in tree.files if p.endswith(".sh")}
    )
    # the wizard's own migration report names the old paths on purpose: not a doc to rewrite
    docs = sorted(
        p
        for p in tree.files
        if p.endswith(".md") and not p.startswith("env/") and p != "docs/migration-report.md"
    )

    invocations: list[Invocation] = []
    for path in makefiles + scripts:
        text = tree.text(path) or ""
        for n, line, exported in command_lines(path, text, path in makefiles):
            if path.startswith(".github/") and _STEP_LABEL.match(line):
                continue  # `- name: start the docker compose stack` is a label, not a command
            inv = parse_invocation(path, n, line, exported)
            if inv:
                inv.partial = (
                    path in makefiles
                    and not line.startswith("\t")
                    and bool(MAKE_ASSIGN.match(line))
                )
                invocations.append(inv)

    compose: list[ComposeFile] = []
    names = [p for p in tree.listdir("") if COMPOSE_RE.match(p) and p in tree.files]
    migrated = [
        f"compose/{p}"
        for p in tree.listdir("compose")
        if COMPOSE_RE.match(p.removesuffix(".example"))
    ]
    # indexes built once, so detection stays linear in the number of compose files
    by_file: dict[str, list[Invocation]] = {}
    for inv in invocations:
        for f in dict.fromkeys(_norm(f) for f in inv.files):
            by_file.setdefault(f, []).append(inv)
    bare = [i for i in invocations if not i.files]
    # a README telling people to run `docker compose up` uses the default file too: it is
    # a live file, not an unused one to keep as a template
    doc_invs = [
        inv
        for d in docs
        for n, line in enumerate((tree.text(d) or "").splitlines(), 1)
        if (inv := parse_invocation(d, n, line)) is not None
    ]
    bare_invocation = bool(bare) or any(not inv.files for inv in doc_invs)
    in_docs = {
        _norm(f) for inv in doc_invs for f in inv.files
    }  # `docker compose -f x.yml up` in a README
    # a command with no -f runs Compose's default file of the folder (and its override)
    for f in default_files(tree, ""):
        by_file.setdefault(f, []).extend(bare)
    texts = [tree.text(p) or "" for p in makefiles + scripts]
    words = _path_words(texts)
    for path in names + migrated:
        base = PurePosixPath(path).name
        env = _env_of(base.removesuffix(".example"))
        invs = by_file.get(path, [])
        default_use = base in DEFAULT_COMPOSE and bare_invocation and "/" not in path
        mentioned = _mentioned(path, texts, words)
        used = bool(invs) or default_use or mentioned or path in in_docs
        if path.startswith("compose/"):
            target = path
            if env is None:
                env = "prod" if path.endswith(".example") else "dev"
        elif env is None:  # the base docker-compose.yml / compose.yaml
            if used:
                ef = next((i.env_file for i in invs if i.env_file), None)
                m = ENV_RE.match(PurePosixPath(ef).name) if ef else None
                env = m.group("env") if m else "dev"
                target = f"compose/{base}"
            else:
                env = "prod"
                stem = "compose" if base.startswith("compose") else "docker-compose"
                ext = PurePosixPath(base).suffix
                target = f"compose/{stem}.prod{ext}.example"
        else:
            target = f"compose/{base}"
        env_before = next((_norm(i.env_file) for i in invs if i.env_file), None)
        if env_before is None and invs and "/" not in path and ".env" in tree.files:
            env_before = (
                ".env"  # its commands name no env file: Compose reads the project folder's .env
            )
        if env_before is None and not invs and "/" not in path and f".env.{env}" in tree.files:
            # no command runs it: the convention the env file's name states (a command that
            # names no env file and finds no .env interpolates from nothing)
            env_before = f".env.{env}"
        if env_before is None and "/" not in path and ".env" in tree.files:
            env_before = ".env"  # Compose reads the project dir's .env by default
        compose.append(ComposeFile(path, env, used, target, env_before, invs))
    _merged_envs(tree, compose)

    env_files: dict[str, str] = {}
    env_examples: dict[str, str] = {}
    for folder in ("", "env"):
        for name in tree.listdir(folder):
            path = f"{folder}/{name}" if folder else name
            if path not in tree.files:
                continue
            if name.endswith(".example"):
                m = ENV_RE.match(name.removesuffix(".example"))
                if m and m.group("env") not in ("example", "prod"):
                    env_examples.setdefault(m.group("env"), path)
                continue
            m = ENV_RE.match(name)
            if m and m.group("env") not in ("example", "sample", "template"):
                env_files.setdefault(m.group("env"), path)
    example = (
        ".env.example"
        if ".env.example" in tree.files
        else ("env/.env.example" if "env/.env.example" in tree.files else None)
    )

    dockerfile = next((p for p in ("docker/Dockerfile", "Dockerfile") if p in tree.files), None)
    reqs = sorted(
        p
        for p in tree.listdir("")
        if re.match(r"^requirements.*\.(txt|in)$", p) and p in tree.files
    )
    return Facts(
        project=project_name(tree, root_name),
        compose=compose,
        env_files=env_files,
        example_env=example,
        env_examples=env_examples,
        makefiles=makefiles,
        scripts=scripts,
        docs=docs,
        dockerfile=dockerfile,
        requirements=reqs,
        invocations=invocations,
    )


def _merged_envs(tree: Tree, compose: list[ComposeFile]) -> None:
    """A file merged into another by `-f base.yml -f override.yml` whose name states no env of
    its own (no .env.<env> exists: docker-compose.override.yml) belongs to its command's env.

    Otherwise it would get an env file of its own (env/.env.override) next to the one the
    command reads, and the values moved out of the two files would land in different files.
    """
    by_path = {cf.path: cf for cf in compose}
    for cf in compose:
        if f".env.{cf.env}" in tree.files or f"env/.env.{cf.env}" in tree.files:
            continue
        for inv in cf.invocations:
            first = by_path.get(_norm(inv.files[0])) if inv.files else None
            if len(inv.files) < 2 or first is None:
                continue
            m = ENV_RE.match(PurePosixPath(inv.env_file).name) if inv.env_file else None
            env = m.group("env") if m else first.env
            if env != cf.env:
                cf.env = env
                if cf.env_file_before is None and inv.env_file:
                    cf.env_file_before = _norm(inv.env_file)
                break


def implied_moves(tree: Tree, facts: Facts) -> dict[str, str]:
    """Old path -> new path for files an earlier run (or a person) already moved.

    A half-migrated repo has compose/ and env/ filled but may still mention the old
    root paths in its Makefile and docs; those references must be rewritten too.
    """
    moves: dict[str, str] = {}
    for cf in facts.compose:
        if cf.path != cf.target:
            moves[cf.path] = cf.target
            continue
        name = PurePosixPath(cf.path).name
        if name.endswith(".example"):
            stem = name.removesuffix(".example").replace(".prod", "")
            old = stem if stem in DEFAULT_COMPOSE else None
        else:
            old = name
        if old and old not in tree.files:
            moves[old] = cf.path
    for name in tree.listdir("env"):
        if ENV_RE.match(name) and f"env/{name}" in tree.files and name not in tree.files:
            moves[name] = f"env/{name}"
    return moves
