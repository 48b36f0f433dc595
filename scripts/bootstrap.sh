#!/usr/bin/env bash
# Installs what the project needs on a fresh machine: pnpm (the version pinned in package.json)
# and the workspace's dependencies, exactly as locked.
set -euo pipefail
cd "$(dirname "$0")/.."

want=$(node -p "require('./package.json').packageManager.split('@')[1]")
have=$(pnpm --version 2>/dev/null || true)
if [ "$have" != "$want" ]; then
  echo "installing pnpm $want" >&2
  npm install -g "pnpm@$want" --silent >/dev/null 2>&1 || npm install -g "pnpm@$want"
  hash -r
fi
pnpm install --frozen-lockfile --reporter=silent
