"""A corpus of broken, odd and hostile repos: each migrates correctly, or is refused with
exit 2, one line naming the file (and line), and zero bytes changed.

Each case is a function that damages a fresh copy of the bundled sample and returns
what to expect: OK (apply works, Compose accepts the result, rollback restores every
byte) or a Refusal naming the file the message must mention.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from .conftest import compose_config, manifest, run_cli


@dataclass(frozen=True)
class Refusal:
    names: str  # text the one-line error must contain, e.g. "docker-compose.dev.yml:12"


OK = None
DEV = "docker-compose.dev.yml"


def _edit(root: Path, name: str, old: str, new: str, count: int = 1) -> None:
    p = root / name
    text = p.read_text()
    assert old in text, f"{name} has no {old!r}"
    p.write_text(text.replace(old, new, count))


def _line_of(root: Path, name: str, needle: str) -> int:
    return next(
        n for n, line in enumerate((root / name).read_text().splitlines(), 1) if needle in line
    )


# --- YAML --------------------------------------------------------------------------
def yaml_tab(r: Path):
    _edit(r, DEV, "  app:", "\tapp:")
    return Refusal(f"{DEV}:{_line_of(r, DEV, chr(9) + 'app:')}")


def yaml_unclosed_quote(r: Path):
    (r / DEV).write_text((r / DEV).read_text() + '\nx-broken: "never closed\n')
    return Refusal(f"{DEV}:")


def yaml_duplicate_key(r: Path):
    (r / DEV).write_text((r / DEV).read_text() + "\nservices: {}\n")
    return Refusal(f"{DEV}:")


def yaml_multiple_documents(r: Path):
    (r / DEV).write_text((r / DEV).read_text() + "\n---\nservices: {}\n")
    return Refusal(DEV)


def yaml_empty_file(r: Path):
    (r / DEV).write_text("# nothing here yet\n")
    return Refusal(DEV)


def yaml_top_level_list(r: Path):
    (r / DEV).write_text("- services\n- app\n")
    return Refusal(DEV)


def yaml_services_not_mapping(r: Path):
    (r / DEV).write_text("services:\n  - app\n")
    return Refusal(DEV)


def yaml_bad_interpolation(r: Path):
    _edit(
        r, DEV, "REDIS_URL: redis://redis:6379/0", "REDIS_URL: redis://${REDIS_HOST:-redis:6379/0"
    )
    return Refusal(DEV)


def yaml_anchors_merge_keys(r: Path):
    text = (r / DEV).read_text()
    text = "x-healthy: &healthy\n  interval: 10s\n  retries: 5\n\n" + text
    text = text.replace("  redis:\n", "  redis:\n    labels: &lbl\n      tier: cache\n", 1)
    (r / DEV).write_text(text)
    return OK


def yaml_obsolete_version_key(r: Path):
    (r / DEV).write_text('version: "3.8"\n' + (r / DEV).read_text())
    return OK


def yaml_long_volumes(r: Path):
    _edit(
        r,
        DEV,
        "      - ./tests:/app/tests\n",
        "      - type: bind\n        source: ./tests\n        target: /app/tests\n        read_only: true\n",
    )
    return OK


def yaml_extends_other_file(r: Path):
    (r / "common.yml").write_text(
        "services:\n  base:\n    image: busybox\n    environment:\n      TZ: UTC\n"
    )
    _edit(
        r,
        DEV,
        "  redis:\n",
        "  redis:\n    extends:\n      file: common.yml\n      service: base\n",
    )
    return OK


def yaml_huge_compose_file(r: Path):
    big = "".join(f"      LABEL_{i}: {'x' * 90}\n" for i in range(110_000))
    (r / DEV).write_text(
        (r / DEV).read_text() + "\nx-big:\n  labels:\n" + big.replace("      ", "    ")
    )
    return Refusal(DEV)


def binary_compose_file(r: Path):
    (r / DEV).write_bytes(b"\x00\x01\x02binary\xff")
    return Refusal(DEV)


def compose_not_utf8(r: Path):
    (r / DEV).write_bytes((r / DEV).read_bytes().replace(b"ledgerly", b"l\xe9dgerly", 1))
    return Refusal(f"{DEV}:")


# --- env files ---------------------------------------------------------------------
def env_export_prefix(r: Path):
    _edit(r, ".env.dev", "POSTGRES_USER=", "export POSTGRES_USER=")
    return OK


def env_quotes_and_equals(r: Path):
    (r / ".env.dev").write_text(
        (r / ".env.dev").read_text()
        + "EXTRA_A='single # not a comment'\nEXTRA_B=\"a=b=c\"\nEXTRA_C=x=y\n"
    )
    return OK


def env_multiline_value(r: Path):
    (r / ".env.dev").write_text((r / ".env.dev").read_text() + 'CERT="line one\nline two"\n')
    return OK


def env_no_trailing_newline(r: Path):
    (r / ".env.dev").write_text((r / ".env.dev").read_text().rstrip("\n"))
    return OK


def env_crlf(r: Path):
    (r / ".env.dev").write_bytes((r / ".env.dev").read_bytes().replace(b"\n", b"\r\n"))
    return OK


def env_bad_line(r: Path):
    (r / ".env.dev").write_text("GOOD=1\nthis line is not an assignment\n")
    return Refusal(".env.dev:2")


def env_not_utf8(r: Path):
    (r / ".env.dev").write_bytes(b"A=caf\xe9\n")
    return Refusal(".env.dev")


# --- other inputs ------------------------------------------------------------------
def makefile_unusual(r: Path):
    mk = r / "Makefile"
    mk.write_text(
        mk.read_text()
        + "\nDEV_FILE ?= docker-compose.dev.yml\nDC = docker compose -f $(DEV_FILE)\n"
        "odd-target: ; $(DC) --env-file .env.dev ps\n\nwith-continuation:\n"
        "\tdocker compose \\\n\t  -f docker-compose.dev.yml \\\n\t  --env-file .env.dev config\n"
    )
    return OK


def makefile_without_compose(r: Path):
    (r / "Makefile").write_text("test:\n\tpytest -q\n")
    return OK


def no_makefile(r: Path):
    (r / "Makefile").unlink()
    return OK


def no_dockerfile(r: Path):
    (r / "docker/Dockerfile").unlink()
    (r / "docker").rmdir()
    return OK


def pyproject_does_not_parse(r: Path):
    (r / "pyproject.toml").write_text("[project\nname = 'x'\n")
    return Refusal("pyproject.toml")


def requirements_invalid_line(r: Path):
    (r / "requirements.txt").write_text("fastapi>=0.110\nnot a valid requirement!!\n")
    return Refusal("requirements.txt:2")


def symlink_outside_repo(r: Path):
    os.symlink("/etc/passwd", r / "requirements-extra.txt")
    return Refusal("requirements-extra.txt")


def symlinked_dir_outside_repo(r: Path, tmp: Path):
    outside = tmp / "outside"
    outside.mkdir()
    os.symlink(outside, r / "compose")
    return Refusal("compose")


def read_only_files(r: Path):
    for name in ("Makefile", DEV, ".env.dev"):
        (r / name).chmod(0o444)
    return OK


def compose_dir_has_different_file(r: Path):
    (r / "compose").mkdir()
    (r / "compose" / DEV).write_text("services: {}\n")
    return Refusal(f"compose/{DEV}")


def env_dir_has_different_file(r: Path):
    (r / "env").mkdir()
    (r / "env/.env.dev").write_text("OTHER=1\n")
    return Refusal("env/.env.dev")


def compose_dir_has_same_file(r: Path):
    (r / "compose").mkdir()
    (r / "compose" / DEV).write_bytes((r / DEV).read_bytes())
    return OK


def no_git_repo(r: Path):
    import shutil

    shutil.rmtree(r / ".git")
    return OK


def nothing_to_migrate(r: Path):
    for p in list(r.iterdir()):
        if p.name.startswith("docker") or p.name == "docker":
            if p.is_dir():
                import shutil

                shutil.rmtree(p)
            else:
                p.unlink()
    return Refusal("nothing to migrate")


CASES = {
    f.__name__: f
    for f in [
        yaml_tab,
        yaml_unclosed_quote,
        yaml_duplicate_key,
        yaml_multiple_documents,
        yaml_empty_file,
        yaml_top_level_list,
        yaml_services_not_mapping,
        yaml_bad_interpolation,
        yaml_anchors_merge_keys,
        yaml_obsolete_version_key,
        yaml_long_volumes,
        yaml_extends_other_file,
        yaml_huge_compose_file,
        binary_compose_file,
        compose_not_utf8,
        env_export_prefix,
        env_quotes_and_equals,
        env_multiline_value,
        env_no_trailing_newline,
        env_crlf,
        env_bad_line,
        env_not_utf8,
        makefile_unusual,
        makefile_without_compose,
        no_makefile,
        no_dockerfile,
        pyproject_does_not_parse,
        requirements_invalid_line,
        symlink_outside_repo,
        symlinked_dir_outside_repo,
        read_only_files,
        compose_dir_has_different_file,
        env_dir_has_different_file,
        compose_dir_has_same_file,
        no_git_repo,
        nothing_to_migrate,
    ]
}


def test_corpus_is_at_least_thirty_cases() -> None:
    assert len(CASES) >= 30


@pytest.mark.parametrize("case", sorted(CASES))
def test_corpus_case(sample: Path, tmp_path: Path, case: str) -> None:
    fn = CASES[case]
    expect = fn(sample, tmp_path) if fn.__code__.co_argcount == 2 else fn(sample)
    before = manifest(sample)
    res = run_cli("apply", str(sample), "--yes")
    if isinstance(expect, Refusal):
        assert res.returncode == 2, res.stdout + res.stderr
        err = res.stderr.strip()
        assert len(err.splitlines()) == 1, err
        assert expect.names in err and "Traceback" not in err, err
        assert manifest(sample) == before
        plan = run_cli("plan", str(sample))
        assert plan.returncode == 2 and expect.names in plan.stderr
        return
    assert res.returncode == 0, res.stdout + res.stderr
    if (sample / "compose" / DEV).exists():
        compose_config(sample, f"compose/{DEV}", "env/.env.dev")
    assert run_cli("plan", str(sample), "--check").returncode == 0
    assert run_cli("rollback", str(sample), "--yes").returncode == 0
    assert manifest(sample) == before
