"""Phase 4's project-variable rules: what a file's `${VAR}` references resolve to before and
after its command reads another env file, and the refusals when they would differ."""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from typing import Any

from ..compose import (
    all_references,
    passed_through,
)
from ..context import Ctx
from ..detect import ComposeFile
from ..envfile import parse_env
from ..errors import BadInput
from ..interpolate import references
from .compose_check import views_of


def variables_of(ctx: Ctx, cf: ComposeFile) -> dict[str, str]:
    if cf.env_file_before is None:
        return {}
    text = ctx.original.text(cf.env_file_before)
    return parse_env(text, cf.env_file_before) if text is not None else {}


def refuse_include(cf: ComposeFile, doc: Any) -> None:
    """`include:` pulls in files whose paths, env files and variables resolve from their own
    folders and whose services the rewrite never sees: refused rather than half-migrated."""
    if hasattr(doc, "get") and "include" in doc:
        try:
            line = doc.lc.key("include")[0] + 1
        except (AttributeError, KeyError, TypeError, IndexError):
            line = None
        raise BadInput(
            cf.path,
            "uses top-level `include:`, which the wizard does not migrate (the included "
            "files' paths, env files and services would be left behind); inline the included "
            "services or migrate this file by hand",
            line,
        )


def _used_variables(ctx: Ctx, doc: Any, p_before: Mapping[str, str]) -> set[str]:
    """`${VAR}`s of the file and of the env files its services read (those interpolate
    against the project's variables first), and the keys a service takes from them."""
    used = set(all_references(doc)) | passed_through(doc)
    views = views_of(doc, "", dict(p_before), ctx.original.text) or {}
    for rel in {rel for view in views.values() for rel in view.env_files}:
        used |= references(ctx.original.text(rel) or "")
    return used


def _differ_said(used: set[str], a: Mapping[str, str], b: Mapping[str, str]) -> str:
    differ = sorted(k for k in used if a.get(k) != b.get(k))
    unset = [k for k in differ if k not in b]
    other = [k for k in differ if k in b]
    return "; ".join(
        x
        for x in (
            f"does not set {', '.join(unset)}" if unset else "",
            f"sets {', '.join(other)} differently" if other else "",
        )
        if x
    )


def check_implicit_env(
    ctx: Ctx,
    cf: ComposeFile,
    doc: Any,
    p_before: Mapping[str, str],
    env_now: Mapping[str, str],
    env_target: str,
) -> None:
    """Every command of the file must interpolate alike, before and after.

    A command without --env-file interpolated from the project folder's .env; migrated, it
    reads env_target. And the migrated file is written for one interpolation (the values it
    resolves move into env_target): two commands of the same file that read different env
    files (`--env-file .env.ci` in one recipe, none in another) cannot both keep theirs.
    Refused, naming the command, when a `${VAR}` the file uses has a different value."""
    used: set[str] | None = None
    folder = posixpath.dirname(cf.path)
    project_env = posixpath.join(folder, ".env")
    for inv in cf.invocations:
        if inv.partial or (
            inv.files and posixpath.normpath(inv.files[0].removeprefix("./")) != cf.path
        ):
            continue  # another file first: its folder decides, judged with that file
        if "$" in (inv.env_file or "") or any("$" in f for f in inv.files):
            continue  # chosen when it runs (`--env-file "$ENV_FILE"`): not judged, not guessed
        read = (
            posixpath.normpath(inv.env_file.removeprefix("./"))
            if inv.env_file
            else project_env
            if project_env in ctx.original.files
            else None
        )
        if read == cf.env_file_before:
            continue
        text = ctx.original.text(read) if read else ""
        env_i = parse_env(text, read) if text and read else {}
        used = _used_variables(ctx, doc, p_before) if used is None else used
        if said := _differ_said(used, p_before, env_i):
            other = next(
                (
                    i
                    for i in cf.invocations
                    if i.env_file
                    and posixpath.normpath(i.env_file.removeprefix("./")) == cf.env_file_before
                ),
                None,
            )
            where = f"{other.path}:{other.line}" if other is not None else "another command"
            raise BadInput(
                inv.path,
                f"runs Compose on {cf.path} interpolating from {read or 'no env file'}, "
                f"while {where} interpolates from {cf.env_file_before}; {read or 'the first'} {said}. "
                "The migrated file can keep only one: give both commands the same --env-file, "
                "then run again",
                inv.line,
            )
    implicit = [i for i in cf.invocations if not i.env_file]
    if cf.env_file_before != ".env" or not implicit:
        return
    used = _used_variables(ctx, doc, p_before) if used is None else used
    if said := _differ_said(used, p_before, env_now):
        raise BadInput(
            implicit[0].path,
            f"runs Compose on {cf.path} without --env-file, so it interpolates from "
            f".env; migrated it would read {env_target}, which {said}. "
            "Name the env file you mean with --env-file (or make the two agree), then run again",
            implicit[0].line,
        )
