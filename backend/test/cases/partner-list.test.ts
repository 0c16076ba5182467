import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp, login, type TestContext } from '../helpers/app.js';
import { birthDateFor, consentBody, openCase, recordConsent } from '../consents/fixtures.js';
import { agencies, count, pin, type Agencies } from './fixtures.js';

interface Item {
  id: string;
  area: string | null;
  protectedIdentity: boolean;
  subject: Record<string, unknown>;
}
interface ListPage {
  items: Item[];
  total: number;
  page: number;
  pageSize: number;
  totalIsEstimate: boolean;
}

/**
 * A partner's case list: the cases its agency takes part in while the consent gate lets identity
 * cross from the owning agency to it — decided by the same gate as a read of the case.
 */
describe('case list for partners (through the consent gate)', () => {
  let t: TestContext;
  let social: string;
  let school: string;
  let police: string;
  let a: Agencies;
  const ids: Record<string, string> = {};
  let consentA: string;

  beforeAll(async () => {
    t = await createTestApp();
    [social, school, police] = (await Promise.all(['social', 'school', 'police'].map((u) => login(t.app, u)))) as [string, string, string];
    a = await agencies(t);
    const adult = birthDateFor(25, 40);
    // A: the school takes part, the subject consented to identity for social + school.
    const caseA = await openCase(t.app, social, adult, {
      agencyIds: [a.school, a.police],
      serial: '211',
      subject: { firstName: 'Alva', lastName: 'Holm', phone: '070-111 11 11', address: 'Gatan 1' },
    });
    consentA = (
      await recordConsent(t.app, social, caseA.id, {
        givenBy: { kind: 'subject' },
        agencyIds: [a.social, a.school],
        categories: ['identity', 'school'],
      })
    ).id;
    // B: the school takes part, no consent at all.
    const caseB = await openCase(t.app, social, adult, {
      agencyIds: [a.school],
      serial: '222',
      subject: { firstName: 'Bo', lastName: 'Holm' },
    });
    // C: a consent names the school, but the school does not take part.
    const caseC = await openCase(t.app, social, adult, {
      agencyIds: [a.police],
      serial: '233',
      subject: { firstName: 'Cilla', lastName: 'Holm' },
    });
    await recordConsent(t.app, social, caseC.id, {
      givenBy: { kind: 'subject' },
      agencyIds: [a.social, a.school, a.police],
      categories: ['identity'],
    });
    // D: protected identity, the school takes part and has consent: listed, without area.
    const caseD = await openCase(t.app, social, adult, {
      agencyIds: [a.school],
      serial: '244',
      subject: { firstName: 'Dana', lastName: 'Holm', protectedIdentity: 'skyddad_folkbokforing', address: 'Skyddad 9' },
    });
    await recordConsent(t.app, social, caseD.id, {
      givenBy: { kind: 'subject' },
      agencyIds: [a.social, a.school],
      categories: ['identity'],
    });
    // E: a 16-year-old: the custodial guardian consented, the subject not yet — the gate denies.
    const caseE = await openCase(t.app, social, birthDateFor(16, 30), {
      agencyIds: [a.school],
      serial: '255',
      guardians: [true],
      subject: { firstName: 'Eddie', lastName: 'Holm' },
    });
    await recordConsent(t.app, social, caseE.id, {
      givenBy: { kind: 'guardian', guardianId: caseE.guardianIds[0]! },
      agencyIds: [a.social, a.school],
      categories: ['identity'],
    });
    // F: a consent to the school for other categories than identity is refused (400), so F stays closed to it.
    const caseF = await openCase(t.app, social, adult, {
      agencyIds: [a.school],
      serial: '266',
      subject: { firstName: 'Frans', lastName: 'Holm' },
    });
    const refused = await t.app.inject({
      method: 'POST',
      url: `/api/cases/${caseF.id}/consents`,
      headers: bearer(social),
      payload: consentBody({ givenBy: { kind: 'subject' }, agencyIds: [a.social, a.school], categories: ['school'] }),
    });
    expect(refused.statusCode).toBe(400);
    Object.assign(ids, { A: caseA.id, B: caseB.id, C: caseC.id, D: caseD.id, E: caseE.id, F: caseF.id });
  });
  afterAll(async () => t.close());

  const list = async (token: string, query = ''): Promise<ListPage> => {
    const res = await t.app.inject({ url: `/api/cases${query}`, headers: bearer(token) });
    expect(res.statusCode, query).toBe(200);
    return res.json();
  };
  const search = async (token: string, body: Record<string, unknown>): Promise<ListPage> => {
    const res = await t.app.inject({ method: 'POST', url: '/api/cases/search', headers: bearer(token), payload: body });
    expect(res.statusCode, JSON.stringify(body)).toBe(200);
    return res.json();
  };

  it('a partner sees exactly the cases it takes part in whose consent lets identity cross to it, newest first', async () => {
    const page = await list(school);
    expect(page.items.map((i) => i.id)).toEqual([ids.D, ids.A]);
    expect(page).toMatchObject({ total: 2, page: 1, pageSize: 20, totalIsEstimate: false });
    // The owner still sees all of its cases.
    expect((await list(social)).total).toBe(6);
    // The police take part in A and C, but no consent names the police for identity from the owner… except C's.
    expect((await list(police)).items.map((i) => i.id)).toEqual([ids.C]);
  });

  it("shows the same fields as the owner's list: no contact details, and no area for a protected identity", async () => {
    const page = await list(school);
    const d = page.items.find((i) => i.id === ids.D)!;
    expect(d).toMatchObject({ protectedIdentity: true, area: null });
    const aItem = page.items.find((i) => i.id === ids.A)!;
    expect(aItem).toMatchObject({ protectedIdentity: false, area: 'Norrby' });
    expect(Object.keys(aItem).sort()).toEqual([
      'area',
      'caseNumber',
      'closedAt',
      'createdAt',
      'deputyUserId',
      'id',
      'ownerUserId',
      'phase',
      'protectedIdentity',
      'responsibleUserId',
      'status',
      'subject',
      'type',
      'updatedAt',
    ]);
    expect(Object.keys(aItem.subject).sort()).toEqual(['birthDate', 'firstName', 'id', 'lastName']);
    const text = JSON.stringify(page);
    for (const secret of ['Skyddad 9', 'Gatan 1', '070-111 11 11', 'ownerAgencyId']) expect(text).not.toContain(secret);
    // Area and agency filters never match a protected identity, for partners either.
    expect((await list(school, '?area=Norrby')).items.map((i) => i.id)).toEqual([ids.A]);
    expect((await list(school, `?agencyId=${a.school}`)).items.map((i) => i.id)).toEqual([ids.A]);
  });

  it('search, filters and pages work within the same set; owner=me is empty for a partner', async () => {
    expect((await search(school, { q: 'holm' })).items.map((i) => i.id)).toEqual([ids.D, ids.A]);
    expect((await search(school, { q: 'Bo Holm' })).total).toBe(0);
    expect((await search(school, { q: pin(birthDateFor(25, 40).replaceAll('-', ''), '211') })).items.map((i) => i.id)).toEqual([ids.A]);
    expect((await search(school, { q: pin(birthDateFor(25, 40).replaceAll('-', ''), '222') })).total).toBe(0);
    const p2 = await list(school, '?pageSize=1&page=2');
    expect(p2).toMatchObject({ total: 2, page: 2, pageSize: 1 });
    expect(p2.items.map((i) => i.id)).toEqual([ids.A]);
    expect((await list(school, '?page=3&pageSize=1')).items).toEqual([]);
    expect((await list(school, '?owner=me')).total).toBe(0);
    expect((await list(school, '?status=closed')).total).toBe(0);
  });

  it("is audited like the owner's list (each listed case, with the consents relied on) and recorded in the disclosure ledger", async () => {
    const before = await count(t, 'disclosure', "item_type = 'case' AND to_agency_id = $1", [a.school]);
    await search(school, { q: 'Alva' });
    const { rows } = await t.sql.query(
      "SELECT case_id, subject_id, consent_ids::text[] AS consent_ids, outcome FROM audit_queue WHERE action = 'case.search' AND actor_agency_id = $1 ORDER BY id DESC LIMIT 1",
      [a.school],
    );
    expect(rows[0]).toMatchObject({ case_id: ids.A, outcome: 'allowed', consent_ids: [consentA] });
    expect(rows[0].subject_id).toBeTruthy();
    expect(JSON.stringify(await t.sql.query("SELECT * FROM audit_queue WHERE action IN ('case.list','case.search')"))).not.toMatch(
      /Alva|Holm/,
    );
    const ledger = await t.sql.query(
      "SELECT case_id, category, from_agency_id, consent_ids::text[] AS consent_ids FROM disclosure WHERE item_type = 'case' AND to_agency_id = $1 ORDER BY disclosed_at DESC LIMIT 1",
      [a.school],
    );
    expect(ledger.rows[0]).toEqual({ case_id: ids.A, category: 'identity', from_agency_id: a.social, consent_ids: [consentA] });
    expect(await count(t, 'disclosure', "item_type = 'case' AND to_agency_id = $1", [a.school])).toBe(before + 1);
  });

  it('after a withdrawal the case disappears from the list on the very next request', async () => {
    expect((await list(school)).items.map((i) => i.id)).toContain(ids.A);
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/consents/${consentA}/withdraw`,
      headers: bearer(social),
      payload: { reason: 'Den unge återkallade samtycket.' },
    });
    expect(res.statusCode).toBe(200);
    const after = await list(school);
    expect(after.items.map((i) => i.id)).toEqual([ids.D]);
    expect(after.total).toBe(1);
    expect((await search(school, { q: 'Alva' })).total).toBe(0);
    // …and reading it is refused the same way.
    expect((await t.app.inject({ url: `/api/cases/${ids.A}`, headers: bearer(school) })).statusCode).toBe(404);
  });

  it('the list and the read agree, case by case', async () => {
    const listed = new Set((await list(school)).items.map((i) => i.id));
    for (const id of Object.values(ids)) {
      const read = await t.app.inject({ url: `/api/cases/${id}`, headers: bearer(school) });
      expect(read.statusCode === 200, id).toBe(listed.has(id));
    }
  });
});
