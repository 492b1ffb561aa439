"""Find and render the templates shipped in the wheel (assets/templates)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import jinja2

_PKG = Path(__file__).resolve().parent.parent


def assets_dir() -> Path:
    """`dashtam_wizard/assets` in a wheel; the repo's `assets/` in a source checkout."""
    for candidate in (_PKG / "assets", _PKG.parent / "assets"):
        if (candidate / "templates").is_dir():
            return candidate
    raise FileNotFoundError(
        "dashtam-wizard's assets/templates folder is missing from the installation"
    )


@cache
def _env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(assets_dir() / "templates")),
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
        autoescape=False,
    )


def render(name: str, **context: object) -> str:
    return _env().get_template(name).render(**context)
