import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp, login, type TestContext } from '../helpers/app.js';
import { citizenSignIn, type CitizenTestSession } from '../helpers/citizen.js';
import { pin } from '../helpers/pin.js';
import { agencies, birthDateFor, count, deniedCount, type Agencies } from '../consents/fixtures.js';
import { code, createRequest, openFamilyCase, requestBody, type Family } from './fixtures.js';

const NO_SUCH = '00000000-0000-4000-8000-000000000000';

interface CitizenItem {
  id: string;
  status: string;
  myAnswer: string | null;
  canAnswer: boolean;
  agencies: { id: string; name: string }[];
  categories: { code: string; label: string }[];
}

describe('consent requests: the person accepts or declines with their e-identification', () => {
  let t: TestContext;
  let social: string;
  let school: string;
  let a: Agencies;
  let fam: Family;
  let otherFam: Family;
  let youth: CitizenTestSession;
  let custodial: CitizenTestSession;
  let noCustody: CitizenTestSession;
  let otherParent: CitizenTestSession;
  let requestId: string;

  const as = (s: CitizenTestSession | string | null) => (s === null ? {} : { headers: typeof s === 'string' ? bearer(s) : s.headers });
  const list = (s: CitizenTestSession) => t.app.inject({ url: '/api/citizen/requests', ...as(s) });
  const accept = (s: CitizenTestSession | string | null, id: string, payload: Record<string, unknown> = {}) =>
    t.app.inject({ method: 'POST', url: `/api/citizen/requests/${id}/accept`, payload, ...as(s) });
  const decline = (s: CitizenTestSession | string | null, id: string, payload: Record<string, unknown> = {}) =>
    t.app.inject({ method: 'POST', url: `/api/citizen/requests/${id}/decline`, payload, ...as(s) });
  const staffRequest = async (id: string) =>
    (await t.app.inject({ url: `/api/cases/${fam.caseId}/consent-requests`, headers: bearer(social) }))
      .json()
      .items.find((r: { id: string }) => r.id === id);

  beforeAll(async () => {
    t = await createTestApp();
    social = await login(t.app, 'social');
    school = await login(t.app, 'school');
    a = await agencies(t);
    fam = await openFamilyCase(t.app, social, '741', [a.school, a.police]);
    otherFam = await openFamilyCase(t.app, social, '742', [a.school]);
    youth = await citizenSignIn(t.app, { personalIdentityNumber: fam.subjectPin });
    custodial = await citizenSignIn(t.app, { personalIdentityNumber: fam.custodialPin });
    noCustody = await citizenSignIn(t.app, { personalIdentityNumber: fam.otherPin });
    otherParent = await citizenSignIn(t.app, { personalIdentityNumber: otherFam.custodialPin });
    requestId = (await createRequest(t.app, social, fam.caseId, requestBody([a.social, a.school]))).id;
  });
  afterAll(async () => t.close());

  it('401 without a citizen token, and for a staff token', async () => {
    for (const token of [null, social]) {
      expect((await t.app.inject({ url: '/api/citizen/requests', ...as(token) })).statusCode).toBe(401);
      expect((await accept(token, requestId)).statusCode).toBe(401);
      expect((await decline(token, requestId)).statusCode).toBe(401);
    }
  });

  it('each required answerer sees the request with labels and agency names; a guardian without custody and another family see none', async () => {
    for (const s of [youth, custodial]) {
      const res = await list(s);
      expect(res.statusCode).toBe(200);
      const items = res.json().items as CitizenItem[];
      expect(items).toHaveLength(1);
      expect(items[0]).toMatchObject({
        id: requestId,
        subjectId: fam.subjectId,
        subjectFirstName: 'Zelmira',
        status: 'open',
        myAnswer: null,
        canAnswer: true,
        agencies: [
          { id: a.social, name: 'Borås Stad – Individ- och familjeomsorg' },
          { id: a.school, name: 'Engelbrektskolan' },
        ],
        categories: [
          { code: 'identity', label: 'Identity and personal circumstances' },
          { code: 'school', label: 'School attendance, results and pupil health' },
        ],
      });
      // No staff name reaches the person.
      expect(res.body).not.toContain('Sara Lind');
    }
    for (const s of [noCustody, otherParent]) expect((await list(s)).json().items).toEqual([]);
    expect(await count(t, 'audit_queue', "action = 'citizen.request.read' AND resource_id = $1", [requestId])).toBe(2);
  });

  it('a 13-year-old sees their own view but no request to answer: guardians answer alone under 15', async () => {
    const childPin = pin(birthDateFor(13, -10).replaceAll('-', ''), '743');
    const child = await openFamilyCase(t.app, social, '743', [a.school], { personalIdentityNumber: childPin });
    const req = await createRequest(t.app, social, child.caseId, requestBody([a.social, a.school]));
    expect(req.awaiting).toEqual([{ kind: 'guardian', guardianId: child.custodialId }]);
    const session = await citizenSignIn(t.app, { personalIdentityNumber: childPin });
    expect((await t.app.inject({ url: '/api/citizen/me', headers: session.headers })).json().relations).toHaveLength(1);
    expect((await list(session)).json().items).toEqual([]);
    expect((await accept(session, req.id)).statusCode).toBe(404);
    const parent = await citizenSignIn(t.app, { personalIdentityNumber: child.custodialPin });
    expect((await accept(parent, req.id)).statusCode).toBe(201);
    expect(await count(t, 'consent_request_answer', 'request_id = $1', [req.id])).toBe(1);
  });

  it('404 (audited, nothing written) for someone else’s request, a guardian without custody, and a request that does not exist', async () => {
    for (const [s, id] of [
      [otherParent, requestId],
      [noCustody, requestId],
      [custodial, NO_SUCH],
    ] as const) {
      const before = await deniedCount(t);
      const res = await accept(s, id);
      expect(res.statusCode).toBe(404);
      expect(res.json().detail).toBe('The resource does not exist or you do not have access to it.');
      expect((await decline(s, id)).statusCode).toBe(404);
      expect(await deniedCount(t)).toBe(before + 2);
    }
    expect(await count(t, 'consent_request_answer', 'request_id = $1', [requestId])).toBe(0);
  });

  it('400 for a malformed body; 403 reauthentication_required when the sign-in is not fresh (audited)', async () => {
    expect((await accept(custodial, requestId, { extra: true })).statusCode).toBe(400);
    expect((await decline(custodial, requestId, { reason: 'x'.repeat(2001) })).statusCode).toBe(400);
    expect((await accept(custodial, 'not-a-uuid')).statusCode).toBe(400);
    const stale = await citizenSignIn(t.app, {
      personalIdentityNumber: fam.custodialPin,
      authenticatedAt: new Date(Date.now() - 20 * 60_000),
    });
    const before = await deniedCount(t);
    const res = await accept(stale, requestId);
    expect(res.statusCode).toBe(403);
    expect(code(res)).toBe('reauthentication_required');
    expect(res.json().detail).toBe('Sign in again with your e-identification to confirm.');
    expect(await deniedCount(t)).toBe(before + 1);
    expect(await count(t, 'consent_request_answer', 'request_id = $1', [requestId])).toBe(0);
  });

  let guardianConsentId = '';
  it('the guardian accepts: a digital consent with the assertion as evidence and a receipt that verifies; twice → 409', async () => {
    const res = await accept(custodial, requestId);
    expect(res.statusCode).toBe(201);
    guardianConsentId = res.json().consentId;
    expect(res.json().receiptUrl).toBe(`/api/citizen/consents/${guardianConsentId}/receipt`);

    const session = (
      await t.sql.query('SELECT assertion_sha256, transaction_ref, acr FROM citizen_session WHERE id = $1', [custodial.sessionId])
    ).rows[0];
    const consent = (
      await t.sql.query(
        `SELECT c.method, c.given_by_kind, c.guardian_id, c.evidence_ref, c.agency_ids::text[] AS agency_ids, c.categories, c.purpose,
                c.recorded_by, u.username
           FROM consent c JOIN app_user u ON u.id = c.recorded_by WHERE c.id = $1`,
        [guardianConsentId],
      )
    ).rows[0];
    expect(consent).toMatchObject({
      method: 'digital',
      given_by_kind: 'guardian',
      guardian_id: fam.custodialId,
      evidence_ref: `eid:sha256:${session.assertion_sha256};txn:${session.transaction_ref};acr:${session.acr}`,
      agency_ids: [a.social, a.school],
      categories: ['identity', 'school'],
      username: 'social',
    });
    const answer = (
      await t.sql.query('SELECT decision, assertion_sha256, consent_id FROM consent_request_answer WHERE request_id = $1', [requestId])
    ).rows;
    expect(answer).toEqual([{ decision: 'accept', assertion_sha256: session.assertion_sha256, consent_id: guardianConsentId }]);
    expect(
      await count(
        t,
        'audit_queue',
        "outcome = 'allowed' AND actor_role = 'citizen_guardian' AND actor_id = $1 AND action IN ('citizen.request.accept', 'consent.record')",
        [fam.custodialId],
      ),
    ).toBe(2);

    // The receipt, as staff fetch and check any receipt.
    const receipt = await t.app.inject({ url: `/api/consents/${guardianConsentId}/receipt`, headers: bearer(social) });
    expect(receipt.statusCode).toBe(200);
    const { receipt: doc, signature, kid } = receipt.json();
    expect(doc.method).toEqual({ kind: 'digital', evidenceRef: consent.evidence_ref, witness: null });
    const verify = await t.app.inject({
      method: 'POST',
      url: '/api/consents/receipts/verify',
      headers: bearer(school),
      payload: { receipt: doc, signature, kid },
    });
    expect(verify.json()).toEqual({ valid: true });

    const again = await accept(custodial, requestId);
    expect(again.statusCode).toBe(409);
    expect(code(again)).toBe('already_answered');
    const declineAfter = await decline(custodial, requestId);
    expect(code(declineAfter)).toBe('already_answered');
    expect(await count(t, 'consent', 'case_id = $1', [fam.caseId])).toBe(1);

    const mine = (await list(custodial)).json().items[0] as CitizenItem;
    expect(mine).toMatchObject({ status: 'open', myAnswer: 'accept', canAnswer: false });
    expect(await staffRequest(requestId)).toMatchObject({
      status: 'open',
      answers: [
        { answeredByKind: 'guardian', guardianId: fam.custodialId, decision: 'accept', consentId: guardianConsentId, reason: null },
      ],
      awaiting: [{ kind: 'subject', guardianId: null }],
    });
  });

  it('the gate opens for the named partner only once every required party has accepted: the school then reads the case', async () => {
    // The 15-year-old has not answered: the school still cannot know the case.
    expect((await t.app.inject({ url: `/api/cases/${fam.caseId}`, headers: bearer(school) })).statusCode).toBe(404);
    const res = await accept(youth, requestId);
    expect(res.statusCode).toBe(201);
    expect(await staffRequest(requestId)).toMatchObject({ status: 'accepted', awaiting: [] });
    const read = await t.app.inject({ url: `/api/cases/${fam.caseId}`, headers: bearer(school) });
    expect(read.statusCode).toBe(200);
    expect(read.json().subject.id).toBe(fam.subjectId);
    // The police take part in the case but were not named: still nothing.
    const police = await login(t.app, 'police');
    expect((await t.app.inject({ url: `/api/cases/${fam.caseId}`, headers: bearer(police) })).statusCode).toBe(404);
    // The staff consent list shows both, not withdrawn.
    const consents = (await t.app.inject({ url: `/api/cases/${fam.caseId}/consents`, headers: bearer(social) })).json();
    expect(consents.map((c: { method: string; withdrawnByKind: string | null }) => [c.method, c.withdrawnByKind])).toEqual([
      ['digital', null],
      ['digital', null],
    ]);
  });

  it('the staff consent answer tells who withdrew: the guardian in the e-service (no staff user), or staff', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/citizen/consents/${guardianConsentId}/withdraw`,
      headers: custodial.headers,
      payload: {},
    });
    expect(res.statusCode).toBe(200);
    // The guardian's consent is gone: the school loses the case on its next request.
    expect((await t.app.inject({ url: `/api/cases/${fam.caseId}`, headers: bearer(school) })).statusCode).toBe(404);
    const youthConsent = (await t.sql.query("SELECT id FROM consent WHERE case_id = $1 AND given_by_kind = 'subject'", [fam.caseId]))
      .rows[0].id as string;
    const staffWithdraw = await t.app.inject({
      method: 'POST',
      url: `/api/consents/${youthConsent}/withdraw`,
      headers: bearer(social),
      payload: { reason: 'Ersatt av ett nytt samtycke' },
    });
    expect(staffWithdraw.statusCode).toBe(200);
    const byId = new Map(
      ((await t.app.inject({ url: `/api/cases/${fam.caseId}/consents`, headers: bearer(social) })).json() as Record<string, unknown>[]).map(
        (c) => [c.id, c],
      ),
    );
    expect(byId.get(guardianConsentId)).toMatchObject({
      status: 'withdrawn',
      withdrawnBy: null,
      withdrawnByKind: 'guardian',
      withdrawnByGuardianId: fam.custodialId,
    });
    expect(byId.get(youthConsent)).toMatchObject({
      status: 'withdrawn',
      withdrawnBy: expect.any(String),
      withdrawnByKind: 'staff',
      withdrawnByGuardianId: null,
    });
  });

  it('a closed request cannot be answered: expired or cancelled → 409 request_closed, nothing written', async () => {
    const expired = await createRequest(t.app, social, fam.caseId, requestBody([a.social, a.school], { categories: ['identity', 'plan'] }));
    await t.sql.query(
      "UPDATE consent_request SET created_at = now() - interval '2 days', expires_at = now() - interval '1 hour' WHERE id = $1",
      [expired.id],
    );
    const cancelled = await createRequest(
      t.app,
      social,
      fam.caseId,
      requestBody([a.social, a.school], { categories: ['identity', 'social'] }),
    );
    const cancel = await t.app.inject({
      method: 'POST',
      url: `/api/cases/${fam.caseId}/consent-requests/${cancelled.id}/cancel`,
      headers: bearer(social),
    });
    expect(cancel.statusCode).toBe(200);
    const before = await count(t, 'consent_request_answer');
    for (const id of [expired.id, cancelled.id]) {
      for (const res of [await accept(custodial, id), await decline(youth, id)]) {
        expect(res.statusCode).toBe(409);
        expect(code(res)).toBe('request_closed');
      }
    }
    expect(await count(t, 'consent_request_answer')).toBe(before);
    const items = (await list(custodial)).json().items as CitizenItem[];
    expect(items.filter((i) => [expired.id, cancelled.id].includes(i.id)).map((i) => [i.status, i.canAnswer])).toEqual([
      ['cancelled', false],
      ['expired', false],
    ]);
  });

  it('decline: the request is declined, no consent, the reason reaches the social worker; the other party can no longer answer', async () => {
    const req = await createRequest(t.app, social, fam.caseId, requestBody([a.social, a.police], { categories: ['identity', 'police'] }));
    const consentsBefore = await count(t, 'consent');
    const res = await decline(youth, req.id, { reason: '  Jag vill inte att polisen får veta.  ' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'declined' });
    expect(await count(t, 'consent')).toBe(consentsBefore);
    expect(await staffRequest(req.id)).toMatchObject({
      status: 'declined',
      answers: [
        {
          answeredByKind: 'subject',
          guardianId: null,
          decision: 'decline',
          consentId: null,
          reason: 'Jag vill inte att polisen får veta.',
        },
      ],
      awaiting: [],
    });
    const late = await accept(custodial, req.id);
    expect(late.statusCode).toBe(409);
    expect(code(late)).toBe('request_closed');
    expect((await list(youth)).json().items.find((i: CitizenItem) => i.id === req.id)).toMatchObject({
      status: 'declined',
      myAnswer: 'decline',
      canAnswer: false,
    });
  });
  it('the same person accepting twice at once: one consent, the other answer 409 already_answered', async () => {
    const req = await createRequest(t.app, social, otherFam.caseId, requestBody([a.social, a.school]));
    const [first, second] = await Promise.all([accept(otherParent, req.id), accept(otherParent, req.id)]);
    expect([first.statusCode, second.statusCode].sort()).toEqual([201, 409]);
    expect(code(first.statusCode === 409 ? first : second)).toBe('already_answered');
    expect(await count(t, 'consent', 'case_id = $1', [otherFam.caseId])).toBe(1);
    expect(await count(t, 'consent_request_answer', 'request_id = $1', [req.id])).toBe(1);
  });

  it('a request of a case that has been closed cannot be answered (409 request_closed), and says so in the list', async () => {
    const req = await createRequest(
      t.app,
      social,
      otherFam.caseId,
      requestBody([a.social, a.school], { categories: ['identity', 'plan'] }),
    );
    const close = await t.app.inject({
      method: 'POST',
      url: `/api/cases/${otherFam.caseId}/close`,
      headers: bearer(social),
      payload: { outcome: 'Målen uppnådda' },
    });
    expect(close.statusCode).toBe(200);
    const res = await accept(otherParent, req.id);
    expect(res.statusCode).toBe(409);
    expect(code(res)).toBe('request_closed');
    expect((await list(otherParent)).json().items.find((i: CitizenItem) => i.id === req.id)).toMatchObject({ canAnswer: false });
  });
});
