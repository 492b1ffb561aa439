"""The choices `apply` refuses, from the user's side: one line, exit 2, nothing written.

The rules live once in dashtam_wizard/service.py (the TUI's apply goes through the same
door); here they are checked as a user meets them on the command line.
"""

from __future__ import annotations

from pathlib import Path

from .conftest import manifest, run_cli


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
