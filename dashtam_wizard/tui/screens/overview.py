"""Overview: Current vs Target tree, the plan's Problems with evidence, Docker, progress."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Static

from .. import trees
from ..widgets.docker_status import DockerStatus
from .base import WizardScreen

if TYPE_CHECKING:
    from ...service.state import RepoState


def gate_text(
    gate: tuple[list[str], list[str]] | None, pending: bool, colors: dict[str, str] = trees.STYLE
) -> Text:
    """What the equivalence gate says of the chosen changes (blocking first: apply refuses)."""
    text = Text(no_wrap=True, overflow="ellipsis")
    if not pending:
        return text
    if gate is None:
        text.append("… checking every Compose call with Compose\n", style="dim")
    elif gate[0]:
        more = f"  (+{len(gate[0]) - 1} more)" if len(gate[0]) > 1 else ""
        text.append("🔴 Apply is blocked: a command would behave differently\n", style="bold")
        text.append("   ")
        text.append(gate[0][0], style=colors["moved"])
        text.append(f"{more}\n", style="dim")
    else:
        text.append("✅ Every Compose call resolves the same after the changes\n", style="dim")
    return text


def problems_text(state: RepoState, colors: dict[str, str] = trees.STYLE) -> Text:
    text = Text(no_wrap=True, overflow="ellipsis")
    for p in state.problems:
        if p.present:
            text.append(f"{p.icon} {p.title}\n", style="bold")
            more = f"  (+{len(p.evidence) - 1} more)" if len(p.evidence) > 1 else ""
            text.append("   ")
            text.append(p.evidence[0], style=colors["moved"])
            text.append(f"{more}\n", style="dim")
        else:
            text.append(f"✅ {p.title}", style="dim")
            if p.fixed:
                text.append("  fixed\n", style=colors["new"])
            else:  # the repo never had it: nothing was fixed
                text.append("  not found\n", style="dim")
    text.rstrip()
    return text


def problems_detail(state: RepoState) -> str:
    return "\n".join(
        f"{p.icon} {p.title}\n" + "\n".join(f"  {e}" for e in p.evidence)
        for p in state.problems
        if p.present
    )


class OverviewScreen(WizardScreen):
    BINDINGS = [Binding("a", "app.apply", "Apply all")]  # every pending phase, from here
    key = "overview"

    def body(self) -> ComposeResult:
        with Vertical(id="overview"):
            yield Static("", id="load-error", classes="error-panel")
            with Horizontal(id="trees"):
                with VerticalScroll(classes="tree-pane", id="pane-current") as pane:
                    pane.border_title = "Current State"
                    yield Static("reading the repo…", id="tree-current", classes="tree")
                with VerticalScroll(classes="tree-pane") as pane:
                    pane.border_title = "Target State ✅"
                    yield Static("planning…", id="tree-target", classes="tree")
            yield Static(trees.LEGEND, id="legend")
            with Horizontal(id="overview-bottom"):
                with Vertical(id="problems") as box:
                    box.border_title = "Problems"
                    yield Static("", id="problem-list")
                with Vertical(id="where") as box:
                    box.border_title = "Status"
                    yield Static("", id="stage")
                    yield DockerStatus(id="docker")

    def _render_trees(
        self, state: RepoState, colors: dict[str, str] | None = None, later: bool = True
    ) -> None:
        changes = state.selected()
        colors = colors or self.tree_colors()
        for tree_id, tree, target in (
            ("#tree-current", state.tree, False),
            ("#tree-target", state.target, True),
        ):
            widget = self.query_one(tree_id, Static)
            room = widget.parent.content_size.height if widget.parent is not None else 0  # type: ignore[attr-defined]
            if later or self._rooms.get(tree_id) != room:
                widget.update(
                    trees.render(tree, state.name, trees.marks(changes, target), room, colors)
                )
            self._rooms[tree_id] = room
        if later:  # the panes' heights settle once the rest of the screen is laid out
            self.call_after_refresh(self._render_trees, state, colors, False)

    def tree_colors(self) -> dict[str, str]:
        """The trees' colours in the current theme's text colours (readable on it)."""
        return trees.palette(self.app.get_css_variables())

    def __init__(self) -> None:
        super().__init__()
        self._rooms: dict[
            str, int
        ] = {}  # the height each tree was last cut to (state may come first)

    def on_mount(self) -> None:
        # WizardScreen.on_mount runs after this one (Textual calls each class's handler down
        # the MRO): calling it here too drew the overview twice and watched the state twice
        self.query_one("#legend", Static).update(trees.legend(self.tree_colors()))
        self.watch(self.app, "theme", self._themed, init=False)

    def _themed(self, _theme: str) -> None:
        self.query_one("#legend", Static).update(trees.legend(self.tree_colors()))
        self.show_state(self.wizard.state)

    def on_resize(self) -> None:
        """A taller pane lists the files the migration leaves alone, instead of "+N more"."""
        state = self.wizard.state
        if state is not None:
            self.call_after_refresh(self._render_trees, state)

    def show_state(self, state: RepoState | None) -> None:
        error = self.wizard.load_error
        panel = self.query_one("#load-error", Static)
        panel.display = error is not None
        if error:
            panel.update(Text.assemble((f"{error[0]}\n", "bold"), error[1]))
        if state is None:
            if error:  # nothing is being read or planned any more: say so, not "planning…"
                for tree_id in ("#tree-current", "#tree-target"):
                    self.query_one(tree_id, Static).update(
                        "not planned: fix what the panel above names, then r"
                    )
                self.query_one("#pane-current").border_title = "Current State"
                self.query_one("#tree-target").parent.border_title = "Target State"  # type: ignore[union-attr]
            return
        self.query_one("#tree-target").parent.border_title = "Target State ✅"  # type: ignore[union-attr]
        changes = state.selected()
        colors = self.tree_colors()  # the theme's variables, computed once per redraw
        self._render_trees(state, colors)
        bad = any(p.present for p in state.problems)
        self.query_one("#pane-current").border_title = f"Current State {'❌' if bad else '✅'}"
        problems = self.query_one("#problem-list", Static)
        gate = self.wizard.gate
        problems.update(
            gate_text(gate, bool(changes) and self.wizard.gate_check, colors)
            + problems_text(state, colors)
        )
        blocked = "\n".join(gate[0]) if gate and gate[0] else ""
        problems.tooltip = "\n".join(x for x in (blocked, problems_detail(state)) if x) or None
        phases = ", ".join(map(str, state.pending_phases()))
        pending = f"{len(changes)} change(s) in phase(s) {phases}" if phases else "nothing"
        self.query_one("#stage", Static).update(
            Text.assemble(
                ("Repo: ", "bold"),
                f"{state.name} (project {state.plan.project})\n",
                ("Stage: ", "bold"),
                state.stage(),
                "\n",
                ("Pending: ", "bold"),
                pending,
            )
        )
