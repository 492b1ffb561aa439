"""A `.dashtam-wizard/` that came with a repository is never acted on.

The attack (issue: hostile state): a repo is cloned with a crafted apply record whose
plan.json names `../outside/victim` as a temp file to delete and `../outside/pwned` as a
path to restore. Running `apply`, `rollback` or opening the wizard must refuse with one
line and write nothing anywhere; forged verify/checklist results must tick nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from dashtam_wizard.apply import ApplyError, apply_changes, history, recover, rollback
from dashtam_wizard.apply.records_check import path_problem, plan_problem
from dashtam_wizard.tui.ops import first_load_here

from .conftest import manifest, run_cli

STATE = ".dashtam-wizard"


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True
    ).stdout


def _state_bytes(repo: Path) -> dict[str, str]:
    out = {}
    for dirpath, _dirs, files in os.walk(repo / STATE):
        for f in files:
            p = Path(dirpath, f)
            out[str(p.relative_to(repo))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def _crafted_record(state: Path, outside: Path) -> None:
    """An apply record, as an attacker would commit it, aimed at `outside`."""
    rid = "0001-20260101-000000"
    d = state / "applies" / rid
    (d / "pre").mkdir(parents=True)
    payload = b"#!/bin/sh\necho pwned\n"
    (d / "pre" / "0").write_bytes(payload)
    rel_out = os.path.relpath(outside, state.parent)
    plan = {
        "version": 1,
        "id": rid,
        "created": "2026-01-01T00:00:00+00:00",
        "phases": [2],
        "change_ids": ["p2:create:x"],
        "changes": [],
        "steps": [],
        "known": {},
        "made_dirs": [],
        "tmp": [f"{rel_out}/victim"],
        "pre": {
            f"{rel_out}/pwned": {
                "kind": "file",
                "mode": 0o755,
                "blob": "pre/0",
                "sha": hashlib.sha256(payload).hexdigest(),
            }
        },
        "git": None,
    }
    (d / "plan.json").write_text(json.dumps(plan))
    (d / "journal").write_bytes(b"")  # no commit: "incomplete", so recovery would run it


@pytest.fixture
def hostile(sample: Path, tmp_path: Path) -> tuple[Path, Path]:
    """A clone of the sample whose committed `.dashtam-wizard/` targets /tmp/…/outside."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "victim").write_text("keep me\n")
    _crafted_record(sample / STATE, outside)
    _git(sample, "add", "-f", STATE)
    _git(sample, "commit", "-qm", "a crafted state folder")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(sample), str(clone)], check=True)
    return clone, outside


def _untouched(clone: Path, outside: Path, before: dict, state_before: dict) -> None:
    assert (outside / "victim").read_text() == "keep me\n"
    assert not (outside / "pwned").exists()
    assert sorted(os.listdir(outside)) == ["victim"]
    assert manifest(clone) == before
    assert _state_bytes(clone) == state_before


@pytest.mark.parametrize(
    "args",
    [
        ["apply", "--yes"],
        ["rollback", "--yes"],
        ["rollback", "--list"],
        ["rollback", "--all", "--yes"],
    ],
)
def test_cloned_state_is_refused_with_one_line_and_nothing_written(
    hostile, args: list[str]
) -> None:
    clone, outside = hostile
    before, state_before = manifest(clone), _state_bytes(clone)
    res = run_cli(args[0], str(clone), *args[1:])
    assert res.returncode == 2, res.stdout + res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and ".dashtam-wizard: is tracked by git" in lines[0], res.stderr
    assert "Recovered" not in res.stdout + res.stderr and "Traceback" not in res.stderr
    _untouched(clone, outside, before, state_before)


def test_copied_state_without_this_users_marker_is_refused(hostile, tmp_path: Path) -> None:
    """Not tracked (an archive, a copy): no marker made with this user's key, so not used."""
    clone, outside = hostile
    _git(clone, "rm", "-rq", "--cached", STATE)
    _git(clone, "commit", "-qm", "untrack")
    before, state_before = manifest(clone), _state_bytes(clone)
    for call in (lambda: recover(clone), lambda: rollback(clone), lambda: history(clone)):
        with pytest.raises(ApplyError, match="was not created by dashtam-wizard for this user"):
            call()
    _untouched(clone, outside, before, state_before)


