"""The layout of `.dashtam-wizard/`, named once.

Every module that reads or writes the wizard's state folder takes its names from here (the
apply layer's `State` owns the folder itself: creation, trust, the lock); tests/test_layers.py
checks that no other module spells them. Pure names: importing this reads nothing.
"""

from __future__ import annotations

STATE_DIR = ".dashtam-wizard"  # in the repo's root; owner-only, ignored by git and Docker
APPLIES = "applies"  # one folder per recorded apply (its journal, plan.json, saved copies)
PLAN = "plan.json"  # in an apply's folder: what it changed, and where the copies are
JOURNAL = "journal"  # in an apply's folder: how far it got (recovery reads it)
GIT_INDEX = "git-index"  # in an apply's folder: the index as it was before
INTENT = "rollback.json"  # a rollback in progress (finished by recovery)
MARKER = "owner"  # made by this user on this machine (apply/trust.py)
LOCK = "lock"  # one wizard at a time
LOGS = "logs"  # the Verify screen's build and check logs
VERIFY_FILE = "verify.json"  # the last verify's results, bound to the tree it verified
MANUAL_FILE = "checklist.json"  # the checklist items a person ticked
COMPARE_FILE = "compare-builds.json"  # the last `verify --compare-builds`
