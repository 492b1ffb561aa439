#!/usr/bin/env bash
# Run the test suite in throwaway containers: start, test, always tear down.
#   scripts/run-tests.sh [pytest args...]
set -euo pipefail

cd "$(dirname "$0")/.."

COMPOSE="docker compose -f docker-compose.test.yml --env-file .env.test"

cleanup() {
    $COMPOSE down -v
}
trap cleanup EXIT

$COMPOSE up -d --build --wait
$COMPOSE exec -T app alembic upgrade head
$COMPOSE exec -T app pytest "$@"
