"""Phase 3 — docker/Dockerfile from the template, with values carried over from the old one."""

from __future__ import annotations

import json
import re
from typing import Any

from .. import changes as ch
from .. import dockerfile as df
from ..context import Ctx
from ..model import ChecklistItem, Evidence, Note, PhasePlan
from ..snapshot import Tree
from ..templates import render

SECTION = "Migration"
KNOWN = {"base", "development", "dev", "builder", "production", "prod", "runtime", "callback"}
BUILD_ONLY = {"gcc", "g++", "make", "build-essential", "pkg-config", "git"}
DEFAULT_UV = "0.8.22"


def _runtime_pkg(pkg: str) -> str | None:
    if pkg in BUILD_ONLY:
        return None
    if pkg == "libpq-dev":
        return "libpq5"
    if pkg.endswith("-dev"):
        return None
    return pkg


def _python_version(stages: list[df.Stage]) -> str:
    for s in stages:
        m = re.search(r"python:?(\d+\.\d+)", s.image) or re.search(r"-python(\d+\.\d+)", s.image)
        if m:
            return m.group(1)
    return "3.13"


def values(ctx: Ctx, stages: list[df.Stage]) -> dict[str, Any]:
    by = {s.name: s for s in stages}
    py = _python_version(stages)
    uv_image = next((s.image for s in stages if s.image.startswith("ghcr.io/astral-sh/uv:")), None)
    if uv_image is None:
        copy_uv = next(
            (i.args for s in stages for i in s.all("COPY") if "ghcr.io/astral-sh/uv:" in i.args), ""
        )
        m = re.search(r"ghcr\.io/astral-sh/uv:([\w.]+)", copy_uv)
        uv_image = f"ghcr.io/astral-sh/uv:{m.group(1) if m else DEFAULT_UV}-python{py}-trixie-slim"
    runtime = next((s.image for s in stages if re.match(r"^python:", s.image)), f"python:{py}-slim")
    base = by.get("base") or (stages[0] if stages else None)
    dev = by.get("development") or by.get("dev") or base
    prod = by.get("production") or by.get("prod") or by.get("runtime")
    apt = df.apt_packages(base) if base else []
    if prod is not None and prod.image in {s.name for s in stages}:
        runtime_apt = [p for p in (_runtime_pkg(x) for x in apt) if p]
    elif prod is not None:
        runtime_apt = df.apt_packages(prod)
    else:
        runtime_apt = [p for p in (_runtime_pkg(x) for x in apt) if p]
    dev_cmd = df.cmd_json(dev) if dev else None
    app_module = _app_module(stages) or "src.main:app"
    ports = [p for s in (dev, prod) if s for p in df.exposed(s)]
    m = re.search(r"--port[ =](\d+)", dev_cmd or "")
    port = ports[0] if ports else int(m.group(1)) if m else 8000
    if dev_cmd is None:
        dev_cmd = json.dumps(
            ["uvicorn", app_module, "--host", "0.0.0.0", "--port", str(port), "--reload"]
        )
    prod_cmd = df.cmd_json(prod) if prod else None
    if prod_cmd is None or prod_cmd == dev_cmd:
        prod_cmd = dev_cmd.replace(" --reload", "").replace(', "--reload"', "")
    hc = next((i.args for s in stages for i in s.all("HEALTHCHECK")), "")
    m = re.search(r"localhost:\d+(/[\w/.-]*)", hc)
    health = m.group(1) if m else "/health"

    callback = None
    cb = by.get("callback") or next(
        (s for s in stages if any("callback" in src for src in df.copied_sources(s))), None
    )
    cb_file = next((p for p in ("callback_server.py",) if p in ctx.original.files), None)
    if cb is not None:
        srcs = [p for p in df.copied_sources(cb) if p.endswith(".py")]
        cb_file = srcs[0] if srcs else cb_file
    if cb is not None or cb_file:
        cb_ports = df.exposed(cb) if cb else []
        callback = {
            "file": cb_file or "callback_server.py",
            "image": cb.image if cb and cb.image not in {s.name for s in stages} else runtime,
            "pip": df.pip_packages(cb) if cb else [],
            "port": cb_ports[0] if cb_ports else 8182,
            "cmd": (df.cmd_json(cb) if cb else None)
            or json.dumps(["python", "-u", cb_file or "callback_server.py"]),
        }
    extra = [s.text.rstrip() + "\n" for s in stages if s.name not in KNOWN and not s.name.isdigit()]
    pyproject = ctx.original.text("pyproject.toml") or ""
    return {
        "packaged": bool(re.search(r"(?m)^\[build-system\]", pyproject)),
        "project": ctx.facts.project,
        "uv_image": uv_image,
        "runtime_image": runtime,
        "uid": ctx.options.uid,
        "gid": ctx.options.gid,
        "apt_packages": apt,
        "runtime_apt_packages": runtime_apt,
        "port": port,
        "app_module": app_module,
        "dev_cmd": dev_cmd,
        "prod_cmd": prod_cmd,
        "health_path": health,
        "callback": callback,
        "extra_stages": extra,
    }


