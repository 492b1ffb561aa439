"""Phase 5 — every reference to a moved file: Makefiles, workflows, scripts; docs for review."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable

from .. import changes as ch
from ..context import Ctx
from ..detect import default_files, implied_moves
from ..invocations import command_lines, parse_invocation
from ..model import ChecklistItem, Evidence, Note, PhasePlan
from ..snapshot import Tree

SECTION = "Migration"


def _pattern(old: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w./-])(?:\./)?{re.escape(old)}(?![\w.-])")


_RUN = re.compile(r"[\w./-]+")
_ROOT_VAR = re.compile(r"\$[({](?:CURDIR|PWD)[)}]\Z")  # `$(CURDIR)/x` in a Makefile is the repo's x


def rewrite(text: str, moved: dict[str, str], root: str = "") -> str:
    r"""Replace each moved path by its new path, longest old path first.

    The result is that of substituting `_pattern(old)` for every old path in turn, in one
    pass over the text instead of one pass per moved file (a Makefile driving hundreds
    of compose files would otherwise cost files x lines). A pattern can only match at the
    start of a run of path characters [\w./-] (optionally after `./`) and must end where
    the run ends or at a `/`; so each run is rewritten on its own, applying the patterns
    that match it in the same order as the one-by-one substitution would. A run that
    spells the repo's own absolute folder (`root`) or starts after `$(CURDIR)` is the
    repo-relative path after it.
    """
    order = sorted(moved.items(), key=lambda kv: -len(kv[0]))
    if not order:
        return text
    if not all(_RUN.fullmatch(s) for kv in order for s in kv):  # not path-like: one by one
        for old, new in order:
            text = _pattern(old).sub(new, text)
        return text
    rank = {old: i for i, (old, _new) in enumerate(order)}

    def run_sub(m: re.Match[str]) -> str:
        run, last = m.group(0), -1
        if run.startswith("/") and _ROOT_VAR.search(m.string, 0, m.start()):
            return "/" + run_sub(_RUN.match(run, 1) or m) if len(run) > 1 else run  # $(CURDIR)/x
        inner = _RUN.match(run, 2) if run.startswith("-f") and len(run) > 2 else None
        if inner and (new := run_sub(inner)) != run[2:]:
            return "-f" + new  # `-fdocker-compose.yml`: Compose's short flag, value attached
        if root and run.startswith(root + "/") and len(run) > len(root) + 1:
            return root + "/" + run_sub(_RUN.match(run, len(root) + 1) or m)  # /abs/repo/x
        while True:
            best: tuple[int, int] | None = None  # (rank, chars of "./" consumed)
            for skip in (2, 0) if run.startswith("./") else (0,):
                body = run[skip:]
                for cand in [body] + [body[:j] for j, c in enumerate(body) if c == "/"]:
                    r = rank.get(cand)
                    if r is not None and r > last and (best is None or r < best[0]):
                        best = (r, skip)
            if best is None:
                return run
            last, skip = best
            old, new = order[last]
            run = new + run[skip + len(old) :]

    return _RUN.sub(run_sub, text)


def add_env_files(
    text: str, path: str, env_for: Callable[[list[str]], str | None], is_make: bool
) -> str:
    """After `-f compose/X.yml`, add `--env-file …` where the command had none: the env
    file `env_for` says the command read for interpolation before (None: it read none).

    Without it Compose would look for `.env` beside the compose file (in compose/) and
    interpolation would silently change.
    """
    lines = text.split("\n")
    exported = {n: e for n, _line, e in command_lines(path, text, is_make)}
    for i, line in enumerate(lines):
        inv = parse_invocation(
            path, i + 1, line, exported.get(i + 1) if line.startswith("\t") or not is_make else None
        )
        if inv is None or inv.env_file or not inv.files:
            continue
        env = env_for([f.removeprefix("./") for f in inv.files])
        if env is None:
            continue
        first = inv.files[0]
        m = (
            _COMPOSE_CMD.search(line)
            if inv.files_from_env  # COMPOSE_FILE: after the command
            else re.search(rf"(?:-f[ =]?|--file[ =]){re.escape(first)}(?![\w.-])", line)
        )
        if m:
            lines[i] = line[: m.end()] + f" --env-file {env}" + line[m.end() :]
    return "\n".join(lines)


_COMPOSE_CMD = re.compile(r"docker(?: compose|-compose)(?= |$)")


def add_default_files(text: str, path: str, files: list[str], is_make: bool) -> str:
    """`docker compose up` read the root's default file, which moved: name it with -f.

    Judged on the line as make expands it: `docker compose $(FILES) up` may name files."""
    if not files:
        return text
    lines = text.split("\n")
    expanded = {n: (s, e) for n, s, e in command_lines(path, text, is_make)}
    for i, line in enumerate(lines):
        inv = parse_invocation(path, i + 1, *expanded.get(i + 1, (line, None)))
        m = _COMPOSE_CMD.search(line)
        rest = line[m.end() :].split() if m else []
        if inv is None or inv.files or m is None or (rest and rest[0].startswith("$")):
            continue  # names its files, or a variable may (a script's $FILES): left as it is
        lines[i] = line[: m.end()] + "".join(f" -f {f}" for f in files) + line[m.end() :]
    return "\n".join(lines)


_DOCKER_BUILD = re.compile(r"(?P<cmd>docker(?:\s+buildx)?\s+build)(?=\s)(?P<rest>[^\n]*)")
_PUSH_ACTION = re.compile(r"^(?P<ind>\s*)(?P<dash>-\s+)?uses:\s*docker/build-push-action@", re.M)


def add_dockerfile(text: str, path: str, moved: str | None) -> str:
    """`docker build .` read ./Dockerfile, which moved: name it with -f; so does a
    docker/build-push-action step that names no `file:`."""
    if moved is None:
        return text

    def build(m: re.Match[str]) -> str:
        rest = m["rest"]
        command = re.split(r"&&|\|\||;|\||#", rest)[0]
        if (
            re.search(r"(?:^|\s)(?:-f|--file)(?:[\s=]|$)", command)
            or "$" in command
            or not re.search(r"\s\.?/?(?:\.)?(?=\s|$)", command)
            or command.split()[-1:] not in (["."], ["./"])
        ):
            return m.group(0)  # names its Dockerfile, or builds another folder: not ours to change
        return f"{m['cmd']} -f {moved}{rest}"

    text = _DOCKER_BUILD.sub(build, text)
    if path.startswith(".github/workflows/"):
        lines = text.split("\n")
        out: list[str] = []
        i = 0
        while i < len(lines):
            out.append(lines[i])
            m = _PUSH_ACTION.match(lines[i])
            if m:
                step = len(m["ind"]) + len(m["dash"] or "")  # the indentation of the step's keys
                j, with_at, has_file = i + 1, None, False
                while j < len(lines) and (
                    not lines[j].strip() or len(lines[j]) - len(lines[j].lstrip()) >= step
                ):
                    if re.match(r"\s*with:\s*$", lines[j]):
                        with_at = j
                    elif with_at is not None and re.match(r"\s*file:", lines[j]):
                        has_file = True
                    elif with_at is not None and (
                        c := re.match(r"\s*context:\s*['\"]?([^'\"#\s]*)", lines[j])
                    ):
                        has_file = has_file or c.group(1) not in (
                            ".",
                            "./",
                            "",
                        )  # another folder's build
                    j += 1
                if with_at is not None and not has_file:
                    inner = next((ln for ln in lines[with_at + 1 : j] if ln.strip()), "")
                    ind = inner[: len(inner) - len(inner.lstrip())] or " " * (step + 4)
                    out += (
                        lines[i + 1 : with_at + 1]
                        + [f"{ind}file: {moved}"]
                        + lines[with_at + 1 : j]
                    )
                    i = j
                    continue
            i += 1
        text = "\n".join(out)
    return text


DEVCONTAINERS = (".devcontainer/devcontainer.json", ".devcontainer.json")


def devcontainer(text: str, path: str, moved: dict[str, str]) -> str:
    """A dev container names files relative to its own folder (`"../docker-compose.yml"`):
    each moved file's quoted path, spelled from there, is respelled to where it went."""
    folder = posixpath.dirname(path) or "."
    for old, new in sorted(moved.items(), key=lambda kv: -len(kv[0])):
        was, now = posixpath.relpath(old, folder), posixpath.relpath(new, folder)
        for a, b in ((was, now), (f"./{was}", f"./{now}")):
            text = text.replace(f'"{a}"', f'"{b}"')
    return text


