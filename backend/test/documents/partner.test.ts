import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp, login, type TestContext } from '../helpers/app.js';
import { agencies, birthDateFor, count, openCase, recordConsent, type Agencies, type TestCase } from '../consents/fixtures.js';
import { PNG, pdf, upload } from './fixtures.js';

describe('documents across agencies: gated like journal entries', () => {
  let t: TestContext;
  let social: string;
  let school: string;
  let a: Agencies;
  let c: TestCase;
  let socialDoc: string;
  let identityDoc: string;
  beforeAll(async () => {
    t = await createTestApp();
    [social, school] = await Promise.all([login(t.app, 'social'), login(t.app, 'school')]);
    a = await agencies(t);
    c = await openCase(t.app, social, birthDateFor(25), { agencyIds: [a.school] });
    socialDoc = (await upload(t.app, social, c.id, { category: 'social' }, pdf())).json().id;
    identityDoc = (await upload(t.app, social, c.id, { category: 'identity' }, pdf())).json().id;
  });
  afterAll(async () => t.close());

  const list = (token: string) => t.app.inject({ url: `/api/cases/${c.id}/documents`, headers: bearer(token) });
  const download = (token: string, id: string) => t.app.inject({ url: `/api/documents/${id}`, headers: bearer(token) });
  const denials = (where: string, params: unknown[]) => count(t, 'audit_queue', `outcome = 'denied' AND ${where}`, params);

  it('a partner without consent gets 404 on every route, like a missing case, and each denial is audited; nothing stored', async () => {
    const before = await count(t, 'document');
    const deniedBefore = await count(t, 'audit_queue', "outcome = 'denied'");
    const missing = await download(school, '00000000-0000-4000-8000-0000000000bb');
    for (const res of [
      await list(school),
      await download(school, socialDoc),
      await upload(t.app, school, c.id, { category: 'school' }, pdf()),
    ]) {
      expect(res.statusCode).toBe(404);
      expect(res.json()).toEqual({ ...missing.json(), requestId: res.json().requestId });
    }
    expect(await count(t, 'audit_queue', "outcome = 'denied'")).toBe(deniedBefore + 4);
    expect(await denials('case_id = $1', [c.id])).toBe(3);
    expect(await count(t, 'document')).toBe(before);
  });

  it('under a consent for identity only, the partner sees only identity documents; the others 404, audited, and counted as withheld', async () => {
    await recordConsent(t.app, social, c.id, { givenBy: { kind: 'subject' }, agencyIds: [a.social, a.school], categories: ['identity'] });
    const res = await list(school);
    expect(res.statusCode).toBe(200);
    expect(res.json().items.map((d: { id: string }) => d.id)).toEqual([identityDoc]);
    expect(res.json().withheld).toEqual([{ category: 'social', count: 1, reason: expect.any(String) }]);

    const hidden = await download(school, socialDoc);
    expect(hidden.statusCode).toBe(404);
    expect(await denials("action = 'document.download' AND resource_id = $1", [socialDoc])).toBe(1);

    const shown = await download(school, identityDoc);
    expect(shown.statusCode).toBe(200);
    const { rows } = await t.sql.query('SELECT item_type, from_agency_id, to_agency_id FROM disclosure WHERE item_id = $1', [identityDoc]);
    expect(rows).toContainEqual({ item_type: 'document', from_agency_id: a.social, to_agency_id: a.school });
  });

  it('a partner uploads only a category that may cross to the owner now (409 otherwise), never to a consent or meeting', async () => {
    const refused = await upload(t.app, school, c.id, { category: 'school' }, pdf());
    expect(refused.statusCode).toBe(409);
    expect(refused.json().type).toBe('urn:samverka:problem:category_not_consented');
    expect((await upload(t.app, school, c.id, { category: 'social' }, pdf())).statusCode).toBe(400);
    const consent = await recordConsent(t.app, social, c.id, {
      givenBy: { kind: 'subject' },
      agencyIds: [a.social, a.school],
      categories: ['identity', 'school'],
    });
    const attach = await upload(t.app, school, c.id, { category: 'school', consentId: consent.id }, pdf());
    expect(attach.statusCode).toBe(400);
    expect(attach.json().type).toBe('urn:samverka:problem:attachment_owner_only');
  });

  it("a partner's document crosses to the owner at upload (ledger row), and the owner keeps it after the consent is withdrawn", async () => {
    const res = await upload(
      t.app,
      school,
      c.id,
      { category: 'school', title: 'Frånvarorapport' },
      { name: 'franvaro.png', type: 'image/png', bytes: PNG },
    );
    expect(res.statusCode, res.body).toBe(201);
    const id = res.json().id;
    expect(res.json()).toMatchObject({ authorAgencyId: a.school, mediaType: 'image/png', category: 'school' });
    const { rows } = await t.sql.query('SELECT item_type, from_agency_id, to_agency_id FROM disclosure WHERE item_id = $1', [id]);
    expect(rows).toEqual([{ item_type: 'document', from_agency_id: a.school, to_agency_id: a.social }]);
    const { rows: events } = await t.sql.query(
      "SELECT cardinality(consent_ids) AS n FROM audit_queue WHERE action = 'document.upload' AND resource_id = $1",
      [id],
    );
    expect(events[0].n).toBeGreaterThan(0);

    const { rows: consents } = await t.sql.query('SELECT id FROM consent WHERE case_id = $1 AND withdrawn_at IS NULL', [c.id]);
    for (const r of consents) {
      const w = await t.app.inject({
        method: 'POST',
        url: `/api/consents/${r.id}/withdraw`,
        headers: bearer(social),
        payload: { reason: 'Återkallat' },
      });
      expect(w.statusCode).toBe(200);
    }
    expect((await list(social)).json().items.map((d: { id: string }) => d.id)).toContain(id);
    const owner = await download(social, id);
    expect(owner.statusCode).toBe(200);
    expect(Buffer.compare(owner.rawPayload, PNG)).toBe(0);
    // The partner itself no longer sees the case at all.
    expect((await download(school, id)).statusCode).toBe(404);
  });

  it('other roles without case access (auditor, coordinator) get 404', async () => {
    for (const user of ['auditor', 'coordinator']) {
      const token = await login(t.app, user);
      expect((await list(token)).statusCode, user).toBe(404);
      expect((await download(token, identityDoc)).statusCode, user).toBe(404);
    }
  });
});
