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
# The user may be empty (redis://:pw@host); the password may hold `$$` and `@`: it ends at
# the URL's last `@`.
_PART = r"(?:\$\{[^}]*\}|[^:/@\s$])*"
_URL_CRED = re.compile(
    rf"(?P<head>[a-z][a-z0-9+.-]*://{_PART}:)(?P<pw>(?:\$\{{[^}}]*\}}|[^\s'\"])+?)(?P<tail>@)(?=[^@\s'\"]*(?:[\s'\"]|$))"
)
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
        lambda m: (
            f"${{{m['name']}{m['op']}{MASK}}}"
            if is_secret_key(m["name"]) and m["arg"]
            else m.group(0)
        ),
        value,
    )
    return _URL_CRED.sub(
        lambda m: m.group(0) if _BARE_REF.match(m["pw"]) else f"{m['head']}{MASK}{m['tail']}", value
    )


_ASSIGN = re.compile(
    r"^(?P<lead>\s*(?:#\s*)?(?:export\s+)?(?:-\s*)?)(?P<q>[\"']?)(?P<key>[A-Za-z_][A-Za-z0-9_.-]*)(?P=q)"
    r"(?P<sep>\s*[=:]\s*)(?P<val>.*)$"
)
_BLOCK = re.compile(r"^[|>][-+0-9]*\s*(#.*)?$")  # a YAML block scalar's header: the value follows
_ALIAS = re.compile(r"^\*(?P<name>[^\s,\]}]+)\s*$")
_ANCHOR = re.compile(r"^&(?P<name>[^\s,\]}]+)\s+(?P<val>.*)$")


def mask_env_text(text: str, show: bool = False, context: str = "") -> str:
    """Mask secret values in env-file or compose text, line by line.

    Used on diff previews of env files and compose files, where values sit in `KEY=value`,
    `KEY: value`, `"KEY": value` or `- KEY=value` lines; also the indented lines of a block
    scalar (`KEY: |`) and the anchored value (`x-pw: &pw value`) a secret key's alias
    (`PASSWORD: *pw`) points at, in `text` or in `context`.
    """
    if show:
        return text
    lines = text.splitlines(keepends=True)
    secret_anchors = set()
    for line in lines + context.splitlines():  # `context`: the other side of a diff
        m = _ASSIGN.match(line.rstrip("\r\n"))
        if m and is_secret_key(m["key"]) and (a := _ALIAS.match(m["val"].strip())):
            secret_anchors.add(a["name"])
    out = []
    block: int | None = None  # indentation of a secret key whose block scalar is being read
    for line in lines:
        body = line.rstrip("\r\n")
        end = line[len(body) :]
        indent = len(body) - len(body.lstrip())
        if block is not None:
            if not body.strip() or indent > block:
                out.append((" " * indent + MASK if body.strip() else body) + end)
                continue
            block = None
        m = _ASSIGN.match(body)
        if m:
            val = m["val"]
            anchored = _ANCHOR.match(val.strip())
            if is_secret_key(m["key"]) and _BLOCK.match(val.strip()):
                block = indent
            elif anchored and anchored["name"] in secret_anchors:
                body = f"{m['lead']}{m['q']}{m['key']}{m['q']}{m['sep']}&{anchored['name']} {MASK}"
            elif _ALIAS.match(val.strip()):
                pass  # `*name`: the anchored value is masked where it is written
            else:
                masked = mask_value(m["key"], val.strip("'\""))
                if masked != val.strip("'\""):
                    body = f"{m['lead']}{m['q']}{m['key']}{m['q']}{m['sep']}{masked}"
        else:
            body = mask_value("", body)
        out.append(body + end)
    return "".join(out)
