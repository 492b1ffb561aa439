"""The service layer both front ends go through: the rules said once.

- `repo`: what every command checks of the repo it is given first (a folder, not another
  user's as root, no unfinished apply, an interrupted one finished);
- `doors`: which changes a choice of phases and ids applies, why a choice is refused, and
  apply itself (the equivalence gate, then the transaction);
- `state`, `loader`: what a front end shows of a repo (plan, checklist with ticks, history,
  problems), read in one go; `state` stays light (the TUI unpickles it without the planner);
- `problems`: what still needs a person in the migrated files;
- `report`: the migration report (`dashtam-wizard report`, the TUI's `e`).

Importing this package loads nothing: each front end imports the module it needs.
"""
