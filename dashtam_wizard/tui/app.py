"""Entry point of the TUI: the repo's state first, then Textual.

This module stays light on purpose. `run()` looks for the repo's state in the state cache
(a repo shown before and unchanged since: a few ms, no planner) or else starts the
backend process, which plans it on another core while Textual is imported and starts
here; either way the overview's first frame usually has its content. The app class lives
in `wizard.py`; `WizardApp` is still importable from here.
"""

from __future__ import annotations

import gc
from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING, Any

if find_spec("textual") is None:  # the CLI falls back to printing the plan
    raise ImportError("the TUI needs Textual (pip install textual)")

if TYPE_CHECKING:
    from ..core.context import Options
    from .wizard import WizardApp


def run(root: Path, demo: bool = False, options: Options | None = None) -> int:
    """Entry point used by `dashtam-wizard [PATH]` and `dashtam-wizard --demo`; `options`
    other than the defaults (`--convert`) are planned by the app's first load."""
    from . import backend, ops

    # Start-up allocates a lot and frees little (Textual's modules and widgets, the repo's
    # state): the cyclic GC would scan all of it, twice or so, for nothing, ~40 ms each on
    # the way to the first frame. The app turns it back on once the overview is painted.
    gc.disable()
    root = Path(root).resolve()
    state = recovered = None
    if options is None:
        try:
            state, recovered = ops.first_load_here(root)
        except Exception:  # noqa: BLE001 - the backend meets it again and the app shows it
            state, recovered = None, None
    started = None if state is not None else backend.Backend.start(root, first=options is None)
    from .wizard import WizardApp

    app = WizardApp(root, demo=demo, backend=started, state=state, recovered=recovered)
    if options is not None:
        app.options = options
    app.run()
    return app.return_code or 0


def __getattr__(name: str) -> Any:
    """`from dashtam_wizard.tui.app import WizardApp` without importing Textual up front."""
    if name == "WizardApp":
        from .wizard import WizardApp

        return WizardApp
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["WizardApp", "run"]