def _env_chooser(ctx: Ctx, tree: Tree, moved: dict[str, str]) -> Callable[[list[str]], str | None]:
    """What a command without --env-file read for interpolation, where it is now.

    Compose reads `.env` in the project folder: the first file's folder. A command whose
    first file moved read the `.env` of the old folder, if there was one — or nothing, and
    then it must not start reading one (another command's --env-file is not its own). The
    env file phase 2 made from that `.env` for the file's environment stands for it.
    """
    back = {new: old for old, new in moved.items()}
    by_target = {cf.target: cf for cf in ctx.facts.compose}

    def choose(files: list[str]) -> str | None:
        old = back.get(files[0], files[0])
        if posixpath.dirname(old) == posixpath.dirname(files[0]):
            return None  # same project folder: the same .env, if any
        read = posixpath.join(posixpath.dirname(old), ".env")
        if read not in ctx.original.files:
            return None
        cf = by_target.get(files[0])
        made = f"env/.env.{cf.env}" if cf is not None else None
        if cf is not None and cf.env_file_before == read and made in tree.files:
            return made
        now = moved.get(read, read)
        return now if now in tree.files else None

    return choose


def plan(ctx: Ctx, tree: Tree) -> PhasePlan:
    pp = PhasePlan(5, "Makefile Updates")
    moved = {old: new for old, new in ctx.moved.items() if new in tree.files}
    # references to files moved in an earlier run still need rewriting on a half-migrated repo
    for old, new in implied_moves(ctx.original, ctx.facts).items():
        if new in tree.files:
            moved.setdefault(old, new)
    env_for = _env_chooser(ctx, tree, moved)
    # the default files of the root, where they moved (commands run from the root)
    defaults = [moved[f] for f in default_files(ctx.original, "") if f in moved]
    root_dockerfile = moved.get("Dockerfile")  # builds that read ./Dockerfile by default
    stale: list[str] = []
    for path in ctx.facts.makefiles + ctx.facts.scripts:
        text = tree.text(path)
        if text is None:
            continue
        new = add_default_files(
            rewrite(text, moved, ctx.root), path, defaults, path in ctx.facts.makefiles
        )
        new = add_dockerfile(new, path, root_dockerfile)
        new = add_env_files(new, path, env_for, path in ctx.facts.makefiles)
        c = ch.write(
            5,
            tree,
            path,
            new,
            summary=f"{path}: new compose/ and env/ paths",
            why="Recipes keep their tabs; commands get --env-file so interpolation reads env/.",
        )
        if c:
            pp.changes.append(c)
            stale.append(path)
    for path in DEVCONTAINERS:
        text = tree.text(path)
        if text is None:
            continue
        c = ch.write(
            5,
            tree,
            path,
            devcontainer(text, path, moved),
            summary=f"{path}: moved compose files and "
            "Dockerfile, spelled from the dev container's folder",
            why="VS Code and the devcontainer CLI read these paths relative to the file's own folder.",
        )
        if c:
            pp.changes.append(c)
    docs = []
    for path in ctx.facts.docs:
        text = tree.text(path)
        if text is None:
            continue
        new = rewrite(text, moved)
        c = ch.write(
            5,
            tree,
            path,
            new,
            default=False,
            summary=f"{path}: mentions moved files",
            why="Docs are listed for review and only rewritten if you switch this change on.",
        )
        if c:
            pp.changes.append(c)
            docs.append(path)
    if docs:
        pp.notes.append(
            Note(
                "info",
                f"{len(docs)} Markdown file(s) mention old paths: {', '.join(docs)} — "
                "off by default; switch them on to rewrite.",
            )
        )
    # check the invocations that will remain: each compose file reachable with its env file
    after = ch.apply_virtual(tree, [c for c in pp.changes if c.default])
    missing = []
    for path in ctx.facts.makefiles:
        for n, line, exported in command_lines(path, after.text(path) or "", True):
            inv = parse_invocation(path, n, line, exported)
            if (
                inv
                and inv.files
                and not all(f.removeprefix("./") in after.files for f in inv.files)
            ):
                missing.append(f"{path}:{n}")
    pp.checklist.append(
        ChecklistItem(
            SECTION,
            "Update Makefile (new paths)",
            not stale and bool(ctx.facts.makefiles),
            Evidence(
                "Makefile uses compose/ and env/"
                if not stale
                else "old paths in " + ", ".join(stale),
                ctx.facts.makefiles[0] if ctx.facts.makefiles else None,
            ),
        )
    )
    if missing:
        pp.notes.append(
            Note("warn", "compose files named here do not exist: " + ", ".join(missing))
        )
    return pp
