#!/usr/bin/env bash
# Shared set-up for the README's two commands: pnpm, dependencies, system packages, build.
# Usage: source scripts/setup.sh [--system-packages "redis-server chromium"]
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1 NEXT_TELEMETRY_DISABLED=1
PNPM_VERSION="$(node -p "require('./package.json').packageManager.split('@')[1]")"

log() { printf '\033[1m==>\033[0m %s\n' "$*"; }

node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$node_major" -lt 20 ]; then
  echo "Node.js 20 or newer is required (found $(node --version))." >&2
  exit 1
fi

if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version 2>/dev/null)" != "$PNPM_VERSION" ]; then
  log "installing pnpm@$PNPM_VERSION with npm"
  npm install --global --no-fund --no-audit "pnpm@$PNPM_VERSION" >/dev/null
fi

# System packages: install what is missing with apt when we are root, otherwise say what to install.
ensure_system_packages() {
  local missing=()
  for spec in "$@"; do
    local pkg="${spec%%:*}" bin="${spec##*:}"
    command -v "$bin" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    log "installing system packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "Missing system packages: ${missing[*]}. Install them (e.g. sudo apt-get install ${missing[*]}) and run again." >&2
    exit 1
  fi
}

install_and_build() {
  log "installing dependencies (frozen lockfile)"
  pnpm install --frozen-lockfile --reporter=append-only 2>&1 | grep -v 'Failed to create bin' || true
  [ -d node_modules/.pnpm ] || { echo "pnpm install failed" >&2; exit 1; }
  log "building packages"
  pnpm exec turbo run build --output-logs=errors-only
}
