"""Kill `apply` (SIGKILL) at every journal point on the bundled sample and two variations;
recovery must restore the pre-apply tree byte for byte (contents, modes, folders, git
index), and a second apply must then complete. Same for `rollback` being killed.
"""

from __future__ import annotations

import pickle
import shutil
from pathlib import Path

import pytest

from dashtam_wizard.apply import apply_changes, history, last_point_count, recover, rollback
from dashtam_wizard.core.planner import build_plan
from dashtam_wizard.demo import write_sample

from .figures import FIGURES, record
from .test_apply_crash import clones, each, kill_at_every_point, snapshot

PHASES = [1, 2, 3, 4, 5, 6]  # the CHILD script passes these as the record's phases


def _plain(root: Path) -> None:
    """The sample as shipped (phase 1 re-locks uv.lock: `uv lock` runs in every child)."""


def _no_makefile_no_new_deps(root: Path) -> None:
    (root / "Makefile").unlink()
    req = root / "requirements.txt"
    req.write_text(
        "".join(x for x in req.read_text().splitlines(True) if "email-validator" not in x)
    )


def _compose_yaml_no_ci(root: Path) -> None:
    (root / "docker-compose.dev.yml").rename(root / "compose.dev.yaml")
    (root / "docker-compose.ci.yml").unlink()
    shutil.rmtree(root / ".github")
    mk = root / "Makefile"
    mk.write_text(mk.read_text().replace("docker-compose.dev.yml", "compose.dev.yaml"))
    req = root / "requirements.txt"
    req.write_text(
        "".join(x for x in req.read_text().splitlines(True) if "email-validator" not in x)
    )


VARIANTS = {
    "sample": _plain,
    "no-makefile": _no_makefile_no_new_deps,
    "compose-yaml-no-ci": _compose_yaml_no_ci,
}


def _template(tmp: Path, variant: str) -> tuple[Path, Path]:
    root = tmp / "template"
    write_sample(root)
    VARIANTS[variant](root)
    import subprocess

    subprocess.run(["git", "-C", str(root), "add", "-A"], check=True, capture_output=True)
    plan = build_plan(root)
    changes = [c for c in plan.changes() if c.default]
    blob = tmp / "plan.pickle"
    blob.write_bytes(pickle.dumps(changes))
    return root, blob


@pytest.mark.parametrize("variant", VARIANTS)
def test_apply_killed_at_every_point_on_sample(tmp_path: Path, variant: str) -> None:
    root, blob = _template(tmp_path, variant)
    changes = pickle.loads(blob.read_bytes())
    before = snapshot(root)
    probe = tmp_path / "probe"
    shutil.copytree(root, probe, symlinks=True)
    apply_changes(probe, changes, phases=PHASES)
    n = last_point_count()
    assert n > 100, n

    repos = clones(root, tmp_path, range(n))
    kill_at_every_point("apply", repos, blob)
    recovered: list[int] = []

    def check(k: int, repo: Path) -> None:
        recover(repo)
        if [r.status for r in history(repo)] == ["applied"]:  # killed after the commit: it stands
            rollback(repo)
        assert snapshot(repo) == before, f"{variant}: crash at point {k}"
        recovered.append(k)
        if k % 8 == 0 or k == n - 1:
            apply_changes(repo, changes, phases=PHASES)  # a second apply completes

    each(check, repos)
    record(f"crash points recovered (apply, {variant})", f"{len(recovered)}/{n}")


@pytest.mark.parametrize("variant", ["sample", "no-makefile"])
def test_rollback_killed_at_every_point_on_sample(tmp_path: Path, variant: str) -> None:
    root, blob = _template(tmp_path, variant)
    changes = pickle.loads(blob.read_bytes())
    before = snapshot(root)
    probe = tmp_path / "probe"
    shutil.copytree(root, probe, symlinks=True)
    apply_changes(probe, changes, phases=PHASES)
    rollback(probe)
    n = last_point_count()

    repos = clones(root, tmp_path, range(n))
    kill_at_every_point("rollback", repos, blob)
    done: list[int] = []

    def check(k: int, repo: Path) -> None:
        if recover(repo) is None and [r.status for r in history(repo)] == ["applied"]:
            rollback(repo)
        assert snapshot(repo) == before, f"{variant}: rollback crash at point {k}"
        done.append(k)

    each(check, repos)
    record(f"crash points recovered (rollback, {variant})", f"{len(done)}/{n}")
    assert FIGURES
