"""The plan's Testing Strategy as checks on built images, each with evidence and a place to fix.

Values of environment variables never appear in evidence unmasked: they go through
`dashtam_wizard.core.secrets.mask_value`.
"""

from __future__ import annotations

import os
import shlex
import shutil
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
from docker.errors import DockerException

from dashtam_wizard.core.secrets import mask_value

from ..events import CheckResult
from .containers import ContainerGone, Probe, run_once
from .context import ContextReport
from .services import ComposeService

APP_DIR = "/app"
APP_USER = "appuser"
ROOT_NAMES = {"", "root", "0"}
FIX_UID = '--build-arg UID="$(id -u)" --build-arg GID="$(id -g)"'


class CheckInterrupted(Exception):
    """A check could not finish because its container was killed or removed from outside.

    Not a failed check (the image may be fine), so verify stops: `str()` is the one line
    naming the check and the container, shown instead of a results table.
    """


def error(name: str, exc: Exception, where: str | None = None) -> CheckResult:
    """The result of a check that could not run; raises CheckInterrupted instead when its
    container was killed under it (every check routes its Docker errors through here)."""
    if isinstance(exc, ContainerGone):
        raise CheckInterrupted(
            f"the check '{name}' could not finish: {exc}; nothing in the "
            "repository was changed: re-run verify"
        ) from None
    text = str(getattr(exc, "explanation", None) or exc).strip().splitlines()
    return CheckResult(
        name, False, f"could not run the check: {text[0] if text else type(exc).__name__}", where
    )


def is_root_user(user: str | None) -> bool:
    name = (user or "").split(":", 1)[0].strip()
    return name in ROOT_NAMES


# -- 1. user ------------------------------------------------------------------------------------
def check_image_user(image_attrs: dict[str, Any], label: str, where: str | None) -> CheckResult:
    user = (image_attrs.get("Config") or {}).get("User") or ""
    name = f"non-root USER [{label}]"
    if is_root_user(user):
        shown = f"User={user}" if user else "no USER instruction"
        return CheckResult(
            name, False, f"image runs as root ({shown}); add `USER {APP_USER}`", where
        )
    return CheckResult(name, True, f"image config User={user}", where)


def check_identity(probe: Probe, label: str, uid: int, gid: int, where: str | None) -> CheckResult:
    name = f"runs as {APP_USER} {uid}:{gid} [{label}]"
    try:
        ran = probe.run("whoami 2>&1; id -u; id -g")
    except DockerException as exc:
        return error(name, exc, where)
    lines = ran.text.split()
    who, u, g = (lines + ["?", "?", "?"])[:3]
    evidence = f"whoami={who}, id -u={u}, id -g={g}"
    ok = who == APP_USER and u == str(uid) and g == str(gid)
    if not ok:
        evidence += f" (expected {APP_USER}, {uid}, {gid})"
    return CheckResult(name, ok, evidence, where)


# -- 2. /app ownership --------------------------------------------------------------------------
def check_app_owner(
    probe: Probe, label: str, uid: int, gid: int, where: str | None, app_dir: str = APP_DIR
) -> CheckResult:
    """/app itself and every entry under it belong to uid:gid (looked at as root)."""
    name = f"{app_dir} owned by {APP_USER} [{label}]"
    d = shlex.quote(app_dir)
    not_ours = f"find {d} \\( ! -uid {uid} -o ! -gid {gid} \\)"
    script = (
        f"[ -d {d} ] || {{ echo MISSING; exit 0; }}; "
        f"echo OWNER $(stat -c %u:%g {d}); echo TOTAL $(find {d} | wc -l); "
        f"echo BAD $({not_ours} | wc -l); {not_ours} | head -n 5"
    )
    try:
        ran = probe.run(script, user="0:0")
    except DockerException as exc:
        return error(name, exc, where)
    lines = ran.text.splitlines()
    if not lines or lines[0] == "MISSING":
        return CheckResult(name, False, f"{app_dir} does not exist in the image", where)
    info = {k: v for k, _, v in (ln.partition(" ") for ln in lines[:3])}
    bad = int(info.get("BAD", "0") or 0)
    examples = [ln for ln in lines[3:] if ln.startswith("/")]
    owner, total = info.get("OWNER", "?"), info.get("TOTAL", "?")
    if bad == 0:
        return CheckResult(
            name, True, f"{app_dir} is {owner}, all {total} entries are {uid}:{gid}", where
        )
    evidence = f"{app_dir} is {owner}; {bad} of {total} entries are not {uid}:{gid}, e.g. {', '.join(examples)}"
    return CheckResult(name, False, evidence, where)


