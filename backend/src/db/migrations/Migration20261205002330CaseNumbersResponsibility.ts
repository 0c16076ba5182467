import { Migration } from '@mikro-orm/migrations';

/**
 * Case numbers (diarienummer) and who is responsible for a case.
 *
 * - Every case gets a readable number per type and year (`SSPF-2026-0042`, `AVH-2026-0007`; the
 *   year on the Stockholm calendar), drawn from a counter row per prefix and year that the insert
 *   itself bumps (a row lock held to the end of the inserting transaction: concurrent creates
 *   queue on it, and a rolled-back create gives its number back untaken). The number is assigned
 *   by trigger so that every way of inserting a case gets one, and can never change afterwards.
 *   Existing cases are numbered in the order they were created.
 * - The responsible caseworker is `owner_user_id` (the API's `responsibleUserId` and
 *   `ownerUserId`); a case may also have a deputy. Every change of either is kept, append-only.
 */
export class Migration20261205002330CaseNumbersResponsibility extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      CREATE TABLE case_number_counter (
        prefix text NOT NULL CHECK (prefix IN ('SSPF','AVH')),
        year integer NOT NULL CHECK (year BETWEEN 2000 AND 9999),
        last_value integer NOT NULL CHECK (last_value >= 1),
        PRIMARY KEY (prefix, year)
      );

      CREATE FUNCTION case_number_prefix(type text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
        SELECT CASE type WHEN 'sspf' THEN 'SSPF' WHEN 'avhoppare' THEN 'AVH' END
      $$;
      -- Four digits at least; lpad alone would cut a fifth one off.
      CREATE FUNCTION case_number_format(prefix text, year integer, n integer) RETURNS text LANGUAGE sql IMMUTABLE AS $$
        SELECT prefix || '-' || year || '-' || CASE WHEN n < 10000 THEN lpad(n::text, 4, '0') ELSE n::text END
      $$;

      ALTER TABLE support_case ADD COLUMN case_number text;
      WITH o AS (
        SELECT id, case_number_prefix(type) AS prefix, extract(year FROM created_at AT TIME ZONE 'Europe/Stockholm')::int AS year,
          row_number() OVER (PARTITION BY type, extract(year FROM created_at AT TIME ZONE 'Europe/Stockholm') ORDER BY created_at, id)::int AS seq
        FROM support_case
      )
      UPDATE support_case c SET case_number = case_number_format(o.prefix, o.year, o.seq) FROM o WHERE o.id = c.id;
      INSERT INTO case_number_counter (prefix, year, last_value)
        SELECT case_number_prefix(type), extract(year FROM created_at AT TIME ZONE 'Europe/Stockholm')::int, count(*)
        FROM support_case GROUP BY 1, 2;
      ALTER TABLE support_case ALTER COLUMN case_number SET NOT NULL;
      CREATE UNIQUE INDEX support_case_case_number_uq ON support_case (case_number);

      CREATE FUNCTION support_case_assign_number() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        p text := case_number_prefix(NEW.type);
        y integer := extract(year FROM NEW.created_at AT TIME ZONE 'Europe/Stockholm')::int;
        n integer;
      BEGIN
        INSERT INTO case_number_counter AS k (prefix, year, last_value) VALUES (p, y, 1)
          ON CONFLICT (prefix, year) DO UPDATE SET last_value = k.last_value + 1
          RETURNING k.last_value INTO n;
        NEW.case_number := case_number_format(p, y, n);
        RETURN NEW;
      END $$;
      CREATE TRIGGER support_case_number BEFORE INSERT ON support_case FOR EACH ROW EXECUTE FUNCTION support_case_assign_number();

      CREATE FUNCTION support_case_number_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'a case number never changes' USING ERRCODE = 'insufficient_privilege';
      END $$;
      CREATE TRIGGER support_case_number_fixed BEFORE UPDATE OF case_number, type ON support_case FOR EACH ROW
        WHEN (OLD.case_number IS DISTINCT FROM NEW.case_number OR OLD.type IS DISTINCT FROM NEW.type)
        EXECUTE FUNCTION support_case_number_fixed();

      ALTER TABLE support_case ADD COLUMN deputy_user_id uuid REFERENCES app_user(id) DEFERRABLE INITIALLY DEFERRED;
      ALTER TABLE support_case ADD CONSTRAINT support_case_deputy_not_responsible CHECK (deputy_user_id <> owner_user_id);
      -- "My cases" is responsible OR deputy: the owner-user index serves the first, this one the second.
      CREATE INDEX support_case_deputy_created_idx ON support_case (deputy_user_id, created_at DESC, id DESC) WHERE deputy_user_id IS NOT NULL;

      CREATE TABLE case_responsibility_change (
        id uuid PRIMARY KEY,
        -- The order of changes, also of two in one transaction (a deputy made responsible).
        seq bigint GENERATED ALWAYS AS IDENTITY,
        case_id uuid NOT NULL REFERENCES support_case(id) DEFERRABLE INITIALLY DEFERRED,
        role text NOT NULL CHECK (role IN ('responsible','deputy')),
        from_user_id uuid REFERENCES app_user(id) DEFERRABLE INITIALLY DEFERRED,
        to_user_id uuid REFERENCES app_user(id) DEFERRABLE INITIALLY DEFERRED,
        changed_by_user_id uuid NOT NULL REFERENCES app_user(id) DEFERRABLE INITIALLY DEFERRED,
        changed_at timestamptz NOT NULL DEFAULT now(),
        CHECK (role = 'deputy' OR (from_user_id IS NOT NULL AND to_user_id IS NOT NULL)),
        CHECK (from_user_id IS DISTINCT FROM to_user_id)
      );
      CREATE INDEX case_responsibility_change_case_idx ON case_responsibility_change (case_id, seq);

      -- The history is a record: the application role may read and add to it (src/db/grants.ts), nothing else.
      CREATE FUNCTION case_responsibility_change_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'the responsibility history is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
      END $$;
      CREATE TRIGGER case_responsibility_change_append_only BEFORE UPDATE OR DELETE ON case_responsibility_change
        FOR EACH ROW EXECUTE FUNCTION case_responsibility_change_append_only();
      CREATE TRIGGER case_responsibility_change_no_truncate BEFORE TRUNCATE ON case_responsibility_change
        FOR EACH STATEMENT EXECUTE FUNCTION case_responsibility_change_append_only();
    `);
  }
}
