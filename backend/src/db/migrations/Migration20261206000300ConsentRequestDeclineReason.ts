import { Migration } from '@mikro-orm/migrations';

/**
 * A person who declines a consent request may say why (optional, for the social worker who
 * prepared it; never shown to anyone else). Only a decline carries one. The row goes with the
 * case like the rest of the answer (`retention_erase_case` already deletes the answers).
 */
export class Migration20261206000300ConsentRequestDeclineReason extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      ALTER TABLE consent_request_answer ADD COLUMN reason text
        CHECK (reason IS NULL OR (decision = 'decline' AND length(reason) BETWEEN 1 AND 2000));
    `);
  }
}
