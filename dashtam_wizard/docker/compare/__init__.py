"""`dashtam-wizard verify --compare-builds`: the plan's "faster builds (lockfile, no
resolution), better layer caching" claim, measured on the user's own repo.

The plan promises faster rebuilds; this times them instead of asserting it. The legacy side
comes from the apply journal: every path an apply changed, moved or created is put back to
its pre-apply state (for a path several applies touched, the oldest record wins, as
`rollback --all` would do), in a scratch copy. The user's repo is only read: both sides are
full copies (minus `.git` and the wizard's state) in a private temporary folder, removed
at the end. `.git` is left out of both copies, which can only favour the legacy side
(a legacy `.dockerignore` that did not exclude it would have sent it to the daemon).

Both sides' development target (the stage the dev compose file builds) is built with the
same classic builder `verify` uses, primed once, then rebuilt after each change:

  none        nothing changed: every layer from cache (the floor: context upload, cache lookups)
  source      a comment appended to one Python file both build contexts hold
  dependency  one small dependency added the way each layout adds one: a line in the
              requirements file the legacy Dockerfile installs from (the legacy build
              resolves it); for the migrated layout pyproject.toml plus `uv lock` on the host,
              because `uv sync --frozen` installs only what the lock holds. The lock is timed
              apart (the build does not run it) and reported next to the build.

Every edit carries a fresh nonce, so no earlier run's layer cache can answer it, and is
reverted (and the reverted tree rebuilt from cache) before the next. Sides are interleaved
so load on the machine hits both alike. Ratios are migrated / legacy of the medians.
No image is tagged: only the layer cache stays in the daemon (for the next run), since a
legacy image may hold the repo's `.env` files.
"""

from __future__ import annotations

from .errors import CompareError
from .legacy import copy_repo, read_journal, restore_legacy
from .report import COMPARE_FILE
from .run import DEFAULT_ROUNDS, compare_builds

__all__ = [
    "COMPARE_FILE",
    "DEFAULT_ROUNDS",
    "CompareError",
    "compare_builds",
    "copy_repo",
    "read_journal",
    "restore_legacy",
]
