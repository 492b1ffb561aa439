"""The choices `apply` refuses, from the user's side: one line, exit 2, nothing written.

The rules live once in dashtam_wizard/service/ (the TUI's apply, checklist, problems and
report go through the same modules); here they are checked as a user meets them on the
command line.
"""

from __future__ import annotations

import json
import re
import signal
from pathlib import Path

from dashtam_wizard.apply.faults import ENV
from dashtam_wizard.tui.app import WizardApp
from dashtam_wizard.tui.ops import first_load_here
from dashtam_wizard.tui.screens.confirm import ConfirmModal

from .conftest import manifest, run_cli
from .test_tui_support import press, settle


def test_an_unknown_id_and_a_phase_ahead_of_a_pending_one_are_refused(sample: Path) -> None:
    before = manifest(sample)
    res = run_cli("apply", str(sample), "--skip", "p9:edit:nothing", "--yes")
    assert res.returncode == 2, res.stdout + res.stderr
    assert "unknown change id: p9:edit:nothing (see `dashtam-wizard plan` for ids)" in res.stdout
    res = run_cli("apply", str(sample), "--phase", "3", "--yes")
    assert res.returncode == 2, res.stdout + res.stderr
    assert "phase 1 has pending changes: apply it first (or add --phase 1)" in res.stdout
    assert manifest(sample) == before and not (sample / ".dashtam-wizard").exists()
    res = run_cli("apply", str(sample), "--phase", "1", "--phase", "2", "--yes")
    assert res.returncode == 0, res.stdout + res.stderr
    assert run_cli("apply", str(sample), "--phase", "3", "--yes").returncode == 0


def test_status_shows_the_problems_and_report_is_the_tuis(sample: Path) -> None:
    """`status` lists the plan's Current State problems the repo still has (the TUI's
    Overview); `report` prints the TUI's migration report, `--write` writes it as one
    transaction that rollback removes."""
    doc = json.loads(run_cli("status", str(sample), "--json").stdout)
    titles = {p["title"]: p for p in doc["problems"]}
    hard = titles["Environment variables hardcoded in compose files"]
    assert hard["severity"] == "high" and any(
        "docker-compose.dev.yml:" in e for e in hard["evidence"]
    )
    text = run_cli("status", str(sample)).stdout
    assert "Problems still present" in text and "docker-compose.dev.yml:" in text

    printed = run_cli("report", str(sample))
    assert printed.returncode == 0 and printed.stdout.startswith("# Migration report")
    assert (
        "Nothing applied yet." in printed.stdout
        and not (sample / "docs/migration-report.md").exists()
    )

    assert run_cli("apply", str(sample), "--yes").returncode == 0
    doc = json.loads(run_cli("status", str(sample), "--json").stdout)
    assert "Environment variables hardcoded in compose files" not in {
        p["title"] for p in doc["problems"]
    }
    written = run_cli("report", str(sample), "--write")
    assert written.returncode == 0, written.stdout + written.stderr
    report = (sample / "docs/migration-report.md").read_text()
    for item in doc["items"]:  # the same ticks as status (one rule for both)
        assert f"- [{'x' if item['done'] else ' '}] {item['text']}" in report
    assert "### Apply 0001-" in report
    assert run_cli("rollback", str(sample), "--yes").returncode == 0
    assert not (sample / "docs/migration-report.md").exists()


