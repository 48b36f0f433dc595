#!/usr/bin/env bash
# Installs PostGIS for the local PostgreSQL cluster (Debian/Ubuntu packages), so the fixture can
# create geometry(POINT,4326) columns as BijMantra has them. Idempotent: exits at once when the
# cluster already offers the extension. Needs root (or sudo) for apt-get.
set -euo pipefail

PGHOST=${PGHOST:-127.0.0.1}
PGPORT=${PGPORT:-5432}
PGUSER=${PGUSER:-postgres}
export PGHOST PGPORT PGUSER

available() {
  [ "$(psql -d postgres -XAtqc "SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'" 2>/dev/null)" = "1" ]
}

if available; then
  exit 0
fi

# The server's major version decides the package name; the client may be newer than the server,
# so ask the server first, then the cluster list, then the client.
major=$(psql -d postgres -XAtqc "SHOW server_version_num" 2>/dev/null | cut -c1-2 || true)
if [ -z "$major" ] && command -v pg_lsclusters >/dev/null 2>&1; then
  major=$(pg_lsclusters --no-header 2>/dev/null | awk -v port="$PGPORT" '$3 == port { print $1; exit }')
fi
if [ -z "$major" ]; then
  major=$(psql --version | sed -E 's/.* ([0-9]+)(\.[0-9]+)*.*/\1/')
fi
case "$major" in
  ''|*[!0-9]*) echo "install-postgis: cannot tell the PostgreSQL major version (got '$major')" >&2; exit 1 ;;
esac

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "install-postgis: needs root or sudo for apt-get" >&2; exit 1; }
  sudo_cmd=(sudo)
fi

echo "install-postgis: installing postgresql-${major}-postgis-3" >&2
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# apt's chatter (and debconf's notes on stderr) only matter when it fails
if ! { "${sudo_cmd[@]}" apt-get update -qq && "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "postgresql-${major}-postgis-3"; } >"$log" 2>&1; then
  cat "$log" >&2
  echo "install-postgis: apt-get failed" >&2
  exit 1
fi

available || { echo "install-postgis: postgresql-${major}-postgis-3 installed but the server does not list postgis" >&2; exit 1; }
