"""Phase 1 — backups, and dependencies that only requirements*.txt know about."""

from __future__ import annotations

import re
import tomllib
from dataclasses import replace
from typing import Any

import tomlkit
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from .. import changes as ch
from ..context import Conversion, Ctx, input_digest
from ..errors import BadInput
from ..model import Change, ChecklistItem, Evidence, Kind, Note, PhasePlan
from ..snapshot import Tree

SECTION = "Pre-Migration"
LEGACY_MARK = (
    "# Legacy: kept for reference. Dependencies live in pyproject.toml (locked in uv.lock)."
)


def _requirements(
    tree: Tree, path: str, known: list[str]
) -> tuple[list[tuple[int, Requirement]], list[str]]:
    """The requirements of `path`, and `path:line (why)` for each line the wizard cannot carry
    into pyproject.toml as it is (editables, bare VCS URLs, pip options, other files)."""
    out = []
    held: list[str] = []
    folder = path.rsplit("/", 1)[0] + "/" if "/" in path else ""
    for n, raw in enumerate((tree.text(path) or "").splitlines(), 1):
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith(("-r ", "--requirement")):
            other = folder + line.split(None, 1)[-1].split("=", 1)[-1].strip()
            if other not in known:
                held.append(f"{path}:{n} (`-r` of {other}, which is not migrated)")
            continue
        if line.startswith("-"):
            what = line.split()[0].split("=", 1)[0]
            held.append(
                f"{path}:{n} (`{what}`: pip option with no pyproject.toml equivalent the wizard writes)"
            )
            continue
        try:
            req = Requirement(line)
        except InvalidRequirement:
            if "://" in line or line.startswith(("git+", "hg+", "svn+", "bzr+", ".", "/")):
                held.append(f"{path}:{n} (a URL or path with no package name)")
                continue
            raise BadInput(path, "has an invalid requirement (not PEP 508)", n) from None
        out.append((n, req))
    return out, held


def _declared(data: dict[str, Any]) -> set[str]:
    names: list[str] = list(data.get("project", {}).get("dependencies", []))
    for group in data.get("dependency-groups", {}).values():
        names += [g for g in group if isinstance(g, str)]
    for group in data.get("project", {}).get("optional-dependencies", {}).values():
        names += group
    names += data.get("tool", {}).get("uv", {}).get("dev-dependencies", [])
    out = set()
    for spec in names:
        try:
            out.add(str(canonicalize_name(Requirement(spec).name)))
        except InvalidRequirement:
            continue
    return out


def other_manager(tree: Tree) -> str | None:
    """The package manager a project without uv.lock uses, as a user would name it (None:
    nothing says; a bare pyproject.toml may just need `uv lock`)."""
    text = tree.text("pyproject.toml") or ""
    for name, files, table in (
        ("Poetry", ("poetry.lock",), "[tool.poetry"),
        ("PDM", ("pdm.lock",), "[tool.pdm"),
        ("Pipenv", ("Pipfile", "Pipfile.lock"), None),
        ("pip-tools", ("requirements.in",), None),
    ):
        if any(f in tree.files for f in files) or (table and table in text):
            return f"{name} ({next((f for f in files if f in tree.files), 'pyproject.toml')})"
    if "pyproject.toml" not in tree.files and "requirements.txt" in tree.files:
        return "plain requirements files (requirements.txt)"
    return None


_INPUT = re.compile(
    r"^(pyproject\.toml|poetry\.lock|pdm\.lock|Pipfile(\.lock)?|requirements.*\.(txt|in))$"
)


def conversion_inputs(tree: Tree) -> dict[str, bytes]:
    """The files a converter reads (root-level package-manager files): a conversion made
    from other bytes is stale."""
    return {p: e.data for p, e in tree.files.items() if _INPUT.match(p)}


def _conversion(tree: Tree, conv: Conversion, manager: str) -> list[Change]:
    """The converter's result as changes: reviewable, gated and undone like the rest."""
    why = (
        f"The plan's Dockerfile installs from pyproject.toml and uv.lock; {conv.tool} made them "
        f"from the {manager.split(' (')[0]} files (locked versions kept, the old tool's data kept, "
        "so its commands still work)."
    )
    out: list[Change] = []
    for path, data in conv.files:
        if data is None:
            if path in tree.files:
                out.append(ch.delete(1, tree, path, summary=f"{conv.tool} removes {path}", why=why))
            continue
        c = ch.write(1, tree, path, data, summary=f"{conv.tool}: {_what(path, tree)}", why=why)
        if c is not None:
            out.append(c)
    return out