def test_the_wizard_opening_on_a_cloned_state_says_so_and_recovers_nothing(hostile) -> None:
    clone, outside = hostile
    before, state_before = manifest(clone), _state_bytes(clone)
    _state, said = first_load_here(clone)
    assert said is not None and "tracked by git" in said and "Recovered" not in said
    _untouched(clone, outside, before, state_before)


def test_a_record_in_the_users_own_state_cannot_reach_outside(sample: Path, tmp_path: Path) -> None:
    """Trusted folder (made by this wizard), record edited to escape: refused by its paths."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "victim").write_text("keep me\n")
    assert run_cli("apply", str(sample), "--phase", "1", "--yes").returncode == 0
    d = next((sample / STATE / "applies").iterdir())
    plan = json.loads((d / "plan.json").read_text())
    plan["tmp"].append(os.path.relpath(outside / "victim", sample))
    (d / "plan.json").write_text(json.dumps(plan))
    before, state_before = manifest(sample), _state_bytes(sample)
    res = run_cli("rollback", str(sample), "--yes")
    assert res.returncode == 2 and "outside the repository" in res.stderr, res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
    _untouched(sample, outside, before, state_before)


def test_a_temp_path_through_a_symlinked_folder_is_refused(sample: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    assert run_cli("apply", str(sample), "--phase", "1", "--yes").returncode == 0
    (sample / "link").symlink_to(outside)
    d = next((sample / STATE / "applies").iterdir())
    plan = json.loads((d / "plan.json").read_text())
    victim = outside / f".victim.{plan['id']}.dwtmp"
    victim.write_text("keep me\n")
    plan["tmp"].append(f"link/{victim.name}")
    (d / "plan.json").write_text(json.dumps(plan))
    res = run_cli("rollback", str(sample), "--yes")
    assert res.returncode == 2 and "is now a symlink" in res.stderr, res.stderr
    assert victim.read_text() == "keep me\n"


def test_a_copied_repo_can_be_adopted_and_rolled_back(sample: Path, tmp_path: Path) -> None:
    """The user's own state, copied with the repo (new inode): refused until they vouch."""
    pristine = manifest(sample)
    assert run_cli("apply", str(sample), "--yes").returncode == 0
    copy = tmp_path / "copy"
    shutil.copytree(sample, copy, symlinks=True)
    res = run_cli("rollback", str(copy), "--yes")
    assert res.returncode == 2 and "--trust-state" in res.stderr
    res = run_cli("rollback", str(copy), "--trust-state", "--yes")
    assert res.returncode == 0, res.stderr
    assert manifest(copy) == pristine


def test_an_inert_state_folder_is_adopted_silently(sample: Path) -> None:
    """A crash between the folder's mkdir and its marker leaves nothing to act on."""
    (sample / STATE).mkdir(mode=0o700)
    (sample / STATE / ".gitignore").write_text("*\n")
    assert recover(sample) is None
    assert apply_changes  # the apply below goes through the same check
    assert run_cli("apply", str(sample), "--phase", "1", "--yes").returncode == 0


