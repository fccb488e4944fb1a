#!/usr/bin/env bash
# Proves the release set-up without publishing:
#  1. independent versioning: a changeset naming one package bumps only that package and writes its
#     CHANGELOG; private packages and apps never change;
#  2. `pnpm -r publish --dry-run` packs every published package.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

git clone --quiet "$ROOT" "$tmp/repo"
cd "$tmp/repo"
rm -f .changeset/*.md
cat > .changeset/only-pkce.md <<'MD'
---
"@mcp-auth/pkce": patch
---

Release check: only this package is bumped.
MD
git -c user.email=ci@example.invalid -c user.name=ci add -A >/dev/null
node "$ROOT/node_modules/@changesets/cli/bin.js" version >/dev/null

version() { node -p "require('./$1/package.json').version"; }
fail() { echo "release check failed: $*" >&2; exit 1; }
before_pkce="$(cd "$ROOT" && version packages/pkce)"
[ "$(version packages/pkce)" != "$before_pkce" ] || fail "@mcp-auth/pkce was not bumped"
grep -q "Release check: only this package is bumped." packages/pkce/CHANGELOG.md || fail "no CHANGELOG for @mcp-auth/pkce"
for dir in packages/* apps/*; do
  [ "$dir" = packages/pkce ] && continue
  [ -f "$dir/package.json" ] || continue
  [ "$(version "$dir")" = "$(cd "$ROOT" && version "$dir")" ] || fail "$dir was bumped without a changeset"
  [ ! -f "$dir/CHANGELOG.md" ] || [ -f "$ROOT/$dir/CHANGELOG.md" ] || fail "$dir got a CHANGELOG without a changeset"
done
echo "changeset version: only @mcp-auth/pkce bumped ($before_pkce -> $(version packages/pkce))"

cd "$ROOT"
out="$(pnpm -r --filter './packages/**' publish --dry-run --no-git-checks 2>&1)" || { echo "$out" >&2; fail "publish dry run"; }
published="$(printf '%s\n' "$out" | grep -c '^+ @mcp-auth/' || true)"
private_leak="$(printf '%s\n' "$out" | grep -E '^\+ @mcp-auth/(dev-auth-server|test-utils|app-)' || true)"
[ -z "$private_leak" ] || fail "a private package would be published: $private_leak"
echo "publish dry run: $published packages would be published"
[ "$published" -ge 6 ] || fail "expected 6 published packages, got $published"
