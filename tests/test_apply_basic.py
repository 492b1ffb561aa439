"""apply / rollback on a real git repo: every Kind, refusals, lock, user edits, uv lock."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from test_apply_support import every_kind, git, make_repo, snapshot  # noqa: E402

from dashtam_wizard.apply import (  # noqa: E402
    ApplyError,
    apply_changes,
    history,
    recover,
    rollback,
    tree_manifest,
)
from dashtam_wizard.core.model import Change, Kind  # noqa: E402

STATE = ".dashtam-wizard"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "svc")


def mode(p: Path) -> int:
    return stat.S_IMODE(p.lstat().st_mode)


def test_apply_every_kind_then_rollback_restores_byte_for_byte(repo: Path) -> None:
    before = snapshot(repo)
    steps: list[tuple[int, int, str]] = []
    rec = apply_changes(
        repo,
        every_kind(repo),
        phases=[1, 2, 3, 4, 5, 6],
        on_step=lambda i, n, c: steps.append((i, n, c.id)),
    )
    assert [s[0] for s in steps] == list(range(1, 12)) and steps[0][1] == 11
    assert rec.status == "applied" and len(rec.change_ids) == 11

    assert not (repo / "Dockerfile").exists()
    assert (repo / "docker/Dockerfile").read_bytes().endswith(b"USER app\n")
    assert (repo / "docs/notes.txt").read_bytes() == b"todo\n" and not (repo / "notes.txt").exists()
    assert (repo / "compose/dev/compose.yml").read_bytes() == b"services: {}\n"
    assert b"./docker" in (repo / "docker-compose.yml").read_bytes()
    assert (repo / "env/.env.dev").read_bytes() == b"SECRET_KEY=hunter2\n"
    assert mode(repo / "env/.env.dev") == 0o600 and mode(repo / "env/.env.local") == 0o600
    assert not (repo / "requirements.txt").exists()
    assert mode(repo / "Makefile") == 0o755
    assert mode(repo / "scripts/entrypoint.sh") == 0o755
    tracked = git(repo, "ls-files").decode().split()
    assert "docker/Dockerfile" in tracked and "Dockerfile" not in tracked  # git mv: history follows
    assert "docs/notes.txt" not in tracked

    state = repo / STATE
    assert mode(state) == 0o700 and (state / ".gitignore").read_bytes() == b"*\n"
    for dirpath, dirnames, filenames in os.walk(state):
        assert all(mode(Path(dirpath, d)) == 0o700 for d in dirnames)
        assert all(mode(Path(dirpath, f)) == 0o600 for f in filenames)
    assert STATE not in git(repo, "status", "--porcelain", "--ignored=no").decode()
    assert not (state / "lock").exists()

    result = rollback(repo)
    assert result.ids == [rec.id] and result.saved == []
    assert snapshot(repo) == before
    assert [r.status for r in history(repo)] == ["rolled-back"]
    assert not (state / "applies" / rec.id / "pre").exists()  # secrets copies dropped once undone
    # and the same plan applies again
    apply_changes(repo, every_kind(repo), phases=[1, 2, 3, 4, 5, 6])
    rollback(repo)
    assert snapshot(repo) == before


STALE = {
    "edit": lambda r: (r / "docker-compose.yml").write_text("changed\n"),
    "delete": lambda r: (r / "requirements.txt").unlink(),
    "move-source": lambda r: (r / "Dockerfile").write_text("FROM scratch\n"),
    "create-exists": lambda r: (r / "env").mkdir() or (r / "env/.env.local").write_text("x"),
    "copy-source": lambda r: (r / ".env.dev").write_text("OTHER=1\n"),
    "chmod-content": lambda r: (r / "Makefile").write_text("all:\n"),
    "mkdir-file": lambda r: (r / "docker").write_text("not a dir"),
    "git-untracked": lambda r: git(r, "rm", "-q", "--cached", "Dockerfile"),
}


@pytest.mark.parametrize("case", sorted(STALE))
def test_stale_plan_is_refused_and_nothing_changes(repo: Path, case: str) -> None:
    changes = every_kind(repo)
    STALE[case](repo)
    before = snapshot(repo)
    with pytest.raises(ApplyError) as err:
        apply_changes(repo, changes, phases=[1, 2, 3, 4, 5, 6])
    msg = str(err.value)
    assert "\n" not in msg
    assert msg.split(":")[0] in {
        "docker-compose.yml",
        "requirements.txt",
        "Dockerfile",
        "env/.env.local",
        ".env.dev",
        "Makefile",
        "docker",
    }
    assert snapshot(repo) == before
    assert not (repo / STATE).exists()  # not even the state folder is left behind


def test_paths_escaping_the_repo_are_refused(repo: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "victim").write_text("keep\n")
    (repo / "linked").symlink_to(outside)
    (repo / "victim").symlink_to(outside / "victim")
    before = snapshot(repo)
    cases = [
        Change("a", 1, Kind.CREATE, "linked/new.txt", after=b"x"),
        Change("b", 1, Kind.EDIT, "victim", before=b"keep\n", after=b"pwned\n"),
        Change("c", 1, Kind.EDIT, "linked/victim", before=b"keep\n", after=b"pwned\n"),
        Change("d", 1, Kind.CREATE, "../escape.txt", after=b"x"),
        Change("e", 1, Kind.CREATE, ".git/hooks/pre-commit", after=b"x"),
    ]
    for c in cases:
        with pytest.raises(ApplyError) as err:
            apply_changes(repo, [Change("ok", 1, Kind.MKDIR, "docker"), c], phases=[1])
        assert str(err.value).startswith(c.path + ":"), err.value
    assert snapshot(repo) == before
    assert (outside / "victim").read_text() == "keep\n" and sorted(os.listdir(outside)) == [
        "victim"
    ]


def test_symlink_inside_repo_is_followed_for_an_edit(repo: Path) -> None:
    (repo / "compose.yml").symlink_to("docker-compose.yml")
    before = snapshot(repo)
    data = (repo / "docker-compose.yml").read_bytes()
    apply_changes(
        repo,
        [Change("e", 4, Kind.EDIT, "compose.yml", before=data, after=b"services: {}\n")],
        phases=[4],
    )
    assert (repo / "compose.yml").is_symlink()
    assert (repo / "docker-compose.yml").read_bytes() == b"services: {}\n"
    rollback(repo)
    assert snapshot(repo) == before


HOLD = textwrap.dedent("""
    import sys
    from pathlib import Path
    from dashtam_wizard.apply.lock import RepoLock
    with RepoLock(Path(sys.argv[1])):
        print("locked", flush=True)
        sys.stdin.read()
