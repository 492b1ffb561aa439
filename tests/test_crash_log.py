"""A bug in the wizard is one line naming a file that holds its traceback, in both front
ends (one helper writes it: shell.save_traceback), never a traceback on screen."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dashtam_wizard.shell import EXIT_BAD, guarded
from dashtam_wizard.tui.errors import describe


def _boom() -> int:
    raise ZeroDivisionError("the planner divided by zero")


def _logged(line: str) -> str:
    m = re.search(r"\(details: (/\S+\.log)\)", line)
    assert m, line
    text = Path(m[1]).read_text()
    Path(m[1]).unlink()
    return text


def test_the_cli_says_one_line_and_keeps_the_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    assert guarded(_boom) == EXIT_BAD
    out = capsys.readouterr()
    assert out.out == "" and out.err.count("\n") == 1, out
    assert out.err.startswith(
        "dashtam-wizard: internal error: ZeroDivisionError: the planner divided by zero"
    )
    log = _logged(out.err)
    assert "Traceback" in log and "in _boom" in log and "ZeroDivisionError" in log


def test_the_tui_says_one_line_and_keeps_the_traceback() -> None:
    try:
        _boom()
    except ZeroDivisionError as exc:
        title, text = describe(exc, "plan")
    assert title == "Internal error" and "\n" not in text
    assert text.startswith("ZeroDivisionError: the planner divided by zero (details: ")
    assert "in _boom" in _logged(text)
