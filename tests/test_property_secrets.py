"""A secret placed anywhere a compose or env file can hold it never reaches an output.

Generated placements: each YAML scalar style (plain, quoted, block literal and folded),
quoted keys, list-style `- KEY=value`, values behind anchors (`x-pw: &pw v` and
`PASSWORD: *pw`), URL credentials (empty user, `@` and `$$` in the password), env-file
quoting and `export`, `${SECRET:-default}` defaults, and broken input around them (an
unclosed `${`, a duplicate key, `${X:?message}`). Every output is checked: the plan as
text and JSON (the TUI shows the same diffs) and the one-line error.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from dashtam_wizard.core.errors import BadInput
from dashtam_wizard.core.planner import plan_tree
from dashtam_wizard.core.snapshot import Entry, Tree, read_tree
from dashtam_wizard.demo import write_sample
from dashtam_wizard.render import plan_json, print_plan

COMPOSE = "docker-compose.dev.yml"
ENV = ".env.dev"


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Tree]:
    root = write_sample(tmp_path_factory.mktemp("secrets") / "ledgerly")
    return root, read_tree(root)


def _compose_placements(secret: str) -> list[tuple[str, str]]:
    """(top-level text, environment lines) — each a way a compose file holds a secret."""
    return [
        ("", f"      API_TOKEN: {secret}\n"),
        ("", f'      "API_TOKEN": {secret}\n'),
        ("", f"      'DB_PASSWORD': '{secret}'\n"),
        ("", f'      SECRET_KEY: "{secret}"\n'),
        ("", f"      SECRET_BLOCK: >-\n        {secret}\n        tail\n"),
        ("", f"      PRIVATE_KEY: |\n        -----BEGIN-----\n        {secret}\n"),
        (f"x-pw: &pw {secret}\n", "      PASSWORD: *pw\n"),
        ("", f"      CACHE_URL: redis://:{secret}@cache:6379/0\n"),
        ("", f"      DATABASE_URL: postgresql://app:ab@{secret}@db:5432/app\n"),
        ("", f"      DATABASE_URL: postgresql://app:{secret}$$x@db:5432/app\n"),
        ("", f"      JWT_SECRET: ${{JWT_SECRET:-{secret}}}\n"),
        ("", f"      API_TOKEN: {secret}${{oops\n"),  # broken interpolation
        ("", f"      API_TOKEN: ${{API_TOKEN:?{secret}}}\n"),  # required, with a message
        ("", f"      DB_PASSWORD: {secret}\n      DB_PASSWORD: other\n"),  # duplicate key
    ]


def _env_placements(secret: str) -> list[str]:
    return [
        f"API_TOKEN={secret}\n",
        f'SECRET_KEY="{secret}"\n',
        f"export API_TOKEN='{secret}'\n",
        f"DATABASE_URL=postgresql://u:{secret}@db/x\n",
        f"API_TOKEN={secret}${{oops\n",
    ]


def _outputs(root: Path, tree: Tree) -> str:
    try:
        plan = plan_tree(tree, str(root), root.name)
    except BadInput as exc:
        return exc.one_line()
    text = io.StringIO()
    print_plan(text, plan, None, False)
    return text.getvalue() + json.dumps(plan_json(plan, None, False))


def _with(tree: Tree, path: str, text: str) -> Tree:
    out = tree.copy()
    out.files[path] = Entry(text.encode(), tree.files[path].mode)
    return out


_SECRET = st.text("abcdefghjkmnpqrstuvwxyz0123456789", min_size=8, max_size=16).map(
    lambda s: f"zz{s}QX"
)


# each example plans the whole sample: no shrinking (a failure names its placement anyway)
_SETTINGS = settings(
    max_examples=20,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.mark.parametrize("which", range(14))
def test_every_compose_placement_is_masked(base, which: int) -> None:
    _check_compose(base, "zzFIXEDsecret42QX", which, 0)


@pytest.mark.parametrize("which", range(5))
def test_every_env_placement_is_masked(base, which: int) -> None:
    _check_env(base, "zzFIXEDsecret42QX", which)


@_SETTINGS
@given(secret=_SECRET, which=st.integers(0, 13), service=st.integers(0, 1))
def test_a_secret_in_a_compose_file_never_reaches_an_output(
    base, secret: str, which: int, service: int
) -> None:
    _check_compose(base, secret, which, service)


def _check_compose(base, secret: str, which: int, service: int) -> None:  # noqa: ANN001
    root, tree = base
    top, env_lines = _compose_placements(secret)[which]
    text = tree.text(COMPOSE) or ""
    parts = text.split("    environment:\n")
    assert len(parts) > service + 1
    parts[service + 1] = env_lines + parts[service + 1]
    changed = _with(tree, COMPOSE, top + "    environment:\n".join(parts))
    out = _outputs(root, changed)
    assert secret not in out, (which, [ln for ln in out.splitlines() if secret in ln][:3])


@_SETTINGS
@given(secret=_SECRET, which=st.integers(0, 4))
def test_a_secret_in_an_env_file_never_reaches_an_output(base, secret: str, which: int) -> None:
    _check_env(base, secret, which)


def _check_env(base, secret: str, which: int) -> None:  # noqa: ANN001
    root, tree = base
    changed = _with(tree, ENV, (tree.text(ENV) or "") + _env_placements(secret)[which])
    out = _outputs(root, changed)
    assert secret not in out, (which, [ln for ln in out.splitlines() if secret in ln][:3])
