import { Migration } from '@mikro-orm/migrations';

/**
 * Moving a user to another agency changes which agency's cases they see, so it waits for a
 * second admin like a privileged role (policies/administration.yaml, `fourEyes.agencyMoves`).
 * A move is a `role_request` of kind `agency_move` (its roles before and after are the user's
 * roles, unchanged); one request of each kind may be pending per user.
 */
export class Migration20261206000500AgencyMoveRequests extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      ALTER TABLE role_request
        ADD COLUMN kind text NOT NULL DEFAULT 'roles' CHECK (kind IN ('roles', 'agency_move')),
        ADD COLUMN agency_before uuid REFERENCES agency(id) DEFERRABLE INITIALLY DEFERRED,
        ADD COLUMN agency_after uuid REFERENCES agency(id) DEFERRABLE INITIALLY DEFERRED,
        ADD CONSTRAINT role_request_move_agencies CHECK (
          (kind = 'agency_move') = (agency_before IS NOT NULL AND agency_after IS NOT NULL)
          AND (kind = 'roles' OR agency_before <> agency_after)
        );
      DROP INDEX role_request_pending_uq;
      CREATE UNIQUE INDEX role_request_pending_uq ON role_request (user_id, kind) WHERE status = 'pending';
    `);
  }
}
