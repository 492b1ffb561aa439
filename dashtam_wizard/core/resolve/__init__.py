"""The wizard's own Compose model: what one command resolves to, without running Compose.

`config.resolve_call(tree, root_name, args)` answers like `docker compose <args> config
--format json` run at the repo root with a clean environment, for the parts the equivalence
gate compares: the project name, each service's environment (env_file values, then
`environment:`), its mounts, its build, every other key interpolated, and the top-level
volumes and networks with the names Compose gives them. It is what `plan` judges with
(milliseconds, no subprocess), and what `apply` judges with when there is no Compose CLI.

The rules follow Compose v2 (checked against it by tests/test_own_model.py, which runs
both on every call of the test corpus, before and after migration):
- the files are the `-f` ones, else the default file (and its override) at the root;
  relative paths in every file resolve against the first file's folder (the project
  folder), `--env-file` against the folder Compose runs in;
- interpolation reads `--env-file`, else the project folder's `.env`;
- the project is `-p`, else COMPOSE_PROJECT_NAME from that env, else `name:`, else the
  project folder's name, lowercased and stripped to [a-z0-9_-];
- a service in a profile is left out unless COMPOSE_PROFILES names it.
What it does not model (`extends`, `include`) it says, and the command is not judged by
it; a path under `~` is `<home>/…` (the gate gives Compose a HOME of its own).

`services.service_views(doc, …)` asks the same model about one compose document (phase 4
compares a file before and after its rewrite with it): the same merge, env_file and mount
rules, so the phase and the gate cannot disagree about what a container sees.

Its modules, each below the ones that use it: shapes (one file's definitions normalised),
envfiles (env files read, a service's environment), project (one command's files merged),
config (the gate's answer), services (the answers about services).
"""
