"""Rendering of plans and checklists for the headless commands (no Textual here).

`plan` prints with plain ANSI escapes, not rich: it prints a couple of thousand diff lines,
and importing rich and pushing every line through its renderer cost more than planning
all seven phases. Tables (`status`) still use rich, imported when drawn.
"""

from __future__ import annotations

import os
import re
from typing import IO, Any

from .core.diff import unified
from .core.gate import Verdict
from .core.meta import json_meta
from .core.model import Change, ChecklistItem, Kind, Plan

ICON = {True: "✅", False: "⬜", None: "❔"}
KIND_STYLE = {Kind.DELETE: "red", Kind.CREATE: "green", Kind.MOVE: "cyan", Kind.EDIT: "yellow"}
SGR = {
    "bold": "1",
    "dim": "2",
    "italic": "3",
    "red": "31",
    "green": "32",
    "yellow": "33",
    "blue": "34",
    "magenta": "35",
    "cyan": "36",
}
# C0/C1 controls other than tab and newline: a file name or value holding an escape
# sequence must not drive the user's terminal
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def wants_color(stream: IO[str]) -> bool:
    """NO_COLOR / FORCE_COLOR as everyone spells them, else colour only on a terminal."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return stream.isatty() and os.environ.get("TERM") != "dumb"


def terminal_width() -> int:
    """COLUMNS, else the terminal's width, else 80 (shutil's rule, without importing shutil)."""
    try:
        return int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        pass
    try:
        return os.get_terminal_size(1).columns or 80
    except OSError:
        return 80


class Out:
    """Writes styled lines to a stream; styles become SGR escapes only when colour is on."""

    def __init__(
        self, stream: IO[str], color: bool | None = None, width: int | None = None
    ) -> None:
        self.stream = stream
        self.color = wants_color(stream) if color is None else color
        self.width = width or terminal_width()
        self._parts: list[str] = []

    def span(self, text: str, style: str = "") -> str:
        text = _CONTROL.sub("\ufffd", text)
        if not style or not self.color:
            return text
        codes = ";".join(SGR[s] for s in style.split())
        return f"\x1b[{codes}m{text}\x1b[0m"

    def line(self, *spans: str) -> None:
        self._parts.append("".join(spans) + "\n")
        if len(self._parts) > 512:
            self.flush()

    def rule(self, title: str, style: str = "") -> None:
        fill = max(3, self.width - len(title) - 4)
        self.line(
            self.span("── ", "dim"), self.span(title, style), self.span(" " + "─" * fill, "dim")
        )

    def flush(self) -> None:
        self.stream.write("".join(self._parts))
        self._parts.clear()
        self.stream.flush()


def change_json(c: Change, show_secrets: bool) -> dict[str, Any]:
    return {
        "id": c.id,
        "phase": c.phase,
        "kind": c.kind.value,
        "path": c.path,
        "source": c.source,
        "summary": c.summary,
        "why": c.why,
        "default": c.default,
        "mode": None if c.mode is None else f"{c.mode:o}",
        "diff": unified(c, show_secrets),
    }


def item_json(i: ChecklistItem) -> dict[str, Any]:
    return {
        "section": i.section,
        "text": i.text,
        "done": i.done,
        "manual": i.manual,
        "evidence": i.evidence.text if i.evidence else None,
        "where": i.evidence.where() if i.evidence else None,
    }


def plan_json(
    plan: Plan, phases: set[int] | None, show_secrets: bool, gate: Verdict | None = None
) -> dict[str, Any]:
    return {
        **json_meta("plan"),
        "root": plan.root,
        "project": plan.project,
        "pending": plan.pending,
        "phases": [
            {
                "number": p.number,
                "title": p.title,
                "changes": [change_json(c, show_secrets) for c in p.changes],
                "checklist": [item_json(i) for i in p.checklist],
                "notes": [{"level": n.level, "text": n.text} for n in p.notes],
            }
            for p in plan.phases
            if phases is None or p.number in phases
        ],
        **({} if gate is None else {"gate": gate_json(gate)}),
    }


def gate_json(gate: Verdict) -> dict[str, Any]:
    return {
        "judge": gate.judge,
        "compared": gate.compared,
        "resolutions": gate.calls,
        "unjudged": gate.unjudged,
        "blocked": [vars(d) for d in gate.differences],
    }


def status_json(root: object, items: list[ChecklistItem], problems: list[Any]) -> dict[str, Any]:
    """`status --json`: the checklist with its ticks and the problems still present."""
    return {
        **json_meta("status"),
        "root": str(root),
        "items": [item_json(i) for i in items],
        "problems": [
            {
                "severity": "high" if p.icon == "🔴" else "medium",
                "title": p.title,
                "evidence": p.evidence,
            }
            for p in problems
        ],
    }


DIFF_STYLE = (("+++", "bold"), ("---", "bold"), ("+", "green"), ("-", "red"), ("@@", "cyan"))


def print_diff(out: Out, diff: str) -> None:
    """A unified diff coloured line by line; never wrapped or cropped (it may be copied)."""
    for line in diff.splitlines():
        style = next((s for prefix, s in DIFF_STYLE if line.startswith(prefix)), "")
        out.line(out.span(line, style))


def print_plan(
    stream: IO[str],
    plan: Plan,
    phases: set[int] | None,
    show_secrets: bool,
    diffs: bool = True,
    color: bool | None = None,
    gate: Verdict | None = None,
) -> None:
    out = Out(stream, color)
    out.line(out.span(f"Plan for {plan.project} ({plan.root})", "bold"))
    for p in plan.phases:
        if phases is not None and p.number not in phases:
            continue
        out.rule(p.heading, "bold magenta")
        if not p.changes:
            out.line("  nothing to do")
        for c in p.changes:
            flag = "" if c.default else out.span(" (off by default — review)", "dim")
            out.line(
                out.span(f"  {c.kind.value:6} ", KIND_STYLE.get(c.kind, "blue")),
                out.span(c.summary),
                flag,
                out.span(f"  [{c.id}]", "dim"),
            )
            if c.why:
                out.line(out.span(f"         why: {c.why}", "italic dim"))
            if diffs:
                d = unified(c, show_secrets)
                if d and c.kind is not Kind.MKDIR:
                    print_diff(out, d)
        for n in p.notes:
            style = {"plan": "yellow", "warn": "red"}.get(n.level, "dim")
            label = {"plan": "plan fix", "warn": "warning"}.get(n.level, "note")
            out.line(out.span(f"  {label}: {n.text}", style))
        for i in p.checklist:
            out.line(
                out.span(
                    f"  {ICON[i.done]} {i.text}" + (f"  — {i.evidence.text}" if i.evidence else "")
                )
            )
    print_summary(out, plan, phases, gate)
    out.flush()


def print_summary(
    out: Out, plan: Plan, phases: set[int] | None, gate: Verdict | None = None
) -> None:
    """What the plan comes to, and the command to run next (one line each, never wrapped)."""
    shown = [p for p in plan.phases if phases is None or p.number in phases]
    out.rule("Summary", "bold")
    counts = [
        f"{p.number}: {sum(1 for c in p.changes if c.default)}"
        for p in shown
        if any(c.default for c in p.changes)
    ]
    pending = sum(1 for p in shown for c in p.changes if c.default)
    off = sum(1 for p in shown for c in p.changes if not c.default)
    warned = [str(p.number) for p in shown if any(n.level == "warn" for n in p.notes)]
    if counts:
        out.line(f"  changes per phase  {'  '.join(counts)}")
    line = f"  {pending} change(s) pending" + (
        f", {off} off by default (review, then --include)" if off else ""
    )
    out.line(out.span(line, "bold"))
    if warned:
        out.line(
            out.span(
                f"  warnings to read in phase(s) {', '.join(warned)} (what is held back and why)",
                "red",
            )
        )
    which = "".join(f" --phase {n}" for n in sorted(phases)) if phases else ""
    if gate is not None:
        print_gate(out, gate)
    if gate is not None and gate.differences:
        out.line(
            "  next: skip or fix what is blocked (apply refuses while the gate finds a difference)"
        )
    elif pending:
        out.line(f"  next: dashtam-wizard apply {plan.root}{which} --yes")
    else:
        out.line(f"  next: dashtam-wizard verify {plan.root}")


def print_check(stream: IO[str], plan: Plan, phases: set[int] | None, gate: Verdict) -> None:
    """`plan --check`: the ids still pending (or that nothing is), then the gate's answer."""
    ids = [c.id for c in plan.changes(phases) if c.default]
    if ids:
        stream.write(f"{len(ids)} change(s) pending — run `dashtam-wizard plan` to see them:\n")
        stream.writelines(f"  {cid}\n" for cid in ids)
    else:
        stream.write("Nothing left to do: the repo is migrated.\n")
    out = Out(stream, None)
    print_gate(out, gate)
    out.flush()


