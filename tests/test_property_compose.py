"""Property: a generated legacy compose file means the same to Compose after migration.

Hypothesis generates a small repo (compose file, env file, Makefile, bind-mounted folders;
see compose_strategies.py), the real engine migrates it (phases 1-7 in process, as
`apply --yes` does), and the official Compose v2 binary is the oracle: `docker-compose
config` must accept the file before and after, every service must see the same value for
every key it had (env_file adds the shared file's other keys, on purpose), the same
bind-mount sources and named volumes, and an otherwise identical resolved config. The
engine's own check must not warn, and a second plan must have nothing left to do. A second
property compares the engine's interpolation and env-file reading with Compose's directly.
Several compose files merged by `-f`, `include:`, the implicit `.env`, secrets, configs and
builds: test_property_layouts.py.

Examples per run: the `ci` profile runs CI_EXAMPLES per test (about 45 s for the file on
two cores); DASHTAM_WIZARD_HYPOTHESIS_EXAMPLES=500 runs more. How many were checked is
printed in the "dashtam-wizard figures" section at the end of the run.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, example, given, reject, settings
from hypothesis import strategies as st

from dashtam_wizard.apply import apply_changes
from dashtam_wizard.core import yamlio
from dashtam_wizard.core.envfile import parse_env
from dashtam_wizard.core.errors import BadInput
from dashtam_wizard.core.interpolate import InterpolationError, resolve
from dashtam_wizard.core.planner import build_plan
from dashtam_wizard.core.resolve.services import service_views

from .compose_strategies import (
    COMPOSE_NAME,
    ENV_KEYS,
    ENV_NAME,
    KEYS,
    EnvEntry,
    Repo,
    Service,
    env_file_lines,
    interpolated,
    interpolated_required,
    repos,
    svc,
    write_repo,
)
from .conftest import COMPOSE
from .figures import record

CI_EXAMPLES = 60
settings.register_profile(
    "ci",
    max_examples=int(os.environ.get("DASHTAM_WIZARD_HYPOTHESIS_EXAMPLES", CI_EXAMPLES)),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
PROFILE = settings.get_profile("ci")

CHECKED = {"examples": 0, "moved": 0, "rejected": 0, "value_sets": 0, "values": 0}
_counter = itertools.count()


def _compose(root: Path, compose_file: str, env_file: str) -> subprocess.Popen[str]:
    """`docker-compose config` in a clean environment: only the env file feeds interpolation."""
    return subprocess.Popen(
        [str(COMPOSE), "-f", compose_file, "--env-file", env_file, "config", "--format", "json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=root,
        env={"PATH": os.environ["PATH"], "HOME": str(root)},
    )


def _config(proc: subprocess.Popen[str], root: Path, what: str) -> dict:
    out, err = proc.communicate(timeout=60)
    # Compose 2.40 exits 0 on some interpolation errors, printing nothing: no output is a refusal too
    assert proc.returncode == 0 and out.strip(), f"docker compose rejected {what}:\n{err}"
    # the before and after copies live in different folders: compare paths relative to the repo
    return json.loads(out.replace(json.dumps(str(root))[1:-1], "<repo>"))


def _is_env_mount(vol: dict) -> bool:
    return vol.get("type") == "bind" and os.path.basename(vol.get("source", "")).startswith(".env")


def migrate(root: Path) -> list[str]:
    """What `dashtam-wizard apply ROOT --yes` does, in process; returns phase 4's warnings."""
    plan = build_plan(root)
    changes = [c for c in plan.changes() if c.default]
    apply_changes(root, changes, phases=[p.number for p in plan.phases])
    return [n.text for p in plan.phases if p.number == 4 for n in p.notes if n.level == "warn"]


def _events(repo: Repo) -> None:
    """What this example exercises (see `pytest --hypothesis-show-statistics`)."""
    text = repo.compose_text()
    for what, present in [
        ("environment as a list", any(s.env_form == "list" for s in repo.services)),
        ("YAML anchor / merge key", "*shared" in text),
        ("service already reads the env file", any(s.env_file for s in repo.services)),
        ("long volume syntax", "type: bind" in text),
        (
            "variable in a bind-mount path",
            any("$" in str(v) for s in repo.services for v in s.volumes),
        ),
        ("env file interpolates", "$" in repo.env_text()),
        ("several services", len(repo.services) > 1),
    ]:
        if present:
            event(what)


