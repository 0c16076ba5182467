import { Migration } from '@mikro-orm/migrations';

/**
 * The group level per area (issue 14 §2): observations of the agencies working in an area, the
 * area's group meetings and the group-level actions they decide. No table here refers to a case
 * or a person: the picture is counts, places and times. Area and category names are
 * configuration (`policies/areas.yaml`, `policies/observation-categories.yaml`), checked by the
 * API, not by the database. A hidden observation keeps its row for the audit trail and leaves
 * every list.
 */
export class Migration20261205019500AreaPicture extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      CREATE TABLE area_observation (
        id uuid PRIMARY KEY,
        area text NOT NULL CHECK (length(area) BETWEEN 1 AND 100),
        observed_at timestamptz NOT NULL,
        place text NOT NULL CHECK (length(place) BETWEEN 1 AND 200),
        latitude double precision CHECK (latitude BETWEEN -90 AND 90),
        longitude double precision CHECK (longitude BETWEEN -180 AND 180),
        category text NOT NULL CHECK (length(category) BETWEEN 1 AND 40),
        group_size integer CHECK (group_size BETWEEN 1 AND 1000),
        age_from integer CHECK (age_from BETWEEN 0 AND 120),
        age_to integer CHECK (age_to BETWEEN 0 AND 120),
        description text NOT NULL CHECK (length(description) BETWEEN 1 AND 4000),
        agency_id uuid NOT NULL REFERENCES agency(id) DEFERRABLE INITIALLY DEFERRED,
        recorded_by uuid NOT NULL REFERENCES app_user(id) DEFERRABLE INITIALLY DEFERRED,
        created_at timestamptz NOT NULL DEFAULT now(),
        hidden_at timestamptz,
        hidden_by uuid REFERENCES app_user(id) DEFERRABLE INITIALLY DEFERRED,
        hidden_reason text CHECK (length(hidden_reason) BETWEEN 1 AND 1000),
        CHECK ((latitude IS NULL) = (longitude IS NULL)),
        CHECK (age_from IS NULL OR age_to IS NULL OR age_from <= age_to),
        CHECK ((hidden_at IS NULL) = (hidden_reason IS NULL))
      );
      -- The area's picture and its lists read the visible observations of one area by time.
      CREATE INDEX area_observation_visible_idx ON area_observation (area, observed_at DESC) INCLUDE (category) WHERE hidden_at IS NULL;

      CREATE TABLE area_meeting (
        id uuid PRIMARY KEY,
        area text NOT NULL CHECK (length(area) BETWEEN 1 AND 100),
        date date NOT NULL,
        status text NOT NULL DEFAULT 'planned' CHECK (status IN ('planned', 'held')),
        notes text CHECK (length(notes) <= 4000),
        minutes text CHECK (length(minutes) <= 20000),
        decisions jsonb NOT NULL DEFAULT '[]',
        created_by uuid NOT NULL REFERENCES app_user(id) DEFERRABLE INITIALLY DEFERRED,
        created_at timestamptz NOT NULL DEFAULT now(),
        held_at timestamptz,
        updated_at timestamptz NOT NULL DEFAULT now(),
        CHECK ((status = 'held') = (held_at IS NOT NULL))
      );
      CREATE INDEX area_meeting_area_idx ON area_meeting (area, date DESC);

      CREATE TABLE group_action (
        id uuid PRIMARY KEY,
        area text NOT NULL CHECK (length(area) BETWEEN 1 AND 100),
        meeting_id uuid REFERENCES area_meeting(id) DEFERRABLE INITIALLY DEFERRED,
        what text NOT NULL CHECK (length(what) BETWEEN 1 AND 1000),
        place text NOT NULL CHECK (length(place) BETWEEN 1 AND 200),
        agency_id uuid NOT NULL REFERENCES agency(id) DEFERRABLE INITIALLY DEFERRED,
        due_date date NOT NULL,
        status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done', 'cancelled')),
        follow_up text CHECK (length(follow_up) <= 4000),
        created_by uuid NOT NULL REFERENCES app_user(id) DEFERRABLE INITIALLY DEFERRED,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX group_action_area_idx ON group_action (area, status, due_date);
    `);
  }
}
