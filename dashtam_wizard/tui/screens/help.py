"""`?` / F1: what the phases do, this screen's keys, where state lives, how to undo."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from ...core.model import PHASE_PURPOSE, PHASE_TITLES


def _keys(bindings: list[tuple[str, str]]) -> str:
    width = max((len(k) for k, _ in bindings), default=0)
    return "\n".join(
        f"  [b]{Content(k).markup:<{width}}[/b]  {Content(d).markup}" for k, d in bindings
    )


class HelpScreen(ModalScreen[None]):
    """Help for the screen under it: `bindings` are (key, description) of that screen."""

    BINDINGS = [Binding("escape,q,question_mark,f1", "close", "Close")]

    def __init__(self, screen_name: str, bindings: list[tuple[str, str]], root: str) -> None:
        super().__init__()
        self.screen_name = screen_name
        self.bindings = bindings
        self.root = root

    def compose(self) -> ComposeResult:
        keys = [*self.bindings, ("^p", "every action by name (command palette)")]
        name = Content(self.root.rstrip("/").rsplit("/", 1)[-1]).markup
        with Vertical(id="help"):
            yield Label(
                Content.from_markup("[b]dashtam-wizard — help[/b]  [dim](esc closes)[/]"),
                id="help-title",
            )
            with VerticalScroll(id="help-body"):
                yield Static(
                    Content.from_markup(
                        f"[b $text-accent]Keys on {Content(self.screen_name).markup}[/]\n{_keys(keys)}\n"
                    )
                )
                yield Static(
                    Content.from_markup(
                        "[b $text-accent]The phases[/]  (review each one's changes, then [b]a[/b]; "
                        "[b]A[/b] applies every pending phase; at the top, [b]•[/b] has changes to "
                        "apply, [b]✓[/b] is done, [b]![/b] is held back: its screen says why)"
                    )
                )
                for n in sorted(PHASE_TITLES):
                    yield Static(
                        Content.from_markup(f"[b]{n}  {PHASE_TITLES[n]}[/b]"), classes="help-phase"
                    )
                    yield Static(Content(PHASE_PURPOSE[n]), classes="help-purpose")
                yield Static(
                    Content.from_markup(
                        "\n[b $text-accent]Nothing you run behaves differently[/]\n"
                        "Before an apply writes anything, every Compose command of the repo is resolved by the "
                        "real Compose before and after; a change that would alter what a command runs is "
                        "blocked and shown on its phase screen.\n\n"
                        "[b $text-accent]Where state lives[/]\n"
                        f".dashtam-wizard/ in the repo ({name}): owner-only, git-ignored; one journal per apply (the bytes "
                        "before it), verify results, build logs. It holds env-file contents: never commit it.\n\n"
                        "[b $text-accent]How to undo[/]\n"
                        "[b]ctrl+z[/b] rolls back the latest apply, byte for byte (git index included); the "
                        "History screen ([b]h[/b]) undoes several. From a shell: "
                        "`dashtam-wizard rollback --yes` in the repo (--list, --to ID, --all). "
                        "A file you edited after the apply is saved aside, never lost."
                    ),
                    classes="help-text",
                )

    def action_close(self) -> None:
        self.dismiss(None)
