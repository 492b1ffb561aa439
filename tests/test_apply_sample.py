"""apply → files on disk as the plan says; Compose resolves the same; rollback is byte-identical."""

from __future__ import annotations

import os
import re
import stat
import subprocess
from pathlib import Path

import pytest

from .conftest import compose_config, manifest, run_cli

ENVS = ("dev", "test", "ci")


def _git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(root), *args], capture_output=True, text=True, check=True
    ).stdout


def _views(cfg: dict) -> dict[str, tuple[dict, dict]]:
    out = {}
    for name, svc in cfg["services"].items():
        env = {k: v for k, v in (svc.get("environment") or {}).items()}
        binds = {
            v["target"]: v["source"] for v in svc.get("volumes", []) if v.get("type") == "bind"
        }
        out[name] = (env, binds)
    return out


def test_apply_moves_and_generates_what_the_plan_says(sample: Path) -> None:
    res = run_cli("apply", str(sample), "--yes")
    assert res.returncode == 0, res.stdout + res.stderr
    for env in ENVS:
        assert (sample / "compose" / f"docker-compose.{env}.yml").is_file()
        assert not (sample / f"docker-compose.{env}.yml").exists()
        assert (sample / "env" / f".env.{env}").is_file()
    assert (sample / "compose/docker-compose.prod.yml.example").is_file()
    assert not (sample / "docker-compose.yml").exists()
    assert (sample / ".env.example").is_file() and (sample / "env/.env.prod.example").is_file()
    for env in ("dev", "test"):
        assert stat.S_IMODE((sample / "env" / f".env.{env}").stat().st_mode) == 0o600
    dockerfile = (sample / "docker/Dockerfile").read_text()
    assert "USER appuser" in dockerfile and "uv init" not in dockerfile
    assert not (sample / "docker/.dockerignore").exists()
    assert ".env" in (sample / ".dockerignore").read_text()
    assert (sample / "env/README.md").is_file()
    assert (sample / "pyproject.toml.backup").is_file() and (sample / "uv.lock.backup").is_file()
    assert "email-validator" in (sample / "pyproject.toml").read_text()
    assert "email-validator" in (sample / "uv.lock").read_text()
    # git history follows the moves
    status = _git(sample, "status", "--porcelain")
    assert re.search(
        r"^R[ M] docker-compose.dev.yml -> compose/docker-compose.dev.yml$", status, re.M
    ), status


def test_gitignore_rules_checked_by_git(sample: Path) -> None:
    assert run_cli("apply", str(sample), "--yes").returncode == 0
    paths = [
        "env/.env.dev",
        "env/.env.test",
        "env/.env.prod",
        "env/.env.ci",
        "env/.env.example",
        "env/.env.prod.example",
        "env/README.md",
        "pyproject.toml",
        "uv.lock",
    ]
    res = subprocess.run(
        ["git", "-C", str(sample), "check-ignore", "--no-index", *paths],
        capture_output=True,
        text=True,
    )
    assert set(res.stdout.split()) == {"env/.env.dev", "env/.env.test", "env/.env.prod"}
    assert ".dashtam-wizard" not in _git(sample, "status", "--porcelain", "--ignored=no")


def test_makefile_runs_the_moved_files(sample: Path) -> None:
    assert run_cli("apply", str(sample), "--yes").returncode == 0
    for target, env in (("dev-up", "dev"), ("test", "test"), ("ci-test", "ci")):
        out = subprocess.run(
            ["make", "-n", target], cwd=sample, capture_output=True, text=True, check=True
        ).stdout
        assert f"-f compose/docker-compose.{env}.yml --env-file env/.env.{env}" in out, out
    mk = (sample / "Makefile").read_text()
    assert "\t" in mk and "docker-compose.dev.yml --env-file .env.dev" not in mk


