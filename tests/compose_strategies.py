"""Hypothesis strategies: small legacy repos whose compose file and env file vary the way real ones do.

A generated `Repo` is rendered as text by hand (not by a YAML library) so quoting styles,
comments and both `environment:` forms appear exactly as people write them. Nearly all of
it is valid for Compose v2 (the test skips, and counts, what Compose itself refuses);
whether the wizard keeps its meaning is what the property test asks the real
`docker-compose` binary.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import strategies as st

ENV = "dev"
COMPOSE_NAME = f"docker-compose.{ENV}.yml"
ENV_NAME = f".env.{ENV}"

# Variables the compose file interpolates and keys services set overlap on purpose: a key
# the env file defines may be interpolated, set by a service, or both.
VARS = ("A", "B", "HOST")
KEYS = ("K1", "K2", "A", "HOST", "PORT")
ENV_KEYS = ("A", "B", "HOST", "K1", "PORT", "Z9")
DIRS = ("src", "data dir", "cfg")  # bind-mounted folders that exist in the repo
FILES = ("app.ini",)  # a bind-mounted file

# --- interpolated strings ---------------------------------------------------------------

# Literal text: characters that need quoting in YAML or env files, or mean something to
# Compose next to a `$`. `$` itself only appears through the tokens below.
_LIT = " #'\"\\:/=@.,-_xyzXY019{}"
_DEFAULT_LIT = " #'\"\\:/=@.,-_xyzXY019{"  # inside ${V:-...}: no `}` (it would close)


_WORDS = (
    "x",
    "a b",
    "p@ss:w/rd",
    "it's",
    'say "hi"',
    " # not a comment",
    "C:\\dir\\",
    "{json}",
    "50%",
    "two\nlines",
    "tab\there",
    "café",
    "trailing ",
)


def _literal(alphabet: str) -> st.SearchStrategy[str]:
    words = [w for w in _WORDS if "}" not in w or "}" in alphabet]
    return st.one_of(st.text(alphabet=alphabet, min_size=1, max_size=5), st.sampled_from(words))


def _var(names: tuple[str, ...] = VARS) -> st.SearchStrategy[str]:
    return st.sampled_from(names)


_OPS = (":-", "-", ":+", "+")


def _tokens(depth: int, alphabet: str, ops: tuple[str, ...] = _OPS) -> st.SearchStrategy[str]:
    """One piece of an interpolated value."""
    simple = [
        _literal(alphabet),
        _var().map(lambda v: f"${{{v}}}"),
        # `$V` must not run into following name characters: a separator comes with it
        st.tuples(_var(), st.sampled_from("-/.: @")).map(lambda t: f"${t[0]}{t[1]}"),
        st.just("$$"),  # a literal dollar
        st.sampled_from(["$-", "$ ", "$/"]),  # a lone `$` Compose keeps literally
    ]
    if depth > 0:
        inner = st.lists(_tokens(depth - 1, _DEFAULT_LIT, ops), max_size=3).map("".join)
        simple.append(
            st.tuples(_var(), st.sampled_from(ops), inner).map(lambda t: f"${{{t[0]}{t[1]}{t[2]}}}")
        )
    return st.one_of(*simple)


interpolated = st.lists(_tokens(2, _LIT), min_size=1, max_size=4).map("".join)
# with the required forms too (`${A:?message}`): Compose refuses the file when A is unset
interpolated_required = st.lists(_tokens(2, _LIT, (*_OPS, ":?", "?")), min_size=1, max_size=3).map(
    "".join
)

# --- YAML scalars -----------------------------------------------------------------------

_YAML_SPECIAL = re.compile(
    r"^(true|false|null|yes|no|on|off|~|[-+]?[0-9.][0-9._a-fA-Fxo:+-]*)$", re.I
)


def plain_ok(s: str) -> bool:
    """True if `s` written as a plain YAML scalar reads back as the same string."""
    if not s or s != s.strip() or _YAML_SPECIAL.match(s):
        return False
    if s[0] in "{}[]&*!|>'\"%@`#,?:-" or ": " in s or " #" in s or s.endswith(":"):
        return False
    return all(c.isprintable() and c != "\t" for c in s)


def yaml_scalar(s: str, style: str) -> str:
    if style == "plain" and plain_ok(s):
        return s
    if style == "single" and all(c.isprintable() or c == "\t" for c in s):  # no line breaks to fold
        return "'" + s.replace("'", "''") + "'"
    return json.dumps(s)  # a JSON string is a valid YAML double-quoted scalar


# --- the compose file -------------------------------------------------------------------


@dataclass
class EnvEntry:
    key: str
    kind: str  # "str" | "int" | "bool" | "float" | "null" | "pass" (list form without `=`)
    value: str = ""
    style: str = "plain"
    comment: str | None = None  # a full-line comment written above the entry


@dataclass
class Service:
    name: str
    # None (an image), "map" (context + docker/Dockerfile) or "short" (`build: .`); the layout
    # strategies add the other spellings in BUILDS
    build: str | None
    env_form: str  # "map" | "list" | "none"; "merge" (`<<: *shared` + own) | "alias" (`*shared`)
    env: list[EnvEntry]
    volumes: list[str | dict[str, str | bool]]
    image_tag: str | None  # interpolated into `image:` (another place a variable is used)
    env_file: str | None = None  # how the service already names the root env file, if it does
    # other env files it reads: (path as written, `required:` or None for the short form)
    env_files: list[tuple[str, bool | None]] = field(default_factory=list)
    secrets: list[str] = field(default_factory=list)  # top-level secrets it uses
    configs: list[str] = field(default_factory=list)  # top-level configs it uses
    partial: bool = False  # an override's fragment: no image or build of its own

    def lines(self) -> list[str]:
        """The service as people write it under `services:` (indented by two)."""
        out = [f"  {self.name}:"]
        if self.partial:
            pass
        elif self.build is not None:
            out += BUILDS[self.build]
        else:
            tag = f":{self.image_tag}" if self.image_tag else ""
            out.append(f"    image: {yaml_scalar('busybox' + tag, 'double')}")
        if self.env_file == "str":
            out.append(f"    env_file: {ENV_NAME}")
        elif self.env_file == "list":
            out += ["    env_file:", f"      - ./{ENV_NAME}"]
        elif self.env_file == "long":
            out += ["    env_file:", f"      - path: ./{ENV_NAME}", "        required: true"]
        elif self.env_files:
            out.append("    env_file:")
            for path, required in self.env_files:
                if required is None:
                    out.append(f"      - {yaml_scalar(path, 'plain')}")
                else:
                    out.append(f"      - path: {yaml_scalar(path, 'plain')}")
                    out.append(f"        required: {'true' if required else 'false'}")
        if self.env_form == "alias":
            out.append("    environment: *shared")
        elif self.env_form == "merge":
            out += ["    environment:", "      <<: *shared"]
            out += ["      " + _env_line(e, "map") for e in self.env]
        elif self.env_form != "none" and self.env:
            out.append("    environment:")
            for e in self.env:
                if e.comment is not None:
                    out.append(f"      # {e.comment}")
                out.append("      " + _env_line(e, self.env_form))
        if self.volumes:
            out.append("    volumes:")
            for v in self.volumes:
                if isinstance(v, str):
                    out.append(f"      - {yaml_scalar(v, 'double' if ' ' in v else 'plain')}")
                else:
                    first = True
                    for k, val in v.items():
                        lead = "      - " if first else "        "
                        first = False
                        sval = (
                            ("true" if val else "false")
                            if isinstance(val, bool)
                            else yaml_scalar(val, "double" if " " in val else "plain")
                        )
                        out.append(f"{lead}{k}: {sval}")
        for section, names in (("secrets", self.secrets), ("configs", self.configs)):
            if names:
                out.append(f"    {section}:")
                out += [f"      - {n}" for n in names]
        return out


# `build:` as people write it, all naming docker/Dockerfile with the repo (or a folder of it)
# as context: the path kinds the rewrite must rebase, or leave alone (dockerfile is relative
# to the context, not to the compose file)
BUILDS: dict[str, list[str]] = {
    "map": ["    build:", "      context: .", "      dockerfile: docker/Dockerfile"],
    "short": ["    build: ."],
    "folder": ["    build: ./docker"],  # Dockerfile is the default name inside the context
    "ctx-docker": ["    build:", "      context: docker", "      dockerfile: Dockerfile"],
    "ctx-src": ["    build:", "      context: ./src", "      dockerfile: ../docker/Dockerfile"],
    "no-ctx": ["    build:", "      dockerfile: docker/Dockerfile"],  # context defaults to `.`
    "var": ["    build:", "      context: ${CTX_DIR:-.}", "      dockerfile: docker/Dockerfile"],
}


@dataclass
class Repo:
    services: list[Service]
    env_lines: list[str]
    named_volumes: list[str] = field(default_factory=list)
    shared: list[EnvEntry] = field(default_factory=list)  # an anchored `x-env` block services reuse

    def compose_text(self) -> str:
        out = ["# generated legacy compose file"]
        if self.shared:
            out.append("x-env: &shared")
            out += ["  " + _env_line(e, "map") for e in self.shared]
        out.append("services:")
        for svc in self.services:
            out += svc.lines()
        if self.named_volumes:
            out.append("volumes:")
            out += [f"  {n}: {{}}" for n in self.named_volumes]
        return "\n".join(out) + "\n"

    def env_text(self) -> str:
        return "".join(line + "\n" for line in self.env_lines)


def _env_line(e: EnvEntry, form: str) -> str:
    if form == "map":
        if e.kind == "null":
            return f"{e.key}:"
        if e.kind == "str":
            return f"{e.key}: {yaml_scalar(e.value, e.style)}"
        return f"{e.key}: {e.value}"  # int / bool / float, written bare
    if e.kind == "pass":
        return f"- {e.key}"
    return f"- {yaml_scalar(f'{e.key}={e.value}', e.style)}"


_STYLE = st.sampled_from(["plain", "single", "double"])
_COMMENT = st.one_of(
    st.none(), st.sampled_from(["why this value", "TODO: move me", "keep: it's #1"])
)


@st.composite
def env_entry(draw: st.DrawFn, key: str, form: str) -> EnvEntry:
    comment = draw(_COMMENT)
    kinds = ["str"] * 6 + ["int", "bool", "float"] + (["null"] if form == "map" else ["pass"])
    kind = draw(st.sampled_from(kinds))
    if kind == "str":
        value = draw(
            st.one_of(interpolated, st.sampled_from(["", "same", "a b", "x#y", "it's", "$$HOME"]))
        )
        return EnvEntry(key, kind, value, draw(_STYLE), comment)
    if kind in ("int", "bool", "float"):
        value = draw(
            {
                "int": st.sampled_from(["0", "5432", "-1"]),
                "bool": st.sampled_from(["true", "false"]),
                "float": st.sampled_from(["1.5", "0.25"]),
            }[kind]
        )
        if form == "list":  # in the list form everything is a string
            return EnvEntry(key, "str", value, draw(_STYLE), comment)
        return EnvEntry(key, kind, value, "plain", comment)
    return EnvEntry(key, kind, comment=comment)


@st.composite
def volume(draw: st.DrawFn, target: str) -> str | dict[str, str | bool]:
    src = draw(
        st.sampled_from(
            [f"./{d}" for d in DIRS]
            + [f"./{f}" for f in FILES]
            + [
                ".",
                "./src/sub",
                "src",
                "./${SRC_DIR:-src}",
                "${APP_DIR:-.}/cfg",
                "${APP_DIR:-./cfg}",
            ]
        )
    )
    kind = draw(st.sampled_from(["short", "short", "long", "named", "env"]))
    if kind == "named":
        return f"data:{target}"
    if kind == "env":
        return f"./{ENV_NAME}:{target}/.env:ro"
    if (
        src == "src"
    ):  # a bare name is a named volume in the short syntax; only the long one binds it
        src = "./src"
    if kind == "short":
        mode = draw(st.sampled_from(["", ":ro", ":rw"]))
        return f"{src}:{target}{mode}"
    out: dict[str, str | bool] = {"type": "bind", "source": src, "target": target}
    if draw(st.booleans()):
        out["read_only"] = True
    return out


@st.composite
def service(draw: st.DrawFn, name: str) -> Service:
    form = draw(st.sampled_from(["map", "map", "map", "list", "list", "none"]))
    keys = draw(st.lists(st.sampled_from(KEYS), unique=True, min_size=1, max_size=4))
    env = [draw(env_entry(k, form)) for k in keys]
    n_vol = draw(st.integers(0, 3))
    vols = [draw(volume(f"/app/v{i}")) for i in range(n_vol)]
    build = draw(st.sampled_from([None, None, "map", "short"]))
    env_file = draw(st.sampled_from([None] * 6 + ["str", "list", "long"]))
    tag = (
        None
        if build
        else draw(
            st.one_of(st.none(), st.sampled_from(["${A:-1}", "${K1:-latest}", "$PORT", "v2"]))
        )
    )
    return Service(name, build, form, env, vols, tag, env_file)


def _env_value(draw: st.DrawFn, earlier: list[str]) -> str:
    """One env-file value spelling: plain, single- or double-quoted, maybe interpolating."""
    style = draw(st.sampled_from(["plain", "plain", "single", "double", "empty"]))
    # mostly keys defined above; sometimes one defined below, or only by a service (Compose
    # resolves those differently for --env-file and for env_file)
    later = sorted(set(ENV_KEYS + KEYS) - set(earlier))
    refs = st.one_of(
        st.sampled_from(
            [f"${{{k}}}" for k in earlier]
            + [f"${{{k}:-dflt}}" for k in earlier]
            + [f"${k}" for k in earlier]
            + ["${NOPE:-d f}", "${Z9-}", "$$"]
        ),
        st.sampled_from([f"${{{k}}}" for k in later] + [f"${{{k}-d}}" for k in later]),
    )
    words = st.sampled_from(["x", "y1", "a b", "p@ss", "v-1", "u/r", ":", "a#b", "C:\\d"])
    if style == "empty":
        return draw(st.sampled_from(["", '""', "''"]))
    if style == "plain":
        parts = draw(
            st.lists(st.one_of(words.filter(lambda w: " " not in w), refs), min_size=1, max_size=3)
        )
        tail = draw(st.sampled_from(["", " # comment", "  "]))
        return "".join(parts) + tail
    if style == "single":
        extra = st.sampled_from(["$X", "${A}", "#", '"', " ", "\\\\", "\\'", "\\n"])
        body = draw(st.lists(st.one_of(words, extra), min_size=1, max_size=3))
        return "'" + "".join(body) + "'"
    extra = st.sampled_from(["'", "#", " ", '\\"', "\\\\", "\\$", "\\'", "\\t", "\\n"])
    body = draw(st.lists(st.one_of(words, refs, extra), min_size=1, max_size=3))
    tail = draw(st.sampled_from(["", " # comment"]))
    return '"' + "".join(body) + '"' + tail


@st.composite
def env_file_lines(draw: st.DrawFn) -> list[str]:
    lines = ["# local settings"]
    lines += draw(
        st.lists(
            st.sampled_from(["SRC_DIR=src", "SRC_DIR=./cfg", "APP_DIR=.", "APP_DIR=./src"]),
            unique_by=lambda line: line.split("=")[0],
            max_size=2,
        )
    )
    earlier: list[str] = []
    for key in draw(st.lists(st.sampled_from(ENV_KEYS), unique=True, max_size=5)):
        if draw(st.integers(0, 4)) == 0:
            lines.append(draw(st.sampled_from(["", "# a comment", "  # indented comment"])))
        prefix = draw(st.sampled_from(["", "", "", "export "]))
        lines.append(f"{prefix}{key}={_env_value(draw, earlier)}")
        earlier.append(key)
    return lines


@st.composite
def repos(draw: st.DrawFn) -> Repo:
    n = draw(st.integers(1, 3))
    services = [draw(service(f"s{i}")) for i in range(n)]
    # several services setting the same key to the same value is the interesting case for
    # the shared env file: copy some entries across
    if n > 1 and draw(st.booleans()):
        src = services[0]
        for other in services[1:]:
            if src.env and other.env_form == src.env_form and draw(st.booleans()):
                e = draw(st.sampled_from(src.env))
                if all(x.key != e.key for x in other.env):
                    other.env.append(
                        EnvEntry(
                            e.key, e.kind, e.value, draw(_STYLE) if e.kind == "str" else e.style
                        )
                    )
    named = (
        ["data"]
        if any(isinstance(v, str) and v.startswith("data:") for s in services for v in s.volumes)
        else []
    )
    shared: list[EnvEntry] = []
    if draw(st.integers(0, 5)) == 0:  # YAML anchors: one block of values shared by services
        keys = draw(st.lists(st.sampled_from(KEYS), unique=True, min_size=1, max_size=2))
        shared = [draw(env_entry(k, "map")) for k in keys]
        for e in shared:
            e.comment = None
        for s in services:
            if s.env_form == "map" and draw(st.booleans()):
                s.env_form = draw(st.sampled_from(["merge", "alias"]))
                s.env = [e for e in s.env if e.key not in keys]
    return Repo(services, draw(env_file_lines()), named, shared)


# --- the repo on disk -------------------------------------------------------------------


def write_repo(root: Path, repo: Repo) -> None:
    root.mkdir(parents=True)
    (root / COMPOSE_NAME).write_text(repo.compose_text())
    (root / ENV_NAME).write_text(repo.env_text())
    (root / "Makefile").write_text(
        f"up:\n\tdocker compose -f {COMPOSE_NAME} --env-file {ENV_NAME} up\n"
    )
    (root / "pyproject.toml").write_text('[project]\nname = "demo"\nversion = "0.1.0"\n')
    (root / "docker").mkdir()
    (root / "docker" / "Dockerfile").write_text("FROM python:3.11-slim\nWORKDIR /app\n")
    for d in DIRS:
        (root / d).mkdir()
        (root / d / ".keep").write_text("")
    (root / "src" / "sub").mkdir()
    for f in FILES:
        (root / f).write_text("[app]\n")


def svc(
    name: str,
    env: dict[str, str] | None = None,
    *,
    volumes: tuple[str, ...] = (),
    env_file: str | None = None,
    image_tag: str | None = None,
) -> Service:
    """A hand-written service for regression examples: `environment:` as a mapping, double-quoted;
    built from the repo (the app, whose values move into the env file) unless an image tag
    makes it someone else's image (which keeps its environment and gets no env_file)."""
    entries = [EnvEntry(k, "str", v, "double") for k, v in (env or {}).items()]
    build = None if image_tag is not None else "map"
    return Service(
        name, build, "map" if entries else "none", entries, list(volumes), image_tag, env_file
    )