# -- 3. bind-mount ownership ---------------------------------------------------------------------
@dataclass
class BindDir:
    """A temporary host directory, world-writable so any container user can write to it."""

    host: Path
    container: str = "/mnt/dashtam-probe"

    @classmethod
    def create(cls) -> BindDir:
        path = Path(tempfile.mkdtemp(prefix="dashtam-wizard-bind-"))
        os.chmod(path, 0o777)
        return cls(path)

    @property
    def binds(self) -> dict[str, dict[str, str]]:
        return {str(self.host): {"bind": self.container, "mode": "rw"}}

    def cleanup(self) -> None:
        shutil.rmtree(self.host, ignore_errors=True)


def check_bind_mount(
    probe: Probe,
    bind: BindDir | None,
    label: str,
    uid: int,
    gid: int,
    where: str | None,
    host_uid: int | None = None,
) -> CheckResult:
    """A file the container writes into a host directory must belong to the configured UID.

    `probe` must have been created with `bind.binds`; `bind` None means the daemon is remote
    (its bind mounts are not on this machine). When the developer's own UID differs from the
    configured one the image is still right, but what the container writes lands as another
    user here: a warning offering the build args, not a failure (CI runs as root, and UID
    1000 is then the intended owner of files written by the container).
    """
    name = f"bind-mount files owned by {uid} [{label}]"
    if bind is None:
        return CheckResult(
            name,
            True,
            "skipped: the daemon is remote, so its bind mounts are not on this machine",
            where,
            warning=True,
        )
    host_uid = os.getuid() if host_uid is None else host_uid
    created = bind.host / f"created-in-{uuid.uuid4().hex[:8]}"
    try:
        ran = probe.run(
            f"touch {shlex.quote(bind.container + '/' + created.name)}", stdout_only=False
        )
    except DockerException as exc:
        return error(name, exc, where)
    if not ran.ok or not created.exists():
        why = ran.text.strip()[:200] or f"exit {ran.exit_code}"
        return CheckResult(
            name, False, f"the container could not create a file in a bind mount: {why}", where
        )
    st = created.stat()
    owner = f"{st.st_uid}:{st.st_gid}"
    if st.st_uid == 0:
        return CheckResult(
            name,
            False,
            f"a file created in the container is owned by root ({owner}) on the host; "
            "you would need sudo to edit or delete it",
            where,
        )
    if st.st_uid != uid or st.st_gid != gid:
        return CheckResult(
            name,
            False,
            f"a file created in the container is owned by {owner} on the host, "
            f"expected {uid}:{gid}",
            where,
        )
    if host_uid != uid:
        return CheckResult(
            name,
            True,
            f"a file created in the container is owned by {owner} on the host, but you are "
            f"uid {host_uid}: rebuild with {FIX_UID} to own what the container writes",
            where,
            warning=True,
        )
    return CheckResult(
        name, True, f"a file created in the container is owned by {owner} on the host (you)", where
    )


