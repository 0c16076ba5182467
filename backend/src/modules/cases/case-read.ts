import type { EntityManager } from '@mikro-orm/postgresql';
import type { Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { notFound } from '../../lib/problem.js';
import type { AuditContext } from '../../plugins/app/audit.js';
import type { CaseView } from '../../plugins/app/disclosure.js';
import type { Actor } from '../../types.js';
import type { CaseAccess } from './case-access.js';
import type { CaseOut } from './cases.schemas.js';
import { CASE_DETAIL_EXTRA } from './cases.sql.js';

/** A case's whole read model as stored (CASE_DETAIL_SQL), before the decision point shapes it. */
export type CaseDetail = Omit<Static<typeof CaseOut>, 'withheld'>;

export interface CaseDetailRead {
  access: CaseAccess;
  detail: CaseDetail;
  /** The decisions of this read: shape with it, then record it with `app.consents.recordRead`. */
  view: CaseView;
}

/**
 * One case's page through the one door, for every answer built from it (the case, its
 * printouts): the access decision and the data in one round trip, then the read's view. 404
 * (audited) when the case is missing or not the caller's to see under `action`. Nothing is shaped
 * or recorded here: the caller shapes what it shows and records the read before sending it.
 */
export async function loadCaseDetail(
  app: FastifyInstance,
  em: EntityManager,
  actor: Actor,
  caseId: string,
  action: string,
  ctx: AuditContext,
): Promise<CaseDetailRead> {
  const access = await app.caseAccess.load<{ detail: CaseDetail | null }>(em, actor, caseId, action, ctx, {
    select: CASE_DETAIL_EXTRA,
    params: [],
  });
  if (!access.extra.detail) throw notFound();
  const view = await app.caseAccess.view(em, actor, access);
  return { access, detail: access.extra.detail, view };
}
