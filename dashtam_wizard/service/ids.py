"""Change ids as the engine writes them (`core.changes.cid`): `p<phase>:<kind>:<path>`."""

from __future__ import annotations


def split_change_id(cid: str) -> tuple[str, str, str]:
    """(phase number, kind, path); path is "" when `cid` is not in that form."""
    phase, _, rest = cid.partition(":")
    kind, _, path = rest.partition(":")
    return phase.removeprefix("p"), kind, path
