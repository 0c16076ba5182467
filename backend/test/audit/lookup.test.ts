import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp, login, type TestContext } from '../helpers/app.js';
import { ctx, event, one } from './helpers.js';

/** GDPR art. 15 lookup, the filter lists, the extract's cap and CSV, the timeline's error series. */
describe('auditor lookup and lists', () => {
  let t: TestContext;
  let auditor: string;
  let social: string;
  let admin: string;
  const pin = '201105171233'; // Luhn-valid
  const ids = [randomUUID(), randomUUID()];
  beforeAll(async () => {
    t = await createTestApp();
    auditor = await login(t.app, 'auditor');
    social = await login(t.app, 'social');
    admin = await login(t.app, 'admin');
    const agencies = (await t.sql.query<{ id: string }>('SELECT id FROM agency ORDER BY name LIMIT 2')).rows;
    for (let i = 0; i < 2; i++) {
      await t.sql.query(
        `INSERT INTO subject (id, owner_agency_id, personal_identity_number, birth_date, first_name, last_name, created_at)
         VALUES ($1, $2, $3, '2011-05-17', 'Testa', 'Loggsson', now() + ($4 || ' seconds')::interval)`,
        [ids[i], agencies[i]!.id, pin, String(i)],
      );
    }
    const user = await one<{ id: string; agency_id: string }>(t.sql, "SELECT id, agency_id FROM app_user WHERE username = 'social'");
    const c = ctx({ actorId: user.id, actorAgencyId: user.agency_id });
    for (let i = 0; i < 3; i++)
      await t.app.audit.record(t.orm.em.fork(), c, event(i, { subjectId: ids[0], outcome: i === 2 ? 'error' : 'allowed' }));
    await t.app.auditSequencer.drain();
    await t.app.auditSequencer.checkpointNow();
  });
  afterAll(async () => t.close());

  const lookup = (token: string | null, payload: unknown) =>
    t.app.inject({
      method: 'POST',
      url: '/api/audit/subjects/lookup',
      payload: payload as object,
      ...(token ? { headers: bearer(token) } : {}),
    });
  const lastLookups = async () =>
    (
      await t.sql.query('SELECT outcome, reason, subject_id, resource_id, request_id FROM audit_queue WHERE action = $1 ORDER BY id', [
        'audit.subject.lookup',
      ])
    ).rows;

  it('401 without a session; 403 (audited) for a social worker or an admin', async () => {
    expect((await lookup(null, { personalIdentityNumber: pin })).statusCode).toBe(401);
    for (const token of [social, admin]) {
      const before = (await one<{ n: number }>(t.sql, "SELECT count(*)::int AS n FROM audit_queue WHERE outcome = 'denied'")).n;
      expect((await lookup(token, { personalIdentityNumber: pin })).statusCode).toBe(403);
      expect((await one<{ n: number }>(t.sql, "SELECT count(*)::int AS n FROM audit_queue WHERE outcome = 'denied'")).n).toBe(before + 1);
    }
  });

  it.each([
    [{ personalIdentityNumber: '201105171239' }, true],
    [{ personalIdentityNumber: '20110517-0008' }, true],
    [{ personalIdentityNumber: 'abcdefghij' }, true],
    [{}, false],
    [{ personalIdentityNumber: 201105171233 }, false],
    [{ personalIdentityNumber: pin, name: 'x' }, false],
  ])('400 for %j, with no number in any audit event', async (payload, audited) => {
    const before = (await lastLookups()).length;
    const res = await lookup(auditor, payload);
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/problem\+json/);
    expect(res.body).not.toContain('20110517');
    const rows = await lastLookups();
    expect(rows.length).toBe(before + (audited ? 1 : 0));
    if (audited) expect(rows[rows.length - 1]).toMatchObject({ outcome: 'denied', reason: 'invalid_number', subject_id: null });
  });

  it('finds every subject of the number, in any accepted form; ids only; each one audited with its subject, the number nowhere', async () => {
    for (const form of [pin, '20110517-1233', '110517-1233', '1105171233']) {
      const res = await lookup(auditor, { personalIdentityNumber: form });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toEqual({ subjects: ids.map((id) => ({ id })) });
    }
    const rows = await lastLookups();
    expect(rows.slice(-2)).toEqual([
      expect.objectContaining({ outcome: 'allowed', reason: 'role', subject_id: ids[0] }),
      expect.objectContaining({ outcome: 'allowed', reason: 'role', subject_id: ids[1] }),
    ]);
    const leaked = await t.sql.query(
      `SELECT 1 FROM audit_queue q WHERE concat_ws('|', q.resource_id, q.reason, q.request_id, q.client_ip, q.actor_role) LIKE '%1105171233%'`,
    );
    expect(leaked.rowCount).toBe(0);
  });

  it('an unknown number: no subjects, audited as a lookup without match', async () => {
    const res = await lookup(auditor, { personalIdentityNumber: '19900101-0017' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ subjects: [] });
    expect((await lastLookups()).at(-1)).toMatchObject({ outcome: 'allowed', reason: 'no_match', subject_id: null });
  });

  it('lists agencies, staff and action codes for the filters (auditor only, audited)', async () => {
    for (const url of ['/api/audit/agencies', '/api/audit/actors', '/api/audit/actions']) {
      expect((await t.app.inject({ url })).statusCode, url).toBe(401);
      expect((await t.app.inject({ url, headers: bearer(social) })).statusCode, url).toBe(403);
    }
    const agencies = (await t.app.inject({ url: '/api/audit/agencies', headers: bearer(auditor) })).json() as {
      items: { id: string; name: string; kind: string }[];
    };
    expect(agencies.items.length).toBeGreaterThanOrEqual(2);
    expect(agencies.items[0]).toEqual({ id: expect.any(String), name: expect.any(String), kind: expect.any(String) });
    const actors = (await t.app.inject({ url: '/api/audit/actors', headers: bearer(auditor) })).json() as {
      items: { displayName: string; agencyName: string }[];
    };
    expect(actors.items).toContainEqual(
      expect.objectContaining({ displayName: 'Sara Lind', agencyName: expect.stringContaining('Borås Stad') }),
    );
    expect(JSON.stringify(actors)).not.toMatch(/password|username/);
    const actions = (await t.app.inject({ url: '/api/audit/actions', headers: bearer(auditor) })).json() as { items: string[] };
    expect(actions.items).toContain('case.read');
    expect(actions.items).toContain('audit.subject.lookup');
    expect(actions.items).toEqual([...actions.items].sort());
    const logged = (
      await t.sql.query(
        "SELECT action FROM audit_queue WHERE action IN ('audit.agencies', 'audit.actors', 'audit.actions') AND outcome = 'allowed'",
      )
    ).rows;
    expect(logged).toHaveLength(3);
  });

  it('the extract states its cap; its CSV has no client address and a proof status per event', async () => {
    const x = (await t.app.inject({ url: `/api/audit/subjects/${ids[0]}/extract`, headers: bearer(auditor) })).json() as {
      truncated: boolean;
      limit: number;
      events: { outcome: string }[];
    };
    expect(x).toMatchObject({ truncated: false, limit: 10_000 });
    expect(x.events.map((e) => e.outcome)).toContain('error');
    const csv = await t.app.inject({ url: `/api/audit/subjects/${ids[0]}/extract.csv`, headers: bearer(auditor) });
    expect(csv.statusCode, csv.body).toBe(200);
    expect(csv.headers['content-type']).toMatch(/text\/csv/);
    expect(csv.headers['x-truncated']).toBe('false');
    const [header, ...lines] = csv.body
      .replace(/^\ufeff/, '')
      .trim()
      .split('\r\n');
    expect(header).toBe(
      '"seq","occurred_at","actor_id","actor_name","agency_id","agency_name","actor_role","action","resource_type","resource_id","case_id","subject_id","outcome","reason","consent_ids","request_id","proof"',
    );
    expect(header).not.toContain('client_ip');
    expect(csv.body).not.toContain('127.0.0.1');
    // The lookups above are about this subject too; all are covered by the checkpoint or pending.
    expect(lines.length).toBeGreaterThanOrEqual(3);
    expect(lines.every((l) => l.endsWith('"proven"') || l.endsWith('"pending"'))).toBe(true);
    expect(lines.filter((l) => l.endsWith('"proven"')).length).toBeGreaterThanOrEqual(3);
    expect((await t.app.inject({ url: '/api/audit/subjects/nope/extract.csv', headers: bearer(auditor) })).statusCode).toBe(400);
    expect((await t.app.inject({ url: `/api/audit/subjects/${ids[0]}/extract.csv`, headers: bearer(social) })).statusCode).toBe(403);
    expect((await t.sql.query("SELECT 1 FROM audit_queue WHERE action = 'audit.extract_csv' AND subject_id = $1", [ids[0]])).rowCount).toBe(
      1,
    );
  });

  it('the timeline counts errors as a third series; anomalies carry a filter and no API link', async () => {
    const from = new Date(Date.now() - 86_400_000).toISOString();
    const to = new Date(Date.now() + 86_400_000).toISOString();
    const tl = (await t.app.inject({ url: `/api/audit/timeline?from=${from}&to=${to}`, headers: bearer(auditor) })).json() as {
      points: { error: number }[];
    };
    expect(tl.points.reduce((n, p) => n + p.error, 0)).toBeGreaterThanOrEqual(1);
    const an = await t.app.inject({ url: '/api/audit/anomalies', headers: bearer(auditor) });
    expect(an.statusCode).toBe(200);
    for (const a of (an.json() as { items: Record<string, unknown>[] }).items) {
      expect(a).toHaveProperty('filter');
      expect(a).not.toHaveProperty('href');
    }
  });
});
