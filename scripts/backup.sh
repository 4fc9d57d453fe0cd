#!/usr/bin/env bash
# Backs up the Bulwark database: compressed, timestamped pg_dump (custom format) with retention.
#   DATABASE_URL=postgres://... scripts/backup.sh [backup-dir]
# Env: BACKUP_DIR (default ./backups), BACKUP_KEEP (newest dumps kept, default 14).
# pg_dump's major version must be >= the server's (PostgreSQL 15 here: Debian bookworm's postgresql-client).
set -euo pipefail

: "${DATABASE_URL:?DATABASE_URL is required}"
dir="${1:-${BACKUP_DIR:-./backups}}"
keep="${BACKUP_KEEP:-14}"
command -v pg_dump >/dev/null || { echo "pg_dump not found: apt-get install -y postgresql-client" >&2; exit 2; }
[[ "$keep" =~ ^[0-9]+$ ]] && [ "$keep" -ge 1 ] || { echo "BACKUP_KEEP must be a positive integer" >&2; exit 2; }

mkdir -p "$dir"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
target="$dir/bulwark-$stamp.dump"
tmp="$target.partial"
trap 'rm -f "$tmp"' EXIT

# Custom format is compressed and lets pg_restore restore selectively and in parallel.
pg_dump --dbname="$DATABASE_URL" --format=custom --compress=9 --no-owner --no-privileges --file="$tmp"
mv "$tmp" "$target"
trap - EXIT
echo "backup written: $target ($(wc -c <"$target") bytes)"

# Retention: keep the newest $keep dumps.
ls -1t "$dir"/bulwark-*.dump 2>/dev/null | tail -n +"$((keep + 1))" | while read -r old; do
  rm -f -- "$old"
  echo "removed old backup: $old"
done