def _app_module(stages: list[df.Stage]) -> str | None:
    """The `module:app` uvicorn serves, in shell or exec form (`["uvicorn", "src.main:app"]`)."""
    text = re.sub(r'[\[\]",]', " ", " ".join(i.args for s in stages for i in s.instrs))
    m = re.search(r"uvicorn\s+([\w.]+:\w+)", text)
    return m.group(1) if m else None


_RUNNERS = (
    "poetry",
    "pipenv",
    "pdm",
    "gunicorn",
    "flask",
    "manage.py",
    "celery",
    "hypercorn",
    "daphne",
    "waitress",
    ".sh",
)


def held_back(ctx: Ctx, tree: Tree, path: str, stages: list[df.Stage], new: str) -> list[str]:
    """Why the template's Dockerfile would not build or run what the old one did (empty: it
    would). Never write a Dockerfile that cannot build: the phase is then left out."""
    why: list[str] = []
    if ctx.facts.dockerfile is None:
        others = sorted(p for p in tree.files if _is_dockerfile(p.rsplit("/", 1)[-1]))
        if others:
            more = f" and {len(others) - 1} more" if len(others) > 1 else ""
            why.append(
                f"the Dockerfile is {others[0]}{more}, not the root Dockerfile or docker/Dockerfile "
                "the plan refactors, so a new docker/Dockerfile would build nothing anyone runs"
            )
        else:
            why.append(
                "there is no Dockerfile to replace (the images are built from something else), so a "
                "new docker/Dockerfile would build nothing anyone runs"
            )
        return why
    missing = [f for f in ("pyproject.toml", "uv.lock") if f not in tree.files]
    if missing:
        why.append(
            f"the template installs from pyproject.toml and uv.lock (`uv sync --frozen`), and the repo has "
            f"no {' or '.join(missing)} (convert it first, e.g. `uvx migrate-to-uv`, then plan again)"
        )
    for st in stages:
        wd = st.last("WORKDIR")
        if wd is not None and wd.args.strip().rstrip("/") not in ("/app", ""):
            why.append(
                f"{path}:{wd.line}: the image works in {wd.args.strip()}, the template in /app (binds, "
                "CMD and paths that name the old folder would break)"
            )
            break
    for st in stages:
        for i in st.all("ENTRYPOINT") + st.all("CMD"):
            runner = next((r for r in _RUNNERS if r in i.args), None)
            if i.op == "ENTRYPOINT" or runner:
                why.append(
                    f"{path}:{i.line}: {i.op} runs {runner or 'an entrypoint'}, which the template's "
                    "image (uv + uvicorn) does not carry over"
                )
                break
        else:
            continue
        break
    if _app_module(stages) is None:
        why.append(f"{path}: no `uvicorn module:app` command, and the template would invent one")
    lost = sorted(
        {
            k
            for s in stages
            for i in s.all("ENV")
            for k in re.findall(r"(?:^|\s)([A-Za-z_]\w*)=", " " + i.args)
            if k not in new
        }
    )
    if lost:
        why.append(f"{path}: the template would drop ENV {', '.join(lost)}")
    return why


