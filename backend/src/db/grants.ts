import type { EntityManager } from '@mikro-orm/postgresql';

/** The role the API runs as, and the role of the audit sequencer (cluster-wide names). */
export const APP_ROLE = 'samverka_app';
export const SEQUENCER_ROLE = 'samverka_audit_sequencer';

const ROLES_SQL = `
DO $roles$
DECLARE
  name text;
BEGIN
  FOREACH name IN ARRAY ARRAY['${APP_ROLE}', '${SEQUENCER_ROLE}'] LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = name) THEN
      BEGIN
        EXECUTE format('CREATE ROLE %I NOLOGIN', name);
      EXCEPTION
        WHEN duplicate_object OR unique_violation THEN NULL;
        WHEN insufficient_privilege THEN
          RAISE EXCEPTION 'role % does not exist and this login may not create it', name
            USING HINT = 'Create the roles ${APP_ROLE} and ${SEQUENCER_ROLE} as a superuser (README.md, "Configuration").';
      END;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = name AND (rolsuper OR rolbypassrls OR rolcreaterole OR rolcreatedb)) THEN
      RAISE EXCEPTION 'role % must not be a superuser nor create roles or databases nor bypass row security', name;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE n.nspname = 'public' AND pg_get_userbyid(c.relowner) = name) THEN
      RAISE EXCEPTION 'role % owns tables in schema public: the owner may change or disable anything', name;
    END IF;
  END LOOP;
END
$roles$;
`;

const TABLE_GRANTS_SQL = `
DO $tables$
DECLARE
  t record;
BEGIN
  GRANT USAGE ON SCHEMA public TO ${APP_ROLE}, ${SEQUENCER_ROLE};
  FOR t IN
    SELECT c.oid::regclass AS name, c.relname,
           EXISTS (SELECT 1 FROM pg_trigger g WHERE g.tgrelid = c.oid AND NOT g.tgisinternal AND (g.tgtype & 32) <> 0) AS append_only
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
  LOOP
    IF NOT t.append_only THEN
      EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %s TO ${APP_ROLE}', t.name);
      CONTINUE;
    END IF;
    EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE, TRIGGER, REFERENCES ON %s FROM PUBLIC, ${APP_ROLE}, ${SEQUENCER_ROLE}', t.name);
    EXECUTE format('GRANT SELECT ON %s TO ${APP_ROLE}', t.name);
    IF t.relname IN ('audit_log', 'audit_merkle_node', 'audit_checkpoint') THEN
      EXECUTE format('REVOKE INSERT ON %s FROM PUBLIC, ${APP_ROLE}', t.name);
      EXECUTE format('GRANT SELECT, INSERT ON %s TO ${SEQUENCER_ROLE}', t.name);
    ELSIF t.relname = 'audit_queue' THEN
      EXECUTE format('GRANT SELECT ON %s TO ${SEQUENCER_ROLE}', t.name);
    ELSE
      EXECUTE format('GRANT INSERT ON %s TO ${APP_ROLE}', t.name);
    END IF;
  END LOOP;
  IF to_regclass('public.consent') IS NOT NULL THEN
    GRANT UPDATE (withdrawn_at, withdrawn_by, withdrawal_reason, withdrawn_by_kind, withdrawn_by_guardian_id) ON consent TO ${APP_ROLE};
  END IF;
  IF to_regclass('public.audit_event_v') IS NOT NULL THEN
    REVOKE ALL ON audit_event_v FROM PUBLIC;
    GRANT SELECT ON audit_event_v TO ${APP_ROLE};
  END IF;
  IF to_regclass('public.audit_checkpoint_id_seq') IS NOT NULL THEN
    GRANT USAGE ON SEQUENCE audit_checkpoint_id_seq TO ${SEQUENCER_ROLE};
  END IF;
END
$tables$;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ${APP_ROLE};
-- Tables a later migration creates get ordinary DML until this runs again after it.
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${APP_ROLE};
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO ${APP_ROLE};
`;

/**
 * The database roles and their grants, applied after the migrations at every start (and by every
 * test database's template), so that they never depend on the order in which roles, databases
 * and migrations came to be: a role created by a DBA before the first migration, one created by
 * an older migration on another database, or an old migration whose REVOKE ran before the role
 * existed all end in the same grants. Idempotent, in one transaction; run as the owner of the
 * tables.
 *
 * A table is append-only when it has a trigger refusing TRUNCATE (the audit trail, journal
 * entries, consents, receipts, the disclosure ledger): the application role may read and insert
 * there, never UPDATE, DELETE or TRUNCATE — except a consent's one-time withdrawal, granted on
 * its withdrawal columns (the trigger refuses every other change). The audit log, its tree
 * and its checkpoints are written by the sequencer only; the queue's INSERT is granted per column
 * by its migration.
 */
export async function applyGrants(em: EntityManager): Promise<void> {
  await em.transactional(async (tx) => {
    const conn = tx.getConnection();
    const ctx = tx.getTransactionContext();
    await conn.execute(ROLES_SQL, [], 'run', ctx);
    await conn.execute(TABLE_GRANTS_SQL, [], 'run', ctx);
  });
}
