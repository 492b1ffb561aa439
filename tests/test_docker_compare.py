"""`dashtam-wizard verify --compare-builds` on a real daemon: the legacy Dockerfile comes
back from the apply journal byte for byte, both layouts' dev builds are timed after the
same changes in a scratch copy, the table and the JSON carry a ratio for each change, the
migration report shows them, and the user's repo (and journal) are never touched.

No timing assertions: the figures depend on the machine and PyPI; the tests check that
each ratio exists and is positive, and what the builds did (which steps ran). The ratios of
each run are printed under "dashtam-wizard figures" at the end of the test session.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from dashtam_wizard.core.context import Options
from dashtam_wizard.docker.compare import COMPARE_FILE, copy_repo, read_journal, restore_legacy
from dashtam_wizard.service import report as tui_report
from dashtam_wizard.service.state import load as load_state
from tests.dockerd import dockerd_client, legacy_repo, migrated_repo  # noqa: F401

from .conftest import manifest, run_cli, schema_valid
from .figures import record

LABELS = ("nothing changed", "source file edited", "dependency added")
STATE = ".dashtam-wizard"


@dataclass
class Run:
    repo: Path
    code: int
    out: str
    err: str


def compare(repo: Path, *extra: str, env: dict[str, str] | None = None) -> Run:
    res = run_cli("verify", str(repo), "--compare-builds", *extra, env=env)
    return Run(repo, res.returncode, res.stdout, res.stderr)


def journal_manifest(repo: Path) -> dict[str, bytes]:
    """The apply records: compare reads them and must leave them exactly as they were."""
    root = repo / STATE / "applies"
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def one_line(run: Run) -> str:
    lines = [ln for ln in (run.out + run.err).splitlines() if ln.strip()]
    assert len(lines) == 1, run.out + run.err
    return lines[0]


# -- the legacy tree from the journal (no daemon needed) -----------------------------------------
@pytest.mark.parametrize("first", [None, ["1", "2", "3"]], ids=["one-apply", "two-applies"])
def test_journal_gives_back_the_legacy_tree_byte_for_byte(
    tmp_path: Path, first: list[str] | None
) -> None:
    repo = legacy_repo(tmp_path / "ledgerly")
    legacy = manifest(repo)
    legacy.pop(".git/index", None)
    if first:  # phases 1-3, then the rest: for paths both touched, the older pre-state must win
        phases = [a for p in first for a in ("--phase", p)]
        assert run_cli("apply", str(repo), *phases, "--yes").returncode == 0
    assert run_cli("apply", str(repo), "--yes").returncode == 0
    before = manifest(repo)
    journal = read_journal(repo)
    assert len(journal.applies) == (2 if first else 1)
    assert "docker/Dockerfile" in journal.dockerfiles

    copy_repo(repo, tmp_path / "scratch")
    restore_legacy(tmp_path / "scratch", journal)
    assert manifest(tmp_path / "scratch") == legacy
    assert manifest(repo) == before


def test_unmigrated_repo_exits_2_with_one_line(tmp_path: Path) -> None:
    repo = legacy_repo(tmp_path / "ledgerly")
    before = manifest(repo)
    run = compare(repo)
    assert run.code == 2
    assert "not migrated" in one_line(run) and "dashtam-wizard apply" in one_line(run)
    assert manifest(repo) == before and not (repo / STATE).exists()
    assert "## Build comparison" not in tui_report.build(load_state(repo, Options()), {})


def test_migrated_without_the_dockerfile_phase_exits_2(tmp_path: Path) -> None:
    repo = legacy_repo(tmp_path / "ledgerly")
    assert run_cli("apply", str(repo), "--phase", "1", "--phase", "2", "--yes").returncode == 0
    run = compare(repo, "--json")
    assert run.code == 2 and run.out == ""
    assert "no pre-migration Dockerfile" in one_line(run)


def test_no_daemon_and_bad_flags_exit_2_with_one_line(tmp_path: Path) -> None:
    repo = migrated_repo(tmp_path / "ledgerly")
    before, journal = manifest(repo), journal_manifest(repo)
    run = compare(repo, env={"DOCKER_HOST": "unix:///nonexistent/dashtam-compare.sock"})
    assert run.code == 2 and "cannot reach a Docker daemon" in one_line(run)
    run = compare(repo, "--rounds", "0")
    assert run.code == 2 and "--rounds" in one_line(run)
    res = run_cli("verify", str(repo), "--rounds", "2")
    assert res.returncode == 2 and "--compare-builds" in one_line(
        Run(repo, 2, res.stdout, res.stderr)
    )
    assert manifest(repo) == before and journal_manifest(repo) == journal
    assert not (repo / STATE / COMPARE_FILE).exists()


# -- on the daemon ---------------------------------------------------------------------------------
@dataclass
class Compared:
    text: Run
    json: Run
    before: dict
    after: dict
    journal_before: dict
    journal_after: dict


@pytest.fixture(scope="module")
def compared(dockerd_client, tmp_path_factory) -> Compared:  # noqa: F811
    repo = migrated_repo(tmp_path_factory.mktemp("compare") / "ledgerly")
    before, journal = manifest(repo), journal_manifest(repo)
    text = compare(repo, "--rounds", "1")
    as_json = compare(repo, "--rounds", "1", "--json")
    return Compared(text, as_json, before, manifest(repo), journal, journal_manifest(repo))


def table_row(text: str, label: str) -> tuple[float, float, float]:
    """(legacy s, migrated s, ratio) of a row of the rich table."""
    m = re.search(
        rf"│\s*{re.escape(label)}\s*│[^│\n]*│\s*([\d.]+) s\s*│\s*([\d.]+) s\s*│\s*([\d.]+)×\s*│",
        text,
    )
    assert m, f"no table row {label!r} in:\n{text}"
    return float(m[1]), float(m[2]), float(m[3])


@pytest.mark.docker
def test_compare_builds_prints_progress_and_a_ratio_per_change(compared: Compared) -> None:
    run = compared.text
    assert run.code == 0, run.out + run.err
    assert run.err == ""
    for line in (
        "legacy   docker/Dockerfile target development, dependencies in requirements.txt",
        "migrated docker/Dockerfile target development, dependencies in pyproject.toml + `uv lock`",
        "Changes: source edit of src/main.py; dependency added: six",
        "Round 1/1",
        "legacy   dependency added",
        "migrated dependency added   uv lock",
    ):
        assert line in run.out, run.out
    for label in LABELS:
        legacy_s, migrated_s, ratio = table_row(run.out, label)
        assert legacy_s > 0 and migrated_s > 0 and ratio > 0
    assert table_row(run.out, "+ uv lock on the host")[2] > 0
    assert "Saved to .dashtam-wizard/compare-builds.json" in run.out


@pytest.mark.docker
def test_compare_builds_json_fields(compared: Compared) -> None:
    run = compared.json
    assert run.code == 0, run.out + run.err
    doc = schema_valid(json.loads(run.out))
    assert doc == json.loads((run.repo / STATE / COMPARE_FILE).read_text())  # what the report reads
    assert doc["legacy"] == {
        "dockerfile": "docker/Dockerfile",
        "target": "development",
        "dependency_file": "requirements.txt",
        "uv_lock": False,
    }
    assert doc["migrated"] == {
        "dockerfile": "docker/Dockerfile",
        "target": "development",
        "dependency_file": "pyproject.toml",
        "uv_lock": True,
    }
    assert doc["rounds"] == 1 and len(doc["applies"]) == 1
    assert doc["source_file"] == "src/main.py" and doc["dependency"] == "six"
    by = {s["id"]: s for s in doc["scenarios"]}
    assert list(by) == ["none", "source", "dependency"]
    for s in by.values():
        assert s["legacy_seconds"] > 0 and s["migrated_seconds"] > 0 and s["ratio"] > 0
        assert len(s["legacy"]) == len(s["migrated"]) == 1
    # what the builds did: nothing ran without a change; a source edit re-ran the steps from
    # `COPY . .` on; a dependency change also re-ran the dependency layer (uv, with a lock)
    for side in ("legacy", "migrated"):
        none, src, dep = (by[k][side][0] for k in ("none", "source", "dependency"))
        assert none["rebuilt_steps"] == 0
        assert 0 < src["rebuilt_steps"] < dep["rebuilt_steps"]
        assert dep["uv_seconds"].get("install", 0) > 0
    assert by["dependency"]["migrated"][0]["uv_lock_seconds"] > 0
    assert by["dependency"]["migrated_uv_lock_seconds"] > 0
    assert by["dependency"]["ratio_with_uv_lock"] > 0
    assert "resolve" in by["dependency"]["legacy"][0]["uv_seconds"]  # the legacy build resolves
    assert "resolve" not in by["dependency"]["migrated"][0]["uv_seconds"]  # the lock did that
    for s in doc["scenarios"]:
        record(f"compare-builds {s['id']} (migrated/legacy)", f"{s['ratio']:.2f}")
    record(
        "compare-builds dependency incl. uv lock", f"{by['dependency']['ratio_with_uv_lock']:.2f}"
    )


@pytest.mark.docker
def test_compare_builds_leaves_the_repo_and_journal_alone(
    compared: Compared,
    dockerd_client,  # noqa: F811
) -> None:
    assert compared.after == compared.before
    assert compared.journal_after == compared.journal_before
    scratch = re.search(r"Scratch copies in (\S+)", compared.text.out)
    assert scratch and not Path(scratch[1]).exists(), "the scratch copies were not removed"
    # nothing tagged: only the layer cache stays in the daemon (the legacy image holds .env files)
    tags = [t for image in dockerd_client.images.list() for t in image.tags]
    assert not [t for t in tags if "compare" in t], tags


@pytest.mark.docker
def test_migration_report_has_the_build_comparison(compared: Compared) -> None:
    doc = json.loads(compared.json.out)
    text = tui_report.build(load_state(compared.json.repo, Options()), {})
    assert "## Build comparison" in text
    section = text.split("## Build comparison", 1)[1].split("\n## ", 1)[0]
    for s in doc["scenarios"]:
        assert f"| {s['label']} |" in section and f"{s['ratio']:.2f}×" in section, section
    assert "plus `uv lock` on the host" in section
    assert text.index("## Build comparison") < text.index("## Migration Checklist")
