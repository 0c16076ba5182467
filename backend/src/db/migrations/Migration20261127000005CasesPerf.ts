import { Migration } from '@mikro-orm/migrations';

/**
 * Indexes for the case lists as they are queried (see caseListSql in modules/cases):
 * - name search matches each part against `search_name`, the lower-cased first and last name
 *   joined by a space (kept by PostgreSQL), with one trigram index — replacing the two per-column
 *   ones, which it made unused: no lower() per row, one index to scan;
 * - "my cases" (owner=me) and the `mine` figure: the owner user's cases, newest first;
 * - a search's capped count goes from matching subjects to their cases of the agency: the subject
 *   index carries the owning agency, so each probe is index-only (it replaces the plain one).
 */
export class Migration20261127000005CasesPerf extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      CREATE EXTENSION IF NOT EXISTS pg_trgm;
      ALTER TABLE subject ADD COLUMN search_name text GENERATED ALWAYS AS (lower(first_name || ' ' || last_name)) STORED;
      CREATE INDEX subject_search_name_trgm ON subject USING gin (search_name gin_trgm_ops);
      DROP INDEX IF EXISTS subject_first_name_trgm;
      DROP INDEX IF EXISTS subject_last_name_trgm;
      CREATE INDEX support_case_owner_user_created_idx ON support_case (owner_user_id, created_at DESC, id DESC);
      CREATE INDEX support_case_subject_owner_idx ON support_case (subject_id, owner_agency_id);
      DROP INDEX IF EXISTS support_case_subject_idx;
    `);
  }
}