def test_an_interrupted_apply_is_finished_alike_by_both_front_ends(sample: Path) -> None:
    """One rule (service/repo.py) for a crash mid-apply: read-only commands refuse in one
    line naming what finishes it; the TUI's first load, and a command that writes, finish
    it first and say so in the same words, the files back as before the apply."""
    before = manifest(sample)

    def crash() -> None:
        killed = run_cli("apply", str(sample), "--yes", env={ENV: "100"})
        assert killed.returncode == -signal.SIGKILL, killed.stdout + killed.stderr
        assert manifest(sample) != before  # half-applied

    crash()
    for command in ("status", "plan", "report"):
        res = run_cli(command, str(sample))
        assert res.returncode == 2, (command, res.stdout + res.stderr)
        assert res.stderr.count("\n") == 1 and "rollback --yes" in res.stderr, res.stderr
    _state, tui_said = first_load_here(sample)  # the TUI, before Textual loads
    assert manifest(sample) == before

    crash()
    res = run_cli("report", str(sample), "--write")  # writes: finishes the apply first
    assert res.returncode == 0, res.stdout + res.stderr
    cli_said = res.stdout.splitlines()[0]
    assert run_cli("rollback", str(sample), "--yes").returncode == 0  # the report's transaction
    assert manifest(sample) == before

    def words(said: str | None) -> str:
        return re.sub(r"\b\d{4}-\d{8}-\d{6}\b", "<id>", said or "")

    assert words(tui_said).startswith("Recovered an interrupted operation: Rolled back <id>: ")
    assert words(cli_said) == words(tui_said)


async def test_the_tui_keeps_the_same_phase_order(sample: Path) -> None:
    """`a` on phase 3 with phase 1 pending: the rule `apply --phase 3` refuses by
    (doors.earlier_pending), said in the TUI's words; no dialog, nothing written."""
    before = manifest(sample)
    app = WizardApp(sample, docker_probe=False, gate_check=False)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await settle(pilot)
        await press(pilot, "3", "a")
        assert not isinstance(app.screen, ConfirmModal)
        said = [n.message for n in app._notifications]  # noqa: SLF001
        assert "Phase 1 has pending changes: apply it first (or A for all remaining)." in said
        await press(pilot, "1", "a")  # phase 1 itself is not held back
        assert isinstance(app.screen, ConfirmModal)
    assert manifest(sample) == before


def test_skipping_a_folder_that_chosen_changes_write_into_is_refused(sample: Path) -> None:
    """Moves into env/ would create it anyway: skipping `create env/` alone is refused in
    one line naming what writes into it; skipping everything that goes there too is a
    choice apply keeps (no env/, the env files where they were)."""
    before = manifest(sample)
    res = run_cli("apply", str(sample), "--skip", "p2:mkdir:env", "--yes")
    assert res.returncode == 2, res.stdout + res.stderr
    assert res.stdout.strip().splitlines() == [
        "'create env/' (p2:mkdir:env) is skipped, but chosen changes write into env/ "
        "(p2:move:env/.env.ci and 8 more): skip those too, or include the folder"
    ]
    assert manifest(sample) == before and not (sample / ".dashtam-wizard").exists()
    plan = json.loads(run_cli("plan", str(sample), "--json").stdout)
    into_env = [
        c["id"]
        for p in plan["phases"]
        for c in p["changes"]
        if c["path"].startswith("env/") and not c["id"].startswith("p4:")
    ]  # phase 4's edits of env/ files are planned only when they are moved there
    skips = [a for i in ("p2:mkdir:env", *into_env) for a in ("--skip", i)]
    res = run_cli("apply", str(sample), "--phase", "1", "--phase", "2", *skips, "--yes")
    assert res.returncode == 0, res.stdout + res.stderr
    assert not (sample / "env").exists() and (sample / ".env.dev").is_file()
    assert (sample / "compose/docker-compose.dev.yml").is_file()


async def test_the_tui_keeps_a_folder_that_chosen_changes_need(sample: Path) -> None:
    """Space on "create env/" in phase 2: the same rule, said as a warning; the row stays
    switched on and nothing is re-planned or skipped."""
    app = WizardApp(sample, docker_probe=False, gate_check=False)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await settle(pilot)
        await press(pilot, "2")
        changes = app.screen.query_one("ChangeList")
        ids = [c.id for c in changes.changes]  # type: ignore[attr-defined]
        await press(pilot, *["down"] * ids.index("p2:mkdir:env"), "space")
        said = [n.message for n in app._notifications]  # noqa: SLF001
        assert any(m.startswith("'create env/' (p2:mkdir:env) is skipped, but") for m in said)
        assert "p2:mkdir:env" not in app.options.skip
        row = str(changes.get_option("p2:mkdir:env").prompt)  # type: ignore[attr-defined]
        assert row.startswith("☑") and "skipped" not in row, row
