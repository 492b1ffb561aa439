"""Figures tests measure (crash points recovered, corpus cases, examples checked).

Printed at the end of the run by tests/conftest.py so the README can quote the last run.
"""

from __future__ import annotations

FIGURES: dict[str, str] = {}


def record(name: str, value: str) -> None:
    FIGURES[name] = value
