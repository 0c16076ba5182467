import { Migration } from '@mikro-orm/migrations';

/**
 * Audit trail: the sequenced, hash-chained log, its Merkle tree nodes and signed checkpoints;
 * database roles; append-only enforcement (privileges and triggers).
 *
 * Order: requests INSERT into `audit_queue` only. Every queue row carries the id of the top-level
 * transaction that wrote it (`txid`). The sequencer takes rows in (txid, id) order, but only rows
 * whose txid is below the xmin of its snapshot: every transaction with such an id has ended, so
 * that set is final — a late commit can never land inside an already sequenced range.
 *
 * Roles (cluster-wide, so created idempotently):
 *  - samverka_app: what the API runs as. Full DML on ordinary tables; on the audit tables only
 *    INSERT into audit_queue and SELECT.
 *  - samverka_audit_sequencer: SELECT on audit_queue, SELECT + INSERT on audit_log,
 *    audit_merkle_node, audit_checkpoint. Never UPDATE/DELETE: the sequencer only appends.
 * Triggers refuse UPDATE, DELETE and TRUNCATE on every audit table for everyone, owner and
 * superuser included (who would have to disable them first — which the verifier then catches).
 */
export class Migration20261127000004Audit extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      DO $$
      BEGIN
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'samverka_app') THEN
          BEGIN
            CREATE ROLE samverka_app NOLOGIN;
          EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
          END;
        END IF;
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'samverka_audit_sequencer') THEN
          BEGIN
            CREATE ROLE samverka_audit_sequencer NOLOGIN;
          EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
          END;
        END IF;
      END
      $$;

      ALTER TABLE audit_queue ADD COLUMN txid bigint NOT NULL DEFAULT (pg_current_xact_id()::text::bigint);
      CREATE INDEX audit_queue_order_idx ON audit_queue (txid, id);

      CREATE TABLE audit_log (
        seq bigint PRIMARY KEY CHECK (seq >= 1),
        queue_id bigint NOT NULL UNIQUE,
        queue_txid bigint NOT NULL,
        event_id uuid NOT NULL,
        occurred_at timestamptz NOT NULL,
        actor_id uuid,
        actor_agency_id uuid,
        actor_role text,
        action text NOT NULL,
        resource_type text NOT NULL,
        resource_id text,
        case_id uuid,
        subject_id uuid,
        outcome text NOT NULL CHECK (outcome IN ('allowed','denied','error')),
        reason text,
        consent_ids uuid[] NOT NULL DEFAULT '{}',
        request_id text,
        client_ip text,
        leaf_hash bytea NOT NULL CHECK (length(leaf_hash) = 32),
        chain_hash bytea NOT NULL CHECK (length(chain_hash) = 32),
        sequenced_at timestamptz NOT NULL DEFAULT now()
      );
      -- The auditor's search: newest first, filtered by one reference and a period.
      CREATE INDEX audit_log_time_idx ON audit_log (occurred_at, seq);
      CREATE INDEX audit_log_subject_idx ON audit_log (subject_id, occurred_at) WHERE subject_id IS NOT NULL;
      CREATE INDEX audit_log_case_idx ON audit_log (case_id, occurred_at) WHERE case_id IS NOT NULL;
      CREATE INDEX audit_log_actor_idx ON audit_log (actor_id, occurred_at);
      CREATE INDEX audit_log_agency_idx ON audit_log (actor_agency_id, occurred_at);
      CREATE INDEX audit_log_action_idx ON audit_log (action, occurred_at);
      CREATE INDEX audit_log_not_allowed_idx ON audit_log (occurred_at) WHERE outcome <> 'allowed';
      CREATE INDEX audit_log_agency_not_allowed_idx ON audit_log (actor_agency_id, occurred_at) WHERE outcome <> 'allowed';
      CREATE INDEX audit_log_actor_not_allowed_idx ON audit_log (actor_id, occurred_at) WHERE outcome <> 'allowed';

      -- Perfect subtrees of the RFC 6962 tree from level 4 (16 leaves) up; lower levels are
      -- recomputed from audit_log.leaf_hash. Node (level, idx) covers leaves [idx*2^level, (idx+1)*2^level).
      CREATE TABLE audit_merkle_node (
        level smallint NOT NULL CHECK (level BETWEEN 1 AND 62),
        idx bigint NOT NULL CHECK (idx >= 0),
        hash bytea NOT NULL CHECK (length(hash) = 32),
        PRIMARY KEY (level, idx)
      );

      CREATE TABLE audit_checkpoint (
        id bigserial PRIMARY KEY,
        tree_size bigint NOT NULL CHECK (tree_size >= 0),
        root_hash bytea NOT NULL CHECK (length(root_hash) = 32),
        chain_hash bytea NOT NULL CHECK (length(chain_hash) = 32),
        signed_at timestamptz NOT NULL,
        key_id text NOT NULL,
        signature text NOT NULL
      );
      CREATE INDEX audit_checkpoint_size_idx ON audit_checkpoint (tree_size);

      -- Unsequenced events still show in search: the log plus the queue rows past its head.
      CREATE VIEW audit_event_v AS
        SELECT l.seq, l.event_id, l.occurred_at, l.actor_id, l.actor_agency_id, l.actor_role, l.action,
               l.resource_type, l.resource_id, l.case_id, l.subject_id, l.outcome, l.reason, l.consent_ids,
               l.request_id, l.client_ip
        FROM audit_log l
        UNION ALL
        SELECT NULL::bigint, q.event_id, q.occurred_at, q.actor_id, q.actor_agency_id, q.actor_role, q.action,
               q.resource_type, q.resource_id, q.case_id, q.subject_id, q.outcome, q.reason, q.consent_ids,
               q.request_id, q.client_ip
        FROM (
          -- The tail past the log's head, read through the (txid, id) index whatever the outer
          -- filters are (the ORDER BY … LIMIT keeps the planner off a scan of the whole queue).
          SELECT * FROM audit_queue
          WHERE (txid, id) > (
            SELECT coalesce(h.queue_txid, -1), coalesce(h.queue_id, -1)
            FROM (SELECT 1) one
            LEFT JOIN LATERAL (SELECT queue_txid, queue_id FROM audit_log ORDER BY seq DESC LIMIT 1) h ON true
          )
          ORDER BY txid, id
          LIMIT 50000
        ) q;

      CREATE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $fn$
      BEGIN
        RAISE EXCEPTION 'audit table % is append-only: % refused', TG_TABLE_NAME, TG_OP
          USING ERRCODE = 'insufficient_privilege';
      END
      $fn$;

      CREATE FUNCTION audit_checkpoint_monotonic() RETURNS trigger LANGUAGE plpgsql AS $fn$
      BEGIN
        IF EXISTS (SELECT 1 FROM audit_checkpoint WHERE tree_size > NEW.tree_size OR signed_at > NEW.signed_at) THEN
          RAISE EXCEPTION 'audit checkpoint would go back in size or time' USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
      END
      $fn$;
      CREATE TRIGGER audit_checkpoint_monotonic BEFORE INSERT ON audit_checkpoint
        FOR EACH ROW EXECUTE FUNCTION audit_checkpoint_monotonic();
    `);

    for (const t of ['audit_queue', 'audit_log', 'audit_merkle_node', 'audit_checkpoint']) {
      this.addSql(`
        CREATE TRIGGER ${t}_no_update BEFORE UPDATE ON ${t} FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
        CREATE TRIGGER ${t}_no_delete BEFORE DELETE ON ${t} FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
        CREATE TRIGGER ${t}_no_truncate BEFORE TRUNCATE ON ${t} FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
      `);
    }

    this.addSql(`
      GRANT USAGE ON SCHEMA public TO samverka_app, samverka_audit_sequencer;
      GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO samverka_app;
      GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO samverka_app;
      -- Tables created later by the migration owner get the same grants.
      ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO samverka_app;
      ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO samverka_app;

      REVOKE ALL ON audit_queue, audit_log, audit_merkle_node, audit_checkpoint, audit_event_v FROM PUBLIC;
      REVOKE ALL ON audit_queue, audit_log, audit_merkle_node, audit_checkpoint, audit_event_v FROM samverka_app;
      GRANT SELECT, INSERT ON audit_queue TO samverka_app;
      GRANT SELECT ON audit_log, audit_merkle_node, audit_checkpoint, audit_event_v TO samverka_app;

      GRANT SELECT ON audit_queue TO samverka_audit_sequencer;
      GRANT SELECT, INSERT ON audit_log, audit_merkle_node, audit_checkpoint TO samverka_audit_sequencer;
      GRANT USAGE ON SEQUENCE audit_checkpoint_id_seq TO samverka_audit_sequencer;
    `);
  }
}