def print_gate(out: Out, gate: Verdict) -> None:
    """The equivalence gate's answer: what would resolve differently, and which changes
    write what that command reads (the ids to --skip)."""
    how = gate.judge + (f", {gate.calls} run(s)" if gate.calls else "")
    if not gate.differences:
        out.line(f"  gate: {gate.compared} command(s) resolve the same before and after ({how})")
    else:
        bad = len({d.where for d in gate.differences})
        out.line(
            out.span(
                f"  gate: {bad} of {gate.compared} command(s) would behave differently ({how})",
                "red",
            )
        )
    for d in gate.differences:
        out.line(out.span(f"  blocked: {d.line()}", "red"))
        if d.changes:
            out.line(out.span(f"           by: {' '.join(d.changes)}", "dim"))
    for note in gate.unjudged:
        out.line(out.span(f"  not judged: {note}", "yellow"))


def print_problems(console: Any, problems: list[Any]) -> None:
    """The plan's "Current State" problems the repo still has, with where each is seen."""
    from rich.markup import escape

    if not problems:
        return
    console.print("[b]Problems still present[/b] (the plan's Current State)")
    for p in problems:
        more = f" (+{len(p.evidence) - 3} more)" if len(p.evidence) > 3 else ""
        console.print(f"  {p.icon} {escape(p.title)}", soft_wrap=True)
        for ev in p.evidence[:3]:
            console.print(f"     [dim]{escape(ev)}[/dim]", soft_wrap=True)
        if more:
            console.print(f"     [dim]{more.strip()}[/dim]")


def print_checklist(console: Any, items: list[ChecklistItem]) -> None:
    """One line per item under its section's heading, then the count: read in a terminal or
    a pipe alike (no table cell splits a path, no section repeated on every row)."""
    from rich.markup import escape

    console.print("[b]Migration Checklist[/b]")
    section = None
    for i in items:
        if i.section != section:
            section = i.section
            console.print(f"[b]{escape(section)}[/b]")
        ev = ""
        if i.evidence:
            ev = i.evidence.text + (f" ({i.evidence.where()})" if i.evidence.where() else "")
        elif i.manual:
            ev = "needs a person"
        tail = f" [dim]— {escape(ev)}[/dim]" if ev else ""
        console.print(f"  {ICON[i.done]} {escape(i.text)}{tail}", soft_wrap=True)
    done = sum(1 for i in items if i.done)
    person = sum(1 for i in items if i.manual and not i.done)
    said = f"{done}/{len(items)} done"
    if person:
        said += f"; {person} need a person (tick them in the wizard: `dashtam-wizard`, Checklist)"
    console.print(said, soft_wrap=True)
