"""The Overview uses the room it has: a tall terminal lists the files the migration leaves
alone instead of "+7 more" over empty rows, and the Status box says the Docker error in
one clause, with the whole of it one key away (v), instead of cutting it mid-sentence."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rich.cells import cell_len

from dashtam_wizard.tui.app import WizardApp

from .conftest import run_cli
from .test_tui_support import press, screen_text, settle


async def test_a_tall_overview_lists_every_top_level_file(sample: Path) -> None:
    app = WizardApp(sample, docker_probe=False, gate_check=False)
    async with app.run_test(size=(200, 60)) as pilot:
        await settle(pilot)
        await pilot.pause(0.2)
        text = screen_text(app)
        assert "more:" not in text and "callback_server.py" in text and "README.md" in text
    app = WizardApp(sample, docker_probe=False, gate_check=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        tree = str(app.screen.query_one("#tree-current").render())
        assert "+7 more: README.md" in tree  # no room: the quiet files are one line


async def test_the_status_box_says_the_docker_error_whole_or_points_to_it(
    sample: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-daemon.sock")
    app = WizardApp(sample, docker_probe=True, gate_check=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        status = ""
        for _ in range(100):
            status = str(app.screen.query_one("#docker").render())
            if "v: details" in status:
                break
            await pilot.pause(0.1)
        # the pytest folder makes a long socket path: said in the details, not cut off here
        assert status == "Docker: 🔴 cannot reach a Docker daemon — v: details", status
        assert "details" in screen_text(app)  # its last word is on screen: nothing is cut
        await press(pilot, "v")
        text = screen_text(app)
        assert "set DOCKER_HOST to a running daemon" in text and "no-daemon" in text


async def test_the_footer_names_each_screens_main_keys_first_even_at_80_columns(
    sample: Path,
) -> None:
    """At 80×24 the footer cannot hold every key: a phase screen's own (include/skip, apply
    this phase, secrets, split, help) come first; the Overview's `a` says it applies all."""
    app = WizardApp(sample, docker_probe=False, gate_check=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        footer = screen_text(app).splitlines()[-1]
        assert footer.lstrip().startswith("a Apply all"), footer
        await press(pilot, "4")
        footer = screen_text(app).splitlines()[-1]
        for key in ("space Include/skip", "a Apply phase", "s Secrets", "d Split", "? Help"):
            assert key in footer, footer


async def _screenshot(repo: Path, keys: list[str]) -> str:
    app = WizardApp(repo, docker_probe=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, *keys)
        await pilot.pause(0.3)
        return re.sub(r"terminal-\d+", "T", app.export_screenshot())


async def test_a_screen_shown_again_looks_as_when_first_shown(sample: Path) -> None:
    """Round trips between screens and theme flips leave nothing stale: a screen looks as
    it does in a fresh app (its first showing skips Textual's style refresh)."""
    fresh_overview = await _screenshot(sample, [])
    after_trips = await _screenshot(
        sample, ["1", "o", "h", "o", "question_mark", "escape", "4", "o"]
    )
    assert after_trips == fresh_overview
    fresh_phase = await _screenshot(sample, ["4"])
    after_themes = await _screenshot(sample, ["t", "4", "t", "o", "4"])
    assert after_themes == fresh_phase


async def test_a_wrapped_change_row_hangs_under_its_summary(sample: Path) -> None:
    """In phase 4 at 80×24 the change summaries take two or three lines each: the wrapped
    lines start under the summary, so the box and the kind of each change stand alone in
    their column and each change reads as one item (the checklist's items likewise)."""
    app = WizardApp(sample, docker_probe=False, gate_check=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "4")
        await pilot.pause(0.3)
        heads, tails = _rows(app, "ChangeList", r"[☑☐] edit ")
        assert len(heads) >= 2 and tails, heads + tails  # the summaries wrap at this width
        column = heads[0].index("edit") + len("edit   ")
        assert all(r[:column].strip() == "" and r[column] != " " for r in tails), heads + tails
        await press(pilot, "c")
        await pilot.pause(0.3)
        sections = {"Pre-Migration", "Migration", "Testing", "Documentation", "Cleanup"}
        heads, tails = _rows(app, "ChecklistList", r"(✅|⬜|❔|☐) ")
        tails = [r for r in tails if r.strip() not in sections]
        assert tails, heads  # some items wrap at 80 columns
        text_at = heads[0].index(heads[0].split()[1])
        column = cell_len(heads[0][:text_at])  # the cell an item's text starts at (✅ is 2)
        assert all(r[:column].strip() == "" and r[column] != " " for r in tails), heads + tails


def _rows(app: WizardApp, widget: str, head: str) -> tuple[list[str], list[str]]:
    """The rows a list shows, less its one-cell focus gutter: (first rows, wrapped rows)."""
    lst = app.screen.query_one(widget)
    rows = [s.text[1:] for s in lst.render_lines(lst.content_region.reset_offset)]  # type: ignore[attr-defined]
    rows = [r for r in rows if r.strip()]
    heads = [r for r in rows if re.match(rf"\s*{head}", r)]
    return heads, [r for r in rows if r not in heads]


async def test_the_rollback_buttons_are_whole_at_80_columns(sample: Path) -> None:
    assert run_cli("apply", str(sample), "--phase", "1", "--yes").returncode == 0
    app = WizardApp(sample, docker_probe=False, gate_check=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "h")
        row = next(ln for ln in screen_text(app).splitlines() if "Roll back:" in ln)
        for label in ("latest (ctrl+z)", "to selected (enter)", "everything"):
            assert label in row, row


async def test_a_long_rollback_dialog_keeps_its_buttons_on_an_80x24_screen(sample: Path) -> None:
    """Rolling back a whole migration lists 31 changes: the list scrolls, and the buttons
    and the line saying what enter does stay on screen."""
    assert run_cli("apply", str(sample), "--yes").returncode == 0
    app = WizardApp(sample, docker_probe=False, gate_check=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "ctrl+z")
        text = screen_text(app)
        assert "Roll back (y)" in text and "Cancel (n)" in text, text
        assert "enter: Cancel · y: Roll back · n or esc: Cancel" in text, text


async def test_a_problem_the_repo_never_had_is_not_said_fixed(tmp_path: Path) -> None:
    """ "fixed" only where the repo had the problem before the wizard's first apply: this
    repo runs as a non-root user from the start, so that problem is "not found", before and
    after its migration, while the hard-coded values it had are "fixed"."""
    from .legacy_repos import write_repo

    repo = write_repo(
        tmp_path / "svc",
        {
            "app.py": "print(1)\n",
            "requirements.txt": "fastapi==0.115.0\n",
            "Dockerfile": "FROM python:3.13-slim\nRUN useradd -m app\nUSER app\n"
            'WORKDIR /app\nCOPY . .\nCMD ["python", "app.py"]\n',
            "docker-compose.dev.yml": "services:\n  app:\n    build: .\n"
            "    environment:\n      MODE: dev\n",
            "Makefile": "up:\n\tdocker compose -f docker-compose.dev.yml up -d\n",
        },
    )

    async def problems() -> str:
        app = WizardApp(repo, docker_probe=False, gate_check=False)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            return str(app.screen.query_one("#problem-list").render())

    text = await problems()
    assert "✅ No non-root user in dev/test  not found" in text, text
    assert "🔴 Environment variables hardcoded in compose files" in text, text
    assert "fixed" not in text, text
    assert run_cli("apply", str(repo), "--yes").returncode == 0
    text = await problems()
    assert "✅ No non-root user in dev/test  not found" in text, text
    assert "✅ Environment variables hardcoded in compose files  fixed" in text, text


async def test_a_held_back_phase_is_never_said_done(tmp_path: Path) -> None:
    """A plain-requirements repo: phase 1 (no conversion asked) and phase 3 (the template
    needs uv.lock) change nothing, but the repo is not as the plan wants it. They are
    marked `!` and "held back", never ✓ or "done", before and after the rest is applied."""
    from .legacy_repos import write_repo

    repo = write_repo(
        tmp_path / "shop",
        {
            "manage.py": "print(1)\n",
            "requirements.txt": "django==5.1\n",
            "Dockerfile": 'FROM python:3.13-slim\nWORKDIR /code\nCOPY . .\nCMD ["python", "manage.py"]\n',
            "docker-compose.yml": "services:\n  web:\n    build: .\n    environment:\n      DEBUG: 1\n",
            "Makefile": "up:\n\tdocker compose up -d\n",
        },
    )

    async def look(*keys: str) -> tuple[str, str, str]:
        app = WizardApp(repo, docker_probe=False, gate_check=False)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            status = str(app.screen.query_one("#stage").render())
            await press(pilot, "3")
            text = screen_text(app)
            return text.splitlines()[0], text.splitlines()[1], status

    nav, header, status = await look()
    assert " 1! " in nav and " 2• " in nav and " 3! " in nav, nav
    assert "held back — the Dockerfile stays as it is" in header and "done" not in header
    assert "not started — phase 2 is next; phase 1 held back" in status, status
    assert run_cli("apply", str(repo), "--yes").returncode == 0
    nav, header, status = await look()
    assert " 1! " in nav and " 2✓ " in nav and " 3! " in nav, nav
    assert "migrated except phases 1, 3 — held back, their screen says why" in status, status
    assert "✅" not in status


async def test_a_copy_says_identical_at_80x24(sample: Path) -> None:
    """A backup has no diff to show, only what it is: at 80×24, where notes are one cut
    line to leave room for diffs, that line wraps so "identical copy, N lines" is read."""
    lines = len((sample / "pyproject.toml").read_text().splitlines())
    app = WizardApp(sample, docker_probe=False, gate_check=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "1")
        await pilot.pause(0.3)
        what = next(
            w for w in app.screen.query("#preview .preview-note") if "copy" in str(w.render())
        )
        shown = " ".join(
            s.text.strip() for s in what.render_lines(what.content_region.reset_offset)
        )
        assert f"(identical copy, {lines} lines)" in " ".join(shown.split()), shown
