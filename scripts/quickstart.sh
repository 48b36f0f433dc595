#!/usr/bin/env bash
# The main job on the embedded defaults: local PostgreSQL and Redis, a local-directory object
# store under .lake/. Seeds the BijMantra fixture, runs the five workers, runs the phenotype ETL
# end to end and prints a query's answer from the committed Parquet.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
bash scripts/ensure-services.sh
bash scripts/install-postgis.sh

export LAKE_STORE="${LAKE_STORE:-local}" LAKE_STORE_DIR="${LAKE_STORE_DIR:-$PWD/.lake/store}" LAKE_CACHE_DIR="${LAKE_CACHE_DIR:-$PWD/.lake/cache}"
export LAKE_SCHEDULES="${LAKE_SCHEDULES:-false}" LOG_LEVEL="${LOG_LEVEL:-warn}"
lake() { node --import tsx apps/cli/src/main.ts "$@"; }

lake seed --rows "${ROWS:-200000}" --orgs "${ORGS:-3}"
mkdir -p .lake
# Started directly, not through the function: $! must be the workers process itself, or stopping
# it would stop only a subshell and leave the workers running.
node --import tsx apps/cli/src/main.ts workers > .lake/workers.log 2>&1 &
workers=$!
trap 'kill -TERM $workers 2>/dev/null; wait $workers 2>/dev/null || true' EXIT

lake run all
echo
echo "Mean plant height and yield per organization, from the committed Parquet:"
lake query "
  SELECT o.organization_id,
         count(*)                                                        AS observations,
         round(avg(o.value_numeric) FILTER (WHERE v.trait_name ILIKE '%height%'), 1) AS mean_plant_height_cm,
         round(avg(o.value_numeric) FILTER (WHERE v.trait_name ILIKE '%yield%'), 1)  AS mean_grain_yield_kg_ha
  FROM phenotype.observations o
  JOIN phenotype.observation_variables v USING (observation_variable_id)
  GROUP BY 1 ORDER BY 1"
echo
lake datasets
