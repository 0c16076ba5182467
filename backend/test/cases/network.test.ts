import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp, login, type TestContext } from '../helpers/app.js';
import { birthDateFor, openCase, recordConsent } from '../consents/fixtures.js';
import { agencies, count, deniedCount, type Agencies } from './fixtures.js';

interface NetworkRow {
  agencyId: string;
  agencyName: string;
  owner: boolean;
  contactName: string | null;
  contactRole: string | null;
  contactPhone: string | null;
  contactEmail: string | null;
  updatedAt: string | null;
}

/**
 * The network around the person: a contact per agency of the case. The owning unit names every
 * agency's, a participant that sees the case its own; partners see the contacts of the agencies
 * they may know of, with the case itself (identity), and nothing else.
 */
describe('the network around the person', () => {
  let t: TestContext;
  let social: string;
  let school: string;
  let police: string;
  let coordinator: string;
  let a: Agencies;
  let caseId: string;

  const call = (token: string | null, method: 'GET' | 'PATCH' | 'DELETE' | 'POST', url: string, payload?: Record<string, unknown>) =>
    t.app.inject({ method, url, ...(token ? { headers: bearer(token) } : {}), ...(payload ? { payload } : {}) });
  const url = (agencyId: string, id = caseId): string => `/api/cases/${id}/network/${agencyId}`;
  const contacts = async (id = caseId): Promise<unknown[]> =>
    (await t.sql.query('SELECT * FROM case_contact WHERE case_id = $1 ORDER BY agency_id', [id])).rows;
  const network = async (token: string, id = caseId): Promise<NetworkRow[]> => {
    const res = await call(token, 'GET', `/api/cases/${id}`);
    expect(res.statusCode, res.body).toBe(200);
    return res.json().network;
  };

  beforeAll(async () => {
    t = await createTestApp();
    a = await agencies(t);
    [social, school, police, coordinator] = (await Promise.all(
      ['social', 'school', 'police', 'coordinator'].map((u) => login(t.app, u)),
    )) as [string, string, string, string];
    const c = await openCase(t.app, social, birthDateFor(30), { agencyIds: [a.school, a.police], serial: '611' });
    caseId = c.id;
  });
  afterAll(async () => t.close());

  it('lists the owning agency first, then each participant, with no contact named yet', async () => {
    const rows = await network(social);
    expect(rows.map((r) => [r.agencyId, r.owner])).toEqual([
      [a.social, true],
      [a.school, false],
      [a.police, false],
    ]);
    expect(rows.every((r) => r.contactName === null && r.contactEmail === null && r.updatedAt === null)).toBe(true);
  });

  it('answers 401 without a session', async () => {
    expect((await call(null, 'PATCH', url(a.social), { contactName: 'Sara Lind' })).statusCode).toBe(401);
  });

  it('refuses malformed input with 400 and stores nothing', async () => {
    for (const payload of [
      {},
      { contactName: '' },
      { contactName: '   ' },
      { contactEmail: 'inte-en-adress' },
      { contactPhone: 'ring mig' },
      { contactName: 'Sara Lind', extra: 1 },
      { contactName: 42 },
      { contactRole: 'x'.repeat(201) },
    ]) {
      const res = await call(social, 'PATCH', url(a.social), payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
    expect((await call(social, 'PATCH', `/api/cases/${caseId}/network/not-a-uuid`, { contactName: 'X' })).statusCode).toBe(400);
    expect(await contacts()).toEqual([]);
  });

  it('the owning unit names the contact of every agency of the case, audited', async () => {
    const before = await count(t, 'audit_queue', "action = 'case.contact.update' AND outcome = 'allowed'");
    const own = await call(social, 'PATCH', url(a.social), {
      contactName: '  Sara Lind ',
      contactRole: 'Socialsekreterare',
      contactPhone: '+46 13-20 00 00',
      contactEmail: 'sara.lind@kommun.example.se',
    });
    expect(own.statusCode, own.body).toBe(200);
    expect(own.json()).toMatchObject({ agencyId: a.social, owner: true, contactName: 'Sara Lind', contactRole: 'Socialsekreterare' });
    const pol = await call(social, 'PATCH', url(a.police), { contactName: 'Kim Kontaktpolis', contactRole: 'Kontaktpolis' });
    expect(pol.statusCode, pol.body).toBe(200);
    // A field left out is kept; null clears it.
    const changed = await call(social, 'PATCH', url(a.police), { contactPhone: '114 14', contactRole: null });
    expect(changed.json()).toMatchObject({ contactName: 'Kim Kontaktpolis', contactRole: null, contactPhone: '114 14' });
    expect(await count(t, 'audit_queue', "action = 'case.contact.update' AND outcome = 'allowed'")).toBe(before + 3);
    const rows = await network(social);
    expect(rows.find((r) => r.agencyId === a.police)).toMatchObject({ contactName: 'Kim Kontaktpolis', contactPhone: '114 14' });
  });

  it('answers 409 not_participant for an agency outside the case', async () => {
    const res = await call(social, 'PATCH', url(a.leisure), { contactName: 'Fia Fritid' });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ type: 'urn:samverka:problem:not_participant', status: 409 });
  });

  it('a partner without consent, a coordinator, or a partner on another agency’s row gets 404, audited, and nothing changes', async () => {
    const before = await contacts();
    const attempts: [string, string][] = [
      [school, a.school], // no consent yet: the school cannot see the case
      [coordinator, a.social],
    ];
    for (const [token, agencyId] of attempts) {
      const denied = await deniedCount(t);
      expect((await call(token, 'PATCH', url(agencyId), { contactName: 'Obehörig' })).statusCode).toBe(404);
      expect(await deniedCount(t)).toBe(denied + 1);
    }
    await recordConsent(t.app, social, caseId, { givenBy: { kind: 'subject' }, agencyIds: [a.social, a.school], categories: ['identity'] });
    for (const agencyId of [a.social, a.police, a.leisure]) {
      const denied = await deniedCount(t);
      const res = await call(school, 'PATCH', url(agencyId), { contactName: 'Obehörig' });
      expect(res.statusCode, agencyId).toBe(404);
      expect(await deniedCount(t)).toBe(denied + 1);
    }
    expect(await contacts()).toEqual(before);
  });

  it('a partner that sees the case names its own contact', async () => {
    const res = await call(school, 'PATCH', url(a.school), {
      contactName: 'Karin Kurator',
      contactRole: 'Kurator',
      contactEmail: 'karin@skolan.example.se',
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ agencyId: a.school, owner: false, contactName: 'Karin Kurator' });
  });

  it("a partner sees the owner's contact and its own under identity consent, not an agency the consent does not name", async () => {
    const seen = await network(school);
    expect(seen.map((r) => r.agencyId)).toEqual([a.social, a.school]);
    expect(seen[0]).toMatchObject({ contactName: 'Sara Lind', contactEmail: 'sara.lind@kommun.example.se' });
    const body = (await call(school, 'GET', `/api/cases/${caseId}`)).body;
    expect(body).not.toContain('Kim Kontaktpolis');
    expect(body).not.toContain(a.police);
    // Once the consent names the police together with the school, its contact crosses too.
    await recordConsent(t.app, social, caseId, {
      givenBy: { kind: 'subject' },
      agencyIds: [a.social, a.school, a.police],
      categories: ['identity'],
    });
    expect((await network(school)).find((r) => r.agencyId === a.police)).toMatchObject({ contactName: 'Kim Kontaktpolis' });
  });

  it('a partner with no consent of its own sees no contact at all (the case is 404)', async () => {
    const other = await openCase(t.app, social, birthDateFor(31), { agencyIds: [a.police], serial: '612' });
    expect((await call(social, 'PATCH', url(a.social, other.id), { contactName: 'Sara Lind' })).statusCode).toBe(200);
    const res = await call(police, 'GET', `/api/cases/${other.id}`);
    expect(res.statusCode).toBe(404);
    expect(res.body).not.toContain('Sara Lind');
  });

  it('answers 409 case_closed on a closed case, and changes nothing', async () => {
    const other = await openCase(t.app, social, birthDateFor(32), { serial: '613' });
    expect((await call(social, 'POST', `/api/cases/${other.id}/close`, { outcome: 'Målen uppnådda' })).statusCode).toBe(200);
    const res = await call(social, 'PATCH', url(a.social, other.id), { contactName: 'Sara Lind' });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ type: 'urn:samverka:problem:case_closed' });
    expect(await contacts(other.id)).toEqual([]);
  });

  it('an agency that leaves the case leaves the network, and its contact goes', async () => {
    expect((await call(social, 'DELETE', `/api/cases/${caseId}/participants/${a.police}`)).statusCode).toBe(204);
    expect((await network(social)).map((r) => r.agencyId)).toEqual([a.social, a.school]);
    expect(await count(t, 'case_contact', 'case_id = $1 AND agency_id = $2', [caseId, a.police])).toBe(0);
  });
});
