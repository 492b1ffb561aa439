"""Property: a generated multi-file layout means the same to Compose after migration.

test_property_compose.py checks one compose file run with `--env-file`. Here Hypothesis
generates the layouts around it (compose_strategies.layouts): a base file merged with
overrides by `-f a -f b` (relative paths in every file are relative to the first file's
folder, later files override earlier ones), a project-folder `.env` that Compose reads
when the command gives no `--env-file`, top-level `include:`, secrets and configs read
from files, builds with their own contexts, and env_file lists naming env files that move
into env/ and ones that stay.

The oracle is the official Compose v2 binary, run with exactly the arguments of each
Makefile recipe before migration and of the same recipe after it (the wizard rewrites the
Makefile too): it must accept both, and per service give the same value for every key the
service had, keep every bind-mount source, build context and Dockerfile, and resolve the
top-level secrets, configs, volumes and the project name to the same (absolute) things.
A layout the wizard cannot migrate must be refused with one line naming the file, before
anything is written.

Examples per run: CI_EXAMPLES (about 30 s on two cores, regression examples included; with
test_property_compose.py about 70 s); DASHTAM_WIZARD_HYPOTHESIS_EXAMPLES sets it, as for the
other property module (500 takes about 5 minutes). The counts checked, by kind, are printed
in the "dashtam-wizard figures" section at the end of the run.
"""

from __future__ import annotations

import difflib
import itertools
import json
import os
import re
import shlex
import shutil
import subprocess
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, example, given, reject, settings

from dashtam_wizard.core.errors import BadInput
from dashtam_wizard.core.planner import build_plan

from .compose_strategies import (
    DEFAULT_ENV,
    ENV_NAME,
    EXTRA_ENV,
    SPELLINGS,
    Command,
    ComposeDoc,
    EnvEntry,
    Layout,
    Service,
    layouts,
    svc,
    write_layout,
)
from .conftest import COMPOSE, manifest, run_cli
from .figures import record
from .test_property_compose import _is_env_mount, migrate

