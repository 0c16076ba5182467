import { EntitySchema, type Opt } from '@mikro-orm/core';

export const AGENCY_KINDS = ['school', 'social_services', 'police', 'leisure', 'other'] as const;
export type AgencyKind = (typeof AGENCY_KINDS)[number];
export const ROLES = ['social_worker', 'partner', 'coordinator', 'auditor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export class Agency {
  id!: string;
  name!: string;
  kind!: AgencyKind;
  createdAt: Date = new Date();
}

export class User {
  id!: string;
  username!: string;
  displayName!: string;
  /** Null for an account that signs in only through its agency's identity provider. */
  passwordHash!: string | null;
  agencyId!: string;
  roles: Role[] = [];
  active = true;
  createdAt: Date = new Date();
  deactivatedAt?: Date | null;
  /** A one-time initial password was set: only the password change is allowed until it is done. */
  mustChangePassword: Opt<boolean> = false;
  /** Demo users only: the second factor the policy requires is waived. */
  mfaExempt: Opt<boolean> = false;
}

export class Session {
  id!: string;
  userId!: string;
  createdAt: Date = new Date();
  lastSeenAt: Date = new Date();
  expiresAt!: Date;
  revokedAt?: Date | null;
}

export const AgencySchema = new EntitySchema<Agency>({
  class: Agency,
  tableName: 'agency',
  properties: {
    id: { type: 'uuid', primary: true },
    name: { type: 'string' },
    kind: { type: 'string' },
    createdAt: { type: 'datetime' },
  },
});

export const UserSchema = new EntitySchema<User>({
  class: User,
  tableName: 'app_user',
  properties: {
    id: { type: 'uuid', primary: true },
    username: { type: 'string' },
    displayName: { type: 'string' },
    passwordHash: { type: 'string', lazy: true, hidden: true, nullable: true },
    agencyId: { type: 'uuid' },
    roles: { type: 'string[]', columnType: 'text[]' },
    active: { type: 'boolean' },
    createdAt: { type: 'datetime' },
    deactivatedAt: { type: 'datetime', nullable: true },
    mustChangePassword: { type: 'boolean' },
    mfaExempt: { type: 'boolean' },
  },
});

export const SessionSchema = new EntitySchema<Session>({
  class: Session,
  tableName: 'user_session',
  properties: {
    id: { type: 'uuid', primary: true },
    userId: { type: 'uuid' },
    createdAt: { type: 'datetime' },
    lastSeenAt: { type: 'datetime' },
    expiresAt: { type: 'datetime' },
    revokedAt: { type: 'datetime', nullable: true },
  },
});
