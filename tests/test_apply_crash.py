"""Kill apply / rollback with SIGKILL at every journal point; recovery restores the exact state.

Each crash runs in a real child process (`python -c` calling the API) with
DASHTAM_WIZARD_CRASH_AT=k, for every k the transaction has, on its own copy of the repo.
"""

from __future__ import annotations

import os
import pickle
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from test_apply_support import every_kind, make_repo  # noqa: E402

from dashtam_wizard.apply import (  # noqa: E402
    ApplyError,
    apply_changes,
    history,
    journal,
    last_point_count,
    recover,
    rollback,
    tree_manifest,
)
from dashtam_wizard.apply.faults import ENV  # noqa: E402

PHASES = [1, 2, 3, 4, 5, 6]
# The child: `python -c` importing the package once, then forking one process per crash point
# (forking saves an interpreter start per point). Each forked process runs the real API with
# DASHTAM_WIZARD_CRASH_AT=k and must die of SIGKILL at point k. For "rollback" the apply runs
# first, unarmed, in the same forked process.
CHILD = """
import os, pickle, sys, traceback
from pathlib import Path
from dashtam_wizard.apply import apply_changes, rollback
from dashtam_wizard.apply.faults import ENV
op, plan, jobs = sys.argv[1], Path(sys.argv[2]), sys.argv[3:]
changes = pickle.loads(plan.read_bytes())
phases = [1, 2, 3, 4, 5, 6]
for job in jobs:
    k, repo = job.split(":", 1)
    repo = Path(repo)
    pid = os.fork()
    if pid == 0:
        try:
            if op == "apply":
                os.environ[ENV] = k
                apply_changes(repo, changes, phases=phases)
            elif op == "rollback":
                apply_changes(repo, changes, phases=phases)
                os.environ[ENV] = k
                rollback(repo)
            else:
                apply_changes(repo, changes[:4], phases=[2])
                apply_changes(repo, changes[4:], phases=[1, 3, 4, 5, 6])
                os.environ[ENV] = k
                rollback(repo, all=True)
        except BaseException:
            traceback.print_exc()
        os._exit(3)
    print(k, os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]), flush=True)
"""


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("crash")
    root = make_repo(base / "template")
    plan = base / "plan.pickle"
    plan.write_bytes(pickle.dumps(every_kind(root)))
    return root, plan


def snapshot(root: Path) -> tuple[dict[str, tuple[str, int]], bytes]:
    """The tree and the git index bytes (equal bytes imply an equal `git ls-files -s`)."""
    return tree_manifest(root), (root / ".git" / "index").read_bytes()


def clone(src: Path, dest: Path) -> Path:
    shutil.copytree(src, dest, symlinks=True)
    return dest


def clones(src: Path, base: Path, ks: range) -> list[tuple[int, Path]]:
    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(zip(ks, pool.map(lambda k: clone(src, base / f"k{k}"), ks), strict=True))


