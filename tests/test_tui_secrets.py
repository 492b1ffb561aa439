"""No secret value from the sample's env files reaches the screen unless the user asks (s)."""

from __future__ import annotations

from pathlib import Path

from dashtam_wizard.demo import write_sample
from dashtam_wizard.tui.app import WizardApp
from dashtam_wizard.tui.widgets.change_list import ChangeList

from .test_plan_cli import secret_values
from .test_tui_support import press, screen_text, settle


def leaks(app: WizardApp, secrets: set[str]) -> set[str]:
    shown = screen_text(app) + app.export_screenshot()
    return {s for s in secrets if s in shown}


async def test_no_screen_shows_a_secret_value(tmp_path: Path) -> None:
    repo = write_sample(tmp_path / "x")
    secrets = secret_values(repo)
    assert {"dev-7Qx9-pg-secret", "dev-sk-4fT2mR8wLq-ledgerly-unique"} <= secrets
    app = WizardApp(repo, docker_probe=False)
    seen = 0
    revealed = False
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        for key in ("o", "c", "h", "v"):
            await press(pilot, key)
            assert not leaks(app, secrets), f"screen {app.screen.name}"
        for n in range(1, 8):
            await press(pilot, str(n))
            changes = app.screen.query_one(ChangeList)
            for i, change in enumerate(changes.changes):
                changes.highlighted = i
                await settle(pilot)
                assert not leaks(app, secrets), f"phase {n}, {change.id}"
                seen += 1
                if change.kind.value == "edit" and change.path == "env/.env.dev":
                    await press(
                        pilot, "s"
                    )  # the user asks: now the value is there (the check can see it)
                    assert leaks(app, secrets)
                    revealed = True
                    await press(pilot, "s")
                    assert not leaks(app, secrets)
                    await press(pilot, "s", "n", "p")  # leaving the screen hides them again
                    assert not leaks(app, secrets)
            await press(pilot, "a")  # the confirmation lists the changes
            assert not leaks(app, secrets), f"apply confirmation of phase {n}"
            await press(pilot, "escape")
    assert seen > 25 and revealed
