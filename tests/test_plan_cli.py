"""`dashtam-wizard plan` on the bundled sample, as a user runs it."""

from __future__ import annotations

import json
from pathlib import Path

from dotenv import dotenv_values

from dashtam_wizard.core.model import PHASE_TITLES
from dashtam_wizard.core.secrets import is_secret_key

from .conftest import manifest, run_cli


def secret_values(root: Path) -> set[str]:
    values = set()
    for name in (".env.dev", ".env.test", ".env.ci"):
        p = root / name
        if p.exists():
            for k, v in dotenv_values(p).items():
                if v and is_secret_key(k) and len(v) >= 6:
                    values.add(v)
    return values


def test_plan_prints_all_seven_phases_and_touches_nothing(sample: Path) -> None:
    before = manifest(sample)
    res = run_cli("plan", str(sample))
    assert res.returncode == 0, res.stderr
    for n, title in PHASE_TITLES.items():
        assert f"Phase {n} — {title}" in res.stdout
    assert "rename from docker-compose.dev.yml" in res.stdout
    assert "+USER appuser" in res.stdout
    assert manifest(sample) == before


def test_plan_never_prints_secret_values(sample: Path) -> None:
    secrets = secret_values(sample)
    assert len(secrets) >= 3, "the sample should carry secret-looking values to guard"
    for args in (["plan", str(sample)], ["plan", str(sample), "--json"], ["status", str(sample)]):
        out = run_cli(*args)
        assert out.returncode == 0, out.stderr
        for value in secrets:
            assert value not in out.stdout + out.stderr, f"{args[0]} leaked a secret value"
    shown = run_cli("plan", str(sample), "--show-secrets").stdout
    assert any(v in shown for v in secrets), "--show-secrets should reveal them"


def test_plan_json_detects_names_from_the_repo(sample: Path) -> None:
    data = json.loads(run_cli("plan", str(sample), "--json").stdout)
    assert data["project"] == "ledgerly"
    moves = {
        c["source"]: c["path"] for p in data["phases"] for c in p["changes"] if c["kind"] == "move"
    }
    assert moves["docker-compose.dev.yml"] == "compose/docker-compose.dev.yml"
    assert moves["docker-compose.yml"] == "compose/docker-compose.prod.yml.example"
    assert moves[".env.dev"] == "env/.env.dev"
    p1 = data["phases"][0]
    assert any(
        "email-validator" in c["diff"] for c in p1["changes"] if c["path"] == "pyproject.toml"
    )


def test_plan_check_exit_codes(sample: Path) -> None:
    assert run_cli("plan", str(sample), "--check").returncode == 1
    assert run_cli("apply", str(sample), "--yes").returncode == 0
    res = run_cli("plan", str(sample), "--check")
    assert res.returncode == 0, res.stdout
    assert "Nothing left to do" in res.stdout


def test_plan_colours_only_when_asked_and_never_passes_escapes_through(sample: Path) -> None:
    """A value holding a terminal escape must not drive the user's terminal."""
    env_dev = sample / ".env.dev"
    env_dev.write_bytes(env_dev.read_bytes() + b"GREETING=\x1b]0;pwned\x07hello\n")
    plain = run_cli("plan", str(sample), env={"NO_COLOR": "1", "FORCE_COLOR": ""})
    assert plain.returncode == 0, plain.stderr
    assert "\x1b" not in plain.stdout
    assert "\ufffd]0;pwned\ufffdhello" in plain.stdout
    coloured = run_cli("plan", str(sample), env={"FORCE_COLOR": "1", "NO_COLOR": ""})
    assert "\x1b[32m+" in coloured.stdout  # added diff lines in green
    assert "\x1b]0;" not in coloured.stdout
    strip = __import__("re").compile(r"\x1b\[[0-9;]*m")
    assert strip.sub("", coloured.stdout) == plain.stdout


def test_plan_into_a_reader_that_stops_early_says_nothing(sample: Path) -> None:
    """`dashtam-wizard plan | head`: no 'Broken pipe' line, no traceback."""
    import subprocess

    from .conftest import BIN

    proc = subprocess.Popen(
        [str(BIN / "dashtam-wizard"), "plan", str(sample)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.readline().startswith(b"Plan for ")
    proc.stdout.close()
    err = proc.stderr.read()
    assert proc.wait(timeout=120) == 141
    assert err == b""


def test_a_backup_copy_is_one_line_and_the_plan_ends_with_what_to_run(sample: Path) -> None:
    """uv.lock's backup is `identical copy, N lines`, not N "+" lines; the plan ends with the
    changes per phase, what is pending, the gate's answer and the next command, each on one
    line."""
    res = run_cli("plan", str(sample))
    assert res.returncode == 0, res.stderr
    lock_lines = len((sample / "uv.lock").read_text().splitlines())
    out = res.stdout
    assert f"copy from uv.lock\ncopy to uv.lock.backup\nidentical copy, {lock_lines} lines\n" in out
    assert out.count("\n+") < lock_lines  # the lock's lines are not printed as additions
    tail = out.rstrip("\n").splitlines()[-5:]
    doc = json.loads(run_cli("plan", str(sample), "--json").stdout)
    per_phase = {p["number"]: sum(1 for c in p["changes"] if c["default"]) for p in doc["phases"]}
    assert tail[0].startswith("── Summary"), tail
    assert tail[1] == "  changes per phase  " + "  ".join(
        f"{n}: {k}" for n, k in per_phase.items() if k
    ), tail
    assert tail[2].startswith(f"  {sum(per_phase.values())} change(s) pending"), tail
    assert tail[3] == "  gate: 19 command(s) resolve the same before and after (own Compose model)"
    assert tail[4] == f"  next: dashtam-wizard apply {sample.resolve()} --yes", tail
    assert run_cli("apply", str(sample), "--yes").returncode == 0
    done = run_cli("plan", str(sample)).stdout.rstrip("\n").splitlines()
    assert done[-1] == f"  next: dashtam-wizard verify {sample.resolve()}", done[-4:]


def test_a_note_that_applies_to_several_files_is_said_once(sample: Path) -> None:
    """Phase 4 adds `name:` to the three compose files: one plan fix naming the three, not
    the same paragraph three times in the notes pane."""
    doc = json.loads(run_cli("plan", str(sample), "--json").stdout)
    notes = [n["text"] for p in doc["phases"] if p["number"] == 4 for n in p["notes"]]
    named = [n for n in notes if "added `name: ledgerly`" in n]
    assert len(named) == 1, notes
    assert named[0].startswith(
        "compose/docker-compose.ci.yml, compose/docker-compose.dev.yml, "
        "compose/docker-compose.test.yml: added `name: ledgerly`"
    ), named