def _what(path: str, tree: Tree) -> str:
    if path == "uv.lock":
        return "create uv.lock (the versions the old lock pinned, where it had one)"
    if path == "pyproject.toml" and path in tree.files:
        return "add [project] and [dependency-groups] to pyproject.toml for uv"
    return f"{'edit' if path in tree.files else 'create'} {path}"


def _fold(converted: list[Change], later: list[Change], original: Tree) -> list[Change]:
    """One change per path: a later phase-1 write of a converted file (dependencies only a
    requirements file listed) is folded into the conversion's change of it."""
    by_path = {c.path: c for c in later}
    out = []
    for c in converted:
        extra = by_path.pop(c.path, None)
        if extra is None:
            out.append(c)
        elif extra.regenerate:  # re-locked after the added dependencies: made at apply time
            out.append(replace(c, regenerate=extra.regenerate, summary=extra.summary))
        else:
            merged = ch.write(1, original, c.path, extra.after or b"", why=c.why)
            if merged is not None:
                out.append(replace(merged, summary=f"{c.summary}; {extra.summary}"))
    return out + [c for c in later if c.path in by_path]


def is_dev_file(path: str) -> bool:
    return any(w in path.lower() for w in ("dev", "test", "lint"))


def plan(ctx: Ctx, tree: Tree) -> PhasePlan:
    pp = PhasePlan(1, "Backup & Preparation")
    original = tree
    other = other_manager(tree) if "uv.lock" not in tree.files else None
    conv = ctx.options.conversion
    converted: list[Change] = []
    if other is not None and conv is not None:
        if conv.inputs != input_digest(conversion_inputs(tree)):
            pp.notes.append(
                Note(
                    "warn",
                    "The conversion given was made from other package files than these: "
                    "run the conversion again (`--convert`).",
                )
            )
        else:
            converted = _conversion(tree, conv, other)
            tree = ch.apply_virtual(tree, converted)  # the rest of phase 1 sees it converted
            pp.notes.append(
                Note(
                    "info",
                    f"This project is managed with {other}: {conv.tool} converts it for uv "
                    "(pyproject.toml's [project], uv.lock), keeping the old tool's files and "
                    "tables so its commands still work. Review the diff; skip those changes "
                    "to keep the project as it is (phase 3 is then held back).",
                )
            )
            other = None
    text = tree.text("pyproject.toml")
    has_lock = "uv.lock" in tree.files
    if other is not None:
        pp.held = f"managed with {other}: `--convert` shows the conversion to uv"
        pp.notes.append(
            Note(
                "warn",
                f"This project is managed with {other}; the plan assumes uv (pyproject.toml "
                "and uv.lock). `--convert` shows what `migrate-to-uv` would make of it "
                "(pyproject.toml for uv, and uv.lock) as phase 1 changes to review. Until "
                "then the Dockerfile stays as it is (phase 3 is held back).",
            )
        )
    elif text is None:
        pp.held = "pyproject.toml is missing: `dashtam-wizard extract` first"
        pp.notes.append(
            Note(
                "warn",
                "pyproject.toml is missing: extract it (and uv.lock) from the running app "
                "container with `dashtam-wizard extract`, then plan again.",
            )
        )
    elif not has_lock:
        pp.notes.append(
            Note(
                "warn",
                "uv.lock is missing: extract it from the running app container with "
                "`dashtam-wizard extract`, or run `uv lock`; production builds need it.",
            )
        )
    pp.checklist += [
        ChecklistItem(
            SECTION,
            "Extract pyproject.toml from container",
            "pyproject.toml" in original.files,
            Evidence(
                "pyproject.toml present"
                if "pyproject.toml" in original.files
                else "pyproject.toml missing",
                "pyproject.toml",
            ),
        ),
        ChecklistItem(
            SECTION,
            "Extract uv.lock from container",
            "uv.lock" in original.files,
            Evidence(
                "uv.lock present" if "uv.lock" in original.files else "uv.lock missing", "uv.lock"
            ),
        ),
    ]
    if text is None:
        pp.changes = converted
        return pp
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise BadInput("pyproject.toml", f"is not valid TOML ({exc})") from None

    backups: list[Change | None] = []
    for name in ("pyproject.toml", "uv.lock"):
        if name not in original.files:
            continue  # a backup is of the file as it is, before a conversion
        bak = f"{name}.backup"
        if bak in original.files:
            # never overwrite an earlier backup: it may be the only good copy; but say when it
            # is not a copy of the file as it is now
            if original.files[bak].data != original.files[name].data:
                pp.notes.append(
                    Note(
                        "warn",
                        f"{bak} already exists and differs from {name}: it is kept as it "
                        f"is (an earlier backup?), so it is not a backup of {name} as it is now",
                    )
                )
            continue
        backups.append(ch.copy(1, original, name, bak, summary=f"back up {name} → {bak}"))
    done_backups = all(
        f"{n}.backup" in original.files
        for n in ("pyproject.toml", "uv.lock")
        if n in original.files
    )
    pp.changes += [c for c in backups if c]
    first = len(pp.changes)

    declared = _declared(data)
    missing_main: list[str] = []
    missing_dev: list[str] = []
    parsed = {
        path: _requirements(tree, path, ctx.facts.requirements) for path in ctx.facts.requirements
    }
    held = [h for _reqs, hs in parsed.values() for h in hs]
    project = data.get("project")
    if parsed and (not isinstance(project, dict) or "name" not in project):
        # a Poetry (or old pdm) pyproject: a [project] table holding only dependencies has no
        # name or version, and uv rejects it; converting is migrate-to-uv's job
        held.append(
            "pyproject.toml has no [project] table with a name (Poetry or another tool's format; "
            "convert it first, e.g. `uvx migrate-to-uv`)"
        )
    if held:
        # carried over without these lines, pyproject.toml would claim to be complete and the
        # image would lack them: the dependencies stay where they are, and the plan says why
        pp.notes.append(
            Note(
                "warn",
                "Dependencies are not moved into pyproject.toml: "
                + "; ".join(held)
                + ". Add them by hand (uv add …, [tool.uv.sources], [[tool.uv.index]]), then plan again.",
            )
        )
        parsed = {}
    for path, (reqs, _held) in parsed.items():
        for _n, req in reqs:
            key = canonicalize_name(req.name)
            if key in declared:
                continue
            declared.add(key)
            (missing_dev if is_dev_file(path) else missing_main).append(str(req))
    if missing_main or missing_dev:
        doc = tomlkit.parse(text)
        if missing_main:
            deps = doc.setdefault("project", tomlkit.table()).setdefault(
                "dependencies", tomlkit.array()
            )
            for r in missing_main:
                deps.append(r)
        if missing_dev:
            groups = doc.setdefault("dependency-groups", tomlkit.table())
            dev = groups.setdefault("dev", tomlkit.array())
            for r in missing_dev:
                dev.append(r)
        new = tomlkit.dumps(doc)
        names = ", ".join(missing_main + [f"{d} (dev)" for d in missing_dev])
        c = ch.write(
            1,
            tree,
            "pyproject.toml",
            new,
            summary=f"add dependencies only requirements*.txt listed: {names}",
            why="requirements*.txt stop being the source of truth; without this the image would lack them.",
        )
        if c:
            pp.changes.append(c)
        if has_lock:
            pp.changes.append(
                Change(
                    ch.cid(1, Kind.EDIT, "uv.lock"),
                    1,
                    Kind.EDIT,
                    "uv.lock",
                    before=tree.read("uv.lock"),
                    mode=tree.files["uv.lock"].mode,
                    regenerate="uv-lock",
                    summary="re-lock with `uv lock` so `uv sync --frozen` installs the added dependencies",
                    why="`uv sync --frozen` installs exactly the lock: a dependency added only to pyproject.toml "
                    "would silently be missing from every image.",
                )
            )
    for path in ctx.facts.requirements if not held else []:
        if path not in tree.files:
            continue
        req_text = tree.text(path) or ""
        if not req_text.startswith(LEGACY_MARK):
            c = ch.write(
                1,
                tree,
                path,
                f"{LEGACY_MARK}\n{req_text}",
                summary=f"mark {path} as legacy",
                why="The plan keeps requirements files for reference; the header says they are no longer used.",
            )
            if c:
                pp.changes.append(c)
    pp.changes[first:] = _fold(converted, pp.changes[first:], original)
    pp.checklist += [
        ChecklistItem(
            SECTION,
            "Create backups",
            done_backups,
            Evidence(
                "pyproject.toml.backup and uv.lock.backup present"
                if done_backups
                else "no backups yet"
            ),
        ),
        ChecklistItem(
            SECTION,
            "Add missing dependencies",
            not (missing_main or missing_dev or held or converted),
            Evidence(
                "not carried over: " + ", ".join(h.split(" (")[0] for h in held)
                if held
                else "pending: the conversion declares them in pyproject.toml"
                if converted
                else "pyproject.toml declares every requirement"
                if not (missing_main or missing_dev)
                else "missing from pyproject.toml: " + ", ".join(missing_main + missing_dev),
                "pyproject.toml",
            ),
        ),
        ChecklistItem(SECTION, "Review all current environment variables", None, manual=True),
        ChecklistItem(SECTION, "Document any custom configurations", None, manual=True),
    ]
    return pp
