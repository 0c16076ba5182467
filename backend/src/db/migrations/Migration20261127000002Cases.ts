import { Migration } from '@mikro-orm/migrations';

/**
 * Subjects, guardians, cases, participants, the journal, the plan and network meetings.
 * Case areas, information categories and life areas are configuration (`policies/*.yaml`) and are
 * checked by the service; the database checks only what never changes.
 */
export class Migration20261127000002Cases extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      CREATE EXTENSION IF NOT EXISTS pg_trgm;

      CREATE TABLE subject (
        id uuid PRIMARY KEY,
        owner_agency_id uuid NOT NULL REFERENCES agency(id) DEFERRABLE INITIALLY DEFERRED,
        personal_identity_number char(12) NOT NULL CHECK (personal_identity_number ~ '^[0-9]{12}$'),
        coordination_number boolean NOT NULL DEFAULT false,
        birth_date date NOT NULL,
        first_name text NOT NULL CHECK (length(first_name) BETWEEN 1 AND 100),
        last_name text NOT NULL CHECK (length(last_name) BETWEEN 1 AND 100),
        protected_identity text NOT NULL DEFAULT 'none' CHECK (protected_identity IN ('none','sekretessmarkering','skyddad_folkbokforing')),
        phone text CHECK (length(phone) <= 40),
        email text CHECK (length(email) <= 254),
        address text CHECK (length(address) <= 500),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      -- One person is one subject per owning agency; a second case reuses it.
      CREATE UNIQUE INDEX subject_owner_pin_uq ON subject (owner_agency_id, personal_identity_number);
      CREATE INDEX subject_pin_idx ON subject (personal_identity_number);
      -- Case-insensitive substring search on names (ILIKE '%…%').
      CREATE INDEX subject_first_name_trgm ON subject USING gin (first_name gin_trgm_ops);
      CREATE INDEX subject_last_name_trgm ON subject USING gin (last_name gin_trgm_ops);

      CREATE TABLE guardian (
        id uuid PRIMARY KEY,
        subject_id uuid NOT NULL REFERENCES subject(id) DEFERRABLE INITIALLY DEFERRED,
        first_name text NOT NULL CHECK (length(first_name) BETWEEN 1 AND 100),
        last_name text NOT NULL CHECK (length(last_name) BETWEEN 1 AND 100),
        personal_identity_number char(12) CHECK (personal_identity_number ~ '^[0-9]{12}$'),
        custody boolean NOT NULL,
        phone text CHECK (length(phone) <= 40),
        email text CHECK (length(email) <= 254),
        address text CHECK (length(address) <= 500),
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX guardian_subject_idx ON guardian (subject_id);

      CREATE TABLE support_case (
        id uuid PRIMARY KEY,
        subject_id uuid NOT NULL REFERENCES subject(id) DEFERRABLE INITIALLY DEFERRED,
        owner_agency_id uuid NOT NULL REFERENCES agency(id) DEFERRABLE INITIALLY DEFERRED,
        owner_user_id uuid NOT NULL REFERENCES app_user(id) DEFERRABLE INITIALLY DEFERRED,
        type text NOT NULL CHECK (type IN ('sspf','avhoppare')),
        status text NOT NULL DEFAULT 'open' CHECK (status IN ('open','active','closed')),
        phase text CHECK (phase IN ('assessment','intensive','transition','aftercare')),
        area text NOT NULL CHECK (length(area) BETWEEN 1 AND 100),
        reason text NOT NULL CHECK (length(reason) BETWEEN 1 AND 5000),
        outcome text CHECK (length(outcome) <= 5000),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        closed_at timestamptz,
        CHECK ((type = 'avhoppare') = (phase IS NOT NULL)),
        CHECK ((status = 'closed') = (closed_at IS NOT NULL)),
        CHECK (status <> 'closed' OR outcome IS NOT NULL)
      );
      CREATE INDEX support_case_owner_created_idx ON support_case (owner_agency_id, created_at DESC, id DESC);
      CREATE INDEX support_case_subject_idx ON support_case (subject_id);
      CREATE INDEX support_case_stats_idx ON support_case (area, type, status);

      -- Case counts per agency, type and status, kept by trigger in the transaction of every change:
      -- the unfiltered list's total and the agency figures need no scan of all the agency's cases.
      CREATE TABLE case_count (
        owner_agency_id uuid NOT NULL,
        type text NOT NULL,
        status text NOT NULL,
        n bigint NOT NULL CHECK (n >= 0),
        PRIMARY KEY (owner_agency_id, type, status)
      );
      CREATE FUNCTION case_count_apply() RETURNS trigger LANGUAGE plpgsql AS $fn$
      BEGIN
        IF TG_OP <> 'DELETE' THEN
          INSERT INTO case_count (owner_agency_id, type, status, n) VALUES (NEW.owner_agency_id, NEW.type, NEW.status, 0)
            ON CONFLICT DO NOTHING;
        END IF;
        -- One statement for both rows: they are locked in index order, so two changes in opposite
        -- directions (close and reopen) cannot deadlock.
        UPDATE case_count k SET n = k.n
            + (CASE WHEN TG_OP <> 'DELETE' AND (k.owner_agency_id, k.type, k.status) = (NEW.owner_agency_id, NEW.type, NEW.status) THEN 1 ELSE 0 END)
            - (CASE WHEN TG_OP <> 'INSERT' AND (k.owner_agency_id, k.type, k.status) = (OLD.owner_agency_id, OLD.type, OLD.status) THEN 1 ELSE 0 END)
          WHERE (TG_OP <> 'DELETE' AND (k.owner_agency_id, k.type, k.status) = (NEW.owner_agency_id, NEW.type, NEW.status))
             OR (TG_OP <> 'INSERT' AND (k.owner_agency_id, k.type, k.status) = (OLD.owner_agency_id, OLD.type, OLD.status));
        RETURN NULL;
      END
      $fn$;
      CREATE TRIGGER support_case_count_change AFTER INSERT OR DELETE ON support_case FOR EACH ROW EXECUTE FUNCTION case_count_apply();
      CREATE TRIGGER support_case_count_update AFTER UPDATE OF owner_agency_id, type, status ON support_case FOR EACH ROW
        WHEN (OLD.owner_agency_id IS DISTINCT FROM NEW.owner_agency_id OR OLD.type IS DISTINCT FROM NEW.type OR OLD.status IS DISTINCT FROM NEW.status)
        EXECUTE FUNCTION case_count_apply();

      CREATE TABLE case_participant (
        case_id uuid NOT NULL REFERENCES support_case(id) DEFERRABLE INITIALLY DEFERRED,
        agency_id uuid NOT NULL REFERENCES agency(id) DEFERRABLE INITIALLY DEFERRED,
        added_at timestamptz NOT NULL DEFAULT now(),
        added_by_user_id uuid REFERENCES app_user(id) DEFERRABLE INITIALLY DEFERRED,
        PRIMARY KEY (case_id, agency_id)
      );
      CREATE INDEX case_participant_agency_idx ON case_participant (agency_id, case_id);

      -- Append-only: a correction is a new entry pointing at the one it corrects.
      CREATE TABLE journal_entry (
        id uuid PRIMARY KEY,
        case_id uuid NOT NULL REFERENCES support_case(id) DEFERRABLE INITIALLY DEFERRED,
        author_user_id uuid NOT NULL REFERENCES app_user(id) DEFERRABLE INITIALLY DEFERRED,
        author_agency_id uuid NOT NULL REFERENCES agency(id) DEFERRABLE INITIALLY DEFERRED,
        category text NOT NULL CHECK (category ~ '^[a-z_]{1,40}$'),
        text text NOT NULL CHECK (length(text) BETWEEN 1 AND 20000),
        corrects_id uuid REFERENCES journal_entry(id) DEFERRABLE INITIALLY DEFERRED,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX journal_entry_case_created_idx ON journal_entry (case_id, created_at DESC, id DESC);
      CREATE INDEX journal_entry_corrects_idx ON journal_entry (corrects_id) WHERE corrects_id IS NOT NULL;

      CREATE TABLE plan_item (
        id uuid PRIMARY KEY,
        case_id uuid NOT NULL REFERENCES support_case(id) DEFERRABLE INITIALLY DEFERRED,
        author_user_id uuid NOT NULL REFERENCES app_user(id) DEFERRABLE INITIALLY DEFERRED,
        author_agency_id uuid NOT NULL REFERENCES agency(id) DEFERRABLE INITIALLY DEFERRED,
        responsible_agency_id uuid NOT NULL REFERENCES agency(id) DEFERRABLE INITIALLY DEFERRED,
        category text NOT NULL DEFAULT 'plan' CHECK (category = 'plan'),
        life_area text NOT NULL CHECK (life_area ~ '^[a-z_]{1,40}$'),
        goal text NOT NULL CHECK (length(goal) BETWEEN 1 AND 2000),
        action text NOT NULL CHECK (length(action) BETWEEN 1 AND 2000),
        due_date date,
        status text NOT NULL DEFAULT 'planned' CHECK (status IN ('planned','in_progress','done','cancelled')),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX plan_item_case_idx ON plan_item (case_id, created_at);

      -- Follow-up notes on a plan item: appended, never edited.
      CREATE TABLE plan_item_follow_up (
        id uuid PRIMARY KEY,
        plan_item_id uuid NOT NULL REFERENCES plan_item(id) DEFERRABLE INITIALLY DEFERRED,
        author_user_id uuid NOT NULL REFERENCES app_user(id) DEFERRABLE INITIALLY DEFERRED,
        author_agency_id uuid NOT NULL REFERENCES agency(id) DEFERRABLE INITIALLY DEFERRED,
        note text NOT NULL CHECK (length(note) BETWEEN 1 AND 5000),
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX plan_item_follow_up_item_idx ON plan_item_follow_up (plan_item_id, created_at);

      CREATE TABLE meeting (
        id uuid PRIMARY KEY,
        case_id uuid NOT NULL REFERENCES support_case(id) DEFERRABLE INITIALLY DEFERRED,
        author_user_id uuid NOT NULL REFERENCES app_user(id) DEFERRABLE INITIALLY DEFERRED,
        author_agency_id uuid NOT NULL REFERENCES agency(id) DEFERRABLE INITIALLY DEFERRED,
        category text NOT NULL DEFAULT 'plan' CHECK (category = 'plan'),
        date date NOT NULL,
        agency_ids uuid[] NOT NULL,
        people text[] NOT NULL DEFAULT '{}',
        agenda text NOT NULL CHECK (length(agenda) <= 20000),
        minutes text NOT NULL CHECK (length(minutes) <= 20000),
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX meeting_case_date_idx ON meeting (case_id, date DESC, created_at DESC);

      CREATE TABLE meeting_decision (
        id uuid PRIMARY KEY,
        meeting_id uuid NOT NULL REFERENCES meeting(id) DEFERRABLE INITIALLY DEFERRED,
        position integer NOT NULL,
        text text NOT NULL CHECK (length(text) BETWEEN 1 AND 5000),
        plan_item_id uuid REFERENCES plan_item(id) DEFERRABLE INITIALLY DEFERRED,
        UNIQUE (meeting_id, position)
      );
    `);
  }
}
