import { Migration } from '@mikro-orm/migrations';

/**
 * Concerns (orosanmälan, issue 14): what a partner reports to social services under SoL 14 kap.
 * 1 §, and how the intake triages it. The person is named by personnummer, or by name and birth
 * date when the number is unknown. A readable reference per year (`ORO-2026-0001`) is assigned by
 * a trigger, like case numbers, so that two reports at once never share one.
 * The intake reads its areas' open concerns, most urgent and newest first: an index in that order,
 * read from its start until a page of the unit's areas is found (a unit takes most areas, or a few busy ones).
 */
export class Migration20261205019000Concerns extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      CREATE TABLE concern_reference_counter (
        year integer PRIMARY KEY,
        last_value integer NOT NULL
      );

      CREATE TABLE concern (
        id uuid PRIMARY KEY,
        reference text NOT NULL,
        reporter_user_id uuid NOT NULL REFERENCES app_user(id) DEFERRABLE INITIALLY DEFERRED,
        reporter_agency_id uuid NOT NULL REFERENCES agency(id) DEFERRABLE INITIALLY DEFERRED,
        area text NOT NULL CHECK (length(area) BETWEEN 1 AND 100),
        personal_identity_number char(12) CHECK (personal_identity_number ~ '^[0-9]{12}$'),
        coordination_number boolean NOT NULL DEFAULT false,
        first_name text CHECK (length(first_name) BETWEEN 1 AND 100),
        last_name text CHECK (length(last_name) BETWEEN 1 AND 100),
        birth_date date NOT NULL,
        observation text NOT NULL CHECK (length(observation) BETWEEN 1 AND 5000),
        observed_on date NOT NULL,
        observed_place text NOT NULL CHECK (length(observed_place) BETWEEN 1 AND 300),
        assessment text NOT NULL CHECK (length(assessment) BETWEEN 1 AND 5000),
        guardians_informed boolean NOT NULL,
        reporter_phone text CHECK (length(reporter_phone) <= 40),
        reporter_email text CHECK (length(reporter_email) <= 254),
        urgency text NOT NULL CHECK (urgency IN ('acute','urgent','normal')),
        -- 0 most urgent: the queue's order without a CASE expression.
        urgency_rank smallint NOT NULL CHECK (urgency_rank BETWEEN 0 AND 2),
        status text NOT NULL DEFAULT 'received' CHECK (status IN ('received','being_assessed','closed')),
        status_changed_at timestamptz NOT NULL DEFAULT now(),
        decision text CHECK (decision IN ('link','open_case','no_action')),
        decision_reason text CHECK (length(decision_reason) BETWEEN 1 AND 2000),
        case_id uuid REFERENCES support_case(id) DEFERRABLE INITIALLY DEFERRED,
        assessed_by_user_id uuid REFERENCES app_user(id) DEFERRABLE INITIALLY DEFERRED,
        decided_by_user_id uuid REFERENCES app_user(id) DEFERRABLE INITIALLY DEFERRED,
        decided_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        CHECK (personal_identity_number IS NOT NULL OR (first_name IS NOT NULL AND last_name IS NOT NULL)),
        CHECK ((status = 'closed') = (decision IS NOT NULL)),
        CHECK ((decision IN ('link','open_case')) = (case_id IS NOT NULL))
      );
      CREATE UNIQUE INDEX concern_reference_uq ON concern (reference);
      CREATE INDEX concern_reporter_idx ON concern (reporter_user_id, created_at DESC);
      CREATE INDEX concern_queue_idx ON concern (urgency_rank, created_at DESC, id);
      CREATE INDEX concern_area_idx ON concern (area, created_at DESC, id);
      CREATE INDEX concern_pin_idx ON concern (personal_identity_number) WHERE personal_identity_number IS NOT NULL;
      CREATE INDEX concern_birth_date_idx ON concern (birth_date);

      CREATE FUNCTION concern_assign_reference() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        y integer := extract(year FROM NEW.created_at AT TIME ZONE 'Europe/Stockholm')::int;
        n integer;
      BEGIN
        INSERT INTO concern_reference_counter AS k (year, last_value) VALUES (y, 1)
          ON CONFLICT (year) DO UPDATE SET last_value = k.last_value + 1
          RETURNING last_value INTO n;
        NEW.reference := 'ORO-' || y || '-' || lpad(n::text, 4, '0');
        RETURN NEW;
      END $$;
      CREATE TRIGGER concern_reference BEFORE INSERT ON concern FOR EACH ROW EXECUTE FUNCTION concern_assign_reference();
    `);
  }
}