def each(check: Callable[[int, Path], None], repos: list[tuple[int, Path]]) -> None:
    """Run the per-repo checks in threads: they mostly wait on fsync and git, so this is faster."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda job: check(*job), repos))


def kill_at_every_point(op: str, jobs: list[tuple[int, Path]], plan: Path) -> None:
    """Run `op` on each repo, killed at its point k, in two parallel children."""
    # This environment may set PYTHONDONTWRITEBYTECODE: give the children a bytecode cache
    # outside the source tree instead of compiling the package in each.
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", ENV)}
    env.setdefault("PYTHONPYCACHEPREFIX", str(plan.parent / "pycache"))
    halves = [jobs[0::2], jobs[1::2]]
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, op, str(plan), *(f"{k}:{r}" for k, r in half)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            text=True,
        )
        for half in halves
        if half
    ]
    seen = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err[-2000:]
        for line in out.splitlines():
            k, code = line.split()
            assert int(code) == -signal.SIGKILL, f"{op} was not killed at point {k}: {err[-2000:]}"
            seen.append(int(k))
    assert sorted(seen) == sorted(k for k, _ in jobs)


def test_apply_killed_at_every_point_recovers_exactly(
    template: tuple[Path, Path], tmp_path: Path
) -> None:
    root, plan = template
    before = snapshot(root)
    changes = pickle.loads(plan.read_bytes())
    apply_changes(clone(root, tmp_path / "probe"), changes, phases=PHASES)
    n = last_point_count()
    assert n > 50  # per step: journal line (2) + operation (1-2); plus pre-apply copies, commit

    repos = clones(root, tmp_path, range(n))
    kill_at_every_point("apply", repos, plan)

    def check(k: int, repo: Path) -> None:
        result = recover(repo)
        statuses = [r.status for r in history(repo)]
        if k == n - 1:  # killed once the commit line was durable: the apply stands
            assert result is None and statuses == ["applied"]
            rollback(repo)
        else:  # result None: killed before plan.json was durable, nothing was written yet
            assert statuses == (["rolled-back"] if result is not None else []), k
        assert snapshot(repo) == before, f"crash at point {k}"
        assert recover(repo) is None
        if k % 4 == 0 or k > n - 4:  # a second apply after recovery succeeds (sampled: time)
            apply_changes(repo, changes, phases=PHASES)

    each(check, repos)


def test_rollback_killed_at_every_point_is_finished(
    template: tuple[Path, Path], tmp_path: Path
) -> None:
    root, plan = template
    before = snapshot(root)
    changes = pickle.loads(plan.read_bytes())
    probe = clone(root, tmp_path / "probe")
    apply_changes(probe, changes, phases=PHASES)
    rollback(probe)
    n = last_point_count()
    assert n > 15

    repos = clones(root, tmp_path, range(n))
    kill_at_every_point("rollback", repos, plan)

    def check(k: int, repo: Path) -> None:
        [status] = [r.status for r in history(repo)]
        if status == "incomplete":  # the usual case: recover() at the next start finishes it
            assert recover(repo) is not None, k
        elif status == "applied":  # killed mid-way through writing rb-begin: nothing was undone
            assert k == 0 and recover(repo) is None
            rollback(repo)
        else:  # killed once rb-done was durable
            assert k == n - 1 and recover(repo) is None
        assert snapshot(repo) == before, f"crash at point {k}"
        assert [r.status for r in history(repo)] == ["rolled-back"]
        if k % 4 == 0:
            apply_changes(repo, changes, phases=PHASES)

    each(check, repos)


def test_rollback_all_killed_at_many_points_is_finished(
    template: tuple[Path, Path], tmp_path: Path
) -> None:
    """A rollback of two applies killed between them is finished by recover(), not left half done."""
    root, plan = template
    before = snapshot(root)
    changes = pickle.loads(plan.read_bytes())
    probe = clone(root, tmp_path / "probe")
    apply_changes(probe, changes[:4], phases=[2])
    apply_changes(probe, changes[4:], phases=[1, 3, 4, 5, 6])
    rollback(probe, all=True)
    n = last_point_count()

    # Every point of one apply's undo is covered above; here the intent file and the seam
    # between the two undos matter: take every other point.
    repos = clones(root, tmp_path, range(0, n, 2))
    kill_at_every_point("rollback-all", repos, plan)

    def check(k: int, repo: Path) -> None:
        if recover(repo) is None:
            assert k < 2 or k == n - 1, k  # killed writing rollback.json, or after everything
            if k < 2:
                rollback(repo, all=True)
        assert snapshot(repo) == before, f"crash at point {k}"
        assert [r.status for r in history(repo)] == ["rolled-back", "rolled-back"], k

    each(check, repos)


def test_after_a_crash_apply_waits_and_rollback_undoes_it(
    template: tuple[Path, Path], tmp_path: Path
) -> None:
    """A crashed apply blocks the next one; `rollback()` undoes it (removing the index.lock a
    `git mv` killed with us would leave), but refuses while another git holds the index."""
    root, plan = template
    before = snapshot(root)
    changes = pickle.loads(plan.read_bytes())
    repos = clones(root, tmp_path, range(16, 32))  # around the first `git mv` and the first writes
    kill_at_every_point("apply", repos, plan)

    def last_begin(repo: Path) -> dict:
        [d] = (repo / ".dashtam-wizard/applies").iterdir()
        return ([{"op": None}] + [e for e in journal.read(d / "journal") if e["ev"] == "begin"])[-1]

    at_git = next(r for _, r in repos if last_begin(r)["op"] == "gitmv")
    elsewhere = next(r for _, r in repos if last_begin(r)["op"] == "write")
    for repo in (at_git, elsewhere):
        (repo / ".git/index.lock").write_bytes(b"")
        with pytest.raises(
            ApplyError, match="interrupted apply or rollback must be finished first"
        ):
            apply_changes(repo, changes, phases=PHASES)

    result = rollback(at_git)  # the lock can only be git's, killed with the wizard
    assert any("index.lock" in n for n in result.notes)
    assert snapshot(at_git) == before and not (at_git / ".git/index.lock").exists()

    damaged = snapshot(elsewhere)
    with pytest.raises(ApplyError, match=r"index\.lock: the git index is locked"):
        rollback(elsewhere)
    assert snapshot(elsewhere) == damaged  # refused before touching anything
    (elsewhere / ".git/index.lock").unlink()
    assert rollback(elsewhere).ids and snapshot(elsewhere) == before
    apply_changes(elsewhere, changes, phases=PHASES)
