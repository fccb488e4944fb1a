#!/usr/bin/env bash
# Runs every check and every test, from a fresh clone: the README's test command.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

# redis-server for the Redis tests, Chromium for the browser login tests, HAProxy for the cluster test.
ensure_system_packages redis-server:redis-server chromium:chromium haproxy:haproxy
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
test_log="$(mktemp)"
trap 'rm -f "$test_log"' EXIT
set +e
pnpm exec turbo run test --concurrency=1 2>&1 | tee "$test_log"
test_status=${PIPESTATUS[0]}
set -e
# One closing line for the whole run, summed over every package's vitest summary.
summary="$(sed 's/\x1b\[[0-9;]*m//g' "$test_log" | awk '
  /Tests +[0-9]/ && /\(/ {
    if (match($0, /[0-9]+ passed/)) passed += substr($0, RSTART, RLENGTH) + 0
    if (match($0, /[0-9]+ failed/)) failed += substr($0, RSTART, RLENGTH) + 0
    if (match($0, /[0-9]+ skipped/)) skipped += substr($0, RSTART, RLENGTH) + 0
  }
  END { printf "tests: %d passed, %d failed%s\n", passed, failed, (skipped ? ", " skipped " skipped" : "") }')"
if [ "$test_status" -ne 0 ]; then
  echo "tests failed" >&2
  echo "$summary"
  exit "$test_status"
fi
log "all checks passed"
echo "$summary"
