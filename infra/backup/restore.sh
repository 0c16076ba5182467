#!/usr/bin/env bash
# Restores an encrypted dump made by backup.sh into an empty database.
#   DATABASE_URL=postgresql://…/samverka BACKUP_KEY=/secure/backup.key.pem RESTORE_ROLE=samverka_owner \
#     ./restore.sh /srv/backup/samverka-20261205T020000Z.dump.p7m
# DATABASE_URL: the new, empty database, signed in as a role that may create the product's
#   NOLOGIN roles if the cluster lacks them (they are cluster-wide: a dump does not carry them).
# BACKUP_KEY: the private key (PEM) of the certificate backup.sh encrypted to; keep it offline.
# RESTORE_ROLE (optional): the role that owns the restored tables and runs the migrations
#   (MIGRATION_DATABASE_URL, or DATABASE_URL with DB_ROLE); by default the signed-in role.
# All or nothing: one transaction. Afterwards start the API (it re-applies the grants) and run
# GET /api/audit/verify?full=true; the drill backend/test/infra/backup-drill.test.ts does all this.
set -euo pipefail
file="${1:?usage: restore.sh <samverka-….dump.p7m>}"
: "${DATABASE_URL:?DATABASE_URL (the empty database to restore into) is required}"
: "${BACKUP_KEY:?BACKUP_KEY (private key of the backup certificate, PEM) is required}"

# The checksum backup.sh wrote beside the dump (compared by value: the dump may have moved).
if [ ! -f "${file}.sha256" ]; then
  echo "no checksum ${file}.sha256 beside the dump: copy it along with the dump" >&2
  exit 1
fi
expected="$(cut -d' ' -f1 "${file}.sha256")"
actual="$(sha256sum "$file" | cut -d' ' -f1)"
if [ "$expected" != "$actual" ]; then
  echo "checksum mismatch: $(basename "$file") is damaged or not the file that was backed up; take another copy" >&2
  exit 1
fi

psql_() { psql --no-psqlrc --quiet --tuples-only --no-align -v ON_ERROR_STOP=1 "$DATABASE_URL" "$@"; }

tables="$(psql_ -c "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname IN ('public', 'pgboss') AND c.relkind IN ('r', 'p')")"
if [ "$tables" != "0" ]; then
  echo "the target database already holds ${tables} tables: restore into a new, empty database" >&2
  exit 1
fi

decrypt() { openssl smime -decrypt -binary -inform DER -inkey "$BACKUP_KEY" -in "$file"; }
# pg_restore may stop reading once it has what a section or the schema needs; openssl then fails
# writing into the closed pipe ("Error decrypting PKCS#7 structure", exit 4), which under pipefail
# failed a good restore now and then (more often as the dump grew). Read the rest after it exits.
pg_restore_all() {
  local status=0
  pg_restore "$@" || status=$?
  cat >/dev/null
  return "$status"
}

# Roles are cluster-wide, so a dump holds the grants to them but not the roles themselves: create
# every role its grants name that this cluster lacks, without login (backend/src/db/grants.ts).
# Streamed twice rather than decrypted to disk: the clear dump never touches the file system.
roles="$(decrypt | pg_restore_all --schema-only --file=- \
  | sed -nE -e 's/^(GRANT|ALTER DEFAULT PRIVILEGES) .* TO ([a-z_][a-z0-9_]*)( WITH GRANT OPTION)?;$/\2/p' \
    -e 's/^ALTER DEFAULT PRIVILEGES FOR ROLE ([a-z_][a-z0-9_]*) .*/\1/p' | sort -u)"
for role in $roles; do
  psql_ -v role="$role" <<'SQL'
SELECT format('CREATE ROLE %I NOLOGIN', :'role') WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'role')
\gexec
SQL
done

# Queued audit events carry the id of the transaction that wrote them, and the sequencer takes
# them in that order after its head (backend/src/modules/audit/README.md). A new cluster counts
# transactions from its own start, so its new events would sort before the restored head and
# never be sequenced. Between loading the data and creating the append-only triggers, shift the
# restored ids below this restore's own transaction, order kept. They are not part of any hash.
rebase="DO \$rebase\$
DECLARE d bigint;
BEGIN
  SELECT pg_catalog.pg_current_xact_id()::text::bigint - 1 - max(txid) INTO d FROM public.audit_queue;
  IF d < 0 THEN
    UPDATE public.audit_queue SET txid = txid + d;
    UPDATE public.audit_log SET queue_txid = queue_txid + d;
    RAISE NOTICE 'audit queue transaction ids shifted by %', d;
  END IF;
END
\$rebase\$;"
# Default privileges name the role that set them in the source; they become RESTORE_ROLE's, who
# owns the tables now (never applied to table data: only the schema sections are rewritten).
owned_by_restore_role() {
  if [ -n "${RESTORE_ROLE:-}" ] && [ "$1" != data ]; then
    sed -E "s/^ALTER DEFAULT PRIVILEGES FOR ROLE [a-z_][a-z0-9_]* /ALTER DEFAULT PRIVILEGES FOR ROLE \"${RESTORE_ROLE}\" /"
  else
    cat
  fi
}
section() { decrypt | pg_restore_all --no-owner --section="$1" --file=- | owned_by_restore_role "$1"; }
# One transaction, committed only after every section streamed whole: a decryption that fails
# half-way leaves it open, and psql's exit rolls it back.
{
  echo 'BEGIN;'
  if [ -n "${RESTORE_ROLE:-}" ]; then printf 'SET ROLE "%s";\n' "$RESTORE_ROLE"; fi
  section pre-data
  section data
  printf '%s\n' "$rebase"
  section post-data
  echo 'COMMIT;'
} | psql --no-psqlrc --quiet -v ON_ERROR_STOP=1 --file=- "$DATABASE_URL"
echo "restored: $(basename "$file"); start the API, then check GET /api/audit/verify?full=true"
