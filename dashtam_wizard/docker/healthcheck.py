"""The image's HEALTHCHECK: declared, and run in the image started as it runs in production.

Apart from the probe checks (checks.py) because it starts the image's own CMD in a container
of its own and waits on it, where they run short scripts in one shared probe container.
"""

from __future__ import annotations

import re
import time
from contextlib import suppress
from typing import Any

import docker
from docker.errors import APIError, DockerException

from dashtam_wizard.core.secrets import mask_value

from ..events import CheckResult
from .checks import error
from .containers import labels


def check_healthcheck(image_attrs: dict[str, Any], label: str, where: str | None) -> CheckResult:
    name = f"HEALTHCHECK [{label}]"
    hc = (image_attrs.get("Config") or {}).get("Healthcheck") or {}
    test = hc.get("Test") or []
    if not test or test[0] == "NONE":
        return CheckResult(name, False, "the image has no HEALTHCHECK", where)
    cmd = " ".join(test[1:]) if test[0] in ("CMD", "CMD-SHELL") else " ".join(test)
    return CheckResult(name, True, f"HEALTHCHECK {cmd[:160]}", where)


def check_healthcheck_runs(
    client: docker.DockerClient,
    image: str,
    image_attrs: dict[str, Any],
    label: str,
    where: str | None,
    budget: float = 20.0,
) -> CheckResult | None:
    """Start the image as it runs (its own CMD, nothing beside it) and run its HEALTHCHECK
    in it until it passes. Its presence alone proves little: a wrong port or path passes
    `check_healthcheck` and fails every health probe in production. An app that exits
    without its databases is said as such (a warning: the command was not executed); one
    that runs while its probe is refused for the whole budget fails. None: no HEALTHCHECK
    (`check_healthcheck` fails for that)."""
    name = f"HEALTHCHECK runs [{label}]"
    hc = (image_attrs.get("Config") or {}).get("Healthcheck") or {}
    test = hc.get("Test") or []
    if not test or test[0] == "NONE":
        return None
    cmd = list(test[1:]) if test[0] == "CMD" else ["/bin/sh", "-c", " ".join(test[1:])]
    shown = " ".join(test[1:])[:120]
    budget = max(budget, (hc.get("StartPeriod") or 0) / 1e9 + 10)
    try:
        container = client.containers.run(image, detach=True, labels=labels())
    except DockerException as exc:
        return error(name, exc, where)
    try:
        start = time.monotonic()
        out = ""
        while time.monotonic() - start < budget:
            container.reload()
            if container.status != "running":
                code = (container.attrs.get("State") or {}).get("ExitCode")
                raw = container.logs(tail=30)
                text = (raw if isinstance(raw, bytes) else b"".join(raw)).decode(errors="replace")
                lines = text.strip().splitlines()
                # the error line says more than a traceback's footer ("Background on this
                # error at …"): the last line naming an error, else the last line
                errors = [ln for ln in lines if re.search(r"\w(Error|Exception)\b", ln)] or lines
                last = mask_value("", errors[-1].strip())[:160] if errors else "no output"
                return CheckResult(
                    name,
                    True,
                    f"not executed: started alone (no databases beside it) the container "
                    f"stopped (exit {code}: {last}); run `{shown}` in it with its services up",
                    where,
                    warning=True,
                )
            try:
                ran = container.exec_run(cmd)
            except APIError:
                # it stopped between the status read and the exec (the daemon answers 409
                # "is not running"): the next turn reports it as stopped, with its logs
                container.reload()
                if container.status != "running":
                    continue
                raise
            output = ran.output if isinstance(ran.output, bytes) else b""
            out = mask_value("", output.decode(errors="replace").strip())
            if ran.exit_code == 0:
                return CheckResult(
                    name,
                    True,
                    f"`{shown}` exits 0 in the started container "
                    f"({time.monotonic() - start:.1f} s after start)",
                    where,
                )
            time.sleep(0.5)
        probe_said = out.splitlines()[-1][:160] if out else "no output"
        if any(w in out.lower() for w in ("refused", "failed to connect", "couldn't connect")):
            return CheckResult(
                name,
                False,
                f"the app runs but `{shown}` is refused for {budget:.0f} s ({probe_said}): it probes "
                "a port or address nothing listens on",
                where,
            )
        return CheckResult(
            name,
            True,
            f"the app runs but `{shown}` failed for {budget:.0f} s ({probe_said}); it may need its "
            "databases",
            where,
            warning=True,
        )
    except DockerException as exc:
        return error(name, exc, where)
    finally:
        with suppress(DockerException):
            container.remove(force=True)
