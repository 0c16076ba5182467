import { Migration } from '@mikro-orm/migrations';

/**
 * An agency's case list picks its page from this index alone (index-only, even far down the
 * list): it now also carries each case's subject, which the list's audit events name before the
 * page's rows are read (see caseListSql in modules/cases). Replaces the index without it.
 */
export class Migration20261127000006CaseListPages extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      CREATE INDEX support_case_owner_created_subject_idx ON support_case (owner_agency_id, created_at DESC, id DESC) INCLUDE (subject_id);
      DROP INDEX IF EXISTS support_case_owner_created_idx;
    `);
  }
}
