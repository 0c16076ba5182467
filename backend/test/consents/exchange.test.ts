import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp, login, type TestContext } from '../helpers/app.js';
import {
  agencies,
  birthDateFor,
  consentBody,
  count,
  daysFromToday,
  openCase,
  recordConsent,
  type Agencies,
  type TestCase,
} from './fixtures.js';

/**
 * The consent gate on case reads and writes across agencies: a partner sees a case only while the
 * gate lets identity cross from the owner, and within it exactly the items the gate allows;
 * everything that crosses is in the disclosure ledger.
 */
describe('exchanges between agencies through the consent gate', () => {
  let t: TestContext;
  let social: string;
  let school: string;
  let police: string;
  let leisure: string;
  let a: Agencies;
  let c: TestCase;

  const get = (token: string, url: string) => t.app.inject({ url, headers: bearer(token) });
  const entry = async (token: string, caseId: string, category: string, text: string): Promise<number> =>
    (await t.app.inject({ method: 'POST', url: `/api/cases/${caseId}/entries`, headers: bearer(token), payload: { category, text } }))
      .statusCode;
  const lastDenial = async (caseId: string): Promise<string> =>
    (await t.sql.query("SELECT reason FROM audit_queue WHERE outcome = 'denied' AND case_id = $1 ORDER BY id DESC LIMIT 1", [caseId]))
      .rows[0]?.reason as string;

  beforeAll(async () => {
    t = await createTestApp();
    [social, school, police, leisure] = (await Promise.all(['social', 'school', 'police', 'leisure'].map((u) => login(t.app, u)))) as [
      string,
      string,
      string,
      string,
    ];
    a = await agencies(t);
    c = await openCase(t.app, social, birthDateFor(25, 60), {
      agencyIds: [a.school, a.police],
      serial: '611',
      subject: { phone: '070-111 22 33', email: 'ung@example.se', address: 'Hemligvägen 1', protectedIdentity: 'none' },
    });
    for (const [category, text] of [
      ['social', 'Utredning inledd: SOCIALTEXT'],
      ['health', 'Behandling: HÄLSOTEXT'],
      ['identity', 'Flyttat inom kommunen'],
    ]) {
      expect(await entry(social, c.id, category!, text!)).toBe(201);
    }
    const item = await t.app.inject({
      method: 'POST',
      url: `/api/cases/${c.id}/plan-items`,
      headers: bearer(social),
      payload: { lifeArea: 'school', goal: 'Full närvaro', action: 'Veckomöte', responsibleAgencyId: a.school },
    });
    expect(item.statusCode).toBe(201);
  });
  afterAll(async () => t.close());

  it('without consent a participating partner gets 404 on the case, its entries and writing — audited with the reason', async () => {
    for (const res of [await get(school, `/api/cases/${c.id}`), await get(school, `/api/cases/${c.id}/entries`)]) {
      expect(res.statusCode).toBe(404);
      expect(res.json().detail).toBe('The resource does not exist or you do not have access to it.');
    }
    expect(await entry(school, c.id, 'school', 'Frånvaro 30 %')).toBe(404);
    expect(await lastDenial(c.id)).toBe('no_consent');
    expect(await count(t, 'journal_entry', 'case_id = $1', [c.id])).toBe(3);
  });

  let consentId: string;
  it('with consent for identity, school and plan the school sees the case — without contact details — and what the gate allows', async () => {
    consentId = (
      await recordConsent(t.app, social, c.id, {
        givenBy: { kind: 'subject' },
        agencyIds: [a.social, a.school],
        categories: ['identity', 'school', 'plan'],
      })
    ).id;
    const res = await get(school, `/api/cases/${c.id}`);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.subject).toMatchObject({ id: c.subjectId, phone: null, email: null, address: null });
    expect(body.area).toBe('Norrby');
    expect(body.planItems).toHaveLength(1);
    // The reason for concern is `social` information: not named in this consent, so held back and counted.
    expect(body.reason).toBeNull();
    expect(body.withheld).toEqual([{ category: 'social', count: 1, reason: 'no_consent' }]);
    // The police take part but are not named in the school's consent: the school does not learn it.
    expect(body.participants.map((p: { agencyId: string }) => p.agencyId)).toEqual([a.school]);
    expect(res.body).not.toContain(a.police);
    // The owner still sees everything of its own.
    expect((await get(social, `/api/cases/${c.id}`)).json().subject).toMatchObject({ phone: '070-111 22 33', address: 'Hemligvägen 1' });
  });

  it('the partner adds entries of its own categories to a case it sees', async () => {
    expect(await entry(school, c.id, 'school', 'Frånvaro 30 % i november: SKOLTEXT')).toBe(201);
    expect(await entry(school, c.id, 'social', 'Inte skolans kategori')).toBe(400);
    expect(await entry(police, c.id, 'police', 'Polisen ser inte ärendet')).toBe(404);
    expect(await entry(leisure, c.id, 'leisure', 'Inte deltagare')).toBe(404);
  });

  it('entries: each side sees exactly what the gate allows; the rest is counted in withheld, never shown', async () => {
    const partner = await get(school, `/api/cases/${c.id}/entries`);
    expect(partner.statusCode).toBe(200);
    const p = partner.json();
    expect(p.items.map((e: { category: string }) => e.category).sort()).toEqual(['identity', 'school']);
    expect(p.total).toBe(2);
    expect(p.withheld).toEqual([
      { category: 'health', count: 1, reason: 'no_consent' },
      { category: 'social', count: 1, reason: 'no_consent' },
    ]);
    expect(partner.body).not.toContain('SOCIALTEXT');
    expect(partner.body).not.toContain('HÄLSOTEXT');

    const owner = (await get(social, `/api/cases/${c.id}/entries`)).json();
    expect(owner.items).toHaveLength(4);
    expect(owner.withheld).toEqual([]);
    expect(JSON.stringify(owner)).toContain('SKOLTEXT');
  });

  it('a partner writes only what may cross to the owner now; the write is the disclosure, recorded then', async () => {
    // Identity alone: the police see the case but may not pass police information to the owner.
    const policeIdentity = await recordConsent(t.app, social, c.id, {
      givenBy: { kind: 'subject' },
      agencyIds: [a.social, a.police],
      categories: ['identity'],
    });
    const refused = await t.app.inject({
      method: 'POST',
      url: `/api/cases/${c.id}/entries`,
      headers: bearer(police),
      payload: { category: 'police', text: 'Omhändertagen: POLISTEXT' },
    });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().type).toBe('urn:samverka:problem:category_not_consented');
    const police2 = await recordConsent(t.app, social, c.id, {
      givenBy: { kind: 'subject' },
      agencyIds: [a.social, a.police],
      categories: ['identity', 'police'],
    });
    const written = await t.app.inject({
      method: 'POST',
      url: `/api/cases/${c.id}/entries`,
      headers: bearer(police),
      payload: { category: 'police', text: 'Omhändertagen för förhör: POLISTEXT' },
    });
    expect(written.statusCode).toBe(201);
    const { rows: ledger } = await t.sql.query('SELECT from_agency_id, to_agency_id, consent_ids FROM disclosure WHERE item_id = $1', [
      written.json().id,
    ]);
    expect(ledger).toHaveLength(1);
    expect(ledger[0]).toMatchObject({ from_agency_id: a.police, to_agency_id: a.social });
    expect(ledger[0].consent_ids).toContain(police2.id);
    const after = await get(social, `/api/cases/${c.id}/entries`);
    expect(after.body).toContain('POLISTEXT');
    // The owning unit keeps what it received after the consent is withdrawn.
    await t.app.inject({
      method: 'POST',
      url: `/api/consents/${police2.id}/withdraw`,
      headers: bearer(social),
      payload: { reason: 'Återkallat' },
    });
    await t.app.inject({
      method: 'POST',
      url: `/api/consents/${policeIdentity.id}/withdraw`,
      headers: bearer(social),
      payload: { reason: 'Återkallat' },
    });
    expect((await get(social, `/api/cases/${c.id}/entries`)).body).toContain('POLISTEXT');
    expect((await get(police, `/api/cases/${c.id}`)).statusCode).toBe(404);
    // The school still does not see police information, nor learns that there is any: the police are
    // not named together with the school in its consent.
    const schoolView = (await get(school, `/api/cases/${c.id}/entries`)).json();
    expect(schoolView.withheld.map((w: { category: string }) => w.category)).not.toContain('police');
    expect(JSON.stringify(schoolView)).not.toContain(a.police);
  });

  it('records every item that crossed in the disclosure ledger, with the consents it rested on', async () => {
    const before = await count(t, 'disclosure', 'case_id = $1', [c.id]);
    const res = await get(school, `/api/cases/${c.id}/entries`);
    const shown = res.json().items.filter((e: { agencyId: string }) => e.agencyId !== a.school);
    const { rows } = await t.sql.query(
      'SELECT item_type, item_id, category, from_agency_id, to_agency_id, consent_ids, request_id FROM disclosure WHERE case_id = $1 ORDER BY disclosed_at DESC LIMIT $2',
      [c.id, shown.length],
    );
    expect(await count(t, 'disclosure', 'case_id = $1', [c.id])).toBe(before + shown.length);
    expect(rows.map((r) => r.item_id).sort()).toEqual(shown.map((e: { id: string }) => e.id).sort());
    for (const r of rows)
      expect(r).toMatchObject({
        item_type: 'entry',
        from_agency_id: a.social,
        to_agency_id: a.school,
        consent_ids: [consentId],
        request_id: res.headers['x-request-id'],
      });
    const audit = await t.sql.query("SELECT consent_ids FROM audit_queue WHERE request_id = $1 AND action = 'entry.list'", [
      res.headers['x-request-id'],
    ]);
    expect(audit.rows[0].consent_ids).toEqual([consentId]);

    const caseRead = await get(school, `/api/cases/${c.id}`);
    const { rows: caseRows } = await t.sql.query('SELECT item_type, category FROM disclosure WHERE request_id = $1 ORDER BY item_type', [
      caseRead.headers['x-request-id'],
    ]);
    expect(caseRows).toEqual([
      { item_type: 'case', category: 'identity' },
      { item_type: 'plan_item', category: 'plan' },
    ]);

    const ledger = await get(social, `/api/cases/${c.id}/disclosures?pageSize=500`);
    expect(ledger.statusCode).toBe(200);
    expect(ledger.json().total).toBe(await count(t, 'disclosure', 'case_id = $1', [c.id]));
    expect(ledger.json().items[0]).toMatchObject({ caseId: c.id, subjectId: c.subjectId, toAgencyId: a.school, consentIds: [consentId] });
    const bySubject = await get(social, `/api/subjects/${c.subjectId}/disclosures`);
    expect(bySubject.json().total).toBe(ledger.json().total);
    // Not for the partner, nor for what is not the caller's.
    expect((await get(school, `/api/cases/${c.id}/disclosures`)).statusCode).toBe(403);
  });

  it('a non-participating agency sees nothing even when a consent names it', async () => {
    await recordConsent(t.app, social, c.id, {
      givenBy: { kind: 'subject' },
      agencyIds: [a.social, a.leisure],
      categories: ['identity', 'leisure'],
    });
    expect((await get(leisure, `/api/cases/${c.id}`)).statusCode).toBe(404);
  });

  it('a withdrawal takes effect on the very next request', async () => {
    expect((await get(school, `/api/cases/${c.id}`)).statusCode).toBe(200);
    const w = await t.app.inject({
      method: 'POST',
      url: `/api/consents/${consentId}/withdraw`,
      headers: bearer(social),
      payload: { reason: 'Den unge vill inte längre' },
    });
    expect(w.statusCode).toBe(200);
    expect((await get(school, `/api/cases/${c.id}`)).statusCode).toBe(404);
    expect(await lastDenial(c.id)).toBe('withdrawn');
    expect((await get(school, `/api/cases/${c.id}/entries`)).statusCode).toBe(404);
    expect(await entry(school, c.id, 'school', 'Efter återkallelsen')).toBe(404);
    // What was disclosed stays recorded; the owner keeps what the school wrote into the case.
    expect(await count(t, 'disclosure', 'case_id = $1 AND $2 = ANY(consent_ids)', [c.id, consentId])).toBeGreaterThan(0);
    const owner = await get(social, `/api/cases/${c.id}/entries`);
    expect(owner.json().withheld).toEqual([]);
    expect(owner.body).toContain('SKOLTEXT');
  });

  it("a protected person's area, address and contact details never reach a partner", async () => {
    const p = await openCase(t.app, social, birthDateFor(20), {
      agencyIds: [a.school],
      serial: '622',
      subject: { protectedIdentity: 'skyddad_folkbokforing', address: 'Skyddad adress 9', phone: '070-999 99 99' },
    });
    await recordConsent(t.app, social, p.id, { givenBy: { kind: 'subject' }, agencyIds: [a.social, a.school], categories: ['identity'] });
    const res = await get(school, `/api/cases/${p.id}`);
    expect(res.statusCode).toBe(200);
    expect(res.json().area).toBeNull();
    expect(res.body).not.toContain('Norrby');
    expect(res.body).not.toContain('Skyddad adress');
    expect(res.body).not.toContain('070-999');
  });

  describe('the birthday boundaries, through the API', () => {
    /** A case of a subject aged `years` on the day `days` from today, with two guardians with custody and consents as listed. */
    async function scenario(
      years: number,
      days: number,
      serial: string,
      givers: ('g1' | 'g2' | 'subject')[],
      extra: Partial<Parameters<typeof recordConsent>[3]> = {},
    ): Promise<TestCase> {
      const s = await openCase(t.app, social, birthDateFor(years, days), {
        guardians: years < 18 || days > 0 ? [true, true, false] : [],
        agencyIds: [a.school],
        serial,
      });
      for (const g of givers) {
        const givenBy =
          g === 'subject' ? { kind: 'subject' as const } : { kind: 'guardian' as const, guardianId: s.guardianIds[g === 'g1' ? 0 : 1]! };
        await recordConsent(t.app, social, s.id, {
          givenBy,
          agencyIds: [a.social, a.school],
          categories: ['identity', 'school'],
          ...extra,
        });
      }
      return s;
    }
    const sees = async (s: TestCase): Promise<number> => (await get(school, `/api/cases/${s.id}`)).statusCode;

    it('the day before the 15th birthday both guardians with custody suffice', async () => {
      expect(await sees(await scenario(15, 1, '701', ['g1', 'g2']))).toBe(200);
    });
    it('one of two guardians with custody is not enough', async () => {
      const s = await scenario(15, 1, '702', ['g1']);
      expect(await sees(s)).toBe(404);
      expect(await lastDenial(s.id)).toBe('no_consent');
    });
    it('on the 15th birthday (today) the subject must consent too', async () => {
      const s = await scenario(15, 0, '703', ['g1', 'g2']);
      expect(await sees(s)).toBe(404);
      await recordConsent(t.app, social, s.id, {
        givenBy: { kind: 'subject' },
        agencyIds: [a.social, a.school],
        categories: ['identity', 'school'],
      });
      expect(await sees(s)).toBe(200);
    });
    it('the day before the 18th birthday the subject alone is not enough', async () => {
      expect(await sees(await scenario(18, 1, '704', ['subject']))).toBe(404);
    });
    it('on the 18th birthday (today) the subject alone suffices', async () => {
      expect(await sees(await scenario(18, 0, '705', ['subject']))).toBe(200);
    });
    it('an expired consent is denied as expired; one not yet in force as no consent', async () => {
      const expired = await scenario(30, 0, '706', ['subject'], { validFrom: daysFromToday(-60), validTo: daysFromToday(-1) });
      expect(await sees(expired)).toBe(404);
      expect(await lastDenial(expired.id)).toBe('expired');
      const pending = await scenario(30, 0, '707', ['subject'], { validFrom: daysFromToday(1), validTo: daysFromToday(60) });
      expect(await sees(pending)).toBe(404);
      expect(await lastDenial(pending.id)).toBe('no_consent');
    });
    it('a consent for other agencies or other categories does not open the case', async () => {
      const wrongAgency = await scenario(30, 0, '708', []);
      await recordConsent(t.app, social, wrongAgency.id, {
        givenBy: { kind: 'subject' },
        agencyIds: [a.social, a.police],
        categories: ['identity'],
      });
      expect(await sees(wrongAgency)).toBe(404);
      // A consent without identity is refused: no partner could open the case with it.
      const wrongCategory = await scenario(30, 0, '709', []);
      const res = await t.app.inject({
        method: 'POST',
        url: `/api/cases/${wrongCategory.id}/consents`,
        headers: bearer(social),
        payload: consentBody({ givenBy: { kind: 'subject' }, agencyIds: [a.social, a.school], categories: ['school'] }),
      });
      expect(res.statusCode).toBe(400);
      expect(res.json().type).toBe('urn:samverka:problem:identity_required');
      expect(await sees(wrongCategory)).toBe(404);
    });
  });
});
