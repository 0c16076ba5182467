import { Migration } from '@mikro-orm/migrations';

/**
 * When each user last opened each case (the start page's unread marks): one row per user and
 * case, overwritten by every read of the case, so it stays as small as the pairs that exist.
 */
export class Migration20261205004000CaseLastSeen extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      CREATE TABLE case_last_seen (
        user_id uuid NOT NULL REFERENCES app_user(id) DEFERRABLE INITIALLY DEFERRED,
        case_id uuid NOT NULL REFERENCES support_case(id) DEFERRABLE INITIALLY DEFERRED,
        seen_at timestamptz NOT NULL,
        PRIMARY KEY (user_id, case_id)
      );
    `);
  }
}
