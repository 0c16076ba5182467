import { Migration } from '@mikro-orm/migrations';

/**
 * Where the daily digest goes, and whether the user wants it. The address is optional (no
 * address: no digest); the digest is on by default and each user can turn it off.
 */
export class Migration20261205005000UserEmailDigest extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      ALTER TABLE app_user
        ADD COLUMN email text CHECK (length(email) BETWEEN 3 AND 254 AND email LIKE '%_@_%'),
        ADD COLUMN digest boolean NOT NULL DEFAULT true;
    `);
  }
}
