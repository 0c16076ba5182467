import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { containsIdentityNumber } from '../../src/modules/areas/no-identities.js';
import { createTestApp, login, type TestContext } from '../helpers/app.js';
import { around, auditRows, call, count, identityNumber, observation } from './fixtures.js';

describe('observations of an area', () => {
  let t: TestContext;
  let leisure: string;
  let police: string;
  let school: string;
  let coordinator: string;
  let auditor: string;
  let admin: string;

  beforeAll(async () => {
    t = await createTestApp();
    [leisure, police, school, coordinator, auditor, admin] = (await Promise.all(
      ['leisure', 'police', 'school', 'coordinator', 'auditor', 'admin'].map((u) => login(t.app, u)),
    )) as [string, string, string, string, string, string];
  });
  afterAll(async () => t.close());

  it('answers 401 without a session on every route', async () => {
    const id = '00000000-0000-4000-8000-000000000001';
    for (const [method, url] of [
      ['GET', '/api/areas'],
      ['GET', '/api/areas/Norrby'],
      ['GET', '/api/areas/Norrby/observations'],
      ['POST', '/api/areas/Norrby/observations'],
      ['POST', `/api/observations/${id}/hide`],
    ] as const) {
      expect((await call(t, null, method, url, method === 'POST' ? {} : undefined)).statusCode, url).toBe(401);
    }
  });

  it('lists the areas my agency works in, with the categories of policies/', async () => {
    const res = await call(t, leisure, 'GET', '/api/areas');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ areas: ['Norrby', 'Hässleholmen'] });
    expect(res.json().categories).toContainEqual({ code: 'recruitment', sv: 'Rekrytering till brott', en: 'Recruitment into crime' });
    expect(await auditRows(t, 'area.list')).toHaveLength(1);
  });

  it('records an observation from the leisure centre and the police, and lists them without persons or cases', async () => {
    const a = await call(
      t,
      leisure,
      'POST',
      '/api/areas/norrby/observations',
      observation({ location: { latitude: 57.73, longitude: 12.96 } }),
    );
    expect(a.statusCode, a.body).toBe(201);
    const b = await call(
      t,
      police,
      'POST',
      '/api/areas/Norrby/observations',
      observation({ category: 'drugs', place: 'Parkeringen vid Norrby centrum' }),
    );
    expect(b.statusCode, b.body).toBe(201);
    expect(a.json()).toMatchObject({
      area: 'Norrby',
      agencyKind: 'leisure',
      location: { latitude: 57.73, longitude: 12.96 },
      groupSize: 15,
    });
    expect(Object.keys(a.json()).sort()).toEqual(
      [
        'ageFrom',
        'ageTo',
        'agencyKind',
        'agencyName',
        'area',
        'category',
        'description',
        'groupSize',
        'id',
        'location',
        'observedAt',
        'place',
        'recordedAt',
      ].sort(),
    );
    expect((await auditRows(t, 'area.observation.create')).map((r) => r.resource_id).sort()).toEqual([a.json().id, b.json().id].sort());

    const list = await call(t, school, 'GET', '/api/areas/Norrby/observations');
    expect(list.statusCode).toBe(200);
    expect(list.json()).toMatchObject({ total: 2, page: 1, pageSize: 25 });
    const drugs = await call(t, school, 'GET', '/api/areas/Norrby/observations?category=drugs&pageSize=1');
    expect(drugs.json()).toMatchObject({ total: 1, items: [{ category: 'drugs', agencyKind: 'police' }] });
    const old = await call(t, school, 'GET', '/api/areas/Norrby/observations?from=2020-01-01&to=2020-12-31');
    expect(old.json()).toMatchObject({ total: 0, items: [] });
    expect((await auditRows(t, 'area.observation.list')).every((r) => r.outcome === 'allowed' && r.resource_id === 'Norrby')).toBe(true);
    expect(list.body).not.toMatch(/caseId|subjectId|recordedBy|userId/);
  });

  it('answers 403 (audited) to roles without the action and to agencies not working in the area', async () => {
    for (const token of [auditor, admin]) {
      expect((await call(t, token, 'GET', '/api/areas/Norrby')).statusCode).toBe(403);
      expect((await call(t, token, 'POST', '/api/areas/Norrby/observations', observation())).statusCode).toBe(403);
    }
    expect((await auditRows(t, 'area.read')).filter((r) => r.outcome === 'denied')).toHaveLength(2);
    // The school works in Norrby and Centrum, the youth centre in Norrby and Hässleholmen.
    const before = await count(t, 'area_observation');
    const hulta = await call(t, school, 'POST', '/api/areas/Hulta/observations', observation());
    expect(hulta.statusCode).toBe(403);
    expect(hulta.json().detail).toMatch(/does not work in this area/);
    expect((await call(t, leisure, 'GET', '/api/areas/Centrum/observations')).statusCode).toBe(403);
    expect(await count(t, 'area_observation')).toBe(before);
    expect((await auditRows(t, 'area.observation.write')).map((r) => [r.outcome, r.reason, r.resource_id])).toEqual([
      ['denied', 'role', null],
      ['denied', 'role', null],
      ['denied', 'not_in_area', 'Hulta'],
    ]);
  });

  it('refuses bad input with 400 naming the field, storing nothing', async () => {
    const before = await count(t, 'area_observation');
    const cases: [string, Record<string, unknown>, string, string?][] = [
      ['/api/areas/Atlantis/observations', observation(), 'unknown_area'],
      ['/api/areas/Norrby/observations', observation({ category: 'graffiti' }), 'unknown_category', '/category'],
      [
        '/api/areas/Norrby/observations',
        observation({ observedAt: new Date(Date.now() + 86_400_000).toISOString() }),
        'observed_in_future',
        '/observedAt',
      ],
      ['/api/areas/Norrby/observations', observation({ ageFrom: 17, ageTo: 13 }), 'bad_age_span', '/ageTo'],
      ['/api/areas/Norrby/observations', observation({ description: 'Pojken 200501012384 syntes' }), 'identity_in_text', '/description'],
      ['/api/areas/Norrby/observations', observation({ place: 'Hos 0501612385' }), 'identity_in_text', '/place'],
      ['/api/areas/Norrby/observations', observation({ location: { latitude: 91, longitude: 12 } }), 'validation'],
      ['/api/areas/Norrby/observations', observation({ location: { latitude: 57 } }), 'validation'],
      ['/api/areas/Norrby/observations', observation({ observedAt: 'igår kväll' }), 'validation'],
      ['/api/areas/Norrby/observations', observation({ groupSize: 0 }), 'validation'],
      ['/api/areas/Norrby/observations', observation({ personnummer: '200501012384' }), 'validation'],
      ['/api/areas/Norrby/observations', observation({ description: '' }), 'validation'],
    ];
    for (const [url, body, code, path] of cases) {
      const res = await call(t, leisure, 'POST', url, body);
      expect(res.statusCode, `${code} ${res.body}`).toBe(400);
      if (code !== 'validation') expect(res.json().type, res.body).toContain(code);
      if (path) expect(res.json().errors).toEqual([{ path, message: expect.any(String) }]);
    }
    const identity = await call(t, leisure, 'POST', '/api/areas/Norrby/observations', observation({ description: '19850101-1234' }));
    expect(identity.json().detail).toMatch(/personnummer or samordningsnummer/);
    expect(identity.body).not.toContain('19850101');
    expect(await count(t, 'area_observation')).toBe(before);
    for (const q of ['category=graffiti', 'from=2026-02-01&to=2026-01-01', 'from=igår', 'pageSize=1000'])
      expect((await call(t, leisure, 'GET', `/api/areas/Norrby/observations?${q}`)).statusCode, q).toBe(400);
    expect((await call(t, leisure, 'GET', '/api/areas/Atlantis')).statusCode).toBe(400);
  });

  it('refuses every valid personnummer or samordningsnummer embedded in the text (property)', async () => {
    await fc.assert(
      fc.asyncProperty(identityNumber, around, around, fc.constantFrom('/description', '/place'), async (pnr, before, after, field) => {
        const text = `${before} ${pnr} ${after}`.trim().slice(0, 200);
        expect(containsIdentityNumber(text)).toBe(true);
        const res = await call(t, police, 'POST', '/api/areas/Norrby/observations', observation({ [field.slice(1)]: text }));
        expect(res.statusCode).toBe(400);
        expect(res.json().errors).toEqual([{ path: field, message: expect.stringMatching(/personnummer/) }]);
      }),
      { numRuns: 60 },
    );
  });

  it('accepts ordinary numbers: times, ages, group sizes, years, phone-like short numbers', () => {
    for (const text of [
      'ca 15 personer, 13-16 år, kl 21:30',
      'Vecka 48 2026, buss 1234',
      'Plats 57.7210, 12.9401',
      '2026-12-04 kl 22',
      'Lägenhet 1101',
    ])
      expect(containsIdentityNumber(text), text).toBe(false);
  });

  it('lets the coordinator hide an observation (audited, with a reason); it leaves every list', async () => {
    const created = await call(
      t,
      leisure,
      'POST',
      '/api/areas/Norrby/observations',
      observation({ description: 'Syskonen på hörnet, den äldste i blå jacka', category: 'vandalism' }),
    );
    const id = created.json().id as string;
    const body = { reason: 'Beskrivningen pekar ut personer' };
    expect((await call(t, leisure, 'POST', `/api/observations/${id}/hide`, body)).statusCode).toBe(403);
    expect((await call(t, coordinator, 'POST', `/api/observations/${id}/hide`, { reason: '' })).statusCode).toBe(400);
    expect((await call(t, coordinator, 'POST', `/api/observations/${id}/hide`, { reason: 'Gäller 0101011234' })).statusCode).toBe(400);
    expect((await call(t, coordinator, 'POST', '/api/observations/not-a-uuid/hide', body)).statusCode).toBe(400);
    const hidden = await call(t, coordinator, 'POST', `/api/observations/${id}/hide`, body);
    expect(hidden.statusCode, hidden.body).toBe(200);
    expect(hidden.json()).toEqual({ id, hidden: true });
    const again = await call(t, coordinator, 'POST', `/api/observations/${id}/hide`, body);
    expect(again.statusCode).toBe(404);
    const missing = '00000000-0000-4000-8000-0000000000ee';
    expect((await call(t, coordinator, 'POST', `/api/observations/${missing}/hide`, body)).statusCode).toBe(404);
    expect((await auditRows(t, 'area.observation.hide')).map((r) => [r.outcome, r.reason, r.resource_id])).toEqual([
      ['denied', 'role', null],
      ['allowed', null, id],
      ['denied', 'not_found', id],
      ['denied', 'not_found', missing],
    ]);
    const list = (await call(t, police, 'GET', '/api/areas/Norrby/observations?pageSize=100')).json() as { items: { id: string }[] };
    expect(list.items.map((i) => i.id)).not.toContain(id);
    const picture = (await call(t, police, 'GET', '/api/areas/Norrby')).json() as { weeks: { category: string }[] };
    expect(picture.weeks.map((w) => w.category)).not.toContain('vandalism');
    const { rows } = await t.sql.query('SELECT hidden_reason FROM area_observation WHERE id = $1', [id]);
    expect(rows).toEqual([{ hidden_reason: body.reason }]);
  });
});
