import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Agency, type AgencyKind, type Role, User } from '../modules/identity/identity.entities.js';
import { hashPassword } from '../modules/identity/password.js';
import { sql } from './sql.js';

// Social services and the police of the demo work in every area of policies/areas.yaml.
const WHOLE_MUNICIPALITY = [
  'Norrby',
  'Hässleholmen',
  'Hulta',
  'Sjöbo',
  'Centrum',
  'Brämhult',
  'Göta',
  'Trandared',
  'Byttorp',
  'Dalsjöfors',
  'Fristad',
  'Sandared',
  'Viskafors',
];

export const DEMO_AGENCIES: { key: string; name: string; kind: AgencyKind; areas: string[] }[] = [
  // The areas each agency works in: the group level per area is theirs.
  {
    key: 'social',
    name: 'Borås Stad – Individ- och familjeomsorg',
    kind: 'social_services',
    areas: WHOLE_MUNICIPALITY,
  },
  { key: 'school', name: 'Engelbrektskolan', kind: 'school', areas: ['Norrby', 'Centrum'] },
  {
    key: 'police',
    name: 'Polisen – Lokalpolisområde Borås',
    kind: 'police',
    areas: WHOLE_MUNICIPALITY,
  },
  { key: 'leisure', name: 'Fritidsgården Norrby', kind: 'leisure', areas: ['Norrby', 'Hässleholmen'] },
  { key: 'it', name: 'Borås Stad – Systemförvaltning', kind: 'other', areas: [] },
];

export const DEMO_USERS: { username: string; displayName: string; agency: string; roles: Role[]; email: string }[] = [
  { username: 'social', displayName: 'Sara Lind', agency: 'social', roles: ['social_worker'], email: 'sara.lind@example.org' },
  { username: 'school', displayName: 'Johan Ek', agency: 'school', roles: ['partner'], email: 'johan.ek@example.org' },
  { username: 'police', displayName: 'Maria Berg', agency: 'police', roles: ['partner'], email: 'maria.berg@example.org' },
  { username: 'leisure', displayName: 'Ali Hassan', agency: 'leisure', roles: ['partner'], email: 'ali.hassan@example.org' },
  { username: 'coordinator', displayName: 'Eva Holm', agency: 'social', roles: ['coordinator'], email: 'eva.holm@example.org' },
  { username: 'auditor', displayName: 'Karin Sjö', agency: 'social', roles: ['auditor'], email: 'karin.sjo@example.org' },
  { username: 'admin', displayName: 'Nils Strand', agency: 'it', roles: ['admin'], email: 'nils.strand@example.org' },
  // A second admin, so that a privileged role granted by one admin can be approved by another (four eyes).
  { username: 'admin2', displayName: 'Lena Ström', agency: 'it', roles: ['admin'], email: 'lena.strom@example.org' },
];

/**
 * Demo data for development: the SSPF group of Borås and one user of each role. Idempotent. The
 * demo users are exempt from the second factor (the sign-in page says so when DEMO is set), so a
 * newcomer signs in in one step; accounts an admin creates are never exempt.
 */
export async function seedDemo(em: EntityManager, password: string): Promise<boolean> {
  if ((await em.count(User, { username: 'social' })) > 0) {
    // A demo database from before the second factor: its demo users, too, sign in in one step.
    await sql(em, 'UPDATE app_user SET mfa_exempt = true WHERE username = ANY(?::text[]) AND NOT mfa_exempt', [
      DEMO_USERS.map((u) => u.username),
    ]);
    return false;
  }
  const hash = await hashPassword(password);
  await em.transactional(async (tx) => {
    const ids = new Map<string, string>();
    for (const a of DEMO_AGENCIES) {
      const existing = await tx.findOne(Agency, { name: a.name });
      const agency = existing ?? tx.create(Agency, { id: randomUUID(), name: a.name, kind: a.kind, createdAt: new Date() });
      ids.set(a.key, agency.id);
    }
    for (const u of DEMO_USERS) {
      tx.create(User, {
        id: randomUUID(),
        username: u.username,
        displayName: u.displayName,
        passwordHash: hash,
        agencyId: ids.get(u.agency)!,
        roles: u.roles,
        active: true,
        createdAt: new Date(),
        deactivatedAt: null,
        mfaExempt: true,
      });
    }
    await tx.flush();
    // The areas each demo agency works in (the group level per area).
    await sql(tx, 'UPDATE agency a SET areas = d.areas FROM json_to_recordset(?::json) AS d(id uuid, areas text[]) WHERE a.id = d.id', [
      JSON.stringify(DEMO_AGENCIES.map((a) => ({ id: ids.get(a.key), areas: a.areas }))),
    ]);
    // Example addresses (a reserved domain) for the daily digest.
    await sql(
      tx,
      'UPDATE app_user u SET email = d.email FROM unnest(?::text[], ?::text[]) AS d(username, email) WHERE u.username = d.username',
      [`{${DEMO_USERS.map((u) => u.username).join(',')}}`, `{${DEMO_USERS.map((u) => u.email).join(',')}}`],
    );
  });
  return true;
}