# --- layouts: several compose files, include:, the default .env, secrets, configs, builds ---
#
# The repos above have one compose file run with `--env-file`. Real ones also merge a base
# file with overrides (`-f a -f b`, where every relative path is relative to the *first*
# file's folder and later files override earlier ones key by key), rely on Compose reading
# the project folder's `.env` when no `--env-file` is given, include other files, and name
# files in secrets, configs, builds and env_file lists. A `Layout` is such a repo.

DEFAULT_ENV = ".env"  # read by Compose, for interpolation only, when no --env-file is given
EXTRA_ENV = ".env.extra"  # another env file at the root: the wizard moves it into env/ too
SUB_ENV = "config/app.env"  # an env file in a folder: it stays where it is
# files secrets and configs name: plain, in a folder, an env file that moves, a variable
SECRET_FILES = ("./secret.txt", "secrets/db.txt", "./app.ini", f"./{ENV_NAME}")
CONFIG_FILES = ("cfg/app.conf", "./app.ini", "${CFG_DIR:-./cfg}/app.conf")
LAYOUT_ENV_KEYS = (
    "SRC_DIR=src",
    "SRC_DIR=./cfg",
    "APP_DIR=./src",
    "CTX_DIR=./docker",
    "CFG_DIR=cfg",
)


@dataclass
class ComposeDoc:
    """One compose file: services plus the top-level sections that name files."""

    path: str
    services: list[Service]
    name: str | None = None  # top-level `name:`
    include: list[str] = field(default_factory=list)  # top-level include entries (YAML lines)
    secrets: dict[str, str] = field(default_factory=dict)  # secret name -> file as written
    configs: dict[str, str] = field(default_factory=dict)
    named_volumes: list[str] = field(default_factory=list)

    def text(self) -> str:
        out = [f"# {self.path}"]
        if self.name:
            out.append(f"name: {self.name}")
        if self.include:
            out.append("include:")
            out += ["  " + line for line in self.include]
        out.append("services:")
        for s in self.services:
            out += s.lines()
        for section, files in (("secrets", self.secrets), ("configs", self.configs)):
            if files:
                out.append(f"{section}:")
                for n, f in files.items():
                    out += [f"  {n}:", f"    file: {yaml_scalar(f, 'plain')}"]
        if self.named_volumes:
            out.append("volumes:")
            out += [f"  {n}: {{}}" for n in self.named_volumes]
        return "\n".join(out) + "\n"