""")


def test_second_wizard_is_refused_naming_the_first(repo: Path) -> None:
    apply_changes(repo, [Change("m", 2, Kind.MKDIR, "docker")], phases=[2])  # creates the state dir
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(repo / STATE)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        before = snapshot(repo)
        with pytest.raises(ApplyError, match=rf"pid {holder.pid}, started \d{{4}}-"):
            apply_changes(repo, every_kind(repo), phases=[1])
        with pytest.raises(ApplyError, match=f"pid {holder.pid}"):
            rollback(repo)
        assert snapshot(repo) == before
    finally:
        holder.communicate("")
    rollback(repo)  # the lock is free again
    assert not (repo / "docker").exists()


def test_stale_lock_from_a_dead_process_is_taken_over(repo: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    state = repo / STATE
    state.mkdir(mode=0o700)
    (state / "lock").write_text(
        json.dumps(
            {
                "pid": dead.pid,
                "started": "2025-01-01T00:00:00+00:00",
                "proc_start": "1",
                "host": os.uname().nodename,
            }
        )
    )
    rec = apply_changes(repo, every_kind(repo), phases=[1])
    assert rec.status == "applied" and not (state / "lock").exists()
    assert (state / ".gitignore").read_bytes() == b"*\n"


def test_user_edits_after_apply_are_kept_aside(repo: Path) -> None:
    before = snapshot(repo)
    apply_changes(repo, every_kind(repo), phases=[1, 2, 3, 4, 5, 6])
    (repo / "docker-compose.yml").write_text("services: {mine: {}}\n")  # edited after apply
    (repo / "env/.env.local").write_text("TOKEN=mine\n")  # created by apply, then edited
    (repo / "env/extra.txt").write_text("new file of mine\n")  # in a folder apply created
    (repo / "docker/Dockerfile").write_text("FROM mine\n")  # moved by git mv, then edited
    result = rollback(repo)
    assert snapshot(repo) == before
    saved = {Path(s).relative_to(STATE).parts[2:]: s for s in result.saved}
    assert set(saved) == {
        ("docker-compose.yml",),
        ("env", ".env.local"),
        ("env", "extra.txt"),
        ("docker", "Dockerfile"),
    }
    assert (repo / saved["docker-compose.yml",]).read_text() == "services: {mine: {}}\n"
    assert (repo / saved["env", ".env.local"]).read_text() == "TOKEN=mine\n"
    assert (repo / saved["env", "extra.txt"]).read_text() == "new file of mine\n"
    assert (repo / saved["docker", "Dockerfile"]).read_text() == "FROM mine\n"
    for dirpath, dirnames, filenames in os.walk(repo / STATE):  # saved copies may be secrets
        assert all(mode(Path(dirpath, d)) == 0o700 for d in dirnames)
        assert all(mode(Path(dirpath, f)) == 0o600 for f in filenames)
    assert "docker-compose.yml" in result.summary() or "saved" in result.summary()


def test_git_index_changed_after_apply_keeps_user_staging(repo: Path) -> None:
    before_ls = git(repo, "ls-files", "-s").decode()
    apply_changes(repo, every_kind(repo), phases=[1, 2])
    (repo / "README.md").write_text("# svc, staged by the user\n")
    git(repo, "add", "README.md")
    staged = [
        ln for ln in git(repo, "ls-files", "-s").decode().splitlines() if ln.endswith("\tREADME.md")
    ]
    result = rollback(repo)
    assert any("git index" in n for n in result.notes)
    after = git(repo, "ls-files", "-s").decode().splitlines()
    assert staged[0] in after  # the user's staging survived
    others = [ln for ln in before_ls.splitlines() if not ln.endswith("\tREADME.md")]
    assert [ln for ln in after if not ln.endswith("\tREADME.md")] == others  # moved paths reset
    assert (repo / "Dockerfile").exists() and not (repo / "docker").exists()
    assert any(Path(s).name == ".git-index" for s in result.saved)


def test_phase_by_phase_applies_roll_back_newest_first(repo: Path) -> None:
    changes = every_kind(repo)
    s0 = snapshot(repo)
    a = apply_changes(repo, changes[:4], phases=[2])
    s1 = snapshot(repo)
    b = apply_changes(repo, changes[4:7], phases=[3, 4])
    s2 = snapshot(repo)
    c = apply_changes(repo, changes[7:], phases=[1, 5, 6])
    assert [r.id for r in history(repo)] == [a.id, b.id, c.id]
    assert rollback(repo).ids == [c.id]
    assert snapshot(repo) == s2
    assert rollback(repo, to=b.id).ids == [b.id]
    assert snapshot(repo) == s1
    c2 = apply_changes(repo, changes[4:], phases=[1, 3, 4, 5, 6])
    assert rollback(repo, all=True).ids == [c2.id, a.id]
    assert snapshot(repo) == s0
    assert [r.status for r in history(repo)] == ["rolled-back"] * 4
    with pytest.raises(ApplyError, match="nothing to roll back"):
        rollback(repo)
    with pytest.raises(ApplyError, match="already rolled back"):
        rollback(repo, to=a.id)


def test_failure_mid_transaction_rolls_back_in_process(repo: Path) -> None:
    before = snapshot(repo)

    def interrupt(i: int, n: int, c: Change) -> None:
        if i == 7:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        apply_changes(repo, every_kind(repo), phases=[1], on_step=interrupt)
    assert snapshot(repo) == before
    assert [r.status for r in history(repo)] == ["rolled-back"]
    assert recover(repo) is None
    apply_changes(repo, every_kind(repo), phases=[1])


def _uv_project(repo: Path) -> tuple[bytes, bytes]:
    pyproject = b'[project]\nname = "svc"\nversion = "0.1.0"\nrequires-python = ">=3.11"\ndependencies = []\n'
    (repo / "pyproject.toml").write_bytes(pyproject)
    env = {
        k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT")
    }
    uv = os.environ.get("UV") or shutil.which("uv")
    assert uv
    subprocess.run(
        [uv, "lock", "--offline", "--no-progress"],
        cwd=repo,
        check=True,
        capture_output=True,
        env=env,
    )
    git(repo, "add", "-A")
    git(repo, "-c", "commit.gpgsign=false", "commit", "-q", "-m", "uv")
    return pyproject, (repo / "uv.lock").read_bytes()


def _relock(pyproject: bytes, lock: bytes, new: bytes) -> list[Change]:
    return [
        Change(
            "p1:edit:pyproject.toml",
            1,
            Kind.EDIT,
            "pyproject.toml",
            before=pyproject,
            after=new,
            mode=0o644,
        ),
        Change(
            "p1:edit:uv.lock",
            1,
            Kind.EDIT,
            "uv.lock",
            before=lock,
            mode=0o644,
            regenerate="uv-lock",
        ),
    ]


def test_uv_lock_is_regenerated_from_the_new_pyproject(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pyproject, lock = _uv_project(repo)
    monkeypatch.setenv("UV_OFFLINE", "1")
    before = snapshot(repo)
    assert b'version = "0.1.0"' in lock
    apply_changes(repo, _relock(pyproject, lock, pyproject.replace(b"0.1.0", b"0.2.0")), phases=[1])
    new_lock = (repo / "uv.lock").read_bytes()
    assert b'name = "svc"\nversion = "0.2.0"' in new_lock
    rollback(repo)
    assert snapshot(repo) == before


def test_uv_missing_or_failing_aborts_with_nothing_changed(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pyproject, lock = _uv_project(repo)
    monkeypatch.setenv("UV_OFFLINE", "1")
    before = snapshot(repo)
    broken = pyproject.replace(
        b"dependencies = []", b'dependencies = ["no-such-package-dashtam-xyz"]'
    )
    with pytest.raises(ApplyError, match=r"^uv\.lock: `uv lock` failed: "):
        apply_changes(repo, _relock(pyproject, lock, broken), phases=[1])
    assert snapshot(repo) == before
    monkeypatch.setenv("UV", str(repo / "no-uv-here"))
    with pytest.raises(ApplyError, match=r"^uv\.lock: cannot run `uv lock`"):
        apply_changes(
            repo, _relock(pyproject, lock, pyproject.replace(b"0.1.0", b"0.2.0")), phases=[1]
        )
    monkeypatch.setenv("UV", "")
    monkeypatch.setenv("PATH", str(repo / "empty-path"))
    with pytest.raises(ApplyError, match="`uv` not found"):
        apply_changes(
            repo, _relock(pyproject, lock, pyproject.replace(b"0.1.0", b"0.2.0")), phases=[1]
        )
    assert snapshot(repo) == before


def test_tree_manifest_sees_files_dirs_modes_and_links(repo: Path) -> None:
    (repo / "link").symlink_to("README.md")
    m = tree_manifest(repo)
    assert m["scripts"] == ("dir", 0o755) and m["scripts/entrypoint.sh"][1] == 0o755
    assert m["link"] == ("link:README.md", 0)
    assert not any(k.startswith((".git/", STATE)) or k == ".git" for k in m)
