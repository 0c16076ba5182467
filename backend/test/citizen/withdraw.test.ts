import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { initOrm } from '../../src/db/orm.js';
import { loadKeys } from '../../src/lib/keys.js';
import { verifyReceipt } from '../../src/modules/consents/receipt.js';
import { freePort } from '../global-setup.js';
import { bearer, createTestApp, login, type TestContext } from '../helpers/app.js';
import { citizenSignIn, type CitizenTestSession } from '../helpers/citizen.js';
import { agencies, count, daysFromToday, recordConsent, type Agencies } from '../consents/fixtures.js';
import { openFamilyCase, STAFF_NAMES, startSmtp, type Family } from './consent-fixtures.js';

const ORIGIN = 'https://samverka.example';
const CASE_REASON = 'ZQ-orosanledning-5521';
const WHY = 'ZQ-jag-vill-inte-längre-8812';

describe('citizen: withdrawing a consent', () => {
  let t: TestContext;
  let smtp: Awaited<ReturnType<typeof startSmtp>>;
  let social: string;
  let police: string;
  let a: Agencies;
  let fam: Family;
  let other: Family;
  let caseNumber: string;
  let identityOnly: { id: string };
  let subjectSocial: { id: string; receiptId: string };
  let guardianConsent: { id: string; receiptId: string };
  let ended: { id: string };
  let otherConsent: { id: string };
  let youth: CitizenTestSession;
  let custodial: CitizenTestSession;
  let noCustody: CitizenTestSession;

  beforeAll(async () => {
    smtp = await startSmtp();
    t = await createTestApp({ SMTP_URL: `smtp://127.0.0.1:${smtp.port}`, ORIGIN });
    social = await login(t.app, 'social');
    police = await login(t.app, 'police');
    a = await agencies(t);
    fam = await openFamilyCase(t.app, social, '381', [a.police], {}, { reason: CASE_REASON });
    other = await openFamilyCase(t.app, social, '382', [a.police]);
    caseNumber = (await t.sql.query('SELECT case_number FROM support_case WHERE id = $1', [fam.caseId])).rows[0].case_number;
    const pair = [a.social, a.police];
    identityOnly = await recordConsent(t.app, social, fam.caseId, {
      givenBy: { kind: 'subject' },
      agencyIds: pair,
      categories: ['identity'],
    });
    subjectSocial = await recordConsent(t.app, social, fam.caseId, {
      givenBy: { kind: 'subject' },
      agencyIds: pair,
      categories: ['identity', 'social'],
    });
    guardianConsent = await recordConsent(t.app, social, fam.caseId, {
      givenBy: { kind: 'guardian', guardianId: fam.custodialId },
      agencyIds: pair,
      categories: ['identity', 'social'],
    });
    ended = await recordConsent(t.app, social, fam.caseId, {
      givenBy: { kind: 'subject' },
      agencyIds: pair,
      categories: ['identity'],
      validFrom: daysFromToday(-60),
      validTo: daysFromToday(-1),
    });
    otherConsent = await recordConsent(t.app, social, other.caseId, {
      givenBy: { kind: 'subject' },
      agencyIds: pair,
      categories: ['identity'],
    });
    youth = await citizenSignIn(t.app, { personalIdentityNumber: fam.subjectPin });
    custodial = await citizenSignIn(t.app, { personalIdentityNumber: fam.custodialPin });
    noCustody = await citizenSignIn(t.app, { personalIdentityNumber: fam.otherPin });
  });
  afterAll(async () => {
    await t.close();
    await smtp.close();
  });

  const withdraw = (id: string, headers: Record<string, string>, payload: Record<string, unknown> = {}) =>
    t.app.inject({ method: 'POST', url: `/api/citizen/consents/${id}/withdraw`, headers, payload });
  const withdrawnCount = () => count(t, 'consent', 'withdrawn_at IS NOT NULL');
  const policeCase = () => t.app.inject({ url: `/api/cases/${fam.caseId}`, headers: bearer(police) });

  it('answers 401 without a token and with a staff token', async () => {
    expect((await withdraw(subjectSocial.id, {})).statusCode).toBe(401);
    expect((await withdraw(subjectSocial.id, bearer(social))).statusCode).toBe(401);
    expect(await withdrawnCount()).toBe(0);
  });

  it('answers 400 for a reason too long, an id that is not a uuid or an unknown field — nothing changes', async () => {
    expect((await withdraw(subjectSocial.id, youth.headers, { reason: 'x'.repeat(2001) })).statusCode).toBe(400);
    expect((await withdraw('not-a-uuid', youth.headers)).statusCode).toBe(400);
    expect((await withdraw(subjectSocial.id, youth.headers, { note: 'x' })).statusCode).toBe(400);
    expect(await withdrawnCount()).toBe(0);
  });

  it('answers 403 when the e-identification is too old to confirm with — nothing changes', async () => {
    const stale = await citizenSignIn(t.app, {
      personalIdentityNumber: fam.subjectPin,
      authenticatedAt: new Date(Date.now() - 20 * 60_000),
    });
    const res = await withdraw(subjectSocial.id, stale.headers);
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({
      type: 'urn:samverka:problem:reauthentication_required',
      detail: 'Sign in again with your e-identification to confirm.',
    });
    expect(await withdrawnCount()).toBe(0);
  });

  it("answers 404 for a consent someone else gave, another person's, or to a guardian without custody — audited", async () => {
    for (const [id, session] of [
      [guardianConsent.id, youth],
      [otherConsent.id, youth],
      [guardianConsent.id, noCustody],
    ] as const) {
      const res = await withdraw(id, session.headers);
      expect(res.statusCode).toBe(404);
      expect(res.json().detail).toBe('The resource does not exist or you do not have access to it.');
    }
    const { rows } = await t.sql.query(
      "SELECT resource_id, subject_id, actor_role, reason FROM audit_queue WHERE action = 'citizen.consent.withdraw' AND outcome = 'denied' ORDER BY id",
    );
    expect(rows).toEqual([
      { resource_id: guardianConsent.id, subject_id: fam.subjectId, actor_role: 'citizen_subject', reason: 'not_giver' },
      { resource_id: otherConsent.id, subject_id: other.subjectId, actor_role: 'citizen', reason: 'not_in_scope' },
      { resource_id: guardianConsent.id, subject_id: fam.subjectId, actor_role: 'citizen', reason: 'not_in_scope' },
    ]);
    expect(await withdrawnCount()).toBe(0);
  });

  it('answers 404 to a protected young person before a social worker released their view — audited', async () => {
    const hidden = await openFamilyCase(t.app, social, '384', [a.police], { protectedIdentity: 'sekretessmarkering' });
    const c = await recordConsent(t.app, social, hidden.caseId, {
      givenBy: { kind: 'subject' },
      agencyIds: [a.social, a.police],
      categories: ['identity'],
    });
    const session = await citizenSignIn(t.app, { personalIdentityNumber: hidden.subjectPin });
    expect((await withdraw(c.id, session.headers)).statusCode).toBe(404);
    const { rows } = await t.sql.query(
      "SELECT actor_role, reason FROM audit_queue WHERE action = 'citizen.consent.withdraw' AND resource_id = $1",
      [c.id],
    );
    expect(rows).toEqual([{ actor_role: 'citizen_subject', reason: 'contact_social_worker' }]);
    expect(await withdrawnCount()).toBe(0);
  });

  it('answers 409 for a consent that has already ended', async () => {
    const res = await withdraw(ended.id, youth.headers);
    expect(res.statusCode).toBe(409);
    expect(res.json().type).toBe('urn:samverka:problem:consent_ended');
    expect(await withdrawnCount()).toBe(0);
  });

  it('withdraws at once: a signed receipt, the police lose the social information on their next request, the owner is told', async () => {
    const before = await policeCase();
    expect(before.statusCode).toBe(200);
    expect(before.json().reason).toBe(CASE_REASON);
    // The caseworker's previous sign-in: the agenda counts withdrawals since then.
    await login(t.app, 'social');

    const res = await withdraw(subjectSocial.id, youth.headers, { reason: WHY });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(Date.parse(body.withdrawnAt)).toBeLessThanOrEqual(Date.now());
    const { receipt, signature, kid } = body.receipt;
    expect(verifyReceipt([t.app.keys.signing], receipt, signature, kid)).toBe(true);
    expect(
      verifyReceipt([t.app.keys.signing], { ...receipt, withdrawnBy: { kind: 'guardian', guardianId: fam.custodialId } }, signature, kid),
    ).toBe(false);
    expect(receipt).toMatchObject({
      version: 'samverka-withdrawal-receipt/v1',
      consentId: subjectSocial.id,
      consentReceiptID: subjectSocial.receiptId,
      caseId: fam.caseId,
      piiPrincipalId: fam.subjectId,
      withdrawnAt: body.withdrawnAt,
      withdrawnBy: { kind: 'subject' },
      method: { kind: 'digital', evidenceRef: expect.stringMatching(/^eid:sha256:[0-9a-f]{64};txn:test-[0-9a-f]+;acr:http/) },
    });
    expect(JSON.stringify(body)).not.toContain(WHY);

    // The partner's very next request goes through the gate without the withdrawn consent.
    const after = await policeCase();
    expect(after.statusCode).toBe(200);
    expect(after.json().reason).toBeNull();
    expect(after.json().withheld).toContainEqual({ category: 'social', count: 1, reason: 'withdrawn' });

    const [row] = (
      await t.sql.query('SELECT withdrawn_by, withdrawn_by_kind, withdrawn_by_guardian_id, withdrawal_reason FROM consent WHERE id = $1', [
        subjectSocial.id,
      ])
    ).rows;
    expect(row).toEqual({ withdrawn_by: null, withdrawn_by_kind: 'subject', withdrawn_by_guardian_id: null, withdrawal_reason: WHY });
    const events = await t.sql.query(
      "SELECT actor_id, actor_role, actor_agency_id, resource_id, case_id, subject_id FROM audit_queue WHERE action = 'citizen.consent.withdraw' AND outcome = 'allowed'",
    );
    expect(events.rows).toEqual([
      {
        actor_id: fam.subjectId,
        actor_role: 'citizen_subject',
        actor_agency_id: null,
        resource_id: subjectSocial.id,
        case_id: fam.caseId,
        subject_id: fam.subjectId,
      },
    ]);

    const stored = await t.app.inject({ url: `/api/citizen/consents/${subjectSocial.id}/withdrawal-receipt`, headers: youth.headers });
    expect(stored.statusCode).toBe(200);
    expect(stored.json()).toEqual(body.receipt);

    const mine = (await t.app.inject({ url: '/api/citizen/consents', headers: youth.headers })).json().items;
    expect(mine.find((c: { id: string }) => c.id === subjectSocial.id)).toMatchObject({
      status: 'withdrawn',
      withdrawnAt: body.withdrawnAt,
      withdrawnByMe: true,
      canWithdraw: false,
    });
    // The guardian sees it withdrawn, not by them.
    const theirs = (await t.app.inject({ url: '/api/citizen/consents', headers: custodial.headers })).json().items;
    expect(theirs.find((c: { id: string }) => c.id === subjectSocial.id)).toMatchObject({ status: 'withdrawn', withdrawnByMe: false });

    const agenda = await t.app.inject({ url: '/api/me/agenda', headers: bearer(await login(t.app, 'social')) });
    expect(agenda.json().consentsWithdrawn).toBe(1);

    // The responsible social worker's e-mail, through a real SMTP server: the link and nothing of the case.
    const deadline = Date.now() + 10_000;
    while (smtp.mails.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(smtp.mails).toHaveLength(1);
    const mail = smtp.mails[0]!;
    expect(mail.to).toEqual(['sara.lind@example.org']);
    expect(mail.text).toContain(`${ORIGIN}/cases/${fam.caseId}/consents`);
    expect(mail.text).toContain('A consent on one of your cases was withdrawn by the person.');
    expect(mail.subject).toContain('Samverka');
    expect(mail.subject).not.toContain(caseNumber);
    for (const secret of [
      'Zelmira',
      'Qvarnström',
      fam.subjectPin,
      fam.subjectPin.slice(2),
      `${fam.subjectPin.slice(0, 8)}-${fam.subjectPin.slice(8)}`,
      fam.custodialPin,
      caseNumber,
      CASE_REASON,
      WHY,
      ...STAFF_NAMES,
    ]) {
      expect(mail.text).not.toContain(secret);
    }
  });

  it('answers 409 when the consent is already withdrawn', async () => {
    const res = await withdraw(subjectSocial.id, youth.headers);
    expect(res.statusCode).toBe(409);
    expect(res.json().type).toBe('urn:samverka:problem:already_withdrawn');
    expect(await count(t, 'consent_withdrawal_receipt')).toBe(1);
  });

  it('the guardian withdraws theirs, without a reason: the receipt names them as the consent receipt names its giver; the case closes to the police', async () => {
    expect((await policeCase()).statusCode).toBe(200);
    const res = await withdraw(guardianConsent.id, custodial.headers);
    expect(res.statusCode).toBe(200);
    const { receipt, signature, kid } = res.json().receipt;
    expect(verifyReceipt([t.app.keys.signing], receipt, signature, kid)).toBe(true);
    const consentReceipt = (
      await t.app.inject({ url: `/api/citizen/consents/${guardianConsent.id}/receipt`, headers: custodial.headers })
    ).json();
    expect(receipt.withdrawnBy).toEqual(consentReceipt.receipt.givenBy);
    expect(receipt.withdrawnBy).toEqual({ kind: 'guardian', guardianId: fam.custodialId });
    const [row] = (
      await t.sql.query('SELECT withdrawn_by_kind, withdrawn_by_guardian_id, withdrawal_reason FROM consent WHERE id = $1', [
        guardianConsent.id,
      ])
    ).rows;
    expect(row).toEqual({ withdrawn_by_kind: 'guardian', withdrawn_by_guardian_id: fam.custodialId, withdrawal_reason: null });
    // The young person's identity consent stands, but both must consent at 15: the police can no longer open the case.
    expect(await count(t, 'consent', 'id = $1 AND withdrawn_at IS NULL', [identityOnly.id])).toBe(1);
    expect((await policeCase()).statusCode).toBe(404);
  });

  it("holds on every instance of the API: another instance's very next partner request goes without the consent", async () => {
    const otherOrm = await initOrm(t.databaseUrl, 2, false, t.config.DB_ROLE || undefined);
    const instance = await buildApp({ config: t.config, orm: otherOrm, keys: loadKeys(t.config.KEYS_DIR, false), logger: false });
    try {
      await instance.ready();
      const f = await openFamilyCase(t.app, social, '385', [a.police], {}, { reason: CASE_REASON });
      const [mine] = await Promise.all(
        [{ kind: 'subject' as const }, { kind: 'guardian' as const, guardianId: f.custodialId }].map((givenBy) =>
          recordConsent(t.app, social, f.caseId, { givenBy, agencyIds: [a.social, a.police], categories: ['identity', 'social'] }),
        ),
      );
      const read = () => instance.inject({ url: `/api/cases/${f.caseId}`, headers: bearer(police) });
      // Twice: whatever that instance keeps between requests is warm.
      expect((await read()).json().reason).toBe(CASE_REASON);
      expect((await read()).json().reason).toBe(CASE_REASON);
      const session = await citizenSignIn(t.app, { personalIdentityNumber: f.subjectPin });
      expect((await withdraw(mine!.id, session.headers)).statusCode).toBe(200);
      expect((await read()).statusCode).toBe(404);
    } finally {
      await instance.close();
      await otherOrm.close();
    }
  });

  it('holds when the e-mail cannot be sent: the withdrawal stands', async () => {
    const port = await freePort();
    const t2 = await createTestApp({ SMTP_URL: `smtp://127.0.0.1:${port}`, ORIGIN });
    try {
      const worker = await login(t2.app, 'social');
      const b = await agencies(t2);
      const f = await openFamilyCase(t2.app, worker, '383', [b.police]);
      const c = await recordConsent(t2.app, worker, f.caseId, {
        givenBy: { kind: 'subject' },
        agencyIds: [b.social, b.police],
        categories: ['identity'],
      });
      const session = await citizenSignIn(t2.app, { personalIdentityNumber: f.subjectPin });
      const res = await t2.app.inject({
        method: 'POST',
        url: `/api/citizen/consents/${c.id}/withdraw`,
        headers: session.headers,
        payload: {},
      });
      expect(res.statusCode).toBe(200);
      expect(await count(t2, 'consent', 'id = $1 AND withdrawn_at IS NOT NULL', [c.id])).toBe(1);
    } finally {
      await t2.close();
    }
  });
});
