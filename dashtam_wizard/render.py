"""Rich rendering of plans and checklists for the headless commands (no Textual here)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.text import Text

from .core.diff import unified
from .core.model import Change, ChecklistItem, Kind, Plan

ICON = {True: "✅", False: "⬜", None: "❔"}
KIND_STYLE = {Kind.DELETE: "red", Kind.CREATE: "green", Kind.MOVE: "cyan", Kind.EDIT: "yellow"}


def change_json(c: Change, show_secrets: bool) -> dict[str, Any]:
    return {
        "id": c.id, "phase": c.phase, "kind": c.kind.value, "path": c.path, "source": c.source,
        "summary": c.summary, "why": c.why, "default": c.default, "mode": None if c.mode is None else f"{c.mode:o}",
        "diff": unified(c, show_secrets),
    }


def item_json(i: ChecklistItem) -> dict[str, Any]:
    return {"section": i.section, "text": i.text, "done": i.done, "manual": i.manual,
            "evidence": i.evidence.text if i.evidence else None, "where": i.evidence.where() if i.evidence else None}


def plan_json(plan: Plan, phases: set[int] | None, show_secrets: bool) -> dict[str, Any]:
    return {
        "root": plan.root, "project": plan.project, "pending": plan.pending,
        "phases": [
            {"number": p.number, "title": p.title, "changes": [change_json(c, show_secrets) for c in p.changes],
             "checklist": [item_json(i) for i in p.checklist],
             "notes": [{"level": n.level, "text": n.text} for n in p.notes]}
            for p in plan.phases if phases is None or p.number in phases
        ],
    }


def diff_text(diff: str) -> Text:
    """A unified diff coloured line by line; never wrapped or cropped (it may be copied)."""
    out = Text()
    for line in diff.splitlines(keepends=True):
        style = ""
        if line.startswith(("+++", "---")):
            style = "bold"
        elif line.startswith("+"):
            style = "green"
        elif line.startswith("-"):
            style = "red"
        elif line.startswith("@@"):
            style = "cyan"
        out.append(line, style=style)
    return out


def print_plan(console: Console, plan: Plan, phases: set[int] | None, show_secrets: bool, diffs: bool = True) -> None:
    console.print(Text(f"Plan for {plan.project} ({plan.root})", style="bold"))
    for p in plan.phases:
        if phases is not None and p.number not in phases:
            continue
        console.rule(Text(p.heading, style="bold magenta"), align="left")
        if not p.changes:
            console.print("  nothing to do")
        for c in p.changes:
            flag = "" if c.default else " [dim](off by default — review)[/dim]"
            console.print(Text(f"  {c.kind.value:6} ", style=KIND_STYLE.get(c.kind, "blue")) +
                          Text(c.summary) + Text.from_markup(flag) + Text(f"  [{c.id}]", style="dim"))
            if c.why:
                console.print(Text(f"         why: {c.why}", style="italic dim"), soft_wrap=True)
            if diffs:
                d = unified(c, show_secrets)
                if d and c.kind is not Kind.MKDIR:
                    console.print(diff_text(d), soft_wrap=True)
        for n in p.notes:
            style = {"plan": "yellow", "warn": "red"}.get(n.level, "dim")
            label = {"plan": "plan fix", "warn": "warning"}.get(n.level, "note")
            console.print(Text(f"  {label}: {n.text}", style=style), soft_wrap=True)
        for i in p.checklist:
            console.print(f"  {ICON[i.done]} {i.text}" + (f"  — {i.evidence.text}" if i.evidence else ""))


def print_checklist(console: Console, items: list[ChecklistItem]) -> None:
    from rich.table import Table  # only `status` draws a table: keep it off plan's start-up

    table = Table(title="Migration Checklist", show_lines=False)
    table.add_column("", width=2)
    table.add_column("Section")
    table.add_column("Item")
    table.add_column("Evidence", overflow="fold")
    for i in items:
        ev = ""
        if i.evidence:
            ev = i.evidence.text + (f" ({i.evidence.where()})" if i.evidence.where() else "")
        elif i.manual:
            ev = "needs a person"
        table.add_row(ICON[i.done], i.section, i.text, ev)
    console.print(table)
