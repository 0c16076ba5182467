import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyReceipt } from '../../src/modules/consents/receipt.js';
import { bearer, createTestApp, login, type TestContext } from '../helpers/app.js';
import { citizenSignIn, type CitizenTestSession } from '../helpers/citizen.js';
import { pdfText } from '../helpers/pdf-text.js';
import { agencies, recordConsent, type Agencies } from '../consents/fixtures.js';
import { openFamilyCase, STAFF_NAMES, type Family } from './consent-fixtures.js';

interface Item {
  id: string;
  givenBy: string;
  givenByMe: boolean;
  canWithdraw: boolean;
}

describe('citizen: my consents and their receipts', () => {
  let t: TestContext;
  let social: string;
  let a: Agencies;
  let fam: Family;
  let other: Family;
  let hidden: Family;
  let subjectConsent: { id: string; receiptId: string };
  let guardianConsent: { id: string };
  let otherConsent: { id: string };
  let hiddenConsent: { id: string };
  let youth: CitizenTestSession;
  let custodial: CitizenTestSession;
  let noCustody: CitizenTestSession;
  let agencyNames: Record<string, string>;
  let staffIds: string[];

  beforeAll(async () => {
    t = await createTestApp();
    social = await login(t.app, 'social');
    a = await agencies(t);
    fam = await openFamilyCase(t.app, social, '371', [a.police]);
    other = await openFamilyCase(t.app, social, '372', [a.police], { firstName: 'Ottilia' });
    hidden = await openFamilyCase(t.app, social, '373', [a.police], { firstName: 'Skyddad', protectedIdentity: 'sekretessmarkering' });
    subjectConsent = await recordConsent(t.app, social, fam.caseId, {
      givenBy: { kind: 'subject' },
      agencyIds: [a.social, a.police],
      categories: ['identity', 'social'],
      purpose: 'Stöd i skolan och hemma',
    });
    guardianConsent = await recordConsent(t.app, social, fam.caseId, {
      givenBy: { kind: 'guardian', guardianId: fam.custodialId },
      agencyIds: [a.social, a.police],
      categories: ['identity', 'social'],
    });
    otherConsent = await recordConsent(t.app, social, other.caseId, {
      givenBy: { kind: 'subject' },
      agencyIds: [a.social, a.police],
      categories: ['identity'],
    });
    hiddenConsent = await recordConsent(t.app, social, hidden.caseId, {
      givenBy: { kind: 'subject' },
      agencyIds: [a.social, a.police],
      categories: ['identity'],
    });
    youth = await citizenSignIn(t.app, { personalIdentityNumber: fam.subjectPin });
    custodial = await citizenSignIn(t.app, { personalIdentityNumber: fam.custodialPin });
    noCustody = await citizenSignIn(t.app, { personalIdentityNumber: fam.otherPin });
    agencyNames = Object.fromEntries((await t.sql.query('SELECT id, name FROM agency')).rows.map((r) => [r.id, r.name]));
    staffIds = (await t.sql.query<{ id: string }>('SELECT id FROM app_user')).rows.map((r) => r.id);
  });
  afterAll(async () => t.close());

  const list = (headers: Record<string, string> = {}) => t.app.inject({ url: '/api/citizen/consents', headers });
  const receipt = (id: string, headers: Record<string, string> = {}, kind = 'receipt') =>
    t.app.inject({ url: `/api/citizen/consents/${id}/${kind}`, headers });
  const denials = async (action: string): Promise<{ reason: string; subject_id: string | null }[]> =>
    (
      await t.sql.query("SELECT reason, subject_id FROM audit_queue WHERE action = $1 AND outcome = 'denied' ORDER BY occurred_at, id", [
        action,
      ])
    ).rows;

  it('answers 401 without a token and with a staff token', async () => {
    for (const headers of [{}, bearer(social)]) {
      expect((await list(headers)).statusCode).toBe(401);
      expect((await receipt(subjectConsent.id, headers)).statusCode).toBe(401);
      expect((await receipt(subjectConsent.id, headers, 'withdrawal-receipt')).statusCode).toBe(401);
    }
  });

  it('shows the young person every consent about them in plain fields, their own to withdraw — no staff, audited', async () => {
    const res = await list(youth.headers);
    expect(res.statusCode).toBe(200);
    const items = res.json().items as Item[];
    expect(items.map((i) => i.id)).toEqual([guardianConsent.id, subjectConsent.id]);
    expect(items[1]).toEqual({
      id: subjectConsent.id,
      subjectId: fam.subjectId,
      subjectFirstName: 'Zelmira',
      agencies: [
        { id: a.social, name: agencyNames[a.social] },
        { id: a.police, name: agencyNames[a.police] },
      ],
      categories: [
        { code: 'identity', label: 'Identity and personal circumstances' },
        { code: 'social', label: "Social services' assessments and interventions" },
      ],
      purpose: 'Stöd i skolan och hemma',
      validFrom: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
      validTo: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
      givenBy: 'subject',
      givenByMe: true,
      method: 'written',
      recordedAt: expect.stringMatching(/Z$/),
      status: 'active',
      withdrawnAt: null,
      withdrawnByMe: false,
      canWithdraw: true,
    });
    // The guardian's consent is shown, read-only.
    expect(items[0]).toMatchObject({ givenBy: 'guardian', givenByMe: false, canWithdraw: false });
    for (const secret of [...STAFF_NAMES, ...staffIds, 'dok:2026/0001', otherConsent.id, hiddenConsent.id, fam.custodialId]) {
      expect(res.body).not.toContain(secret);
    }
    const { rows } = await t.sql.query(
      "SELECT actor_id, actor_role, actor_agency_id, subject_id FROM audit_queue WHERE action = 'citizen.consent.list' AND outcome = 'allowed'",
    );
    expect(rows).toEqual([{ actor_id: fam.subjectId, actor_role: 'citizen_subject', actor_agency_id: null, subject_id: fam.subjectId }]);
  });

  it('shows the guardian with custody the same consents, theirs to withdraw; the guardian without custody sees none', async () => {
    const items = (await list(custodial.headers)).json().items as Item[];
    expect(items.map((i) => [i.id, i.givenByMe, i.canWithdraw])).toEqual([
      [guardianConsent.id, true, true],
      [subjectConsent.id, false, false],
    ]);
    const none = await list(noCustody.headers);
    expect(none.statusCode).toBe(200);
    expect(none.json()).toEqual({ items: [] });
  });

  it('shows nothing of a protected person before a social worker released their view', async () => {
    const protectedYouth = await citizenSignIn(t.app, { personalIdentityNumber: hidden.subjectPin });
    expect((await list(protectedYouth.headers)).json()).toEqual({ items: [] });
    expect((await receipt(hiddenConsent.id, protectedYouth.headers)).statusCode).toBe(404);
    expect((await denials('citizen.consent.receipt.read')).at(-1)).toEqual({
      reason: 'contact_social_worker',
      subject_id: hidden.subjectId,
    });
  });

  it('gives the signed receipt exactly as the social worker downloads it, and it verifies', async () => {
    const res = await receipt(subjectConsent.id, youth.headers);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    const staff = (await t.app.inject({ url: `/api/consents/${subjectConsent.id}/receipt`, headers: bearer(social) })).json();
    expect(body).toEqual(staff);
    expect(body.receipt).toMatchObject({ consentId: subjectConsent.id, consentReceiptID: subjectConsent.receiptId });
    expect(verifyReceipt([t.app.keys.signing], body.receipt, body.signature, body.kid)).toBe(true);
    expect(Buffer.from(body.publicKey, 'base64')).toEqual(Buffer.from(t.app.keys.signing.publicKey));
    // The guardian may read the receipt of a consent they see, too.
    expect((await receipt(subjectConsent.id, custodial.headers)).statusCode).toBe(200);
    const { rows } = await t.sql.query(
      "SELECT resource_id, subject_id FROM audit_queue WHERE action = 'citizen.consent.receipt.read' AND outcome = 'allowed' ORDER BY id",
    );
    expect(rows[0]).toEqual({ resource_id: subjectConsent.receiptId, subject_id: fam.subjectId });
  });

  it("answers 404 for someone else's consent, a missing one, a guardian without custody — audited", async () => {
    const before = (await denials('citizen.consent.receipt.read')).length;
    for (const [id, headers] of [
      [otherConsent.id, youth.headers],
      [randomUUID(), youth.headers],
      [subjectConsent.id, noCustody.headers],
    ] as const) {
      const res = await receipt(id, headers);
      expect(res.statusCode).toBe(404);
      expect(res.json()).toMatchObject({
        type: 'urn:samverka:problem:not_found',
        detail: 'The resource does not exist or you do not have access to it.',
      });
    }
    expect((await denials('citizen.consent.receipt.read')).slice(before)).toEqual([
      { reason: 'not_in_scope', subject_id: other.subjectId },
      { reason: 'not_found', subject_id: null },
      { reason: 'not_in_scope', subject_id: fam.subjectId },
    ]);
    // Not withdrawn: no withdrawal receipt.
    expect((await receipt(subjectConsent.id, youth.headers, 'withdrawal-receipt')).statusCode).toBe(404);
    expect((await denials('citizen.consent.withdrawal_receipt.read')).at(-1)).toEqual({ reason: 'no_receipt', subject_id: fam.subjectId });
  });

  it('answers 400 for an id that is not a uuid', async () => {
    const res = await receipt('not-a-uuid', youth.headers);
    expect(res.statusCode).toBe(400);
  });

  it('gives the receipt as a PDF to keep: what was agreed, how to withdraw here too, the check code; 401/404 like the rest', async () => {
    const res = await receipt(subjectConsent.id, custodial.headers, 'receipt.pdf');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/pdf');
    expect(res.headers['content-disposition']).toBe('attachment; filename="samtyckeskvitto.pdf"');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.rawPayload.subarray(0, 5).toString()).toBe('%PDF-');
    const text = pdfText(res.rawPayload);
    for (const words of ['Kvitto på samtycke', 'Zelmira', 'Stöd i skolan och hemma', subjectConsent.receiptId, 'Mina samtycken'])
      expect(text).toContain(words);
    for (const name of STAFF_NAMES) expect(text).not.toContain(name);
    const { rows } = await t.sql.query(
      "SELECT resource_id, subject_id FROM audit_queue WHERE action = 'citizen.consent.receipt.print' AND outcome = 'allowed'",
    );
    expect(rows).toEqual([{ resource_id: subjectConsent.receiptId, subject_id: fam.subjectId }]);

    expect((await receipt(subjectConsent.id, {}, 'receipt.pdf')).statusCode).toBe(401);
    expect((await receipt(subjectConsent.id, bearer(social), 'receipt.pdf')).statusCode).toBe(401);
    expect((await receipt(otherConsent.id, youth.headers, 'receipt.pdf')).statusCode).toBe(404);
    expect((await receipt(subjectConsent.id, noCustody.headers, 'receipt.pdf')).statusCode).toBe(404);
    expect((await receipt('not-a-uuid', youth.headers, 'receipt.pdf')).statusCode).toBe(400);
    expect((await denials('citizen.consent.receipt.print')).map((d) => d.reason)).toEqual(['not_in_scope', 'not_in_scope']);
  });
});