SPELLINGS = ("-f", "--file", "--file=", "-f=", "-fx", "COMPOSE_FILE")


@dataclass
class Command:
    """One Makefile recipe: `docker compose -f ... [--env-file ...] up`."""

    files: list[str]
    env_file: str | None  # None: Compose reads the project folder's .env, if there is one
    via_variable: bool = False  # `COMPOSE_N := docker compose ...` then `$(COMPOSE_N) up`
    # how the files are named: `-f x`, `--file x`, `--file=x`, `-f=x`, `-fx`, or a
    # `COMPOSE_FILE=a:b` prefix on the recipe line (all the same to Compose)
    spelling: str = "-f"


@dataclass
class Layout:
    docs: list[ComposeDoc]
    env_files: dict[str, list[str]]  # repo path -> lines
    commands: list[Command]
    # files that are not compose files the wizard detects: included ones, in a folder
    extra_docs: list[ComposeDoc] = field(default_factory=list)

    def makefile_text(self) -> str:
        out: list[str] = []
        for i, c in enumerate(self.commands):
            form = {
                "-f": " -f {}",
                "--file": " --file {}",
                "--file=": " --file={}",
                "-f=": " -f={}",
                "-fx": " -f{}",
                "COMPOSE_FILE": "",
            }[c.spelling]
            args = "".join(form.format(f) for f in c.files)
            prefix = f"COMPOSE_FILE={':'.join(c.files)} " if c.spelling == "COMPOSE_FILE" else ""
            if c.env_file:
                args += f" --env-file {c.env_file}"
            if c.via_variable:
                out += [
                    f"COMPOSE_{i} := docker compose{args}",
                    f"up{i}:",
                    f"\t{prefix}$(COMPOSE_{i}) up",
                ]
            else:
                out += [f"up{i}:", f"\t{prefix}docker compose{args} up"]
        return "\n".join(out) + "\n"

    def describe(self) -> str:
        parts = [f"--- {d.path}\n{d.text()}" for d in self.docs + self.extra_docs]
        parts += [
            f"--- {p}\n" + "".join(line + "\n" for line in ls) for p, ls in self.env_files.items()
        ]
        return "".join(parts) + f"--- Makefile\n{self.makefile_text()}"