def check_repo(base: Path, repo: Repo, count: bool = True) -> None:
    n = next(_counter)
    # two identical copies (same folder name, so the same Compose project name): the oracle
    # reads the legacy one while the engine migrates the other
    old, root = base / f"r{n}a" / "proj", base / f"r{n}b" / "proj"
    write_repo(old, repo)
    write_repo(root, repo)
    context = f"compose file:\n{repo.compose_text()}\nenv file:\n{repo.env_text()}"
    try:
        pending = _compose(old, COMPOSE_NAME, ENV_NAME)
        failure: BaseException | None = None
        warnings: list[str] = []
        try:
            warnings = migrate(root)
        except Exception as exc:  # judged once we know Compose accepts the input
            failure = exc
        try:
            before = _config(pending, old, "the generated file")
        except AssertionError:
            CHECKED["rejected"] += 1
            reject()  # not a valid compose file to begin with: nothing to preserve
        if failure is not None:
            raise failure
        migrated = (root / "compose" / COMPOSE_NAME).read_text()
        env_after = (root / "env" / ENV_NAME).read_text()
        context += f"\nmigrated:\n{migrated}\nenv file after:\n{env_after}"
        after = _config(
            _compose(root, f"compose/{COMPOSE_NAME}", f"env/{ENV_NAME}"),
            root,
            f"the migrated file\n{context}",
        )

        assert after.get("name") == before.get("name"), context
        assert after["services"].keys() == before["services"].keys(), context
        for name, b in before["services"].items():
            a = after["services"][name]
            env_b = b.get("environment") or {}
            env_a = a.get("environment") or {}
            assert {k: env_a.get(k, "<unset>") for k in env_b} == env_b, (
                f"{name}: environment changed\n{context}"
            )
            # bind mounts keep their source, named volumes stay; only the .env mount may go
            vols_a = a.get("volumes", [])
            for v in b.get("volumes", []):
                if not _is_env_mount(v):
                    assert v in vols_a, f"{name}: mount {v} changed\n{context}"
            rest_b = {k: v for k, v in b.items() if k not in ("environment", "volumes")}
            rest_a = {k: v for k, v in a.items() if k not in ("environment", "volumes")}
            assert rest_a == rest_b, f"{name}: resolved config changed\n{context}"
        for section in ("volumes", "networks"):
            assert after.get(section) == before.get(section), f"{section} changed\n{context}"
        # YAML anchors and merge keys stay links, not inline copies
        assert migrated.count("*shared") == repo.compose_text().count("*shared"), context
        # the engine's own check (its model of Compose) agrees with Compose: no false alarm
        alarms = [w for w in warnings if "would see a different" in w or "would change source" in w]
        assert not alarms, f"{alarms}\n{context}"
        again = [c.id for c in build_plan(root).changes() if c.default]
        assert not again, f"not idempotent: {again}\n{context}"
    finally:
        shutil.rmtree(old.parent, ignore_errors=True)
        shutil.rmtree(root.parent, ignore_errors=True)
    if count:
        CHECKED["examples"] += 1
        CHECKED["moved"] += int("# Moved from" in env_after)


@pytest.fixture(scope="module")
def base() -> Path:
    # tmpfs when there is one: the apply journal fsyncs every step
    shm = Path("/dev/shm")
    path = Path(
        tempfile.mkdtemp(
            prefix="dw-prop-", dir=shm if shm.is_dir() and os.access(shm, os.W_OK) else None
        )
    )
    yield path
    shutil.rmtree(path, ignore_errors=True)


