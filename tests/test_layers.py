"""The project's own layers, checked on its source: no import runs back up.

core and events (pure data) < apply (journal, writes) < plancache/judge/convert (the engine's
adapters) < docker (the daemon) < service (the doors both front ends go through) < tui,
cli, render, present, demo (front ends; present/ holds the CLI's presenters). A module may import
its own layer and the ones below, at module level or inside a function alike: a lazy
import that runs back up is still a dependency. test_import_contract.py checks the other
half at run time (core and `plan` load neither Textual nor the Docker SDK).
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "dashtam_wizard"
LAYERS = {
    "core": 0,
    "events": 0,  # what builds and verify report: plain data, imports nothing of ours
    "apply": 1,
    "plancache": 2,
    "judge": 2,  # the real Compose as the equivalence gate's judge
    "convert": 2,
    "docker": 3,
    "service": 4,
}
FRONT = 5
OUTSIDE = {
    0: ("textual", "docker", "rich"),
    1: ("textual", "docker", "rich"),
    3: ("textual", "rich"),  # the daemon adapter reports typed results; present/ prints them
}


def _layer(module: str) -> int:
    parts = module.split(".")
    return LAYERS.get(parts[1], FRONT) if len(parts) > 1 else FRONT


def _module(path: Path) -> str:
    return ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)


def _imports(path: Path, module: str) -> list[tuple[int, str]]:
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    package = package.removesuffix(".__init__")
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                out.append((node.lineno, ".".join(base + ([node.module] if node.module else []))))
            else:
                out.append((node.lineno, node.module or ""))
        elif isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
    return out


def test_no_import_runs_back_up_a_layer() -> None:
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = _module(path)
        for line, target in _imports(path, module):
            if target.startswith("dashtam_wizard") and _layer(target) > _layer(module):
                wrong.append(
                    f"{path.relative_to(PACKAGE.parent)}:{line}: {module} imports {target}"
                )
            for lib in OUTSIDE.get(_layer(module), ()):
                if target == lib or target.startswith(lib + "."):
                    wrong.append(
                        f"{path.relative_to(PACKAGE.parent)}:{line}: {module} imports {target}"
                    )
    assert not wrong, "\n".join(wrong)


def test_the_checker_sees_a_violation(tmp_path: Path) -> None:
    """The rule can fail: a core module importing the docker adapter is reported."""
    bad = tmp_path / "probe.py"
    bad.write_text("import json\n\ndef f():\n    from ..docker import verify  # noqa\n")
    imports = _imports(bad, "dashtam_wizard.core.probe")
    assert imports == [(1, "json"), (4, "dashtam_wizard.docker")]
    assert _layer(imports[1][1]) > _layer("dashtam_wizard.core.probe")


def test_ruff_finds_nothing() -> None:
    """The lint and the format every commit is checked with, run by the test command so CI
    enforces them (`uv run --group test ruff format` fixes the format)."""
    import shutil
    import subprocess
    import sys

    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    assert ruff, "ruff is in the dev dependency group"
    for args in (["check", "--no-cache"], ["format", "--check", "--no-cache"]):
        res = subprocess.run(
            [ruff, *args, "dashtam_wizard", "tests", "bench"],
            cwd=PACKAGE.parent,
            capture_output=True,
            text=True,
        )
        assert res.returncode == 0, res.stdout + res.stderr


def test_mypy_finds_nothing() -> None:
    """Types checked by the test command (configuration in pyproject.toml's [tool.mypy])."""
    import shutil
    import subprocess
    import sys

    mypy = shutil.which("mypy", path=str(Path(sys.executable).parent)) or shutil.which("mypy")
    assert mypy, "mypy is in the dev dependency group"
    res = subprocess.run(
        [mypy, "dashtam_wizard"], cwd=PACKAGE.parent, capture_output=True, text=True, timeout=600
    )
    assert res.returncode == 0, res.stdout + res.stderr


STATE_NAMES = {
    ".dashtam-wizard",
    "verify.json",
    "checklist.json",
    "compare-builds.json",
    "rollback.json",
    "plan.json",
    "git-index",
}


def test_the_state_folder_is_named_in_one_place() -> None:
    """`.dashtam-wizard/` and its files are spelled only in core/statedir.py: a module that
    spells one itself is a second owner of the folder (the architecture issue)."""
    owner = PACKAGE / "core" / "statedir.py"
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == owner:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and node.value in STATE_NAMES:
                wrong.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}: {node.value!r}")
    assert not wrong, "\n".join(wrong)
