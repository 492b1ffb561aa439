"""Pure planning core: reads a repo into a snapshot and turns it into phases of Changes.

Nothing in this package writes to disk, imports Textual or imports the Docker SDK; the
TUI and the CLI are thin clients of it (enforced by tests/test_import_contract.py).
"""