CI_EXAMPLES = 40
PROFILE = settings(
    max_examples=int(os.environ.get("DASHTAM_WIZARD_HYPOTHESIS_EXAMPLES", CI_EXAMPLES)),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

CHECKED: Counter[str] = Counter()
_counter = itertools.count()
_MAKE_VAR = re.compile(r"^([A-Z_0-9]+) := (.*)$")


def recipes(makefile: str) -> list[list[str]]:
    """The Compose arguments of each recipe line (`$(VAR)` expanded, the final verb dropped):
    what `make` would run, read without the engine's own Makefile parser."""
    variables: dict[str, str] = {}
    out: list[list[str]] = []
    for line in makefile.splitlines():
        if m := _MAKE_VAR.match(line):
            variables[m.group(1)] = m.group(2)
        elif line.startswith("\t"):
            words = shlex.split(re.sub(r"\$\((\w+)\)", lambda m: variables[m.group(1)], line[1:]))
            env = {}
            while words and re.fullmatch(r"[A-Z_]+=.*", words[0]):
                key, _, value = words.pop(0).partition("=")
                env[key] = value
            assert words[:2] == ["docker", "compose"] and words[-1] == "up", line
            out.append(_canonical(words[2:-1], env))
    return out


def _canonical(words: list[str], env: dict[str, str]) -> list[str]:
    """`--file x`, `--file=x`, `-f=x`, `-fx` and a COMPOSE_FILE prefix as `-f x` (the same
    to Compose, which the oracle runs), `--env-file=x` as `--env-file x`."""
    args: list[str] = []
    it = iter(words)
    for w in it:
        if w in ("-f", "--file"):
            args += ["-f", next(it)]
        elif w.startswith(("--file=", "-f=")):
            args += ["-f", w.split("=", 1)[1]]
        elif w.startswith("-f") and len(w) > 2:
            args += ["-f", w[2:]]
        elif w.startswith("--env-file="):
            args += ["--env-file", w.split("=", 1)[1]]
        else:
            args.append(w)
    if "-f" not in args and env.get("COMPOSE_FILE"):
        args = [a for f in env["COMPOSE_FILE"].split(":") for a in ("-f", f)] + args
    return args


def _compose(root: Path, args: list[str]) -> subprocess.Popen[str]:
    """`docker-compose ARGS config` in a clean environment: only the repo feeds interpolation."""
    return subprocess.Popen(
        [str(COMPOSE), *args, "config", "--format", "json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=root,
        env={"PATH": os.environ["PATH"], "HOME": str(root)},
    )


def _result(proc: subprocess.Popen[str], root: Path) -> tuple[dict | None, str]:
    """Compose's resolved config with the repo's path spelled `<repo>`, or None and why not."""
    out, err = proc.communicate(timeout=60)
    if proc.returncode != 0 or not out.strip():  # 2.40 exits 0 on some errors, printing nothing
        return None, err
    return json.loads(out.replace(json.dumps(str(root))[1:-1], "<repo>")), ""


def assert_same(before: dict, after: dict, context: str) -> None:
    """What a container and the project get is unchanged; only new env_file keys and the
    removed `.env` mounts (replaced by env_file) may differ."""
    assert after.get("name") == before.get("name"), f"project name changed\n{context}"
    assert after["services"].keys() == before["services"].keys(), context
    for name, b in before["services"].items():
        a = after["services"][name]
        env_b = b.get("environment") or {}
        env_a = a.get("environment") or {}
        seen = {k: env_a.get(k, "<unset>") for k in env_b}
        assert seen == env_b, f"{name}: environment changed\n{_diff(env_b, seen)}{context}"
        vols_a = a.get("volumes", [])
        for v in b.get("volumes", []):
            if not _is_env_mount(v):
                assert v in vols_a, f"{name}: mount {v} changed\n{context}"
        # build context and Dockerfile, secrets, configs, image, ...: exactly as before
        rest_b = {k: v for k, v in b.items() if k not in ("environment", "volumes")}
        rest_a = {k: v for k, v in a.items() if k not in ("environment", "volumes")}
        assert rest_a == rest_b, (
            f"{name}: resolved config changed\n{_diff(rest_b, rest_a)}{context}"
        )
    # top-level secrets and configs: the file each resolves to (absolute) is the same one, or
    # where the wizard moved it (a root .env.<env> into env/)
    for section in ("volumes", "networks", "secrets", "configs"):
        want = {
            n: {**v, "file": _moved(v["file"])} if isinstance(v, dict) and "file" in v else v
            for n, v in (before.get(section) or {}).items()
        }
        assert (after.get(section) or {}) == want, (
            f"{section} changed\n{_diff(want, after.get(section))}{context}"
        )


_ROOT_ENV = re.compile(r"^<repo>/(\.env\.[A-Za-z0-9_-]+)$")


def _moved(path: str) -> str:
    """Where the wizard puts a file Compose resolved to `path`: root .env.<env> files go to env/."""
    m = _ROOT_ENV.match(path)
    return f"<repo>/env/{m.group(1)}" if m and not path.endswith(".example") else path


def _diff(before: object, after: object) -> str:
    a = json.dumps(before, indent=1, sort_keys=True).splitlines()
    b = json.dumps(after, indent=1, sort_keys=True).splitlines()
    return "\n".join(difflib.unified_diff(a, b, "before", "after", lineterm="", n=1)) + "\n"


# what a layout exercises, as counted in the figures (and `--hypothesis-show-statistics`)
KINDS = (
    "several -f files merged",
    "no --env-file (project .env)",
    "secrets from files",
    "configs from files",
    "builds",
    "env_file lists",
    "top-level name",
)


def _kinds(layout: Layout) -> list[str]:
    docs = layout.docs + layout.extra_docs
    services = [s for d in docs for s in d.services]
    present = (
        any(len(c.files) > 1 for c in layout.commands),
        any(c.env_file is None for c in layout.commands) and DEFAULT_ENV in layout.env_files,
        any(d.secrets for d in docs),
        any(d.configs for d in docs),
        any(s.build for s in services),
        any(s.env_files for s in services),
        any(d.name for d in docs),
    )
    kinds = [k for k, p in zip(KINDS, present, strict=True) if p]
    return kinds + (["include:"] if any(d.include for d in docs) else [])


def check_layout(base: Path, layout: Layout) -> None:
    n = next(_counter)
    # two identical copies (same folder name, so the same default project name)
    old, root = base / f"l{n}a" / "proj", base / f"l{n}b" / "proj"
    write_layout(old, layout)
    write_layout(root, layout)
    context = layout.describe()
    try:
        before_args = recipes(layout.makefile_text())
        pending = [_compose(old, args) for args in before_args]
        untouched = manifest(root)
        refused: BadInput | None = None
        warnings: list[str] = []
        try:
            warnings = migrate(root)
        except BadInput as exc:  # judged once we know Compose accepts the input
            refused = exc
        before = [_result(p, old) for p in pending]
        if any(cfg is None for cfg, _ in before):
            CHECKED["rejected"] += 1
            reject()  # not valid for Compose to begin with: nothing to preserve
        if refused is not None:
            why = _check_refusal(layout, refused, old, context)
            assert manifest(root) == untouched, f"refused, yet wrote files\n{context}"
            CHECKED[f"refused: {why}"] += 1
            return
        assert not any(d.include for d in layout.docs), f"include: was not refused\n{context}"
        makefile = (root / "Makefile").read_text()
        after_args = recipes(makefile)
        assert len(after_args) == len(before_args), f"recipes lost\n{makefile}\n{context}"
        migrated = "".join(
            f"--- {p.relative_to(root)} (migrated)\n{p.read_text()}"
            for p in sorted([*root.glob("compose/*.y*ml"), *root.glob("env/.env*")])
        )
        context += f"{migrated}--- Makefile (migrated)\n{makefile}"
        running = [_compose(root, args) for args in after_args]
        for args_b, args_a, (cfg_b, _), proc in zip(
            before_args, after_args, before, running, strict=True
        ):
            cfg_a, err = _result(proc, root)
            what = f"`{' '.join(args_b)}` -> `{' '.join(args_a)}`\n{context}"
            assert cfg_a is not None, f"docker compose rejected the migrated files: {err}\n{what}"
            assert cfg_b is not None
            assert_same(cfg_b, cfg_a, what)
        # no --env-file before: the recipe must name one now (compose/ has no .env to read)
        for args in after_args:
            assert "--env-file" in args, f"{args}: interpolation would read compose/.env\n{context}"
        # files merged by one command share the env file it reads: no env file of their own
        named = {
            args[i + 1] for args in after_args for i, a in enumerate(args) if a == "--env-file"
        }
        created = {
            f"env/{p.name}" for p in root.glob("env/.env*") if p.name not in layout.env_files
        }
        assert created <= named, f"env files no command reads: {created - named}\n{context}"
        alarms = [w for w in warnings if "would see a different" in w or "would change source" in w]
        assert not alarms, f"{alarms}\n{context}"
        again = [c.id for c in build_plan(root).changes() if c.default]
        assert not again, f"not idempotent: {again}\n{context}"
        CHECKED["examples"] += 1
        CHECKED["invocations"] += len(before_args)
        CHECKED.update(_kinds(layout))  # of layouts that passed, not of those shrunk through
        CHECKED.update(f"spelled {c.spelling}" for c in layout.commands)
    finally:
        shutil.rmtree(old.parent, ignore_errors=True)
        shutil.rmtree(root.parent, ignore_errors=True)


def _check_refusal(layout: Layout, exc: BadInput, old: Path, context: str) -> str:
    """A refusal is one line naming the file at fault, and only for what the wizard cannot do:
    `include:`, or a command that read .env (no --env-file) where the env file it will read
    after migration sets a variable differently. That claim is checked with Compose itself."""
    line = exc.one_line()
    assert "\n" not in line, line
    including = [d.path for d in layout.docs if d.include]
    if including:
        assert exc.path in including and "include" in exc.message, f"{line}\n{context}"
        return "include"
    if "Spell them the same way" in exc.message:
        assert _spelled_twice(layout), f"{line}\n{context}"
        return "env file spelled two ways"
    implicit = any(c.env_file is None for c in layout.commands)
    both = DEFAULT_ENV in layout.env_files and ENV_NAME in layout.env_files
    assert implicit and both, f"refused a layout it should migrate: {line}\n{context}"
    assert exc.path == "Makefile" and "--env-file" in exc.message, f"{line}\n{context}"
    said = re.findall(
        r"(?:does not set|sets) ([A-Z0-9_, ]+?)(?: differently)?(?:[.;]|$)", exc.message
    )
    assert said, line
    names = [n for group in said for n in group.split(", ")]
    probe = {
        "services": {
            "p": {"image": "busybox", "environment": {v: f"${{{v}-<unset>}}" for v in names}}
        }
    }
    (old / "probe.json").write_text(json.dumps(probe))
    seen = [
        _result(_compose(old, ["-f", "probe.json", "--env-file", f]), old)[0]
        for f in (DEFAULT_ENV, ENV_NAME)
    ]
    assert seen[0] is not None and seen[1] is not None
    values = [cfg["services"]["p"].get("environment") for cfg in seen]
    assert values[0] != values[1], f"{line}: Compose reads {values[0]} from both\n{context}"
    return "implicit .env"


def _spellings(s: Service) -> list[str]:
    """The env_file paths of a service as written (see Service.lines)."""
    short = {"str": ENV_NAME, "list": f"./{ENV_NAME}", "long": f"./{ENV_NAME}"}
    return [short[s.env_file]] if s.env_file else [p for p, _ in s.env_files]


def _spelled_twice(layout: Layout) -> bool:
    """Some command merges files where one service names one env file in two spellings."""
    docs = {d.path: d for d in layout.docs}
    for c in layout.commands:
        per: dict[str, set[str]] = {}
        for f in c.files:
            for s in docs[f].services:
                per.setdefault(s.name, set()).update(_spellings(s))
        for spellings in per.values():
            if len({os.path.normpath(x) for x in spellings}) < len(spellings):
                return True
    return False


def _doc(
    path: str, *services: Service, name: str | None = None, include: tuple[str, ...] = ()
) -> ComposeDoc:
    return ComposeDoc(path, list(services), name=name, include=list(include))


def _partial(name: str, env: dict[str, str] | None = None, **kw: object) -> Service:
    """An override's fragment of a service (no image): `name:` alone when it sets nothing."""
    s = svc(name, env, **kw)  # type: ignore[arg-type]
    s.partial = True
    return s


def _with(s: Service, **fields: object) -> Service:
    for k, v in fields.items():
        setattr(s, k, v)
    return s


BASE, OVER, DEV = (
    "docker-compose.yml",
    "docker-compose.override.yml",
    ENV_NAME.replace(".env.", "docker-compose.") + ".yml",
)
ENV_DEV = {ENV_NAME: ["# local settings"]}


def _both(*files: str, env_file: str | None = ENV_NAME) -> list[Command]:
    return [Command(list(files), env_file)]


# Cases the oracle found, kept as explicit examples: every run checks them first. Each
# failed before its fix (dashtam_wizard/core/siblings.py unless said otherwise), but for the
# one marked as the check that a refusal is not too eager.
REGRESSIONS: list[Layout] = [
    # the base names the project; `name: proj` added to the override renamed the merged one
    Layout(
        [
            _doc(BASE, svc("s0", {"K1": "x"}), name="legacyapp"),
            _doc(OVER, _partial("s0", {"K2": "y"})),
        ],
        ENV_DEV,
        _both(BASE, OVER),
    ),
    # the override's K1 moved to the env file while the base's stayed in environment:, which
    # wins over env_file: the merged service saw the base's value
    Layout(
        [_doc(BASE, svc("s0", {"K1": "base"})), _doc(DEV, _partial("s0", {"K1": "dev"}))],
        ENV_DEV,
        _both(BASE, DEV),
    ),
    # docker-compose.override.yml got an env file of its own, env/.env.override (detect.py)
    Layout(
        [_doc("compose.yaml", svc("s0", {"K1": "a"})), _doc(OVER, _partial("s0", {"K2": "b"}))],
        ENV_DEV,
        _both("compose.yaml", OVER),
    ),
    # no --env-file: Compose read .env; env/.env.dev was created empty and the tag and the
    # mount source changed (p2_layout.py seeds it from .env)
    Layout(
        [
            _doc(
                "compose.yaml",
                svc("s0", image_tag="${TAG}", volumes=("${SRC_DIR:-./src}:/app/v0",)),
            )
        ],
        {DEFAULT_ENV: ["TAG=1.2", "SRC_DIR=./cfg"]},
        _both("compose.yaml", env_file=None),
    ),
    # no --env-file while .env and .env.dev disagree: the wizard read .env.dev, Compose .env
    # (detect.py); now refused, naming the Makefile
    Layout(
        [_doc("compose.yaml", svc("s0", {"K1": "${A}"}))],
        {DEFAULT_ENV: ["A=from-dotenv"], ENV_NAME: ["A=from-dev"]},
        _both("compose.yaml", env_file=None),
    ),
    # ... and with the same values in both, migrated (the refusal is only for a difference;
    # this one passed before too)
    Layout(
        [_doc("compose.yaml", svc("s0", {"K1": "${A}"}))],
        {DEFAULT_ENV: ["A=same"], ENV_NAME: ["A=same", "B=1"]},
        _both("compose.yaml", env_file=None),
    ),
    # env/.env.dev appended after the service's own env file overrode its APP_DIR
    # (compose.py set_env_file puts it first)
    Layout(
        [_doc("compose.yaml", _with(svc("s0", {"K1": "x"}), env_files=[(f"./{EXTRA_ENV}", None)]))],
        {ENV_NAME: ["APP_DIR=./src"], EXTRA_ENV: ["APP_DIR=."]},
        _both("compose.yaml"),
    ),
    # ... but a later merged file already reading .env.dev for s0 must keep it last
    Layout(
        [
            _doc(
                "compose.yaml", _with(svc("s0", {"K1": "x"}), env_files=[(f"./{EXTRA_ENV}", None)])
            ),
            _doc(DEV, _partial("s0", env_file="str")),
        ],
        {ENV_NAME: ["SRC_DIR=src"], EXTRA_ENV: ["SRC_DIR=./cfg"]},
        _both("compose.yaml", DEV),
    ),
    # A moved out of the base; the override's `- A` passes the project's A through
    Layout(
        [
            _doc(BASE, svc("s0", {"A": "x"})),
            _doc(OVER, Service("o1", None, "list", [EnvEntry("A", "pass")], [], None)),
        ],
        ENV_DEV,
        _both(BASE, OVER),
    ),
    # HOST moved out of the base; the override's image tag interpolates it
    Layout(
        [_doc(BASE, svc("s0", {"HOST": "h"})), _doc(OVER, svc("o1", image_tag="${HOST:-latest}"))],
        ENV_DEV,
        _both(BASE, OVER),
    ),
    # K2 moved out of the base; an env file the override's service reads interpolates it
    Layout(
        [
            _doc(BASE, svc("s0", {"K2": "0"})),
            _doc(OVER, _with(svc("o1", {"K1": "1"}), env_files=[(f"./{EXTRA_ENV}", None)])),
        ],
        {**ENV_DEV, EXTRA_ENV: ["B=${K2-d}"]},
        _both(BASE, OVER),
    ),
    # `s0:` alone in an override (null) was refused as "not a mapping" (p4_compose.py)
    Layout(
        [_doc("compose.yaml", svc("s0", {"K1": "x"})), _doc(OVER, _partial("s0"))],
        ENV_DEV,
        _both("compose.yaml", OVER),
    ),
    # s0 reads .env.dev as `./.env.dev` in the first file and `.env.dev` in the last: Compose
    # keeps both, the last wins over the override's env file; rewritten, the two collapse
    # into one `../env/.env.dev` and the override's would win: refused
    Layout(
        [
            _doc(DEV, _with(svc("s0", {"K1": "x"}), env_file="long")),
            _doc(OVER, _with(_partial("s0"), env_files=[(f"./{EXTRA_ENV}", None)])),
            _doc("docker-compose.local.yml", _partial("s0", env_file="str")),
        ],
        {ENV_NAME: ["SRC_DIR=src"], EXTRA_ENV: ["SRC_DIR=./cfg"]},
        _both(DEV, OVER, "docker-compose.local.yml"),
    ),
    # A held in the local file by the override's `${A+}`, which moved out as a literal: a
    # second plan moved A (p4_compose.py plans such files again with what they keep)
    Layout(
        [
            _doc(DEV, svc("s0")),
            _doc(
                OVER, _with(svc("o1", {"PORT": "${A+}", "K1": "false", "A": ""}), env_form="list")
            ),
            _doc("docker-compose.local.yml", svc("o2", {"PORT": "${A+}", "K2": "a b", "A": "a b"})),
        ],
        {DEFAULT_ENV: ["HOST=x"]},
        _both(DEV, OVER, "docker-compose.local.yml", env_file=None),
    ),
    # HOST stays in the override (the base's tag uses it), so A, which HOST's value uses, must
    # stay too: it moved, as the check for the file's own references ran before HOST was held
    Layout(
        [
            _doc(BASE, svc("s0", image_tag="${HOST:-1}")),
            _doc(OVER, svc("o1", {"HOST": "${A-}x", "A": "y"})),
        ],
        ENV_DEV,
        _both(BASE, OVER),
    ),
    # s2 reads .env.extra, then (from the override) .env.dev; K1 moved out of s0 into .env.dev
    # came after .env.extra's K1 in s2's merged list and won
    Layout(
        [
            _doc(
                DEV, svc("s0", {"K1": "0"}), _with(svc("s2"), env_files=[(f"./{EXTRA_ENV}", None)])
            ),
            _doc(OVER, _partial("s2", env_file="long")),
        ],
        {ENV_NAME: ["# local settings"], EXTRA_ENV: ["K1=y1"]},
        _both(DEV, OVER),
    ),
    # `K1:` with no value takes K1 from the project's variables: none before (.env lacks it),
    # env/.env.dev's after, as the added --env-file made it; now refused like a `${K1}` would be
    Layout(
        [
            _doc(
                BASE,
                Service("s0", "map", "map", [EnvEntry("K1", "null", None, "plain")], [], None),
                svc("s1", env_file="long"),
            )
        ],
        {DEFAULT_ENV: ["# local settings"], ENV_NAME: ["K1=x"]},
        _both(BASE, env_file=None),
    ),
    # an override adding env_file to the base's `image: busybox`: phase 4 judged the fragment
    # alone (no image) as the app's and gave it env/.env.dev, which then won over .env.extra
    Layout(
        [
            _doc(BASE, _with(svc("s0", {"K1": "0"}, image_tag="1"), env_files=[(EXTRA_ENV, None)])),
            _doc(OVER, _with(_partial("s0", {"K1": "0"}), env_files=[(EXTRA_ENV, None)])),
        ],
        {ENV_NAME: ["A=x", "K1=xxx"], EXTRA_ENV: ["A=", "B=x"]},
        _both(BASE, OVER),
    ),
    # s1's `HOST: ""` moved into env/.env.dev, the --env-file, where the database's `HOST:`
    # (no value: the project's HOST) then found it: null became ""
    Layout(
        [
            _doc(
                BASE,
                _with(svc("s0", image_tag="1"), env=[EnvEntry("HOST", "null")], env_form="map"),
                svc("s1", {"HOST": ""}),
            )
        ],
        ENV_DEV,
        _both(BASE),
    ),
    # a second plan of the migrated repo moved PORT after all: it judged s2's env file
    # (`B=xx${PORT-d}`) against env/.env.dev with PORT already appended (not idempotent)
    Layout(
        [_doc(BASE, svc("s1", {"PORT": "0.25"}), _with(svc("s2"), env_files=[(EXTRA_ENV, None)]))],
        {ENV_NAME: ["# local settings"], EXTRA_ENV: ["B=xx${PORT-d}"]},
        _both(BASE),
    ),
    # include: was migrated as if the included file did not exist; now refused (p4_compose.py)
    Layout(
        [_doc("compose.yaml", svc("s0", {"K1": "x"}), include=("- infra/db.yml",))],
        ENV_DEV,
        _both("compose.yaml"),
        [_doc("infra/db.yml", svc("db", volumes=("./:/d",)))],
    ),
]


@settings(PROFILE)
@given(layout=layouts())
def test_layout_migration_keeps_what_compose_resolves(base: Path, layout: Layout) -> None:
    for kind in _kinds(layout):
        event(kind)
    check_layout(base, layout)


for _layout in reversed(REGRESSIONS):
    test_layout_migration_keeps_what_compose_resolves = example(layout=_layout)(
        test_layout_migration_keeps_what_compose_resolves
    )


@pytest.fixture(scope="module", autouse=True)
def _report() -> Iterator[None]:
    """How many layouts ran, for the end-of-run "dashtam-wizard figures" (tests/figures.py)."""
    yield
    c = CHECKED
    if c["examples"] or c["refused: include"] or c["refused: implicit .env"]:
        kinds = ", ".join(f"{c[k]} {k}" for k in KINDS)
        record(
            "generated layouts checked (several -f files, include:, .env, secrets/configs/builds; "
            "oracle docker-compose)",
            f"{c['examples']} repos ({c['invocations']} Makefile invocations compared; {kinds}), "
            f"refused with one line: {c['refused: include']} using include:, {c['refused: implicit .env']} "
            f"reading a .env that disagrees with .env.dev, {c['refused: env file spelled two ways']} "
            f"merging one env file spelled two ways; {c['rejected']} more skipped, "
            f"invalid for Compose itself; {len(REGRESSIONS)} regression examples; files named by "
            + ", ".join(f"`{k}` {c['spelled ' + k]}" for k in SPELLINGS)
            + f"; max_examples={PROFILE.max_examples}",
        )


@pytest.mark.parametrize(
    ("layout", "names"),
    [
        (REGRESSIONS[-1], "compose.yaml:2: uses top-level `include:`"),
        (REGRESSIONS[4], "Makefile:2: runs Compose on compose.yaml without --env-file"),
    ],
    ids=["include", "implicit-env"],
)
def test_cli_refuses_with_one_line(tmp_path: Path, layout: Layout, names: str) -> None:
    """What a user sees for the two refusals: exit 2, one line naming file and line, and the
    repo untouched."""
    root = tmp_path / "proj"
    write_layout(root, layout)
    before = manifest(root)
    res = run_cli("apply", str(root), "--yes")
    assert res.returncode == 2, res.stdout + res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and names in lines[0], res.stderr
    assert manifest(root) == before
