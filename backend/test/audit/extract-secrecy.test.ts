import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp, login, type TestContext } from '../helpers/app.js';
import { verifyDocument } from '../../src/cli/audit-verify.js';
import { createCase, pin } from '../cases/fixtures.js';
import { one } from './helpers.js';

interface Extract {
  protectedIdentity: boolean;
  agenciesHeldBack: boolean;
  secrecyReview: { decision: string; reasonCode: string; reviewedBy: string } | null;
  events: {
    action: string;
    actorId: string | null;
    actorName: string | null;
    actorAgencyId: string | null;
    agencyName: string | null;
    actorRole: string | null;
    clientIp: string | null;
  }[];
}

describe("a protected person's log extract", () => {
  let t: TestContext;
  let auditor: string;
  let social: string;
  let admin: string;
  let protectedSubject: string;
  let ordinarySubject: string;
  const agencyName = 'Borås Stad – Individ- och familjeomsorg';

  beforeAll(async () => {
    t = await createTestApp();
    auditor = await login(t.app, 'auditor');
    social = await login(t.app, 'social');
    admin = await login(t.app, 'admin');
    const hidden = await createCase(
      t.app,
      social,
      { area: 'Sjöbo' },
      {
        personalIdentityNumber: pin('20090606', '118'),
        firstName: 'Skyddad',
        lastName: 'Person',
        protectedIdentity: 'sekretessmarkering',
        guardians: [],
      },
    );
    const open = await createCase(
      t.app,
      social,
      { area: 'Norrby' },
      { personalIdentityNumber: pin('20090707', '127'), firstName: 'Vanlig', lastName: 'Person', guardians: [] },
    );
    protectedSubject = hidden.subject.id;
    ordinarySubject = open.subject.id;
    for (const c of [hidden, open])
      expect((await t.app.inject({ url: `/api/cases/${c.id}`, headers: bearer(social) })).statusCode).toBe(200);
    await t.app.auditSequencer.drain();
  });
  afterAll(async () => t.close());

  const extract = async (subjectId: string): Promise<Extract> => {
    const res = await t.app.inject({ url: `/api/audit/subjects/${subjectId}/extract`, headers: bearer(auditor) });
    expect(res.statusCode).toBe(200);
    return res.json();
  };
  const review = (subjectId: string, payload: unknown, token = auditor) =>
    t.app.inject({
      method: 'POST',
      url: `/api/audit/subjects/${subjectId}/secrecy-review`,
      headers: bearer(token),
      payload: payload as Record<string, unknown>,
    });
  const reviews = async (): Promise<number> => (await one<{ n: number }>(t.sql, 'SELECT count(*)::int AS n FROM subject_secrecy_review')).n;

  it('is marked, and holds back every agency and actor, by id and by name, in JSON and CSV', async () => {
    const x = await extract(protectedSubject);
    expect(x).toMatchObject({ protectedIdentity: true, agenciesHeldBack: true, secrecyReview: null });
    expect(x.events.length).toBeGreaterThan(0);
    for (const e of x.events)
      expect(e).toMatchObject({ actorId: null, actorName: null, actorAgencyId: null, agencyName: null, clientIp: null });
    expect(x.events.map((e) => e.actorRole)).toContain('social_worker');
    const csv = await t.app.inject({ url: `/api/audit/subjects/${protectedSubject}/extract.csv`, headers: bearer(auditor) });
    expect(csv.statusCode).toBe(200);
    expect(csv.body).not.toContain(agencyName);
    expect(csv.body).not.toContain('Sara Lind');
  });

  it('still verifies offline: what is held back is proven by the leaf hash, the rest recomputed', async () => {
    const res = await t.app.inject({ url: `/api/audit/subjects/${protectedSubject}/extract`, headers: bearer(auditor) });
    const doc = res.json<{ publicKey: { publicKey: string }; events: unknown[] }>();
    const r = verifyDocument(doc, Buffer.from(doc.publicKey.publicKey, 'base64'));
    expect(r).toMatchObject({ kind: 'extract', ok: true, proven: doc.events.length, provenByLeafOnly: doc.events.length });
    const open = await t.app.inject({ url: `/api/audit/subjects/${ordinarySubject}/extract`, headers: bearer(auditor) });
    const whole = open.json<{ publicKey: { publicKey: string }; events: unknown[] }>();
    expect(verifyDocument(whole, Buffer.from(whole.publicKey.publicKey, 'base64'))).toMatchObject({ ok: true, provenByLeafOnly: 0 });
  });

  it("an ordinary person's extract is not marked and names the agencies", async () => {
    const x = await extract(ordinarySubject);
    expect(x).toMatchObject({ protectedIdentity: false, agenciesHeldBack: false, secrecyReview: null });
    expect(x.events.some((e) => e.agencyName === agencyName && e.actorName === 'Sara Lind')).toBe(true);
    // The network an access came from can point to an agency too.
    expect(x.events.some((e) => e.clientIp !== null)).toBe(true);
  });

  it('POST …/secrecy-review requires authentication (401)', async () => {
    expect(
      (
        await t.app.inject({
          method: 'POST',
          url: `/api/audit/subjects/${protectedSubject}/secrecy-review`,
          payload: { decision: 'release', reasonCode: 'no_harm' },
        })
      ).statusCode,
    ).toBe(401);
    expect(await reviews()).toBe(0);
  });

  it.each([['social'], ['admin']])('is refused (403) to %s, the denial audited, nothing recorded', async (who) => {
    const token = who === 'social' ? social : admin;
    const denied = async () =>
      (
        await one<{ n: number }>(
          t.sql,
          "SELECT count(*)::int AS n FROM audit_queue WHERE outcome = 'denied' AND action = 'audit.secrecy_review'",
        )
      ).n;
    const before = await denied();
    expect((await review(protectedSubject, { decision: 'release', reasonCode: 'no_harm' }, token)).statusCode).toBe(403);
    expect(await denied()).toBe(before + 1);
    expect(await reviews()).toBe(0);
  });

  it.each([
    ['an unknown decision', { decision: 'maybe', reasonCode: 'no_harm' }],
    ['an unknown reason code', { decision: 'release', reasonCode: 'because' }],
    ['free text beside the codes', { decision: 'release', reasonCode: 'no_harm', note: 'Skolan i Sjöbo' }],
    ['no reason code', { decision: 'release' }],
  ])('answers 400 to %s and records nothing', async (_name, payload) => {
    const res = await review(protectedSubject, payload);
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(await reviews()).toBe(0);
  });

  it('answers 400 to a malformed subject id, 404 to an unknown subject and 409 to a person without protected identity', async () => {
    expect((await review('not-a-uuid', { decision: 'release', reasonCode: 'no_harm' })).statusCode).toBe(400);
    expect((await review(randomUUID(), { decision: 'release', reasonCode: 'no_harm' })).statusCode).toBe(404);
    const res = await review(ordinarySubject, { decision: 'release', reasonCode: 'no_harm' });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ type: 'urn:samverka:problem:secrecy_review_not_needed' });
    expect(await reviews()).toBe(0);
  });

  it('a review that withholds keeps the agencies back; one that releases names them; each is audited with codes only', async () => {
    const withhold = await review(protectedSubject, { decision: 'withhold', reasonCode: 'protected_whereabouts' });
    expect(withhold.statusCode).toBe(201);
    const auditorId = (await one<{ id: string }>(t.sql, "SELECT id FROM app_user WHERE username = 'auditor'")).id;
    expect(withhold.json()).toMatchObject({
      subjectId: protectedSubject,
      decision: 'withhold',
      reasonCode: 'protected_whereabouts',
      reviewedBy: auditorId,
    });
    expect(await extract(protectedSubject)).toMatchObject({
      protectedIdentity: true,
      agenciesHeldBack: true,
      secrecyReview: { decision: 'withhold' },
    });

    const release = await review(protectedSubject, { decision: 'release', reasonCode: 'no_harm' });
    expect(release.statusCode).toBe(201);
    await t.app.auditSequencer.drain();
    const x = await extract(protectedSubject);
    expect(x).toMatchObject({
      protectedIdentity: true,
      agenciesHeldBack: false,
      secrecyReview: { decision: 'release', reasonCode: 'no_harm' },
    });
    expect(x.events.some((e) => e.agencyName === agencyName && e.actorName === 'Sara Lind')).toBe(true);
    // The reviews themselves are in the person's extract, with their codes and no free text.
    expect(x.events.filter((e) => e.action === 'audit.secrecy_review')).toHaveLength(2);
    const recorded = await t.sql.query(
      "SELECT reason, subject_id FROM audit_queue WHERE action = 'audit.secrecy_review' AND outcome = 'allowed' ORDER BY id",
    );
    expect(recorded.rows).toEqual([
      { reason: 'withhold:protected_whereabouts', subject_id: protectedSubject },
      { reason: 'release:no_harm', subject_id: protectedSubject },
    ]);
    expect(await reviews()).toBe(2);
  });

  it('reviews are kept as recorded: the table refuses changes', async () => {
    await expect(t.sql.query("UPDATE subject_secrecy_review SET decision = 'withhold'")).rejects.toThrow(/append-only/);
    await expect(t.sql.query('DELETE FROM subject_secrecy_review')).rejects.toThrow(/append-only/);
  });
});
