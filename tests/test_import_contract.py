"""The core and the headless `plan` path must not pull in the UI or the Docker SDK."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("textual", "docker")


def _loaded_after(code: str, heavy: tuple[str, ...] = HEAVY) -> set[str]:
    probe = (
        f"{code}\nimport sys\n"
        f"print('LOADED:' + ','.join(m for m in {heavy!r} if m in sys.modules), file=sys.stderr)"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    line = [x for x in out.stderr.splitlines() if x.startswith("LOADED:")][-1]
    return {m for m in line.removeprefix("LOADED:").split(",") if m}


def test_core_imports_neither_textual_nor_docker() -> None:
    code = (
        "import dashtam_wizard.core.planner, dashtam_wizard.core.checklist, dashtam_wizard.core.diff\n"
        "import pkgutil, importlib, dashtam_wizard.core as c\n"
        "for m in pkgutil.walk_packages(c.__path__, 'dashtam_wizard.core.'): importlib.import_module(m.name)"
    )
    assert _loaded_after(code) == set()


def test_plan_command_path_imports_neither(sample) -> None:
    code = (
        "import sys\nfrom dashtam_wizard import cli\n"
        f"rc = cli.main(['plan', {str(sample)!r}, '--no-diff'])\n"
        "assert rc == 0, rc"
    )
    assert _loaded_after(code) == set()


def test_plan_prints_without_rich_and_a_repeat_plans_nothing(sample) -> None:
    """`plan` writes its own ANSI; a repeat look (cache hit) loads no planner library at all."""
    code = (
        "import sys\nfrom dashtam_wizard import cli\n"
        f"rc = cli.main(['plan', {str(sample)!r}])\n"
        "assert rc == 0, rc"
    )
    planners = ("rich", "ruamel", "jinja2", "packaging", "tomlkit", "dashtam_wizard.core.planner")
    cold = _loaded_after(code, planners)
    assert "rich" not in cold
    assert {"ruamel", "jinja2", "dashtam_wizard.core.planner"} <= cold, "the first plan does plan"
    assert _loaded_after(code, planners) == set()