@pytest.mark.parametrize("env", ENVS)
def test_compose_resolves_the_same_environment_and_mounts(sample: Path, env: str) -> None:
    before = _views(compose_config(sample, f"docker-compose.{env}.yml", f".env.{env}"))
    assert run_cli("apply", str(sample), "--yes").returncode == 0
    after = _views(compose_config(sample, f"compose/docker-compose.{env}.yml", f"env/.env.{env}"))
    assert before.keys() == after.keys()
    for name, (env_b, binds_b) in before.items():
        env_a, binds_a = after[name]
        assert {k: env_a.get(k) for k in env_b} == env_b, f"{name}: environment changed"
        for target, source in binds_b.items():
            if not os.path.basename(source).startswith(".env"):
                assert binds_a[target] == source, f"{name}: mount {target} moved"


def test_prod_example_is_accepted_by_compose(sample: Path) -> None:
    assert run_cli("apply", str(sample), "--yes").returncode == 0
    (sample / "env/.env.prod").write_text((sample / "env/.env.prod.example").read_text())
    import shutil

    shutil.copy(
        sample / "compose/docker-compose.prod.yml.example", sample / "compose/prod-check.yml"
    )
    compose_config(sample, "compose/prod-check.yml", "env/.env.prod")


def test_rollback_restores_every_byte(sample: Path) -> None:
    before = manifest(sample)
    assert run_cli("apply", str(sample), "--yes").returncode == 0
    assert manifest(sample) != before
    res = run_cli("rollback", str(sample), "--yes")
    assert res.returncode == 0, res.stdout + res.stderr
    assert manifest(sample) == before


def test_phase_by_phase_then_rollback_all(sample: Path) -> None:
    before = manifest(sample)
    res = run_cli("apply", str(sample), "--phase", "4", "--yes")
    assert res.returncode == 2 and "phase 1 has pending changes" in res.stdout
    for n in range(1, 8):
        res = run_cli("apply", str(sample), "--phase", str(n), "--yes")
        assert res.returncode == 0, res.stdout + res.stderr
    assert run_cli("plan", str(sample), "--check").returncode == 0
    listing = run_cli("rollback", str(sample), "--list").stdout
    assert listing.count("applied") >= 7
    assert run_cli("rollback", str(sample), "--all", "--yes").returncode == 0
    assert manifest(sample) == before


def test_env_readme_tells_other_checkouts_how_to_move_their_own_env_files(tmp_path: Path) -> None:
    """.env.dev and .env.test are not in git: a colleague's checkout keeps them at the root
    after pulling the migration. env/README.md gives the moves, and running them there makes
    `make -n dev-up` name files that exist."""
    import shutil

    from dashtam_wizard.demo import write_sample

    repo = write_sample(tmp_path / "ledgerly")
    colleague = tmp_path / "colleague"
    shutil.copytree(
        repo, colleague
    )  # their checkout before the migration, local env files included
    assert run_cli("apply", str(repo), "--yes").returncode == 0
    readme = (repo / "env/README.md").read_text()
    moves = re.findall(r"^\[ -f (\S+) \] && mv (\S+) (\S+)$", readme, re.M)
    assert {m[0] for m in moves} == {".env.dev", ".env.test"}, readme
    # the colleague pulls: tracked files as migrated, their untracked env files where they were
    for rel in subprocess.run(
        ["git", "-C", str(repo), "ls-files"], capture_output=True, text=True
    ).stdout.split():
        (colleague / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(repo / rel, colleague / rel)
    script = readme.split("```bash\nmkdir -p env\n", 1)[1].split("```", 1)[0]
    subprocess.run(["bash", "-c", "mkdir -p env\n" + script], cwd=colleague, check=True)
    dry = subprocess.run(
        ["make", "-n", "dev-up"], cwd=colleague, capture_output=True, text=True
    ).stdout
    named = re.findall(r"(?:-f|--env-file) (\S+)", dry)
    assert named and all((colleague / f).is_file() for f in named), (named, dry)