# Cases the oracle found, kept as explicit examples (each failed before its fix; see the
# engine's git history for the fix): every run checks them first.
REGRESSIONS = [
    # a `.env` mount next to a rebased one: the rewrite dropped both and crashed
    Repo(
        [svc("s0", volumes=("./src:/app/v0", f"./{ENV_NAME}:/app/v1/.env:ro"))],
        ["# local settings"],
    ),
    # HOST is used inside `${A+...}`, a branch an empty environment does not take: still a
    # reference, and K1 (which stays: two values) must not change when HOST moves
    Repo([svc("s0", {"HOST": "0", "K1": "0"}), svc("s1", {"K1": "${A+00${HOST:-}}"})], ["A=x"]),
    # a value ending in a backslash: `'a\'` is an unterminated quote for Compose
    Repo([svc("s0", {"K1": "a\\"})], ["# local settings"]),
    # single quotes keep `\\` for Compose (python-dotenv reads one backslash)
    Repo([svc("s0", {"K1": "${A}"})], ["A='C:\\\\dir'"]),
    # `\$` in double quotes is a literal `$` for Compose
    Repo([svc("s0", {"K1": "${A}"})], ['A="p\\$ss"']),
    # env_file interpolates against the project's variables first: K2, once moved, changes A
    Repo([svc("s0", {"A": "", "K2": "x"})], ["A=${K2}"]),
    # a service already reading the env file: moving PORT into it changes Z9 there
    Repo([svc("s0", {"PORT": "9"}), svc("s1", {"K1": "0"}, env_file="str")], ["Z9=${PORT}x"]),
    # compose-go's brace matching counts every `{`: the default is `x{y}z`
    Repo([svc("s0", {"K1": "${B:-x{y}z}"})], ["# local settings"]),
    # a path with a variable after `./` is still relative to the compose file
    Repo([svc("s0", volumes=("./${SRC_DIR:-src}:/app/v0",))], ["SRC_DIR=cfg"]),
    # ... and so is a variable that holds a relative path today
    Repo([svc("s0", volumes=("${APP_DIR:-./cfg}:/app/v0:ro",))], ["# local settings"]),
    # `<<: *shared` came out as an inline copy of the anchored block (a deep copy of the YAML)
    Repo(
        [Service("s0", None, "merge", [EnvEntry("K1", "str", "x")], [], None)],
        ["# local settings"],
        shared=[EnvEntry("A", "str", "1")],
    ),
]


@settings(PROFILE)
@given(repo=repos())
def test_migration_keeps_what_compose_resolves(base: Path, repo: Repo) -> None:
    _events(repo)
    check_repo(base, repo)


for _repo in reversed(REGRESSIONS):
    test_migration_keeps_what_compose_resolves = example(repo=_repo)(
        test_migration_keeps_what_compose_resolves
    )


@pytest.fixture(scope="module", autouse=True)
def _report() -> None:
    """How many examples ran, for the end-of-run "dashtam-wizard figures" (tests/figures.py)."""
    yield
    c = CHECKED
    if c["examples"]:
        record(
            "generated examples checked (compose migration, oracle docker-compose)",
            f"{c['examples']} repos, {len(REGRESSIONS)} of them regression examples ({c['moved']} moved "
            f"values into the env file; {c['rejected']} more skipped, invalid for Compose itself), "
            f"max_examples={PROFILE.max_examples}",
        )
    if c["value_sets"]:
        record(
            "generated examples checked (interpolation and env files, oracle docker-compose)",
            f"{c['value_sets']} sets ({c['values']} values), max_examples={PROFILE.max_examples}",
        )


def test_values_no_env_file_can_hold_stay_in_environment(base: Path) -> None:
    """A line break, a single quote next to a `$`, a final backslash: no env-file spelling that
    Compose and python-dotenv both read back exists, so those keys stay in `environment:`."""
    kept = {"K1": "it's $$5", "K2": "two\nlines", "K3": "C:\\dir\\"}
    repo = Repo([svc("s0", {**kept, "K4": "movable"})], ["# local settings"])
    check_repo(base, repo, count=False)  # Compose sees the same values after migration...
    root = base / "kept" / "proj"
    write_repo(root, repo)
    migrate(root)
    env = yamlio.load((root / "compose" / COMPOSE_NAME).read_text(), "c")["services"]["s0"][
        "environment"
    ]
    assert sorted(env) == sorted(kept)  # ... because they never left the compose file
    assert "K4=movable" in (root / "env" / ENV_NAME).read_text()
    assert not any(k in (root / "env" / ENV_NAME).read_text() for k in kept)


# --- the engine's model of interpolation and env files, value by value -------------------


