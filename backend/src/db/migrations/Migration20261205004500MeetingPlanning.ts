import { Migration } from '@mikro-orm/migrations';

/**
 * Meetings that are planned, then held (or cancelled): a time and place, the staff invited, who
 * came, and the plan as it stood when the meeting was held. Existing meetings were recorded after
 * the fact: they are `held`. `sequence` counts the moves, so that a calendar program replaces
 * the invitation it already has (RFC 5545 SEQUENCE) instead of adding a second one.
 */
export class Migration20261205004500MeetingPlanning extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      ALTER TABLE meeting
        ADD COLUMN status text NOT NULL DEFAULT 'held' CHECK (status IN ('planned','held','cancelled')),
        ADD COLUMN starts_at timestamptz,
        ADD COLUMN ends_at timestamptz,
        ADD COLUMN place text CHECK (length(place) BETWEEN 1 AND 500),
        ADD COLUMN invitees text[] NOT NULL DEFAULT '{}',
        ADD COLUMN attended_agency_ids uuid[],
        ADD COLUMN attended_people text[],
        ADD COLUMN plan_snapshot jsonb,
        ADD COLUMN sequence integer NOT NULL DEFAULT 0,
        ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now(),
        ADD CONSTRAINT meeting_times CHECK ((starts_at IS NULL AND ends_at IS NULL) OR (starts_at IS NOT NULL AND ends_at > starts_at));
      -- The calendar: a window of days across an agency's cases.
      CREATE INDEX meeting_date_idx ON meeting (date, case_id);
    `);
  }
}
