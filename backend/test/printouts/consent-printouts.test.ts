import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp, login, type TestContext } from '../helpers/app.js';
import { pdfFlatText } from '../helpers/pdf-text.js';
import { agencies, count, createCase, deniedCount, type Agencies } from '../cases/fixtures.js';
import { daysFromToday, recordConsent } from '../consents/fixtures.js';

/** The consent receipt and the consent form as PDFs: the owning unit only, plain Swedish, no JSON. */

describe('consent printouts', () => {
  let t: TestContext;
  let social: string;
  let school: string;
  let a: Agencies;
  let caseId = '';
  let guardianId = '';
  let consentId = '';
  let receiptId = '';
  let names: Record<string, string> = {};

  const inject = (token: string | null, method: 'GET' | 'POST', url: string, payload?: Record<string, unknown>) =>
    t.app.inject({ method, url, headers: token ? bearer(token) : {}, ...(payload ? { payload } : {}) });
  const formBody = (over: Record<string, unknown> = {}) => ({
    givenBy: { kind: 'guardian', guardianId },
    agencyIds: [a.social, a.school],
    categories: ['identity', 'school', 'plan'],
    purpose: 'Samordnat stöd i skolan för Elin',
    validFrom: daysFromToday(0),
    validTo: daysFromToday(180),
    ...over,
  });

  beforeAll(async () => {
    t = await createTestApp();
    [social, school] = (await Promise.all(['social', 'school'].map((u) => login(t.app, u)))) as [string, string];
    a = await agencies(t);
    // Elin Andersson, 15; Anna Andersson has custody, Per Andersson has not.
    const c = await createCase(t.app, social, { agencyIds: [a.school] });
    caseId = c.id;
    guardianId = c.subject.guardians.find((g) => g.custody === true)!.id;
    const consent = await recordConsent(t.app, social, caseId, {
      givenBy: { kind: 'guardian', guardianId },
      agencyIds: [a.social, a.school],
      categories: ['identity', 'school'],
    });
    consentId = consent.id;
    receiptId = consent.receiptId;
    const { rows } = await t.sql.query<{ id: string; name: string }>('SELECT id, name FROM agency');
    names = Object.fromEntries(rows.map((r) => [r.id, r.name]));
  });
  afterAll(async () => t.close());

  describe('GET /api/consents/:id/receipt.pdf', () => {
    it('requires a session', async () => {
      expect((await inject(null, 'GET', `/api/consents/${consentId}/receipt.pdf`)).statusCode).toBe(401);
    });

    it('answers 400 to a malformed id', async () => {
      expect((await inject(social, 'GET', '/api/consents/abc/receipt.pdf')).statusCode).toBe(400);
    });

    it('answers 403 to a partner and 404 (audited) for a consent that does not exist', async () => {
      expect((await inject(school, 'GET', `/api/consents/${consentId}/receipt.pdf`)).statusCode).toBe(403);
      const before = await deniedCount(t);
      expect((await inject(social, 'GET', '/api/consents/00000000-0000-4000-8000-000000000000/receipt.pdf')).statusCode).toBe(404);
      expect(await deniedCount(t)).toBe(before + 1);
    });

    it('answers 404 (audited) to a social worker of another unit', async () => {
      const other = await t.sql.query<{ id: string }>(
        "INSERT INTO agency (id, name, kind) VALUES (gen_random_uuid(), 'Socialtjänsten Hulta', 'social_services') RETURNING id",
      );
      const agencyId = other.rows[0]!.id;
      await t.sql.query('UPDATE support_case SET owner_agency_id = $1 WHERE id = $2', [agencyId, caseId]);
      try {
        const before = await deniedCount(t);
        expect((await inject(social, 'GET', `/api/consents/${consentId}/receipt.pdf`)).statusCode).toBe(404);
        expect(await deniedCount(t)).toBe(before + 1);
      } finally {
        await t.sql.query('UPDATE support_case SET owner_agency_id = $1 WHERE id = $2', [a.social, caseId]);
      }
    });

    it('gives the owner a receipt to keep: who, what, how to withdraw, a verification code; no JSON', async () => {
      const res = await inject(social, 'GET', `/api/consents/${consentId}/receipt.pdf`);
      expect(res.statusCode, res.body.slice(0, 300)).toBe(200);
      expect(res.headers['content-type']).toBe('application/pdf');
      expect(res.headers['cache-control']).toBe('no-store');
      expect(String(res.headers['content-disposition'])).toMatch(/^attachment; filename="[A-Za-z0-9_-]+\.pdf"$/);
      const text = pdfFlatText(res.rawPayload);
      const { rows } = await t.sql.query<{ signature: string }>('SELECT signature FROM consent_receipt WHERE id = $1', [receiptId]);
      const code = rows[0]!.signature
        .replace(/[^A-Za-z0-9]/g, '')
        .slice(0, 16)
        .replace(/(.{4})(?=.)/g, '$1 ');
      for (const s of [
        'Kvitto på samtycke',
        'Elin Andersson',
        'Anna Andersson, vårdnadshavare',
        names[a.social]!,
        names[a.school]!,
        'Skolgång: närvaro, studieresultat och elevhälsa',
        'Samordnat stöd i skola och fritid',
        'Så återkallar du samtycket',
        receiptId,
        code,
      ])
        expect(text).toContain(s);
      expect(text).not.toMatch(/[{}]|"\w+":/);
      expect(await count(t, 'audit_queue', "action = 'consent.print.receipt' AND outcome = 'allowed'")).toBe(1);
    });
  });

  it('says on the receipt of a withdrawn consent that it no longer applies', async () => {
    const other = await recordConsent(t.app, social, caseId, {
      givenBy: { kind: 'guardian', guardianId },
      agencyIds: [a.social, a.school],
      categories: ['identity'],
    });
    expect((await inject(social, 'POST', `/api/consents/${other.id}/withdraw`, { reason: 'Vårdnadshavaren ringde' })).statusCode).toBe(200);
    const res = await inject(social, 'GET', `/api/consents/${other.id}/receipt.pdf`);
    expect(res.statusCode).toBe(200);
    const text = pdfFlatText(res.rawPayload);
    expect(text).toContain('Återkallat');
    expect(text).toContain('Samtycket gäller inte längre.');
    // The reason given for the withdrawal is the caseworker's note, not part of the receipt.
    expect(text).not.toContain('Vårdnadshavaren ringde');
  });

  describe('POST /api/cases/:id/consent-form.pdf', () => {
    const url = () => `/api/cases/${caseId}/consent-form.pdf`;

    it('requires a session', async () => {
      expect((await inject(null, 'POST', url(), formBody())).statusCode).toBe(401);
    });

    it('answers 400 to a scope no consent could have, and to an unknown guardian or agency', async () => {
      const cases: [Record<string, unknown>, string][] = [
        [{ categories: ['school'] }, 'identity_required'],
        [{ categories: ['identity', 'gossip'] }, 'unknown_category'],
        [{ validFrom: daysFromToday(10), validTo: daysFromToday(5) }, 'invalid_period'],
        [{ validTo: daysFromToday(5000) }, 'period_too_long'],
        [{ givenBy: { kind: 'guardian', guardianId: caseId } }, 'unknown_guardian'],
        [{ agencyIds: [a.social, '00000000-0000-4000-8000-000000000000'] }, 'unknown_agency'],
      ];
      for (const [over, code] of cases) {
        const res = await inject(social, 'POST', url(), formBody(over));
        expect(res.statusCode, code).toBe(400);
        expect(res.json().type, res.body).toBe(`urn:samverka:problem:${code}`);
      }
      const schema = await inject(social, 'POST', url(), { ...formBody(), method: 'written' });
      expect(schema.statusCode).toBe(400);
    });

    it('answers 403 to a partner and 404 (audited) for a case that does not exist', async () => {
      expect((await inject(school, 'POST', url(), formBody())).statusCode).toBe(403);
      const before = await deniedCount(t);
      expect(
        (await inject(social, 'POST', '/api/cases/00000000-0000-4000-8000-000000000000/consent-form.pdf', formBody())).statusCode,
      ).toBe(404);
      expect(await deniedCount(t)).toBe(before + 1);
    });

    it('gives the owner a form pre-filled with exactly the scope, the names and signature lines', async () => {
      const consentsBefore = await count(t, 'consent', 'case_id = $1', [caseId]);
      const res = await inject(social, 'POST', url(), formBody());
      expect(res.statusCode, res.body.slice(0, 300)).toBe(200);
      expect(res.headers['content-type']).toBe('application/pdf');
      expect(res.headers['cache-control']).toBe('no-store');
      const text = pdfFlatText(res.rawPayload);
      for (const s of [
        'Samtycke till informationsutbyte',
        'Elin Andersson',
        'Vårdnadshavare: Anna Andersson',
        'Anna Andersson, vårdnadshavare',
        names[a.social]!,
        names[a.school]!,
        'Vem personen är',
        'Skolgång',
        'åtagandeplanen',
        'Samordnat stöd i skolan för Elin',
        `från och med ${daysFromToday(0)} till och med ${daysFromToday(180)}`,
        'Underskrift',
        'Namnförtydligande',
        'Ort och datum',
        'Så återkallar du samtycket',
      ])
        expect(text).toContain(s);
      // Per Andersson has no custody; the police are not in the scope.
      expect(text).not.toContain('Per Andersson');
      expect(text).not.toContain(names[a.police]!);
      expect(text).not.toContain('Hälsa');
      expect(await count(t, 'audit_queue', "action = 'consent.print.form' AND outcome = 'allowed'")).toBe(1);
      // A form is not a consent: nothing was recorded.
      expect(await count(t, 'consent', 'case_id = $1', [caseId])).toBe(consentsBefore);
    });
  });
});