def _config_of(root: Path, doc: dict) -> dict | None:
    """Compose's resolved config of `doc` (with root/.env), or None when Compose refuses it."""
    (root / "c.yml").write_text(json.dumps(doc))  # JSON is YAML
    out, _err = _compose(root, "c.yml", ".env").communicate(timeout=60)
    return json.loads(out.replace("$$", "$")) if out.strip() else None  # `config` doubles `$`


@settings(PROFILE)
@given(
    values=st.lists(st.one_of(interpolated, interpolated_required), min_size=1, max_size=12),
    env_lines=env_file_lines(),
    own=st.dictionaries(
        st.sampled_from(KEYS), st.sampled_from(["x", "a b", "${A:-d}", "", "$$1"]), max_size=3
    ),
)
# Compose interpolates an operator's argument even when unused, so both are refused
@example(values=["${A:+{}${A}"], env_lines=[], own={})
@example(values=["${A:-${B:?x}}"], env_lines=["A=1"], own={})
# compose-go's brace counting; a literal `$`; `\\` in single and `\$` in double quotes
@example(
    values=["${B:-x{y}z}", "${A:-a}b}", "x$ y", "$$"],
    env_lines=["A='C:\\\\d'", 'B="\\$x\\\'"'],
    own={},
)
# env_file looks names up in the project's variables, then the service's own, then the file
@example(values=["${K1}"], env_lines=["A=${K1}", "B=${C}", "C=1"], own={"K1": "x"})
def test_interpolation_and_env_files_agree_with_compose(
    base: Path, values: list[str], env_lines: list[str], own: dict[str, str]
) -> None:
    """`resolve`, `parse_env` and `service_views` give what Compose gives, and refuse what it refuses.

    Service `s` interpolates each generated value and shows each --env-file key (`${K-UNSET}`);
    service `e` reads the same file as its env_file, next to an environment of its own.
    """
    root = base / f"i{next(_counter)}"
    root.mkdir()
    env_text = "".join(line + "\n" for line in env_lines)
    (root / ".env").write_text(env_text)
    keys = [f"V{i}" for i in range(len(values))]
    shown = {f"P_{k}": f"${{{k}-UNSET}}" for k in ENV_KEYS}

    def doc(vals: dict[str, str]) -> dict:
        return {
            "services": {
                "s": {"image": "busybox", "environment": {**vals, **shown}},
                "e": {"image": "busybox", "env_file": [".env"], "environment": own},
            }
        }

    try:
        try:
            project = parse_env(env_text, ".env")
        except BadInput:
            project = None
        if project is None:
            assert _config_of(root, doc({})) is None, (
                f"the engine refused an env file Compose reads:\n{env_text}"
            )
            CHECKED["value_sets"] += 1
            return
        ours: dict[str, str | None] = {}
        for k, v in zip(keys, values, strict=True):
            try:
                ours[k] = resolve(v, project).value
            except InterpolationError:
                ours[k] = None
        # what the engine refuses, Compose refuses (one at a time: one error fails the file)...
        for k, v in ours.items():
            if v is None:
                refused = dict(zip(keys, values, strict=True))[k]
                assert _config_of(root, doc({k: refused})) is None, (
                    f"Compose accepts {refused!r}\n{env_text}"
                )
        # ... and what it accepts, Compose resolves to the same values
        accepted = {k: raw for k, raw in zip(keys, values, strict=True) if ours[k] is not None}
        config = _config_of(root, doc(accepted))
        assert config is not None, f"Compose refuses one of {accepted!r}\nenv file:\n{env_text}"
        services = config["services"]
        expected = {
            **{k: v for k, v in ours.items() if v is not None},
            **{f"P_{k}": project.get(k, "UNSET") for k in ENV_KEYS},
        }
        assert services["s"]["environment"] == expected, f"values {values!r}\nenv file:\n{env_text}"
        view = service_views(
            yamlio.load(json.dumps(doc(accepted)), "c.yml"),
            "",
            project,
            lambda p: (root / p).read_text(),
        )
        theirs_e = services["e"].get("environment") or {}
        assert view["e"].env == theirs_e, f"env_file view of\n{env_text}\nwith environment {own!r}"
    finally:
        shutil.rmtree(root, ignore_errors=True)
    CHECKED["value_sets"] += 1
    CHECKED["values"] += len(values)
