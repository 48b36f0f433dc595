#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs what it needs, checks the architecture rules,
# lint and types, then runs every package's tests against the real PostgreSQL, Redis, S3
# (s3rver, started by the test setup) and DuckDB.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
bash scripts/ensure-services.sh
bash scripts/install-postgis.sh

pnpm lint
pnpm typecheck
log=$(mktemp)
set +e
pnpm test 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
# One closing line for the whole suite, summed over every package's vitest summary.
sed 's/\x1b\[[0-9;]*m//g' "$log" | awk '
  /Tests +[0-9]+ (passed|failed)/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i; if ($(i+1) ~ /^skipped/) s += $i } }
  END { printf "%d passed, %d failed, %d skipped\n", p, f, s }'
rm -f "$log"
exit "$status"
