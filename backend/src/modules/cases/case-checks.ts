import type { EntityManager } from '@mikro-orm/postgresql';
import { sql } from '../../db/sql.js';
import { badRequest } from '../../lib/problem.js';
import type { CaseFacts } from './case-access.js';
import type { CaseType } from './cases.entities.js';
import type { CaseConfig } from './cases.policy.js';
import { uuidArray } from './cases.sql.js';

// What the schemas cannot check about a case write. `path` arguments are JSON pointers into the
// request body (or query): the field a 400 names.

/** The configured area with this name (case-insensitive), or 400. */
export function configuredArea(config: CaseConfig, name: string, path: string): string {
  const wanted = name.trim().toLocaleLowerCase('sv');
  const found = config.areas.areas.find((a) => a.toLocaleLowerCase('sv') === wanted);
  if (!found) throw badRequest('Unknown area: choose one of the configured areas.', 'unknown_area', path);
  return found;
}

export function requireLifeArea(config: CaseConfig, type: CaseType, lifeArea: string, path: string): void {
  if (!config.lifeAreas[type].includes(lifeArea))
    throw badRequest(
      `Unknown life area for a ${type} case: choose one of ${config.lifeAreas[type].join(', ')}.`,
      'unknown_life_area',
      path,
    );
}

/** Agencies named in a plan item or meeting must be the owner or a participant of the case. */
export function requireCaseAgency(facts: CaseFacts, agencyId: string, what: string, path: string): void {
  if (agencyId !== facts.ownerAgencyId && !facts.participantAgencyIds.includes(agencyId)) {
    throw badRequest(
      `The ${what} must be the owning agency or a participant of the case; add the agency as a participant first.`,
      'agency_not_in_case',
      path,
    );
  }
}

export async function requireAgencies(em: EntityManager, ids: readonly string[], path: string): Promise<void> {
  if (ids.length === 0) return;
  const [row] = await sql<{ n: number }>(em, 'SELECT count(*)::int AS n FROM agency WHERE id = ANY(?::uuid[])', [uuidArray(ids)]);
  if (row!.n !== new Set(ids).size) throw badRequest('An agency does not exist; check the agency ids.', 'unknown_agency', path);
}

/** The deepest row a page may start at in an uncapped list (an agency's own cases, a journal): deeper needs a narrower filter. */
export const DEEPEST_ROW = 10_000;

/**
 * A page must start within the rows the list can show (`maxRows`: its count cap, or DEEPEST_ROW),
 * so that no request scans and throws away an unbounded number of rows.
 */
export function requirePageWithin(page: { page: number; pageSize: number }, maxRows: number): void {
  if ((page.page - 1) * page.pageSize >= maxRows) {
    throw badRequest(
      `This page lies beyond the first ${maxRows} rows the list shows. Narrow the search or filter instead of paging further.`,
      'page_out_of_range',
      '/page',
    );
  }
}