def write_layout(root: Path, layout: Layout) -> None:
    root.mkdir(parents=True)
    for d in layout.docs + layout.extra_docs:
        (root / d.path).parent.mkdir(parents=True, exist_ok=True)
        (root / d.path).write_text(d.text())
    for p, lines in layout.env_files.items():
        (root / p).parent.mkdir(parents=True, exist_ok=True)
        (root / p).write_text("".join(line + "\n" for line in lines))
    (root / "Makefile").write_text(layout.makefile_text())
    (root / "pyproject.toml").write_text('[project]\nname = "demo"\nversion = "0.1.0"\n')
    (root / "docker").mkdir()
    (root / "docker" / "Dockerfile").write_text("FROM python:3.11-slim\nWORKDIR /app\n")
    for d in DIRS:
        (root / d).mkdir()
        (root / d / ".keep").write_text("")
    (root / "src" / "sub").mkdir()
    for f in FILES:
        (root / f).write_text("[app]\n")
    (root / "secret.txt").write_text("s3cret\n")
    (root / "secrets").mkdir()
    (root / "secrets" / "db.txt").write_text("db\n")
    (root / "cfg" / "app.conf").write_text("[cfg]\n")
    (root / "infra").mkdir(exist_ok=True)


@st.composite
def layout_service(
    draw: st.DrawFn, name: str, env_files: set[str], partial: bool = False
) -> Service:
    """A service of a layout: the single-file generator's, plus richer builds and env_file lists."""
    s = draw(service(name))
    if partial:
        s.partial, s.build, s.image_tag = True, None, None
    elif s.build is not None or draw(st.integers(0, 3)) == 0:
        s.build, s.image_tag = draw(st.sampled_from(sorted(BUILDS))), None
    if ENV_NAME not in env_files:  # nothing to read: a missing required env_file is an error
        s.env_file = None
        s.volumes = [v for v in s.volumes if ENV_NAME not in str(v)]
    if s.env_file is None and draw(st.integers(0, 2)) == 0:
        choices: list[tuple[str, bool | None]] = [
            (f"./{EXTRA_ENV}", None),
            (SUB_ENV, None),
            ("./.env.optional", False),  # a missing optional file
            (f"./{EXTRA_ENV}", True),
        ]
        if ENV_NAME in env_files:
            choices.append((ENV_NAME, None))
        s.env_files = draw(st.lists(st.sampled_from(choices), min_size=1, max_size=2, unique=True))
    return s


