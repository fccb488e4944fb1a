#!/usr/bin/env bash
# Runs every check and every test, from a fresh clone: the README's test command.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

# redis-server for the cache integration tests, Chromium for the browser login test.
ensure_system_packages redis-server:redis-server chromium:chromium
install_and_build

log "lint (biome)"
pnpm exec biome ci .
log "typecheck"
pnpm exec turbo run typecheck --output-logs=errors-only
log "packaging (publint --strict, attw --pack)"
pnpm exec turbo run check:packaging --output-logs=errors-only
log "release check (independent changeset versioning, pnpm publish --dry-run)"
bash scripts/check-release.sh
log "tests"
pnpm exec turbo run test --concurrency=1
log "all checks passed"
