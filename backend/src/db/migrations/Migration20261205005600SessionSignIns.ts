import { Migration } from '@mikro-orm/migrations';

/** A user's sign-ins newest first: the start page counts "since your last visit" from the previous one. */
export class Migration20261205005600SessionSignIns extends Migration {
  override async up(): Promise<void> {
    this.addSql('CREATE INDEX user_session_user_created_idx ON user_session (user_id, created_at DESC);');
  }
}
