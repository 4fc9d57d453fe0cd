#!/usr/bin/env bash
# Restores a backup made by backup.sh into DATABASE_URL (an empty or existing database; existing
# Bulwark objects are replaced). Runs in one transaction: it applies completely or not at all.
#   DATABASE_URL=postgres://... scripts/restore.sh backups/bulwark-20260101T000000Z.dump
set -euo pipefail

: "${DATABASE_URL:?DATABASE_URL is required}"
file="${1:?usage: restore.sh <dump-file>}"
[ -f "$file" ] || { echo "no such backup: $file" >&2; exit 2; }
command -v pg_restore >/dev/null || { echo "pg_restore not found: apt-get install -y postgresql-client" >&2; exit 2; }

pg_restore --dbname="$DATABASE_URL" --clean --if-exists --no-owner --no-privileges --single-transaction --exit-on-error "$file"
echo "restored $file"