# -- 4. environment -----------------------------------------------------------------------------
def expected_env(service: ComposeService) -> tuple[dict[str, str], list[str]]:
    """(variables the container must see, problems): the service's environment as the
    core's Compose model resolved it (env files, then `environment:`), and the required env
    files that are missing (Compose would refuse to start it)."""
    problems = [
        f"env_file {ef.path.name} is missing"
        for ef in service.env_files
        if ef.required and not ef.path.is_file()
    ]
    env = {k: v for k, v in service.resolved.items() if v is not None}
    return env, problems


def check_env(
    client: docker.DockerClient,
    image: str,
    service: ComposeService,
    repo: Path,
    show_secrets: bool = False,
) -> CheckResult:
    name = f"env_file variables reach the container [{service.name} @ {service.compose_file.name}]"
    where = service.where(repo)
    hard_coded = [k for k, v in service.environment.items() if v is not None]
    if not service.env_files:
        if hard_coded:
            return CheckResult(
                name,
                False,
                f"no env_file: {len(hard_coded)} variable(s) hard-coded under "
                f"environment: ({', '.join(hard_coded[:6])}{', …' if len(hard_coded) > 6 else ''})",
                where,
            )
        return CheckResult(name, True, "the service sets no environment", where)
    expected, problems = expected_env(service)
    if problems:
        return CheckResult(name, False, "; ".join(problems), where)
    try:
        ran = run_once(client, image, "env -0", environment=expected, timeout=60, stdout_only=True)
    except DockerException as exc:
        return error(name, exc, where)
    seen: dict[str, str] = {}
    for item in ran.output.split(b"\0"):
        k, sep, v = item.decode("utf-8", errors="replace").partition("=")
        if sep:
            seen[k] = v
    missing = [k for k in expected if k not in seen]
    differ = [k for k in expected if k in seen and seen[k] != expected[k]]
    files = ", ".join(ef.path.name for ef in service.env_files)
    if missing or differ:
        parts = []
        if missing:
            parts.append(f"missing: {', '.join(missing)}")
        for k in differ:
            parts.append(
                f"{k} is {mask_value(k, seen[k], show_secrets)!r}, "
                f"expected {mask_value(k, expected[k], show_secrets)!r}"
            )
        return CheckResult(name, False, f"{files}: " + "; ".join(parts), where)
    extra = f" (+ {', '.join(hard_coded)} set under environment:)" if hard_coded else ""
    return CheckResult(
        name,
        True,
        f"all {len(expected)} variables from {files} are set in the container{extra}",
        where,
    )


# -- 5. healthcheck: healthcheck.py (it starts the image's own CMD) --------------------------


# -- 6. secrets ----------------------------------------------------------------------------------
def check_context_secrets(report: ContextReport) -> CheckResult:
    name = "no .env files in the build context"
    if report.secret_files:
        fix = (
            f"add `.env*` and `!.env.example` to {report.dockerignore}"
            if report.dockerignore
            else "create a .dockerignore"
        )
        return CheckResult(
            name,
            False,
            f"sent to the daemon: {', '.join(report.secret_files)}; {fix}",
            report.dockerignore or None,
        )
    return CheckResult(
        name, True, f"{report.files} files sent, none of them .env*", report.dockerignore
    )


def check_image_secrets(
    probe: Probe, label: str, dirs: list[str], where: str | None
) -> CheckResult:
    name = f"no .env files in the image [{label}]"
    quoted = " ".join(shlex.quote(d) for d in dirs)
    script = f"for d in {quoted}; do [ -d \"$d\" ] && find \"$d\" -name '.env*' ! -name '*.example' 2>/dev/null; done; true"
    try:
        ran = probe.run(script, user="0:0")
    except DockerException as exc:
        return error(name, exc, where)
    found = [ln for ln in ran.text.splitlines() if ln.startswith("/")]
    if found:
        more = ", …" if len(found) > 6 else ""
        return CheckResult(name, False, f"in the image: {', '.join(found[:6])}{more}", where)
    return CheckResult(name, True, f"no .env* files under {', '.join(dirs)}", where)
