"""Which env keys count as secret, and how their values are shown.

One rule for every output path (CLI, TUI, report, logs, errors) so a secret can only leak
through code that bypasses this module — and tests grep every output for the sample's values.
"""

from __future__ import annotations

import re

_SECRET = re.compile(
    r"(PASS(WORD|WD)?|SECRET|TOKEN|API_?KEY|PRIVATE|CREDENTIAL|AUTH|SALT|DSN|(^|_)KEY($|_))",
    re.IGNORECASE,
)
# URLs embed credentials (postgresql://user:pass@host); mask the password part only.
# User and password may themselves be `${VAR:-default}` interpolations.
_PART = r"(?:\$\{[^}]*\}|[^:/@\s$])+"
_URL_CRED = re.compile(rf"(?P<head>[a-z][a-z0-9+.-]*://{_PART}:)(?P<pw>(?:\$\{{[^}}]*\}}|[^@\s$])+)(?P<tail>@)")
_BARE_REF = re.compile(r"^\$\{[A-Za-z_][A-Za-z0-9_]*\}$")
# `${SECRET_NAME:-default}`: the default is a secret value written in the file.
_DEFAULT = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?P<op>:?[-?+=])(?P<arg>[^}]*)\}")

MASK = "••••••"


def is_secret_key(key: str) -> bool:
    return bool(_SECRET.search(key))


def mask_value(key: str, value: str, show: bool = False) -> str:
    """Mask `value` if `key` looks secret; always hide passwords embedded in URLs."""
    if show:
        return value
    if is_secret_key(key):
        return MASK if value else value
    value = _DEFAULT.sub(
        lambda m: f"${{{m['name']}{m['op']}{MASK}}}" if is_secret_key(m["name"]) and m["arg"] else m.group(0), value
    )
    return _URL_CRED.sub(
        lambda m: m.group(0) if _BARE_REF.match(m["pw"]) else f"{m['head']}{MASK}{m['tail']}", value
    )


_ASSIGN = re.compile(r"^(?P<lead>\s*(?:#\s*)?(?:export\s+)?(?:-\s*)?)(?P<key>[A-Za-z_][A-Za-z0-9_.]*)(?P<sep>\s*[=:]\s*)(?P<val>.*)$")


def mask_env_text(text: str, show: bool = False) -> str:
    """Mask secret values in env-file or compose `environment:` text, line by line.

    Used on diff previews of env files and compose files, where values sit in
    `KEY=value`, `KEY: value` or `- KEY=value` lines.
    """
    if show:
        return text
    out = []
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        end = line[len(body) :]
        m = _ASSIGN.match(body)
        if m:
            val = m["val"]
            masked = mask_value(m["key"], val.strip("'\""))
            if masked != val.strip("'\""):
                body = f"{m['lead']}{m['key']}{m['sep']}{masked}"
        else:
            body = mask_value("", body)
        out.append(body + end)
    return "".join(out)
