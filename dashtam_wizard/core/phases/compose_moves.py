"""Phase 4's decision which hard-coded `environment:` values may move into the env file.

Each rule here keeps some container's value from changing (another service, a file merged
by `-f`, a remaining `${KEY}`, the shell); what a rule holds back is said in the plan, so
the decision returns its reasons with the values. The rewrite asks the same two questions
of a service and a file (someone else's image? an env file a clone would not have?).
"""

from __future__ import annotations

import copy
from typing import Any

from ..compose import all_references, env_items, passed_through, remove_env_keys
from ..detect import ComposeFile
from ..envfile import render_value
from ..errors import BadInput
from ..interpolate import InterpolationError, references, resolve
from ..siblings import ALL, Held
from ..snapshot import Tree


def _shared(node: Any) -> bool:
    anchor = getattr(node, "anchor", None)
    return bool(anchor and anchor.value) or bool(getattr(node, "merge", None))


def third_party(svc: Any) -> bool:
    """A service run from an image the repo does not build (a database, a cache, a proxy):
    the app's env file is none of its business."""
    return hasattr(svc, "get") and svc.get("build") is None and svc.get("image") is not None


def is_local_only(cf: ComposeFile, tree: Tree) -> bool:
    """The env file will not be committed (untracked, or made by the wizard and ignored) and
    no command of this compose file read an env file before: a fresh clone (CI, a
    colleague) would not have it. It is then read only if present (`required: false`), and
    no value moves into it, where a clone would lose it."""
    read_one = cf.env_file_before is not None  # its --env-file, or the project folder's .env
    return not (
        f"env/.env.{cf.env}" in tree.tracked
        or read_one
        or cf.path.endswith(".example")
        or cf.target.endswith(".example")
    )


def decide_moves(
    cf: ComposeFile,
    tree: Tree,
    before: Any,
    services: Any,
    held: Held,
    p_before: dict[str, str],
    env_text: str | None,
    env_now: dict[str, str],
) -> tuple[dict[str, str], list[str]]:
    """The values that move (key -> value) and why each other one stays where it is."""
    path = cf.target
    example = path.endswith(".example")
    env_target = f"env/.env.{cf.env}"
    values: dict[str, dict[str, str | None]] = {}
    frozen: set[str] = set()
    run_time: set[str] = (
        set()
    )  # keys whose value only the shell can give (no env file sets its ${VAR})
    for name, svc in services.items():
        if svc is None:  # `name:` alone, as an override may write it: nothing to migrate
            continue
        if not hasattr(svc, "get"):
            raise BadInput(path, f"service `{name}` is not a mapping")
        if held.third_party.get(str(name), third_party(svc)):
            continue  # its environment: stays as written (it gets no env_file)
        env = svc.get("environment")
        if env is not None and _shared(env):
            frozen.add(str(name))
        for k, raw in env_items(env):
            if raw is not None and references(str(raw)) - set(p_before):
                run_time.add(k)
            try:
                values.setdefault(k, {})[str(name)] = (
                    None if raw is None else resolve(raw, p_before).value
                )
            except InterpolationError as exc:
                raise BadInput(path, f"service `{name}`, {k}: {exc}") from None
    moving: dict[str, str] = {}
    reasons: list[str] = []
    local_only = is_local_only(cf, tree)
    if local_only and values and env_text is not None:
        reasons.append(
            f"values stay in environment: {env_target} is not committed (a fresh clone has no "
            "such file) and no command of this file read an env file before; it is read only if "
            "present (`required: false`)"
        )
    for k, per in values.items():
        vals = set(per.values())
        if example or env_text is None or local_only:
            continue
        if any(n in frozen for n in per):
            reasons.append(
                f"{k}: set through a YAML anchor/merge shared by services; left in place"
            )
        elif k in run_time:
            # `K: ${K}` or `${K:-default}` with no env file setting K: the value comes from the
            # shell when Compose runs (CI secrets arrive so); written out as today's value
            # (empty, or the default), the shell could no longer set it
            reasons.append(
                f"{k}: takes a variable no env file sets, so its value comes from the shell when "
                "Compose runs; written to an env file it would be frozen, so it stays in environment:"
            )
        elif None in vals:
            reasons.append(f"{k}: passed through from the shell (no value); stays in environment:")
        elif by := sorted({held.by[n] for n in per if held.keys.get(n, set()) & {k, ALL}}):
            reasons.append(
                f"{k}: {', '.join(by)} is merged with this file by `-f` and sets it too (or reads an "
                "env_file for the same service); moved, the merged value could change, so it stays "
                "in environment:"
            )
        elif len(vals) > 1:
            shown = ", ".join(f"{n}" for n in sorted(per))
            reasons.append(
                f"{k}: services {shown} set different values; one env file cannot hold both, "
                "so it stays in each service's environment:"
            )
        else:
            v = next(iter(vals))
            assert v is not None
            if k in env_now and env_now[k] != v:
                reasons.append(
                    f"{k}: {env_target} already sets a different value; the service's value "
                    "stays in environment: (it overrides env_file)"
                )
            elif render_value(v) is None:
                reasons.append(
                    f"{k}: its value cannot be written to an env file losslessly; left in place"
                )
            else:
                moving[k] = v
    # other files of this env read the same env file for interpolation: their `${K}` (and
    # those of the env files their services read) would change too
    for k in [k for k in moving if k in held.references and k not in env_now]:
        reasons.append(
            f"{k}: another compose file reading {env_target} uses ${{{k}}}; adding it there "
            "would change that, so it stays in environment:"
        )
        del moving[k]
    for k in [k for k in moving if k in held.shadowed and k not in env_now]:
        reasons.append(
            f"{k}: a service merged by `-f` reads an env file that sets it before {env_target}; "
            "added there, it would win over that value, so it stays in environment:"
        )
        del moving[k]
    # a remaining ${K} elsewhere in the file must resolve as before once K is in the env file
    while True:
        probe = copy.deepcopy(before)
        for name, svc in (probe.get("services") or {}).items():
            if hasattr(svc, "get") and not held.third_party.get(str(name), third_party(svc)):
                remove_env_keys(svc, set(moving))  # someone else's image keeps its environment:
        refs = all_references(probe) | passed_through(probe)  # `K:` reads the project's K too
        clash = {
            k for k, v in moving.items() if k in refs and k not in env_now and p_before.get(k) != v
        }
        if not clash:
            break
        for k in clash:
            reasons.append(
                f"{k}: also used as ${{{k}}} (or `{k}:` with no value) elsewhere in the file; adding it to {env_target} "
                "would change that, so it stays in environment:"
            )
            del moving[k]
    return moving, reasons
