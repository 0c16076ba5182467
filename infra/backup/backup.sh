#!/usr/bin/env bash
# Encrypted, dated backup of the Samverka database.
#   DATABASE_URL=postgresql://… BACKUP_DIR=/srv/backup BACKUP_PUBKEY=/etc/samverka/backup.pub.pem ./backup.sh
# The dump is encrypted to a public key (RSA, via openssl smime) so the backup host cannot read it.
# Restore into a new, empty database with restore.sh (checksum, roles, audit queue ids; see there),
# then run GET /api/audit/verify?full=true. Drilled by backend/test/infra/backup-drill.test.ts.
set -euo pipefail
: "${DATABASE_URL:?DATABASE_URL is required}"
: "${BACKUP_DIR:?BACKUP_DIR is required}"
: "${BACKUP_PUBKEY:?BACKUP_PUBKEY (recipient certificate, PEM) is required}"
RETENTION_DAYS="${RETENTION_DAYS:-35}"
umask 077
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
out="${BACKUP_DIR}/samverka-${stamp}.dump.p7m"
pg_dump --format=custom --no-owner "$DATABASE_URL" \
  | openssl smime -encrypt -binary -aes-256-cbc -outform DER -out "$out" "$BACKUP_PUBKEY"
sha256sum "$out" > "${out}.sha256"
find "$BACKUP_DIR" -name 'samverka-*.dump.p7m*' -mtime "+${RETENTION_DAYS}" -delete
echo "backup written: $(basename "$out")"