def test_state_owned_by_another_user_is_refused(sample: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root to chown")
    assert run_cli("apply", str(sample), "--phase", "1", "--yes").returncode == 0
    os.chown(sample / STATE, 12345, 12345)
    res = run_cli("rollback", str(sample), "--yes")
    assert res.returncode == 2 and "owned by uid 12345" in res.stderr


def test_empty_rollback_id_is_refused(sample: Path) -> None:
    assert run_cli("apply", str(sample), "--phase", "1", "--yes").returncode == 0
    res = run_cli("rollback", str(sample), "--to", "", "--yes")
    assert res.returncode == 2 and "empty apply id" in res.stderr


# -- forged results -----------------------------------------------------------------------


def _testing(repo: Path) -> dict[str, bool | None]:
    res = run_cli("status", str(repo), "--json")
    assert res.returncode == 0, res.stderr
    return {
        i["text"]: i["done"] for i in json.loads(res.stdout)["items"] if i["section"] == "Testing"
    }


def test_forged_verify_and_checklist_results_tick_nothing(sample: Path) -> None:
    forged = {
        "when": "2026-01-01T00:00:00+00:00",
        "ok": True,
        "stages_built": ["development", "ci"],
        "checks": [
            {"id": c, "passed": True, "evidence": "forged"}
            for c in ("user", "ownership", "bind_mount", "env", "tests")
        ],
    }
    (sample / STATE).mkdir(mode=0o700)
    (sample / STATE / "verify.json").write_text(json.dumps({**forged, "mac": "0" * 64}))
    (sample / STATE / "checklist.json").write_text(
        json.dumps({"ticked": {"Clean up unused files": True}})
    )
    assert set(_testing(sample).values()) == {None}
    res = run_cli("status", str(sample), "--json")
    manual = [i for i in json.loads(res.stdout)["items"] if i["text"] == "Clean up unused files"]
    assert manual[0]["done"] is None


def test_sealed_results_count_only_for_the_contents_verified(sample: Path) -> None:
    """A real seal (this user's key) on results of other contents: stale, not ticked."""
    from dashtam_wizard.apply.state import State
    from dashtam_wizard.apply.trust import seal
    from dashtam_wizard.core.seal import tree_digest
    from dashtam_wizard.core.snapshot import read_tree

    results = {
        "when": "x",
        "ok": True,
        "stages_built": ["development"],
        "checks": [{"id": "user", "passed": True, "evidence": "ok"}],
    }
    State(sample).ensure()
    path = sample / STATE / "verify.json"
    path.write_text(json.dumps(seal({**results, "tree": tree_digest(read_tree(sample))})))
    assert _testing(sample)["Verify non-root user in dev"] is True
    (sample / "Makefile").write_text((sample / "Makefile").read_text() + "\n# edited\n")
    assert _testing(sample)["Verify non-root user in dev"] is None


# -- the checker, over generated hostile paths --------------------------------------------

_SEGMENT = st.sampled_from(["..", ".", "", "a", ".git", STATE, "env", "x.dwtmp", "/"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(parts=st.lists(_SEGMENT, min_size=1, max_size=5), absolute=st.booleans())
def test_every_path_that_could_leave_the_repo_is_rejected(parts: list[str], absolute: bool) -> None:
    rel = ("/" if absolute else "") + "/".join(parts)
    ok = path_problem(rel) is None
    if ok:  # a path the checker lets through stays inside the repo, outside .git and state
        norm = os.path.normpath(os.path.join("/repo", rel))
        assert norm.startswith("/repo/") and norm == "/repo/" + rel
        assert rel.split("/")[0] not in (".git", STATE)
    plan = {
        "id": "0001-20260101-000000",
        "pre": {rel: {"kind": "absent"}},
        "tmp": [],
        "made_dirs": [],
        "known": {},
        "steps": [],
        "changes": [],
        "phases": [],
        "change_ids": [],
    }
    assert (plan_problem(plan, "0001-20260101-000000") is None) == ok


# -- bounded parsing ---------------------------------------------------------------------


def test_a_yaml_alias_bomb_is_refused_with_its_file_and_line(sample: Path) -> None:
    """Nine levels of nine-fold aliases (billion laughs), unused, at the top of a compose file."""
    lines = ["x-a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    prev = "a"
    for name in "bcdefghi":
        lines.append(f"x-{name}: &{name} [" + ", ".join([f"*{prev}"] * 9) + "]")
        prev = name
    path = sample / "docker-compose.dev.yml"
    path.write_text("\n".join(lines) + "\n" + path.read_text())
    before = manifest(sample)
    for args in (["plan", "--no-cache"], ["apply", "--yes"], ["status"]):
        res = run_cli(args[0], str(sample), *args[1:])
        assert res.returncode == 2, (args, res.stdout + res.stderr)
        err = res.stderr.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("dashtam-wizard: docker-compose.dev.yml:"), err
        assert "alias bomb" in err[0]
    assert manifest(sample) == before and not (sample / STATE).exists()


# -- after an interruption, every command says so first -----------------------------------


def test_after_a_killed_apply_plan_and_status_say_what_finishes_it(sample: Path) -> None:
    res = run_cli("apply", str(sample), "--yes", env={"DASHTAM_WIZARD_CRASH_AT": "40"})
    assert res.returncode == -9, res.stdout + res.stderr  # SIGKILLed mid-apply
    for args in (["plan", "--check"], ["status"], ["plan", "--json"]):
        out = run_cli(args[0], str(sample), *args[1:])
        assert out.returncode == 2, (args, out.stdout)
        assert "interrupted and is not finished; run `dashtam-wizard rollback --yes`" in out.stderr
        assert "pending" not in out.stdout
    assert run_cli("rollback", str(sample), "--yes").returncode == 0
    assert (
        run_cli("plan", str(sample), "--check").returncode == 1
    )  # the whole plan is pending again


def test_root_on_another_users_repository_is_refused(sample: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root")
    os.chown(sample, 12345, 12345)
    before = manifest(sample)
    res = run_cli("apply", str(sample), "--yes")
    assert res.returncode == 2 and "belongs to uid 12345; run the wizard as that user" in res.stderr
    assert manifest(sample) == before and not (sample / STATE).exists()
    subprocess.run(["chown", "-R", "12345:12345", str(sample)], check=True)
    res = run_cli(
        "plan", str(sample), "--no-cache"
    )  # git itself refuses: not a silent non-git plan
    assert res.returncode == 2 and "dubious ownership" in res.stderr, res.stdout[-300:] + res.stderr


# -- the low ones --------------------------------------------------------------------------


def test_apply_during_an_unfinished_merge_is_refused(sample: Path) -> None:
    (sample / ".git" / "MERGE_HEAD").write_text("0" * 40 + "\n")
    before = manifest(sample)
    res = run_cli("apply", str(sample), "--yes")
    assert res.returncode == 2 and ".git/MERGE_HEAD: a merge is in progress" in res.stderr, (
        res.stderr
    )
    assert manifest(sample) == before and not (sample / STATE).exists()


def test_a_stale_backup_is_kept_and_said_to_differ(sample: Path) -> None:
    (sample / "pyproject.toml.backup").write_text("[project]\nname = 'old'\n")
    plan = json.loads(run_cli("plan", str(sample), "--json", "--no-diff").stdout)
    notes = " ".join(n["text"] for n in plan["phases"][0]["notes"])
    assert "pyproject.toml.backup already exists and differs from pyproject.toml" in notes
    assert not [c for c in plan["phases"][0]["changes"] if c["path"] == "pyproject.toml.backup"]


def test_world_writable_folders_in_the_state_are_tightened(sample: Path) -> None:
    assert run_cli("apply", str(sample), "--phase", "1", "--yes").returncode == 0
    applies = sample / STATE / "applies"
    os.chmod(applies, 0o777)
    assert run_cli("rollback", str(sample), "--yes").returncode == 0
    assert applies.stat().st_mode & 0o777 == 0o700


def test_a_symlink_loop_is_one_line_not_an_internal_error(sample: Path) -> None:
    (sample / "loop").symlink_to("loop")
    res = run_cli("plan", str(sample), "--no-cache")
    assert res.returncode == 2 and "loop: " in res.stderr and "internal error" not in res.stderr, (
        res.stderr
    )
    assert len(res.stderr.strip().splitlines()) == 1


def test_a_huge_unrelated_file_does_not_block_the_wizard(sample: Path) -> None:
    with open(sample / "dump.sql", "wb") as fh:  # sparse: 40 MB on paper, nothing on disk
        fh.truncate(40 * 1024 * 1024)
    res = run_cli("plan", str(sample), "--no-cache", "--no-diff")
    assert res.returncode == 0, res.stderr


def test_a_full_disk_is_one_line_naming_the_file_and_nothing_changes(tmp_path: Path) -> None:
    """A real full disk: the repo on a small tmpfs, filled up before the apply."""
    mnt = tmp_path / "small"
    mnt.mkdir()
    if (
        os.geteuid() != 0
        or subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mnt)], capture_output=True
        ).returncode
        != 0
    ):
        pytest.skip("needs root to mount a small tmpfs")
    try:
        from dashtam_wizard.demo import write_sample

        repo = write_sample(mnt / "ledgerly")
        (mnt / "filler").write_bytes(b"")
        with open(mnt / "filler", "wb") as fh:  # fill what is left
            try:
                while True:
                    fh.write(b"\0" * 65536)
                    fh.flush()
            except OSError:
                pass
        before = manifest(repo)
        res = run_cli("apply", str(repo), "--phase", "1", "--phase", "2", "--yes")
        assert res.returncode == 2, res.stdout + res.stderr
        err = res.stderr.strip().splitlines()
        assert len(err) == 1 and "No space left on device" in err[0], err
        assert "dwtmp" not in err[0] and "dashtam-wizard: dashtam-wizard:" not in err[0]
        assert re.match(r"dashtam-wizard: /\S+: No space left on device", err[0]), (
            err
        )  # names the file
        (mnt / "filler").unlink()
        assert manifest(repo) == before and not (repo / STATE).exists()
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def test_sigterm_during_uv_lock_leaves_no_scratch_folder_and_no_change(
    sample: Path, tmp_path: Path
) -> None:
    """SIGTERM while phase 1 re-locks: the scratch folder of `uv lock` is removed, the repo is
    as it was, and the exit code says terminated (143)."""
    import time

    from .conftest import BIN

    tmp = tmp_path / "tmp"
    tmp.mkdir()
    before = manifest(sample)
    proc = subprocess.Popen(
        [str(BIN / "dashtam-wizard"), "apply", str(sample), "--phase", "1", "--yes"],
        env={**os.environ, "TMPDIR": str(tmp)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while (
        time.monotonic() < deadline
        and proc.poll() is None
        and not list(tmp.glob("dashtam-wizard-lock-*"))
    ):
        time.sleep(0.01)
    if proc.poll() is not None:
        pytest.skip("uv lock finished before it could be interrupted")
    proc.terminate()
    _out, err = proc.communicate(timeout=120)
    assert proc.returncode == 143, err
    assert not list(tmp.glob("dashtam-wizard-lock-*"))
    assert manifest(sample) == before


# -- crafted records, through the engine -----------------------------------------------------

_FIELDS = (
    "tmp",
    "pre-file",
    "pre-absent",
    "pre-dir",
    "made_dirs",
    "known",
    "step-path",
    "step-source",
    "git",
)
_HOSTILE = st.one_of(
    st.builds(
        lambda n, d: "../" * d + f"outside/{n}",
        st.sampled_from(["victim", "pwned", "x"]),
        st.integers(1, 3),
    ),
    st.builds(lambda n: f"{{outside}}/{n}", st.sampled_from(["victim", "pwned"])),  # absolute
    st.builds(
        lambda a, n: f"{a}/../../outside/{n}",
        st.sampled_from(["a", "env", "src"]),
        st.sampled_from(["victim", "pwned"]),
    ),
    st.sampled_from(
        [
            ".git/hooks/post-checkout",
            ".git/config",
            f"{STATE}/key",
            f"{STATE}/applies",
            "./Makefile",
            "src//x",
            "link/victim",
            "link/pwned",
            "link/sub/new",
        ]
    ),
)


@pytest.fixture
def applied_with_link(sample: Path, tmp_path: Path) -> tuple[Path, Path, Path]:
    """The user's own state after `apply --phase 1`, a symlink `link` → a folder outside."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "victim").write_text("keep me\n")
    assert run_cli("apply", str(sample), "--phase", "1", "--yes").returncode == 0
    (sample / "link").symlink_to(outside)
    d = next((sample / STATE / "applies").iterdir())
    return sample, outside, d


def _outside_bytes(outside: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(outside)): p.read_bytes() if p.is_file() else b"<dir>"
        for p in sorted(outside.rglob("*"))
    }


def _git_bytes(repo: Path) -> dict[str, bytes]:
    git = repo / ".git"
    return {
        str(p.relative_to(git)): p.read_bytes()
        for p in sorted(git.rglob("*"))
        if p.is_file() and "objects" not in p.parts
    }


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(field=st.sampled_from(_FIELDS), raw=_HOSTILE, via=st.sampled_from(["rollback", "recover"]))
def test_a_crafted_path_in_any_field_is_refused_by_the_engine(
    applied_with_link: tuple[Path, Path, Path], field: str, raw: str, via: str
) -> None:
    """Each path field of a record in the user's own, trusted state, edited to point out of
    the repo (parent steps, absolute, `.git`, the state folder, through a symlinked folder):
    rollback and crash recovery refuse with ApplyError and write nothing anywhere."""
    repo, outside, d = applied_with_link
    # A path through `link/` is a plain relative path: only where the engine touches the
    # filesystem with it (temp files, restored paths, folders it made) must it be refused.
    assume(not raw.startswith("link/") or field in ("tmp", "made_dirs") or field.startswith("pre-"))
    rel = raw.replace("{outside}", str(outside))
    original = (d / "plan.json").read_bytes()
    journal = (d / "journal").read_bytes()
    plan = json.loads(original)
    rid = plan["id"]
    if field == "tmp":
        head, _, name = rel.rpartition("/")
        plan["tmp"].append(f"{head}/.{name}.{rid}.dwtmp" if head else f".{name}.{rid}.dwtmp")
        if rel.startswith("link/"):
            (outside / f".{name}.{rid}.dwtmp").write_text("keep me too\n")
    elif field.startswith("pre-"):
        kind = field.removeprefix("pre-")
        blob = next(iter(e["blob"] for e in plan["pre"].values() if e.get("kind") == "file"))
        entry = {"kind": kind, "mode": 0o644 if kind == "file" else 0o755}
        if kind == "file":
            entry |= {"blob": blob, "sha": hashlib.sha256((d / blob).read_bytes()).hexdigest()}
        if kind == "absent":
            entry = {"kind": "absent"}
        plan["pre"][rel] = entry
    elif field == "made_dirs":
        plan["made_dirs"].append(rel)
    elif field == "known":
        plan["known"][rel] = ["0" * 64]
    elif field.startswith("step-"):
        plan["steps"].append(
            {"op": "write", "path": "Makefile", "source": None} | {field.removeprefix("step-"): rel}
        )
    else:
        plan["git"] = {"entries": {rel: None}, "index_sha": "0" * 64}
    (d / "plan.json").write_text(json.dumps(plan))
    if via == "recover":
        (d / "journal").write_bytes(b"")  # no commit record: recovery would undo it
    before, git_before, out_before = manifest(repo), _git_bytes(repo), _outside_bytes(outside)
    try:
        with pytest.raises(ApplyError):
            rollback(repo) if via == "rollback" else recover(repo)
        assert manifest(repo) == before
        assert _git_bytes(repo) == git_before
        assert _outside_bytes(outside) == out_before
    finally:
        (d / "plan.json").write_bytes(original)
        (d / "journal").write_bytes(journal)


def test_a_hard_linked_file_is_said_to_lose_its_link(sample: Path, tmp_path: Path) -> None:
    """Writes are new files renamed into place: the plan says the other link keeps the old
    bytes (and rollback restores content, not the link) — and that is what happens."""
    other = tmp_path / "Makefile.shared"
    os.link(sample / "Makefile", other)
    original = other.read_bytes()
    res = run_cli("plan", str(sample))
    assert res.returncode == 0, res.stderr
    assert "Makefile has 2 hard links" in " ".join(res.stdout.split()), res.stdout
    assert run_cli("apply", str(sample), "--yes").returncode == 0
    assert other.read_bytes() == original and (sample / "Makefile").read_bytes() != original
    assert run_cli("rollback", str(sample), "--yes").returncode == 0
    assert (sample / "Makefile").read_bytes() == original
    assert os.stat(sample / "Makefile").st_nlink == 1  # as the plan said


def test_an_absolute_path_to_a_moved_file_in_a_makefile_is_rewritten(sample: Path) -> None:
    """`COMPOSE_TEST := /abs/repo/docker-compose.test.yml` follows the file to compose/."""
    mk = sample / "Makefile"
    mk.write_text(
        mk.read_text().replace(
            "COMPOSE_TEST := docker-compose.test.yml",
            f"COMPOSE_TEST := {sample}/docker-compose.test.yml",
        )
    )
    _git(sample, "commit", "-qam", "absolute path")
    res = run_cli("apply", str(sample), "--yes")
    assert res.returncode == 0, res.stderr
    assert f"COMPOSE_TEST := {sample}/compose/docker-compose.test.yml" in mk.read_text()
    dry = subprocess.run(
        ["make", "-n", "-C", str(sample), "test-up"], capture_output=True, text=True
    )
    named = re.findall(r"-f (\S+)", dry.stdout)
    assert named and all(Path(sample, f).is_file() for f in named), dry.stdout
