import type { EntityManager } from '@mikro-orm/postgresql';
import type { AuditContext } from '../../plugins/app/audit.js';

/**
 * A signed-in citizen: who the e-service identity provider vouched for, and the evidence of that
 * assertion. Resolved from the citizen token and the server-side citizen session on each request;
 * never a staff actor (staff routes refuse citizen tokens and citizen routes refuse staff tokens).
 */
export interface CitizenActor {
  sessionId: string;
  /** Normalised, 12 digits: as the provider vouched for it. Never logged, never in a URL. */
  personalIdentityNumber: string;
  acr: string;
  authenticatedAt: Date;
  /** SHA-256 (hex) of the provider's signed assertion (the ID token as received). */
  assertionSha256: string;
  /** The provider's transaction reference for that assertion. */
  transactionRef: string;
}

/** How the citizen stands to one subject. */
export interface CitizenRelation {
  subjectId: string;
  as: 'subject' | 'guardian';
  /** The guardian row when `as` is `guardian`. */
  guardianId: string | null;
  /**
   * `full`: the citizen may see and act for this subject. `contact_social_worker`: protected
   * identity (of the subject or this guardian) or sekretessmarkering without a released review —
   * the view says only "contact your social worker", nothing about the subject's data.
   */
  access: 'full' | 'contact_social_worker';
  /** The subject's first name, only when `access` is `full` (the citizen's own child or self). */
  firstName: string | null;
  /** Whole years, Europe/Stockholm calendar, today. */
  age: number;
}

/** Every subject the citizen may stand in relation to (custody and age already applied). */
export interface CitizenScope {
  relations: CitizenRelation[];
}

/** The citizen's sign-in, issued after the provider's callback (and by tests directly). */
export interface CitizenSignIn {
  accessToken: string;
  /** Seconds. */
  expiresIn: number;
  sessionId: string;
}

export interface CitizenAssertion {
  personalIdentityNumber: string;
  acr: string;
  assertionSha256: string;
  transactionRef: string;
  authenticatedAt?: Date;
}

declare module 'fastify' {
  interface FastifyInstance {
    citizen: {
      /** The citizen on this request (401 problem when there is none or it ended). Citizen routes only. */
      require(request: FastifyRequest): Promise<CitizenActor>;
      /** Who the citizen may see, and how (policies/citizen.yaml, custody, protected identity). */
      scope(em: EntityManager, actor: CitizenActor): Promise<CitizenScope>;
      /** Starts a citizen session for an assertion the provider made (the callback; tests). */
      issue(em: EntityManager, assertion: CitizenAssertion): Promise<CitizenSignIn>;
      /**
       * The audit context of a citizen's request: actor_id is the subject's or guardian's row id
       * for `relation` (null before one is known), actor_role `citizen_subject`/`citizen_guardian`
       * (`citizen` when no relation), no agency.
       */
      auditContext(request: FastifyRequest, relation: CitizenRelation | null): AuditContext;
      /** 403 `reauthentication_required` when the sign-in's assertion is older than signatureFreshMinutes. */
      requireFreshAssertion(actor: CitizenActor): void;
    };
  }
  interface FastifyContextConfig {
    /** Citizen routes: staff sessions are refused, a citizen session is required (set by the citizen plugin). */
    citizen?: boolean;
  }
}
