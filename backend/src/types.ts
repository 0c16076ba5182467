import type { EntityManager } from '@mikro-orm/postgresql';
import type { Config } from './config.js';
import type { Orm } from './db/orm.js';
import type { ServiceKeys } from './lib/keys.js';
import type { AgencyKind, Role } from './modules/identity/identity.entities.js';
import type { AuditService } from './plugins/app/audit.js';
import type { PolicyDecisionPoint } from './plugins/app/policy.js';

/** The signed-in caller, resolved from the access token and the server-side session. */
export interface Actor {
  id: string;
  username: string;
  displayName: string;
  agencyId: string;
  agencyName: string;
  agencyKind: AgencyKind;
  roles: Role[];
  sessionId: string;
  /** A one-time initial password is still in use: only the password change is allowed (absent: no). */
  mustChangePassword?: boolean;
}

export interface AccessTokenClaims {
  sub: string;
  sid: string;
}

declare module 'fastify' {
  interface FastifyInstance {
    config: Config;
    orm: Orm;
    keys: ServiceKeys;
    policy: PolicyDecisionPoint;
    audit: AuditService;
  }
  interface FastifyRequest {
    em: EntityManager;
    actor: Actor | null;
  }
  interface FastifyContextConfig {
    /** Routes reachable without a session. Every other route requires one (default deny). */
    public?: boolean;
    /** Routes a user may still call while an initial password must be changed (default: refused). */
    whilePasswordChangeDue?: boolean;
  }
}

declare module '@fastify/jwt' {
  interface FastifyJWT {
    payload: AccessTokenClaims;
    user: AccessTokenClaims;
  }
}
