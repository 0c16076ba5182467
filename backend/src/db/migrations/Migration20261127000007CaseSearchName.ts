import { Migration } from '@mikro-orm/migrations';

/**
 * Name search reads the case rows alone: each case carries its subject's `search_name` (the
 * lower-cased "first last", kept by triggers: set when the case is written, refreshed when the
 * subject's name changes). The list index carries it too, so a search for a common name walks
 * the agency's cases newest first without leaving the index, and a trigram index on the cases
 * serves the rare names. The search's capped count no longer joins subjects to cases.
 */
export class Migration20261127000007CaseSearchName extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      ALTER TABLE support_case ADD COLUMN search_name text;
      UPDATE support_case c SET search_name = s.search_name FROM subject s WHERE s.id = c.subject_id;
      ALTER TABLE support_case ALTER COLUMN search_name SET NOT NULL;

      CREATE FUNCTION support_case_set_search_name() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        NEW.search_name := (SELECT s.search_name FROM subject s WHERE s.id = NEW.subject_id);
        RETURN NEW;
      END $$;
      CREATE TRIGGER support_case_search_name BEFORE INSERT OR UPDATE OF subject_id, search_name ON support_case
        FOR EACH ROW EXECUTE FUNCTION support_case_set_search_name();

      CREATE FUNCTION subject_sync_search_name() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE support_case SET search_name = NEW.search_name WHERE subject_id = NEW.id AND search_name IS DISTINCT FROM NEW.search_name;
        RETURN NULL;
      END $$;
      CREATE TRIGGER subject_search_name AFTER UPDATE OF first_name, last_name ON subject
        FOR EACH ROW EXECUTE FUNCTION subject_sync_search_name();

      CREATE INDEX support_case_search_name_trgm ON support_case USING gin (search_name gin_trgm_ops);
      CREATE INDEX support_case_owner_created_name_idx ON support_case (owner_agency_id, created_at DESC, id DESC) INCLUDE (subject_id, search_name);
      DROP INDEX IF EXISTS support_case_owner_created_subject_idx;
      DROP INDEX IF EXISTS subject_search_name_trgm;
    `);
  }
}
