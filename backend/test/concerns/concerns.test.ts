import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays } from '../../src/modules/consents/calendar.js';
import { agencies, count, createCase, MINOR, pin, type Agencies } from '../cases/fixtures.js';
import { createTestApp, login, type TestContext } from '../helpers/app.js';
import { call, concernBody, events, normalized, raise, today } from './fixtures.js';

const REPORTER_KEYS = ['createdAt', 'id', 'reference', 'status', 'statusChangedAt'];
const OTHER = pin('20120607', '345');

describe('concerns (orosanmälan)', () => {
  let t: TestContext;
  let a: Agencies;
  const tok: Record<string, string> = {};

  beforeAll(async () => {
    t = await createTestApp();
    a = await agencies(t);
    // Social services take Norrby, Centrum and Hässleholmen; the school also works in Hulta.
    await t.sql.query('UPDATE agency SET areas = $2 WHERE id = $1', [a.social, ['Norrby', 'Centrum', 'Hässleholmen']]);
    await t.sql.query('UPDATE agency SET areas = $2 WHERE id = $1', [a.school, ['Norrby', 'Centrum', 'Hulta']]);
    await t.sql.query('UPDATE agency SET areas = $2 WHERE id = $1', [a.police, ['Norrby']]);
    for (const u of ['social', 'school', 'police', 'leisure', 'coordinator', 'auditor', 'admin']) tok[u] = await login(t.app, u);
  });
  afterAll(async () => t.close());

  describe('without a session', () => {
    it.each([
      ['POST', '/api/concerns'],
      ['GET', '/api/concerns'],
      ['GET', '/api/concerns/00000000-0000-4000-8000-000000000000'],
      ['POST', '/api/concerns/00000000-0000-4000-8000-000000000000/triage'],
    ] as const)('%s %s → 401', async (method, url) => {
      expect((await call(t, null, method, url, method === 'POST' ? {} : undefined)).statusCode).toBe(401);
    });
  });

  describe('roles that may not', () => {
    it('refuses to raise for social services, auditors and admins (403, audited), storing nothing', async () => {
      for (const u of ['social', 'coordinator', 'auditor', 'admin']) {
        const before = await count(t, 'audit_queue', "action = 'concern.raise' AND outcome = 'denied'");
        const res = await call(t, tok[u]!, 'POST', '/api/concerns', concernBody({}, { personalIdentityNumber: OTHER }));
        expect(res.statusCode, u).toBe(403);
        expect(await count(t, 'audit_queue', "action = 'concern.raise' AND outcome = 'denied'")).toBe(before + 1);
      }
      expect(await count(t, 'concern')).toBe(0);
    });

    it('refuses lists and reads to auditors and admins, and triage to partners and the coordinator (403, audited)', async () => {
      const id = '00000000-0000-4000-8000-000000000000';
      for (const [u, method, url] of [
        ['auditor', 'GET', '/api/concerns'],
        ['admin', 'GET', `/api/concerns/${id}`],
        ['school', 'POST', `/api/concerns/${id}/triage`],
        ['coordinator', 'POST', `/api/concerns/${id}/triage`],
      ] as const) {
        const before = await count(t, 'audit_queue', "outcome = 'denied'");
        const res = await call(
          t,
          tok[u]!,
          method,
          url,
          method === 'POST' ? { decision: 'no_action', reason: 'Inget att göra.' } : undefined,
        );
        expect(res.statusCode, `${u} ${method} ${url}`).toBe(403);
        expect(await count(t, 'audit_queue', "outcome = 'denied'")).toBe(before + 1);
      }
    });
  });

  it("offers the form the reporter agency's areas, and refuses the form to social services (403)", async () => {
    expect((await call(t, tok.school!, 'GET', '/api/concerns/options')).json()).toEqual({
      areas: ['Norrby', 'Hulta', 'Centrum'],
      urgencies: ['acute', 'urgent', 'normal'],
    });
    expect((await call(t, tok.social!, 'GET', '/api/concerns/options')).statusCode).toBe(403);
    expect((await call(t, null, 'GET', '/api/concerns/options')).statusCode).toBe(401);
  });

  describe('bad input → 400 naming the field, nothing stored', () => {
    const tomorrow = (): string => addDays(today(), 1);
    it.each([
      [
        'a personnummer that fails the check',
        {},
        { personalIdentityNumber: '20110314-2381' },
        'invalid_personal_identity_number',
        '/person/personalIdentityNumber',
      ],
      [
        'no way to identify the person',
        {},
        { firstName: 'Elin', lastName: 'Andersson', birthDate: undefined },
        'person_unidentified',
        '/person/birthDate',
      ],
      ['a birth date in the future', {}, { birthDate: '2099-01-01' }, 'birth_date_in_future', '/person/birthDate'],
      [
        'an observation dated in the future',
        { observedOn: 'TOMORROW' },
        { personalIdentityNumber: OTHER },
        'observed_in_future',
        '/observedOn',
      ],
      ['an unknown area', { area: 'Atlantis' }, { personalIdentityNumber: OTHER }, 'unknown_area', '/area'],
      ['an area the agency does not work in', { area: 'Sjöbo' }, { personalIdentityNumber: OTHER }, 'area_not_served', '/area'],
      ['no contact details', { contact: {} }, { personalIdentityNumber: OTHER }, 'contact_missing', '/contact/phone'],
    ] as const)('%s', async (_what, overrides, person, code, path) => {
      const body = concernBody({ ...overrides, ...('observedOn' in overrides ? { observedOn: tomorrow() } : {}) }, { ...person }) as {
        person: Record<string, unknown>;
      };
      for (const [k, v] of Object.entries(person)) if (v === undefined) delete body.person[k];
      const res = await call(t, tok.school!, 'POST', '/api/concerns', body);
      expect(res.statusCode, res.body).toBe(400);
      const p = res.json() as { type: string; detail: string; errors: { path: string }[] };
      expect(p.type).toBe(`urn:samverka:problem:${code}`);
      expect(p.errors.map((e) => e.path)).toContain(path);
      expect(p.detail).not.toMatch(/\d{6}/);
      expect(await count(t, 'concern')).toBe(0);
    });

    it('refuses an unknown urgency, a missing observation and unknown fields (schema)', async () => {
      for (const body of [
        concernBody({ urgency: 'whenever' }, { personalIdentityNumber: OTHER }),
        { ...concernBody({}, { personalIdentityNumber: OTHER }), observation: undefined },
        concernBody({ caseId: '00000000-0000-4000-8000-000000000000' }, { personalIdentityNumber: OTHER }),
      ]) {
        expect((await call(t, tok.school!, 'POST', '/api/concerns', body)).statusCode).toBe(400);
      }
      expect(await count(t, 'concern')).toBe(0);
    });
  });

  describe('raising, reading and triaging', () => {
    let withCase: { id: string } & Record<string, unknown>;
    let withoutCase: { id: string } & Record<string, unknown>;
    let caseOfMinor: string;

    beforeAll(async () => {
      caseOfMinor = (await createCase(t.app, tok.social!)).id;
      withCase = await raise(t, tok.school!, concernBody({ urgency: 'urgent' }, { personalIdentityNumber: MINOR }));
      withoutCase = await raise(t, tok.school!, concernBody({ urgency: 'urgent' }, { personalIdentityNumber: OTHER }));
    });

    it('answers the reporter with the reference, status and dates only, and audits the raise', async () => {
      expect(Object.keys(withCase).sort()).toEqual(REPORTER_KEYS);
      expect(withCase).toMatchObject({ status: 'received', reference: expect.stringMatching(/^ORO-\d{4}-\d{4}$/) });
      expect(withCase.reference).not.toBe(withoutCase.reference);
      expect(await events(t, withCase.id)).toEqual([{ action: 'concern.raise', outcome: 'allowed', reason: null }]);
    });

    it('tells the reporter nothing of an existing case: the same answers byte for byte but ids and dates', async () => {
      const a1 = await call(t, tok.school!, 'GET', `/api/concerns/${withCase.id}`);
      const a2 = await call(t, tok.school!, 'GET', `/api/concerns/${withoutCase.id}`);
      expect(a1.statusCode).toBe(200);
      expect(normalized(a1)).toBe(normalized(a2));
      const list = (await call(t, tok.school!, 'GET', '/api/concerns')).json() as { view: string; items: Record<string, unknown>[] };
      expect(list.view).toBe('reporter');
      const [i1, i2] = [list.items.find((i) => i.id === withCase.id)!, list.items.find((i) => i.id === withoutCase.id)!];
      expect(Object.keys(i1).sort()).toEqual(REPORTER_KEYS);
      const blank = (o: Record<string, unknown>) => normalized({ body: JSON.stringify(o) } as never);
      expect(blank(i1)).toBe(blank(i2));
      // A second concern about the same people: again the same answers.
      const again1 = await call(
        t,
        tok.school!,
        'POST',
        '/api/concerns',
        concernBody({ urgency: 'urgent' }, { personalIdentityNumber: MINOR }),
      );
      const again2 = await call(
        t,
        tok.school!,
        'POST',
        '/api/concerns',
        concernBody({ urgency: 'urgent' }, { personalIdentityNumber: OTHER }),
      );
      expect(normalized(again1)).toBe(normalized(again2));
    });

    it("answers another reporter's concern 404, audited, and leaves it out of their list", async () => {
      const mine = await raise(t, tok.police!, concernBody({ urgency: 'acute' }, { personalIdentityNumber: OTHER }));
      const res = await call(t, tok.school!, 'GET', `/api/concerns/${mine.id}`);
      expect(res.statusCode).toBe(404);
      expect(await events(t, mine.id)).toContainEqual({ action: 'concern.read', outcome: 'denied', reason: 'not_recipient' });
      const list = (await call(t, tok.school!, 'GET', '/api/concerns')).json() as { items: { id: string }[] };
      expect(list.items.map((i) => i.id)).not.toContain(mine.id);
      expect((await call(t, tok.leisure!, 'GET', '/api/concerns/00000000-0000-4000-8000-000000000000')).statusCode).toBe(404);
    });

    it("shows the intake its areas' queue, most urgent and newest first, with the marker", async () => {
      const hulta = await raise(t, tok.school!, concernBody({ area: 'Hulta', urgency: 'acute' }, { personalIdentityNumber: OTHER }));
      const res = await call(t, tok.social!, 'GET', '/api/concerns');
      expect(res.statusCode).toBe(200);
      const page = res.json() as {
        view: string;
        items: { id: string; urgency: string; createdAt: string; marker: { hasCase: boolean; earlierConcerns: number } }[];
      };
      expect(page.view).toBe('intake');
      expect(page.items.map((i) => i.id)).not.toContain(hulta.id);
      const rank = { acute: 0, urgent: 1, normal: 2 } as const;
      const order = page.items.map((i) => [rank[i.urgency as keyof typeof rank], -Date.parse(i.createdAt)]);
      expect(order).toEqual([...order].sort((x, y) => x[0]! - y[0]! || x[1]! - y[1]!));
      expect(page.items.find((i) => i.id === withCase.id)!.marker).toEqual({ hasCase: true, earlierConcerns: 0 });
      expect(page.items.find((i) => i.id === withoutCase.id)!.marker).toEqual({ hasCase: false, earlierConcerns: 0 });
      const later = page.items.filter((i) => i.id !== withoutCase.id && i.marker.earlierConcerns > 0);
      expect(later.length).toBeGreaterThan(0);
      // Outside the unit's areas: answered as if it did not exist, audited.
      expect((await call(t, tok.social!, 'GET', `/api/concerns/${hulta.id}`)).statusCode).toBe(404);
      expect(await events(t, hulta.id)).toContainEqual({ action: 'concern.read', outcome: 'denied', reason: 'not_recipient' });
      const triage = await call(t, tok.social!, 'POST', `/api/concerns/${hulta.id}/triage`, {
        decision: 'no_action',
        reason: 'Fel område.',
      });
      expect(triage.statusCode).toBe(404);
      expect(await events(t, hulta.id)).toContainEqual({ action: 'concern.triage', outcome: 'denied', reason: 'not_recipient' });
    });

    it('moves a concern to being assessed at the intake’s first read (audited), which the reporter then sees', async () => {
      const res = await call(t, tok.social!, 'GET', `/api/concerns/${withCase.id}`);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({
        status: 'being_assessed',
        person: { personalIdentityNumber: MINOR },
        reporter: { agencyKind: 'school', phone: '033-35 70 00' },
        marker: { hasCase: true },
      });
      const actions = (await events(t, withCase.id)).map((e) => e.action);
      expect(actions.filter((e) => e === 'concern.assess')).toHaveLength(1);
      expect(actions.filter((e) => e === 'concern.read').length).toBeGreaterThan(1);
      expect((await call(t, tok.social!, 'GET', `/api/concerns/${withCase.id}`)).json().status).toBe('being_assessed');
      expect((await events(t, withCase.id)).filter((e) => e.action === 'concern.assess')).toHaveLength(1);
      const seen = (await call(t, tok.school!, 'GET', `/api/concerns/${withCase.id}`)).json();
      expect(Object.keys(seen).sort()).toEqual(REPORTER_KEYS);
      expect(seen.status).toBe('being_assessed');
    });

    it('shows the coordinator every concern without identities or free text', async () => {
      const page = (await call(t, tok.coordinator!, 'GET', '/api/concerns?status=all')).json() as {
        view: string;
        items: Record<string, unknown>[];
      };
      expect(page.view).toBe('coordinator');
      expect(page.items.length).toBeGreaterThanOrEqual(5);
      for (const i of page.items) {
        expect(Object.keys(i).sort()).toEqual([
          'area',
          'createdAt',
          'decision',
          'id',
          'reference',
          'reporterAgencyKind',
          'status',
          'statusChangedAt',
          'urgency',
        ]);
      }
    });

    it("withholds a protected person's area from everyone but the intake", async () => {
      const hidden = pin('20100911', '567');
      await createCase(
        t.app,
        tok.social!,
        {},
        { personalIdentityNumber: hidden, protectedIdentity: 'skyddad_folkbokforing', guardians: [] },
      );
      const c = await raise(t, tok.school!, concernBody({}, { personalIdentityNumber: hidden }));
      expect(Object.keys(c).sort()).toEqual(REPORTER_KEYS);
      const coord = (await call(t, tok.coordinator!, 'GET', `/api/concerns/${c.id}`)).json();
      expect(coord.area).toBeUndefined();
      expect(coord.reference).toBe(c.reference);
      const intake = (await call(t, tok.social!, 'GET', `/api/concerns/${c.id}`)).json();
      expect(intake).toMatchObject({ area: 'Norrby', protectedIdentity: true });
    });

    describe('triage', () => {
      it('opens a case from a concern through the cases service: number, area, subject carried over', async () => {
        const res = await call(t, tok.social!, 'POST', `/api/concerns/${withoutCase.id}/triage`, {
          decision: 'open_case',
          reason: 'Behov av kartläggning.',
          person: { firstName: 'Omar', lastName: 'Nilsson' },
        });
        expect(res.statusCode, res.body).toBe(200);
        const out = res.json() as { caseId: string; concern: Record<string, unknown> };
        expect(out.concern).toMatchObject({ status: 'closed', decision: 'open_case', caseId: out.caseId });
        const { rows } = await t.sql.query(
          'SELECT c.case_number, c.area, c.owner_user_id IS NOT NULL AS owned, s.personal_identity_number FROM support_case c JOIN subject s ON s.id = c.subject_id WHERE c.id = $1',
          [out.caseId],
        );
        expect(rows[0]).toMatchObject({
          case_number: expect.stringMatching(/^SSPF-\d{4}-\d{4}$/),
          area: 'Norrby',
          owned: true,
          personal_identity_number: OTHER,
        });
        const { rows: audit } = await t.sql.query(
          "SELECT action FROM audit_queue WHERE case_id = $1 AND action IN ('case.create','concern.triage')",
          [out.caseId],
        );
        expect(audit.map((r) => r.action).sort()).toEqual(['case.create', 'concern.triage']);
        // The reporter: closed, nothing more.
        const seen = (await call(t, tok.school!, 'GET', `/api/concerns/${withoutCase.id}`)).json();
        expect(Object.keys(seen).sort()).toEqual(REPORTER_KEYS);
        expect(seen.status).toBe('closed');
        // Triaged once only.
        const again = await call(t, tok.social!, 'POST', `/api/concerns/${withoutCase.id}/triage`, {
          decision: 'no_action',
          reason: 'Igen.',
        });
        expect(again.statusCode).toBe(409);
      });

      it('links a concern to a case of the unit; a case it may not change answers 404, audited, changing nothing', async () => {
        const missing = '00000000-0000-4000-8000-000000000001';
        const bad = await call(t, tok.social!, 'POST', `/api/concerns/${withCase.id}/triage`, {
          decision: 'link',
          caseId: missing,
          reason: 'Finns redan.',
        });
        expect(bad.statusCode).toBe(404);
        expect(await count(t, 'audit_queue', "resource_id = $1 AND outcome = 'denied'", [missing])).toBe(1);
        expect((await t.sql.query('SELECT status FROM concern WHERE id = $1', [withCase.id])).rows[0].status).toBe('being_assessed');
        const res = await call(t, tok.social!, 'POST', `/api/concerns/${withCase.id}/triage`, {
          decision: 'link',
          caseId: caseOfMinor,
          reason: 'Finns redan ett ärende.',
        });
        expect(res.statusCode, res.body).toBe(200);
        expect(res.json()).toMatchObject({ caseId: caseOfMinor, concern: { status: 'closed', decision: 'link', caseId: caseOfMinor } });
      });

      it('records a decision not to proceed, with its reason', async () => {
        const c = await raise(t, tok.school!, concernBody({}, { birthDate: '2012-02-02' }));
        const res = await call(t, tok.social!, 'POST', `/api/concerns/${c.id}/triage`, {
          decision: 'no_action',
          reason: 'Ingen grund för utredning.',
        });
        expect(res.statusCode, res.body).toBe(200);
        expect(res.json()).toMatchObject({
          caseId: null,
          concern: { status: 'closed', decision: 'no_action', decisionReason: 'Ingen grund för utredning.' },
        });
        expect((await events(t, c.id)).map((e) => e.action)).toContain('concern.triage');
      });

      it('refuses malformed triage (400), changing nothing', async () => {
        const c = await raise(t, tok.school!, concernBody({}, { birthDate: '2012-03-03' }));
        for (const [body, code] of [
          [{ decision: 'link', reason: 'Länka.' }, 'case_id_required'],
          [{ decision: 'no_action', caseId: caseOfMinor, reason: 'Nej.' }, 'case_id_not_expected'],
          [{ decision: 'open_case', reason: 'Öppna.' }, 'person_incomplete'],
          [{ decision: 'maybe', reason: 'Kanske.' }, 'validation'],
          [{ decision: 'no_action', reason: '   ' }, 'validation'],
        ] as const) {
          const res = await call(t, tok.social!, 'POST', `/api/concerns/${c.id}/triage`, body);
          expect(res.statusCode, JSON.stringify(body)).toBe(400);
          if (code !== 'validation') expect(res.json().type).toBe(`urn:samverka:problem:${code}`);
        }
        expect((await t.sql.query('SELECT status FROM concern WHERE id = $1', [c.id])).rows[0].status).toBe('received');
      });
    });
  });
});