def _is_dockerfile(name: str) -> bool:
    low = name.lower()
    return low == "dockerfile" or low.startswith("dockerfile.") or low.endswith(".dockerfile")


def _decide(ctx: Ctx, tree: Tree) -> tuple[str, str, list[df.Stage], str, list[str]]:
    """(Dockerfile path, its text, stages, the template's text, why it is held back)."""
    path = ctx.facts.dockerfile or "docker/Dockerfile"
    old = tree.text(path) or ""
    stages = df.parse(old)
    new = render("Dockerfile.j2", **values(ctx, stages))
    # Only the wizard's own output is exempt from the checks: a Dockerfile that merely has
    # `USER appuser` (an editor template, a hardening guide) was rewritten unchecked, with
    # `uv sync --frozen` in a repo without uv.lock and an invented uvicorn CMD.
    done = old == new or _ours(old)
    return path, old, stages, new, [] if done else held_back(ctx, tree, path, stages, new)


def _ours(text: str) -> bool:
    """A Dockerfile the wizard generated (the template's header line): left as it is."""
    return "(generated by dashtam-wizard)" in text.split("\n", 1)[0]


def holds_back(ctx: Ctx, tree: Tree) -> bool:
    """Whether phase 3 will leave the Dockerfile alone (phase 2 then makes no docker/)."""
    return bool(_decide(ctx, tree)[4])


def plan(ctx: Ctx, tree: Tree) -> PhasePlan:
    pp = PhasePlan(3, "Dockerfile Refactoring")
    path, old, stages, new, why = _decide(ctx, tree)
    target = "docker/Dockerfile"
    if why:
        pp.held = "the Dockerfile stays as it is"
        pp.notes.append(
            Note(
                "warn",
                "Phase 3 is held back (the Dockerfile stays as it is): " + "; ".join(why) + ".",
            )
        )
        pp.checklist.append(
            ChecklistItem(
                SECTION,
                "Update Dockerfile with non-root user",
                False,
                Evidence("held back: " + why[0][:160], path if old else None),
            )
        )
        return pp
    if _ours(old) and old != new:  # generated earlier, maybe edited since: never clobbered
        pp.checklist.append(
            ChecklistItem(
                SECTION,
                "Update Dockerfile with non-root user",
                "USER appuser" in old,
                Evidence("generated by dashtam-wizard; left as it is", path),
            )
        )
        return pp
    if path != target and path in tree.files:
        pp.changes.append(
            ch.move(3, tree, path, target, why="The plan keeps the Dockerfile under docker/.")
        )
        ctx.moved[path] = target  # compose builds and scripts that read it follow (phases 4, 5)
        tree = ch.apply_virtual(tree, pp.changes)
    c = ch.write(
        3,
        tree,
        target,
        new,
        summary=f"rewrite {target}: non-root appuser, uv sync --frozen from uv.lock",
        why="Stages follow the plan; /app is chowned in production too (the plan's production stage "
        "leaves /app owned by root), and the `# syntax=` line is dropped (it is not a parser "
        "directive after a comment, and BuildKit would try to pull it).",
    )
    if c:
        pp.changes.append(c)
    pp.notes.append(
        Note(
            "plan",
            "The plan's first-time `uv init` branch is not generated: pyproject.toml and uv.lock "
            "are committed, so every build syncs from the lock (phase 1 makes sure they exist).",
        )
    )
    migrated = "USER appuser" in old and "uv init" not in old
    pp.checklist.append(
        ChecklistItem(
            SECTION,
            "Update Dockerfile with non-root user",
            migrated and c is None,
            Evidence("USER appuser in every stage" if migrated else "runs as root", path),
        )
    )
    return pp
