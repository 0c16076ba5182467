import type pg from 'pg';

/**
 * The role the job queue (pg-boss, schema `pgboss`) signs in as with the embedded PostgreSQL: it
 * owns that schema and nothing else, so the jobs connection is neither the superuser nor able to
 * touch the product's tables (a job that needs them works through the API's own pool).
 */
export const JOBS_ROLE = 'samverka_jobs';

/**
 * Creates the role and its schema if missing (run as the superuser), lets it run pg-boss's
 * `CREATE SCHEMA IF NOT EXISTS`, and hands over a `pgboss`
 * schema an earlier start created as another role, with everything in it. Idempotent.
 */
export async function prepareJobsSchema(client: pg.ClientBase): Promise<void> {
  await client.query(`DO $jobs$
DECLARE
  r record;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${JOBS_ROLE}') THEN
    CREATE ROLE ${JOBS_ROLE} NOLOGIN;
  END IF;
  -- pg-boss runs CREATE SCHEMA IF NOT EXISTS at every start, which PostgreSQL checks against the
  -- database's CREATE privilege even when the schema exists.
  EXECUTE format('GRANT CREATE ON DATABASE %I TO ${JOBS_ROLE}', current_database());
  CREATE SCHEMA IF NOT EXISTS pgboss AUTHORIZATION ${JOBS_ROLE};
  ALTER SCHEMA pgboss OWNER TO ${JOBS_ROLE};
  FOR r IN SELECT c.oid::regclass AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = 'pgboss' AND c.relkind IN ('r', 'p', 'S', 'v', 'm') AND pg_get_userbyid(c.relowner) <> '${JOBS_ROLE}' LOOP
    EXECUTE format('ALTER TABLE %s OWNER TO ${JOBS_ROLE}', r.name);
  END LOOP;
  FOR r IN SELECT p.oid::regprocedure AS name FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
           WHERE n.nspname = 'pgboss' AND pg_get_userbyid(p.proowner) <> '${JOBS_ROLE}' LOOP
    EXECUTE format('ALTER ROUTINE %s OWNER TO ${JOBS_ROLE}', r.name);
  END LOOP;
  FOR r IN SELECT t.oid::regtype AS name FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
           WHERE n.nspname = 'pgboss' AND t.typtype IN ('e', 'c', 'd') AND t.typrelid = 0 AND pg_get_userbyid(t.typowner) <> '${JOBS_ROLE}' LOOP
    EXECUTE format('ALTER TYPE %s OWNER TO ${JOBS_ROLE}', r.name);
  END LOOP;
END
$jobs$`);
}
