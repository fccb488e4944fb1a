#!/usr/bin/env bash
# The README's main command: the local demo on the embedded authorization server.
# Extra arguments go to the demo (e.g. --once).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
install_and_build
exec pnpm --silent --filter @mcp-auth/app-local-demo start -- "$@"