@st.composite
def layouts(draw: st.DrawFn) -> Layout:
    """A base compose file, maybe overrides merged into it or a file it includes, run by
    Makefile commands with or without --env-file."""
    # include: is refused whatever else the file holds: a few examples are enough
    kind = draw(st.sampled_from(["overrides"] * 5 + ["single"] * 2 + ["include"]))
    # which env files exist: the shared .env.dev, the default .env, or both
    env_choice = draw(st.sampled_from(["dev", "dev", "default", "both"]))
    env_files: dict[str, list[str]] = {}

    def env_lines() -> list[str]:
        lines = draw(env_file_lines())
        extra = draw(
            st.lists(
                st.sampled_from(LAYOUT_ENV_KEYS),
                max_size=2,
                unique_by=lambda line: line.split("=")[0],
            )
        )
        have = {line.split("=")[0] for line in lines}
        return lines + [x for x in extra if x.split("=")[0] not in have]

    if env_choice in ("dev", "both"):
        env_files[ENV_NAME] = env_lines()
    if env_choice == "both" and draw(st.booleans()):
        # the usual reason both exist: .env is .env.dev plus or minus a line or two
        lines = list(env_files[ENV_NAME])
        env_files[DEFAULT_ENV] = draw(st.sampled_from([lines, [*lines, "SUB2=1"], lines[:-1]]))
    elif env_choice in ("default", "both"):
        env_files[DEFAULT_ENV] = env_lines()
    env_files[EXTRA_ENV] = draw(env_file_lines())
    env_files[SUB_ENV] = ["# read through env_file, never moved", "SUB=1"]
    names = set(env_files)

    base_name = draw(st.sampled_from(["docker-compose.yml", "compose.yaml", COMPOSE_NAME]))
    n = draw(st.integers(1, 3))
    services = [draw(layout_service(f"s{i}", names)) for i in range(n)]
    base = ComposeDoc(base_name, services)
    if draw(st.integers(0, 3)) == 0:
        base.name = "legacyapp"
    docs = [base]
    if kind == "overrides":
        over_names = [
            x
            for x in ("docker-compose.override.yml", "docker-compose.local.yml", COMPOSE_NAME)
            if x != base_name
        ]
        for path in draw(
            st.lists(st.sampled_from(over_names), min_size=1, max_size=2, unique=True)
        ):
            picked = draw(
                st.lists(st.sampled_from([s.name for s in services]), unique=True, max_size=n)
            )
            over = [draw(layout_service(nm, names, partial=True)) for nm in picked]
            if draw(st.booleans()):  # a service only the override defines
                over.append(draw(layout_service(f"o{len(docs)}", names)))
            if not over:
                over = [draw(layout_service(services[0].name, names, partial=True))]
            docs.append(ComposeDoc(path, over))
    extra: list[ComposeDoc] = []
    if kind == "include":
        inc = ComposeDoc(
            draw(st.sampled_from(["infra/db.yml", "docker-compose.db.yml"])),
            [
                Service(
                    "db",
                    None,
                    "map",
                    [EnvEntry("DB", "str", "${A:-none}")],
                    ["./data dir:/d"],
                    None,
                )
            ],
        )
        if inc.path.startswith("infra/"):
            inc.services[0].volumes = ["./:/d"]
        entry = draw(st.sampled_from(["short", "long"]))
        base.include = [f"- {inc.path}"] if entry == "short" else [f"- path: ./{inc.path}"]
        (extra if "/" in inc.path else docs).append(inc)
    # secrets and configs the services use, named by file
    for section, files in (("secrets", SECRET_FILES), ("configs", CONFIG_FILES)):
        if draw(st.integers(0, 2)) == 0:
            chosen = draw(st.lists(st.sampled_from(files), min_size=1, max_size=2, unique=True))
            if ENV_NAME not in names:
                chosen = [f for f in chosen if ENV_NAME not in f] or [files[0]]
            table = {f"{section[:3]}{i}": f for i, f in enumerate(chosen)}
            # defined in one file, used by services of that file or of files merged after it
            # (a command that runs the base alone must not see a name only an override defines)
            at = draw(st.integers(0, len(docs) - 1))
            getattr(docs[at], section).update(table)
            users = [s for d in docs[at:] for s in d.services]
            for s in draw(st.lists(st.sampled_from(users), min_size=1, unique_by=lambda s: id(s))):
                getattr(s, section).extend(table)
    for d in docs:
        d.named_volumes = (
            ["data"]
            if any(
                isinstance(v, str) and v.startswith("data:") for s in d.services for v in s.volumes
            )
            else []
        )
    # the Makefile: every file merged in order; sometimes the base alone as well
    # without --env-file Compose reads .env (or nothing: a case left out on purpose, as the
    # wizard then reads .env.<env> by the name's convention, which Compose never did)
    env_arg = {"dev": ENV_NAME, "default": None, "both": draw(st.sampled_from([ENV_NAME, None]))}[
        env_choice
    ]
    files = [d.path for d in docs if d.path != "docker-compose.db.yml"]
    spelling = draw(st.sampled_from(SPELLINGS))
    via = draw(st.booleans()) and spelling != "COMPOSE_FILE"
    commands = [Command(files, env_arg, via, spelling)]
    if len(files) > 1 and draw(st.booleans()):
        commands.append(Command(files[:1], env_arg, False, draw(st.sampled_from(SPELLINGS))))
    return Layout(docs, env_files, commands, extra)
