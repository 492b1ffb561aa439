"""Find and render the templates shipped in the wheel (assets/templates)."""

from __future__ import annotations

import os
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


class _OwnBytecode(jinja2.FileSystemBytecodeCache):
    """Compiled templates kept between runs (compiling the Dockerfile template is ~30 ms of
    a cold plan). A cache file is code: one this user did not write is never loaded."""

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            st = os.stat(self._get_cache_filename(bucket))
        except OSError:
            return
        if st.st_uid == os.getuid() and not st.st_mode & 0o022:
            super().load_bytecode(bucket)


_bytecode: list[jinja2.BytecodeCache] = []


def use_bytecode_cache(folder: Path) -> None:
    """Keep compiled templates in `folder` (made owner-only), if it is this user's alone.

    Called by the layer that owns the caches (plancache): the core itself writes nothing."""
    if _bytecode:
        return
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        st = folder.stat()
    except OSError:
        return
    if st.st_uid == os.getuid() and not st.st_mode & 0o077:
        _bytecode.append(_OwnBytecode(str(folder)))


@cache
def _env() -> jinja2.Environment:
    return jinja2.Environment(
        bytecode_cache=_bytecode[0] if _bytecode else None,
        loader=jinja2.FileSystemLoader(str(assets_dir() / "templates")),
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
        autoescape=False,
    )


def render(name: str, **context: object) -> str:
    return _env().get_template(name).render(**context)
