"""The CLI as tools around it use it: --version, `python -m`, JSON metadata, the
pre-commit hook this repository ships."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from ruamel.yaml import YAML

from .conftest import BIN, run_cli, schema_valid

ROOT = Path(__file__).resolve().parent.parent


def test_version_and_python_dash_m() -> None:
    from importlib.metadata import version

    want = f"dashtam-wizard {version('dashtam-wizard')}"
    for args in (["--version"], ["-V"]):
        res = run_cli(*args)
        assert res.returncode == 0 and res.stdout.strip() == want, res.stdout + res.stderr
    res = subprocess.run(
        [sys.executable, "-m", "dashtam_wizard", "--version"], capture_output=True, text=True
    )
    assert res.returncode == 0 and res.stdout.strip() == want, res.stderr
    top = run_cli("--help").stdout
    assert "[PATH]" in top and "--demo" in top and "--version" in top


def test_every_json_output_names_its_schema_and_tool(sample: Path) -> None:
    for args, kind in (
        (["plan", str(sample), "--json"], "plan"),
        (["status", str(sample), "--json"], "status"),
    ):
        doc = schema_valid(json.loads(run_cli(*args).stdout))
        assert (
            doc["kind"] == kind and doc["schema_version"] == 1 and doc["tool"] == "dashtam-wizard"
        ), doc.keys()
        assert re.fullmatch(r"\d+\.\d+\.\d+.*", doc["tool_version"])


def test_plan_check_lists_the_pending_ids_and_passes_a_repo_without_docker_files(
    sample: Path, tmp_path: Path
) -> None:
    res = run_cli("plan", str(sample), "--check")
    ids = [
        c["id"]
        for p in json.loads(run_cli("plan", str(sample), "--json").stdout)["phases"]
        for c in p["changes"]
        if c["default"]
    ]
    lines = res.stdout.splitlines()
    assert res.returncode == 1 and [ln.strip() for ln in lines[1:-1]] == ids
    assert (
        lines[-1] == "  gate: 19 command(s) resolve the same before and after (own Compose model)"
    )
    empty = tmp_path / "library"
    (empty / "src").mkdir(parents=True)
    (empty / "src" / "lib.py").write_text("x = 1\n")
    res = run_cli("plan", str(empty), "--check")
    assert res.returncode == 0 and "Nothing to migrate" in res.stdout, res.stdout + res.stderr
    assert run_cli("plan", str(empty)).returncode == 2  # without --check it is still an error


def test_the_pre_commit_hook_runs_plan_check_on_the_files_it_names(
    sample: Path, tmp_path: Path
) -> None:
    """The hook definition pre-commit reads: its entry, run as pre-commit runs it (in the
    repo, no file names), fails while there is something to migrate and passes after; its
    `files` pattern matches the layout's files and not the app's source."""
    [hook] = YAML(typ="safe").load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hook["pass_filenames"] is False and hook["language"] == "python"
    entry = shlex.split(hook["entry"])
    assert entry[0] == "dashtam-wizard"
    cmd = [str(BIN / entry[0]), *entry[1:]]
    assert subprocess.run(cmd, cwd=sample, capture_output=True).returncode == 1
    assert run_cli("apply", str(sample), "--yes").returncode == 0
    res = subprocess.run(cmd, cwd=sample, capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr
    files = re.compile(hook["files"])
    for rel in (
        "compose/docker-compose.dev.yml",
        "docker/Dockerfile",
        "env/.env.dev",
        "Makefile",
        ".dockerignore",
        "pyproject.toml",
        "uv.lock",
        "requirements.txt",
    ):
        assert files.search(rel), rel
    for rel in ("src/main.py", "tests/test_health.py", "README.md"):
        assert not files.search(rel), rel


def test_the_wheel_carries_its_license_and_says_posix_only(tmp_path: Path) -> None:
    """What `pip show` and a package index read: the MIT text the license field names, and
    that the wizard runs on POSIX systems only (the apply lock uses fcntl)."""
    import zipfile

    res = subprocess.run(
        ["uv", "build", "-q", "--wheel", "-o", str(tmp_path), str(ROOT)],
        capture_output=True,
        text=True,
    )
    assert res.returncode == 0, res.stderr
    [wheel] = tmp_path.glob("*.whl")
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        meta = z.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
        license_text = z.read(next(n for n in names if n.endswith("licenses/LICENSE"))).decode()
    assert "License-Expression: MIT" in meta and license_text.startswith("MIT License")
    assert "Classifier: Operating System :: POSIX" in meta
    assert not any(n.startswith("tests/") for n in names)


def test_piped_output_keeps_commands_and_paths_on_one_line(tmp_path: Path) -> None:
    """A pipe is 80 columns to rich: the commands people copy and the checklist's paths
    must not be hard-wrapped there, and `status` ends with the count."""
    repo = tmp_path / ("a-rather-long-folder-name-" * 3) / "ledgerly"
    env = {"COLUMNS": "80"}
    demo = run_cli("demo", str(repo), env=env)
    assert demo.stdout.strip().endswith(f"Next: `dashtam-wizard plan {repo}`"), demo.stdout
    applied = run_cli("apply", str(repo), "--yes", env=env)
    assert f"Undo with `dashtam-wizard rollback {repo} --yes`." in applied.stdout
    text = run_cli("status", str(repo), env=env).stdout
    items = json.loads(run_cli("status", str(repo), "--json").stdout)["items"]
    lines = text.splitlines()
    assert lines.count("Pre-Migration") == 1 and lines.count("Migration") == 1
    for item in items:  # each item on one line, its evidence whole
        line = next(ln for ln in lines if f" {item['text']}" in ln)
        if item.get("evidence"):
            assert item["evidence"] in line, line
    done = sum(1 for i in items if i["done"])
    assert re.search(rf"^{done}/{len(items)} done; \d+ need a person", lines[-1]), lines[-1]


def _git(top: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
        cwd=top,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def test_two_services_of_one_monorepo_migrated_and_rolled_back_alone(tmp_path: Path) -> None:
    """A service in a subfolder of a git repo: moves are `git mv` (git shows renames, not a
    delete and an untracked file), each service rolls back alone, the index with it."""
    top = tmp_path / "mono"
    for name in ("svc-a", "svc-b"):
        assert run_cli("demo", str(top / name)).returncode == 0
        shutil.rmtree(top / name / ".git")  # one repository for both, at the top
    _git(top, "init", "-q")
    _git(top, "add", "-A")
    _git(top, "commit", "-qm", "two services")
    files = {p: p.read_bytes() for p in top.rglob("*") if p.is_file() and ".git" not in p.parts}
    index = _git(top, "ls-files", "-s")

    for name in ("svc-a", "svc-b"):
        res = run_cli("apply", str(top / name), "--yes")
        assert res.returncode == 0, res.stdout + res.stderr
    status = _git(top, "status", "--porcelain")
    for name in ("svc-a", "svc-b"):
        assert f"{name}/docker-compose.ci.yml -> {name}/compose/docker-compose.ci.yml" in status
        assert f"{name}/.env.ci -> {name}/env/.env.ci" in status, status
    assert "?? svc-a/env/.env.ci" not in status and "D  svc-a/.env.ci" not in status

    res = run_cli("rollback", str(top / "svc-a"), "--yes")  # the first service alone
    assert res.returncode == 0, res.stdout + res.stderr
    a_now = {p: p.read_bytes() for p in (top / "svc-a").rglob("*") if p.is_file()}
    a_now = {p: d for p, d in a_now.items() if ".dashtam-wizard" not in p.parts}
    assert a_now == {p: d for p, d in files.items() if "svc-a" in p.parts}
    assert (top / "svc-b/compose/docker-compose.dev.yml").is_file()  # the other stays migrated
    status = _git(top, "status", "--porcelain")
    assert "svc-a/" not in status.replace("?? svc-a/.dashtam-wizard/", ""), status

    res = run_cli("rollback", str(top / "svc-b"), "--yes")
    assert res.returncode == 0, res.stdout + res.stderr
    now = {p: p.read_bytes() for p in top.rglob("*") if p.is_file() and ".git" not in p.parts}
    assert {p: d for p, d in now.items() if ".dashtam-wizard" not in p.parts} == files
    assert _git(top, "ls-files", "-s") == index


def test_shell_completion_offers_the_commands_and_their_options(tmp_path: Path) -> None:
    script = run_cli("completion", "bash")
    assert script.returncode == 0, script.stderr
    (tmp_path / "c.bash").write_text(script.stdout)

    def complete(*words: str) -> list[str]:
        line = " ".join(["dashtam-wizard", *words])
        probe = (
            f"source {tmp_path / 'c.bash'}; COMP_WORDS=(dashtam-wizard {' '.join(words)}); "
            f"COMP_CWORD={len(words)}; COMP_LINE='{line}'; COMP_POINT={len(line)}; "
            "_shtab_dashtam_wizard; printf '%s\\n' \"${COMPREPLY[@]}\""
        )
        out = subprocess.run(["bash", "-c", probe], capture_output=True, text=True, check=True)
        return out.stdout.split()

    assert complete("ro") == ["rollback"]
    assert "--convert" in complete("apply", "--") and "--yes" in complete("apply", "--")
    assert "--with-compose" in complete("plan", "--")
    zsh = run_cli("completion", "zsh")
    assert zsh.returncode == 0 and "#compdef dashtam-wizard" in zsh.stdout


def test_pre_commit_itself_runs_the_hook_from_this_repository(sample: Path, tmp_path: Path) -> None:
    """`pre-commit try-repo <this repository> dashtam-wizard-check` in a user's repo: pre-commit
    installs the wizard from this checkout the way it would from a tag, runs the hook, and it
    fails while something is left to migrate and passes once the repo is migrated."""
    env = {
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    }

    def hook() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(BIN / "pre-commit"), "try-repo", str(ROOT), "dashtam-wizard-check", "--all-files"],
            cwd=sample,
            capture_output=True,
            text=True,
            timeout=900,
            env={**os.environ, **env},
        )

    pending = hook()
    assert pending.returncode == 1, pending.stdout + pending.stderr
    assert "dashtam-wizard plan --check" in pending.stdout and "Failed" in pending.stdout
    assert "p2:move:compose/docker-compose.dev.yml" in pending.stdout  # the ids it lists
    assert run_cli("apply", str(sample), "--yes").returncode == 0
    subprocess.run(["git", "add", "-A"], cwd=sample, check=True)
    done = hook()
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Passed" in done.stdout


def test_demo_says_where_its_copy_stays(tmp_path: Path) -> None:
    """`dashtam-wizard --demo` in a terminal: quitting prints where the temporary copy is."""
    import pty
    import select
    import time

    main_fd, child_fd = pty.openpty()
    env = {**os.environ, "TMPDIR": str(tmp_path), "TERM": "xterm-256color", "COLUMNS": "120"}
    proc = subprocess.Popen(
        [str(BIN / "dashtam-wizard"), "--demo"],
        stdin=child_fd,
        stdout=child_fd,
        stderr=child_fd,
        env=env,
        close_fds=True,
    )
    os.close(child_fd)
    out = b""
    deadline = time.monotonic() + 120
    sent = False
    while time.monotonic() < deadline:
        ready, _, _ = select.select([main_fd], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(main_fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        if not sent and b"Overview" in out:
            time.sleep(1)
            os.write(main_fd, b"\x11")  # ctrl+q
            sent = True
        if proc.poll() is not None and not ready:
            break
    proc.wait(timeout=30)
    os.close(main_fd)
    text = re.sub(rb"\x1b\[[0-9;?]*[A-Za-z]", b"", out).decode(errors="replace")
    m = re.search(r"The demo repo stays at (\S+)/ledgerly \(your changes in it, too\)", text)
    assert proc.returncode == 0 and m, text[-600:]
    assert Path(m[1]).is_relative_to(tmp_path) and (Path(m[1]) / "ledgerly" / "Makefile").is_file()
