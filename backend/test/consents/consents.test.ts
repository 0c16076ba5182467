import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp, createUser, login, type TestContext } from '../helpers/app.js';
import {
  agencies,
  birthDateFor,
  consentBody,
  count,
  daysFromToday,
  deniedCount,
  openCase,
  recordConsent,
  today,
  type Agencies,
  type TestCase,
} from './fixtures.js';
import { addMonths } from '../../src/modules/consents/calendar.js';

const NO_SUCH = '00000000-0000-4000-8000-000000000000';

describe('consents API', () => {
  let t: TestContext;
  let social: string;
  let school: string;
  let othersocial: string;
  let a: Agencies;
  let minor: TestCase;
  let adult: TestCase;
  let consentId: string;

  beforeAll(async () => {
    t = await createTestApp();
    social = await login(t.app, 'social');
    school = await login(t.app, 'school');
    const admin = await login(t.app, 'admin');
    const other = await t.app.inject({
      method: 'POST',
      url: '/api/admin/agencies',
      headers: bearer(admin),
      payload: { name: 'Grannkommunen IFO', kind: 'social_services' },
    });
    await createUser(
      t.app,
      admin,
      {
        username: 'othersocial',
        displayName: 'Olle Annan',
        password: 'other-social-pass',
        agencyId: other.json().id,
        roles: ['social_worker'],
      },
      { approver: await login(t.app, 'admin2') },
    );
    othersocial = await login(t.app, 'othersocial', 'other-social-pass');
    a = await agencies(t);
    minor = await openCase(t.app, social, birthDateFor(12, 40), {
      guardians: [true, true, false],
      agencyIds: [a.school, a.police],
      serial: '241',
    });
    adult = await openCase(t.app, social, birthDateFor(25, 100), { agencyIds: [a.school, a.police, a.leisure], serial: '352' });
    consentId = (
      await recordConsent(t.app, social, adult.id, {
        givenBy: { kind: 'subject' },
        agencyIds: [a.social, a.school],
        categories: ['identity', 'school', 'social'],
      })
    ).id;
  });
  afterAll(async () => t.close());

  const routes = (): { method: 'GET' | 'POST'; url: string; payload?: Record<string, unknown> }[] => [
    {
      method: 'POST',
      url: `/api/cases/${adult.id}/consents`,
      payload: consentBody({ givenBy: { kind: 'subject' }, agencyIds: [a.social, a.police], categories: ['identity', 'police'] }),
    },
    { method: 'GET', url: `/api/cases/${adult.id}/consents` },
    { method: 'GET', url: `/api/cases/${adult.id}/consent-matrix` },
    { method: 'GET', url: `/api/cases/${adult.id}/disclosures` },
    { method: 'GET', url: `/api/subjects/${adult.subjectId}/disclosures` },
    { method: 'POST', url: `/api/consents/${consentId}/withdraw`, payload: { reason: 'Vill inte längre' } },
    { method: 'GET', url: `/api/consents/${consentId}/receipt` },
  ];

  it('every endpoint answers 401 without a session', async () => {
    for (const r of [
      ...routes(),
      { method: 'GET' as const, url: '/api/consents/expiring' },
      { method: 'POST' as const, url: '/api/consents/receipts/verify', payload: { receipt: {}, signature: 'x', kid: 'y' } },
    ]) {
      const res = await t.app.inject({ method: r.method, url: r.url, ...(r.payload ? { payload: r.payload } : {}) });
      expect(res.statusCode, `${r.method} ${r.url}`).toBe(401);
    }
  });

  it('refuses roles without consent actions with 403, and audits it', async () => {
    for (const user of ['school', 'coordinator', 'auditor', 'admin']) {
      const token = await login(t.app, user);
      for (const r of [...routes(), { method: 'GET' as const, url: '/api/consents/expiring' }]) {
        const before = await deniedCount(t);
        const res = await t.app.inject({
          method: r.method,
          url: r.url,
          headers: bearer(token),
          ...(r.payload ? { payload: r.payload } : {}),
        });
        expect(res.statusCode, `${user} ${r.method} ${r.url}`).toBe(403);
        expect(await deniedCount(t)).toBe(before + 1);
      }
    }
    expect(await count(t, 'consent', 'withdrawn_at IS NOT NULL')).toBe(0);
  });

  it('answers 404 to a social worker of another agency, exactly as for what does not exist, and audits it', async () => {
    const missing = [
      {
        method: 'POST' as const,
        url: `/api/cases/${NO_SUCH}/consents`,
        payload: consentBody({ givenBy: { kind: 'subject' }, agencyIds: [a.social, a.police], categories: ['identity', 'police'] }),
      },
      { method: 'GET' as const, url: `/api/cases/${NO_SUCH}/consents` },
      { method: 'GET' as const, url: `/api/cases/${NO_SUCH}/consent-matrix` },
      { method: 'GET' as const, url: `/api/cases/${NO_SUCH}/disclosures` },
      { method: 'GET' as const, url: `/api/subjects/${NO_SUCH}/disclosures` },
      { method: 'POST' as const, url: `/api/consents/${NO_SUCH}/withdraw`, payload: { reason: 'x' } },
      { method: 'GET' as const, url: `/api/consents/${NO_SUCH}/receipt` },
    ];
    for (const r of routes()) {
      const before = await deniedCount(t);
      const res = await t.app.inject({
        method: r.method,
        url: r.url,
        headers: bearer(othersocial),
        ...(r.payload ? { payload: r.payload } : {}),
      });
      expect(res.statusCode, `${r.method} ${r.url}`).toBe(404);
      expect(await deniedCount(t), `${r.method} ${r.url}`).toBeGreaterThan(before);
    }
    for (const r of missing) {
      const res = await t.app.inject({
        method: r.method,
        url: r.url,
        headers: bearer(social),
        ...(r.payload ? { payload: r.payload } : {}),
      });
      expect(res.statusCode, `${r.method} ${r.url}`).toBe(404);
      expect(res.json().detail).toBe('The resource does not exist or you do not have access to it.');
    }
    expect(await count(t, 'consent', 'withdrawn_at IS NOT NULL')).toBe(0);
    expect(await count(t, 'consent')).toBe(1);
  });

  it('rejects bad input with 400 and records nothing', async () => {
    const [otherGuardian] = (await openCase(t.app, social, birthDateFor(10), { guardians: [true], serial: '463' })).guardianIds;
    const base = {
      givenBy: { kind: 'guardian' as const, guardianId: minor.guardianIds[0]! },
      agencyIds: [a.social, a.school],
      categories: ['identity', 'school'],
    };
    const bad: [string, Record<string, unknown>][] = [
      ['validTo before validFrom', consentBody({ ...base, validFrom: daysFromToday(10), validTo: daysFromToday(9) })],
      [
        'beyond the maximum validity',
        consentBody({
          ...base,
          validFrom: today(),
          validTo: addMonths(today(), 12).replace(/\d{2}$/, (d) => String(Number(d) + 1).padStart(2, '0')),
        }),
      ],
      ['beyond the maximum validity by a year', consentBody({ ...base, validFrom: today(), validTo: addMonths(today(), 24) })],
      ["a guardian who is not the subject's", consentBody({ ...base, givenBy: { kind: 'guardian', guardianId: otherGuardian! } })],
      ['an unknown guardian', consentBody({ ...base, givenBy: { kind: 'guardian', guardianId: NO_SUCH } })],
      ['an unknown agency', consentBody({ ...base, agencyIds: [a.social, NO_SUCH] })],
      ['an unknown category', consentBody({ ...base, categories: ['identity', 'school', 'astrology'] })],
      ['fewer than two agencies', consentBody({ ...base, agencyIds: [a.social] })],
      ['the same agency twice', consentBody({ ...base, agencyIds: [a.social, a.social] })],
      ['no categories', consentBody({ ...base, categories: [] })],
      ['oral without witness', { ...consentBody({ ...base, method: 'oral' }), witness: undefined }],
      ['written without evidenceRef', { ...consentBody(base), evidenceRef: undefined }],
      ['digital without evidenceRef', { ...consentBody({ ...base, method: 'digital' }), evidenceRef: undefined }],
      ['an invalid date', consentBody({ ...base, validFrom: '2026-02-30' })],
      ['an unknown property', { ...consentBody(base), status: 'active' }],
      ['a guardian without an id', { ...consentBody(base), givenBy: { kind: 'guardian' } }],
      ['an empty purpose', consentBody({ ...base, purpose: '   ' })],
    ];
    for (const [what, payload] of bad) {
      const res = await t.app.inject({
        method: 'POST',
        url: `/api/cases/${minor.id}/consents`,
        headers: bearer(social),
        payload: JSON.parse(JSON.stringify(payload)) as Record<string, unknown>,
      });
      expect(res.statusCode, what).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
    expect(await count(t, 'consent', 'case_id = $1', [minor.id])).toBe(0);
    expect(await count(t, 'consent_receipt')).toBe(1);
  });

  it('records a consent (201): all fields, status, a receipt, and an audit event', async () => {
    const body = consentBody({
      givenBy: { kind: 'guardian', guardianId: minor.guardianIds[0]! },
      agencyIds: [a.social, a.school, a.police],
      categories: ['identity', 'school', 'plan'],
      method: 'oral',
      witness: 'Kalle Kurator',
      validFrom: today(),
      validTo: addMonths(today(), 12),
    });
    const res = await t.app.inject({ method: 'POST', url: `/api/cases/${minor.id}/consents`, headers: bearer(social), payload: body });
    expect(res.statusCode).toBe(201);
    const c = res.json();
    expect(c).toMatchObject({
      caseId: minor.id,
      subjectId: minor.subjectId,
      status: 'active',
      givenBy: { kind: 'guardian', guardianId: minor.guardianIds[0] },
      method: 'oral',
      witness: 'Kalle Kurator',
      evidenceRef: null,
      agencyIds: [a.social, a.school, a.police],
      categories: ['identity', 'school', 'plan'],
      validFrom: today(),
      validTo: addMonths(today(), 12),
      withdrawnAt: null,
      withdrawnBy: null,
      withdrawalReason: null,
    });
    expect(c.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(c.receiptId).toMatch(/^[0-9a-f-]{36}$/);
    const { rows } = await t.sql.query(
      "SELECT resource_id, case_id, subject_id FROM audit_queue WHERE action = 'consent.record' AND outcome = 'allowed' AND resource_id = $1",
      [c.id],
    );
    expect(rows).toEqual([{ resource_id: c.id, case_id: minor.id, subject_id: minor.subjectId }]);
    const pending = await recordConsent(t.app, social, minor.id, {
      givenBy: { kind: 'guardian', guardianId: minor.guardianIds[1]! },
      agencyIds: [a.social, a.school],
      categories: ['identity', 'school'],
      validFrom: daysFromToday(5),
      validTo: daysFromToday(50),
      method: 'digital',
      evidenceRef: 'bankid:abc',
    });
    expect(pending.status).toBe('pending');
  });

  it('lists the consents of a case with their status', async () => {
    const res = await t.app.inject({ url: `/api/cases/${adult.id}/consents`, headers: bearer(social) });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toHaveLength(1);
    expect(res.json()[0]).toMatchObject({ id: consentId, status: 'active', givenBy: { kind: 'subject' } });
  });

  it('refuses to record on a closed case (409)', async () => {
    const c = await openCase(t.app, social, birthDateFor(30), { serial: '574' });
    expect(
      (await t.app.inject({ method: 'POST', url: `/api/cases/${c.id}/close`, headers: bearer(social), payload: { outcome: 'Klart' } }))
        .statusCode,
    ).toBe(200);
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/cases/${c.id}/consents`,
      headers: bearer(social),
      payload: consentBody({ givenBy: { kind: 'subject' }, agencyIds: [a.social, a.school], categories: ['identity', 'school'] }),
    });
    expect(res.statusCode).toBe(409);
    expect(await count(t, 'consent', 'case_id = $1', [c.id])).toBe(0);
  });

  it('issues a signed receipt that verifies; a tampered one does not', async () => {
    const res = await t.app.inject({ url: `/api/consents/${consentId}/receipt`, headers: bearer(social) });
    expect(res.statusCode).toBe(200);
    const { receipt, signature, kid, publicKey } = res.json();
    expect(Buffer.from(publicKey, 'base64')).toHaveLength(32);
    expect(receipt).toMatchObject({
      version: 'KI-CR-v1.1.0',
      jurisdiction: 'SE',
      piiPrincipalId: adult.subjectId,
      sensitive: true,
      consentId,
      piiControllers: [{ piiControllerId: a.social }],
      period: { validFrom: daysFromToday(-30), validTo: daysFromToday(300) },
      recipients: [{ id: a.social }, { id: a.school }],
      method: { kind: 'written' },
    });
    expect(typeof receipt.consentTimestamp).toBe('number');
    const {
      rows: [subjectRow],
    } = await t.sql.query('SELECT personal_identity_number AS pin FROM subject WHERE id = $1', [adult.subjectId]);
    expect(JSON.stringify(receipt)).not.toContain(subjectRow.pin); // a subject reference, never the personnummer
    expect(JSON.stringify(receipt)).not.toContain(subjectRow.pin.slice(2));
    const verify = async (body: Record<string, unknown>, token = school): Promise<boolean> => {
      const r = await t.app.inject({ method: 'POST', url: '/api/consents/receipts/verify', headers: bearer(token), payload: body });
      expect(r.statusCode).toBe(200);
      return r.json().valid as boolean;
    };
    expect(await verify({ receipt, signature, kid })).toBe(true);
    expect(await verify({ receipt, signature, kid }, await login(t.app, 'auditor'))).toBe(true);
    expect(await verify({ receipt: { ...receipt, piiPrincipalId: minor.subjectId }, signature, kid })).toBe(false);
    expect(await verify({ receipt: { ...receipt, period: { ...receipt.period, validTo: '2099-12-31' } }, signature, kid })).toBe(false);
    expect(await verify({ receipt, signature, kid: 'ffffffffffffffff' })).toBe(false);
    expect(await verify({ receipt, signature: Buffer.alloc(64).toString('base64'), kid })).toBe(false);
    const bad = await t.app.inject({
      method: 'POST',
      url: '/api/consents/receipts/verify',
      headers: bearer(school),
      payload: { receipt, signature },
    });
    expect(bad.statusCode).toBe(400);
  });

  it("lists the own agency's active consents that end within the reminder lead time", async () => {
    const soon = await recordConsent(t.app, social, adult.id, {
      givenBy: { kind: 'subject' },
      agencyIds: [a.social, a.leisure],
      categories: ['identity', 'leisure'],
      validFrom: daysFromToday(-100),
      validTo: daysFromToday(10),
    });
    const withdrawn = await recordConsent(t.app, social, adult.id, {
      givenBy: { kind: 'subject' },
      agencyIds: [a.social, a.leisure],
      categories: ['identity', 'social'],
      validFrom: daysFromToday(-100),
      validTo: daysFromToday(5),
    });
    await t.app.inject({
      method: 'POST',
      url: `/api/consents/${withdrawn.id}/withdraw`,
      headers: bearer(social),
      payload: { reason: 'Återkallat muntligt' },
    });
    const res = await t.app.inject({ url: '/api/consents/expiring', headers: bearer(social) });
    expect(res.statusCode).toBe(200);
    const list = res.json() as { id: string; daysLeft: number }[];
    expect(list.map((c) => c.id)).toEqual([soon.id]);
    expect(list[0]!.daysLeft).toBe(10);
    const other = await t.app.inject({ url: '/api/consents/expiring', headers: bearer(othersocial) });
    expect(other.json()).toEqual([]);
  });

  it("shows the consent matrix: each pair of the case's agencies and category, open or closed and why", async () => {
    const res = await t.app.inject({ url: `/api/cases/${adult.id}/consent-matrix`, headers: bearer(social) });
    expect(res.statusCode).toBe(200);
    const m = res.json();
    expect(m.agencies.map((x: { id: string; role: string }) => [x.id, x.role])).toEqual([
      [a.social, 'owner'],
      [a.school, 'participant'],
      [a.police, 'participant'],
      [a.leisure, 'participant'],
    ]);
    expect(m.requiredParties).toEqual([{ kind: 'subject' }]);
    const cell = (x: string, y: string, category: string): { open: boolean; reason: string; consentIds: string[]; missing: unknown[] } =>
      m.cells.find(
        (c: { agencyIds: string[]; category: string }) => c.agencyIds.includes(x) && c.agencyIds.includes(y) && c.category === category,
      );
    expect(cell(a.social, a.school, 'school')).toMatchObject({ open: true, reason: 'consent', consentIds: [consentId], missing: [] });
    expect(cell(a.social, a.school, 'health')).toMatchObject({
      open: false,
      reason: 'no_consent',
      missing: [{ party: { kind: 'subject' }, reason: 'no_consent' }],
    });
    expect(cell(a.social, a.leisure, 'social')).toMatchObject({ open: false, reason: 'withdrawn' });
    expect(m.cells).toHaveLength(6 * 7);

    const minorMatrix = (await t.app.inject({ url: `/api/cases/${minor.id}/consent-matrix`, headers: bearer(social) })).json();
    expect(minorMatrix.requiredParties).toHaveLength(2);
    expect(minorMatrix.requiredParties).toEqual(
      expect.arrayContaining([
        { kind: 'guardian', guardianId: minor.guardianIds[0] },
        { kind: 'guardian', guardianId: minor.guardianIds[1] },
      ]),
    );
    const schoolCell = minorMatrix.cells.find(
      (c: { agencyIds: string[]; category: string }) =>
        c.agencyIds.includes(a.school) && c.agencyIds.includes(a.social) && c.category === 'school',
    );
    expect(schoolCell).toMatchObject({
      open: false,
      reason: 'no_consent',
      missing: [{ party: { kind: 'guardian', guardianId: minor.guardianIds[1] }, reason: 'no_consent' }],
    });
  });

  it('withdraws once (200, then 409); the database refuses any other change', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/consents/${consentId}/withdraw`,
      headers: bearer(social),
      payload: { reason: 'Vill inte längre' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: consentId, status: 'withdrawn', withdrawalReason: 'Vill inte längre' });
    expect(Date.parse(res.json().withdrawnAt)).toBeLessThanOrEqual(Date.now());
    const again = await t.app.inject({
      method: 'POST',
      url: `/api/consents/${consentId}/withdraw`,
      headers: bearer(social),
      payload: { reason: 'Igen' },
    });
    expect(again.statusCode).toBe(409);
    expect(
      (await t.app.inject({ method: 'POST', url: `/api/consents/${consentId}/withdraw`, headers: bearer(social), payload: { reason: '' } }))
        .statusCode,
    ).toBe(400);
    await expect(t.sql.query("UPDATE consent SET purpose = 'Annat' WHERE id = $1", [consentId])).rejects.toThrow(
      /never edited|already withdrawn/,
    );
    await expect(t.sql.query('UPDATE consent SET withdrawal_reason = $2 WHERE id = $1', [consentId, 'x'])).rejects.toThrow(
      /already withdrawn/,
    );
    await expect(t.sql.query('DELETE FROM consent WHERE id = $1', [consentId])).rejects.toThrow(/never deleted/);
    await expect(t.sql.query('UPDATE consent_receipt SET kid = $1', ['x'])).rejects.toThrow(/append-only/);
    const [active] = (await t.sql.query('SELECT id FROM consent WHERE withdrawn_at IS NULL AND case_id = $1 LIMIT 1', [minor.id])).rows;
    await expect(t.sql.query('UPDATE consent SET valid_to = valid_to + 1 WHERE id = $1', [active.id])).rejects.toThrow(/never edited/);
    const { rows } = await t.sql.query(
      "SELECT count(*)::int AS n FROM audit_queue WHERE action = 'consent.withdraw' AND outcome = 'allowed' AND resource_id = $1",
      [consentId],
    );
    expect(rows[0].n).toBe(1);
  });

  it('documents every consent route in the OpenAPI document', async () => {
    const doc = await t.app.inject({ url: '/api/docs/json' });
    expect(doc.statusCode).toBe(200);
    const paths = Object.keys(doc.json().paths as Record<string, unknown>);
    for (const p of [
      '/api/cases/{id}/consents',
      '/api/cases/{id}/consent-matrix',
      '/api/cases/{id}/disclosures',
      '/api/subjects/{id}/disclosures',
      '/api/consents/expiring',
      '/api/consents/{id}/withdraw',
      '/api/consents/{id}/receipt',
      '/api/consents/receipts/verify',
    ]) {
      expect(paths).toContain(p);
    }
  });

  it('serves the disclosure ledger per case and per subject to the owner only', async () => {
    const byCase = await t.app.inject({ url: `/api/cases/${adult.id}/disclosures`, headers: bearer(social) });
    expect(byCase.statusCode).toBe(200);
    expect(byCase.json()).toMatchObject({ items: [], total: 0, page: 1, pageSize: 100 });
    const bySubject = await t.app.inject({ url: `/api/subjects/${adult.subjectId}/disclosures?pageSize=10`, headers: bearer(social) });
    expect(bySubject.statusCode).toBe(200);
    expect(bySubject.json()).toMatchObject({ total: 0, pageSize: 10 });
    expect((await t.app.inject({ url: `/api/cases/${adult.id}/disclosures?pageSize=0`, headers: bearer(social) })).statusCode).toBe(400);
    expect((await t.app.inject({ url: '/api/cases/not-a-uuid/disclosures', headers: bearer(social) })).statusCode).toBe(400);
  });
});
