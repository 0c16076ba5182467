import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyExportFile } from '../../src/cli/audit-verify.js';
import { csvCell } from '../../src/modules/audit/audit.service.js';
import { bearer, createTestApp, login, type TestContext } from '../helpers/app.js';
import { ctx, event, one } from './helpers.js';

describe('auditor API', () => {
  let t: TestContext;
  let auditor: string;
  let admin: string;
  let social: string;
  let socialUser: { id: string; agency_id: string };
  const subject = randomUUID();
  const caseId = randomUUID();
  beforeAll(async () => {
    t = await createTestApp();
    auditor = await login(t.app, 'auditor');
    admin = await login(t.app, 'admin');
    social = await login(t.app, 'social');
    socialUser = await one(t.sql, "SELECT id, agency_id FROM app_user WHERE username = 'social'");
    const c = { ...ctx({ actorId: socialUser.id, actorAgencyId: socialUser.agency_id }) };
    for (let i = 0; i < 6; i++) {
      await t.app.audit.record(
        t.orm.em.fork(),
        c,
        event(i, { subjectId: subject, caseId, consentIds: [randomUUID()], outcome: i === 5 ? 'denied' : 'allowed' }),
      );
    }
    await t.app.audit.record(t.orm.em.fork(), c, event(99, { resourceId: '=HYPERLINK("http://x")', reason: '+cmd|"/c calc"' }));
    await t.app.auditSequencer.drain();
  });
  afterAll(async () => t.close());

  const endpoints = [
    '/api/audit/events',
    '/api/audit/verify',
    '/api/audit/checkpoints',
    '/api/audit/subjects/00000000-0000-4000-8000-000000000001/extract',
    '/api/audit/export.csv',
    '/api/audit/export',
    '/api/audit/timeline?from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z',
    '/api/audit/anomalies',
    '/api/audit/subjects/00000000-0000-4000-8000-000000000001/extract.csv',
    '/api/audit/agencies',
    '/api/audit/actors',
    '/api/audit/actions',
  ];

  it.each(endpoints)('GET %s requires authentication (401)', async (url) => {
    expect((await t.app.inject({ url })).statusCode).toBe(401);
  });

  it.each(endpoints)('GET %s is refused (403) to a social worker, and the denial is audited', async (url) => {
    const before = (await one<{ n: number }>(t.sql, "SELECT count(*)::int AS n FROM audit_queue WHERE outcome = 'denied'")).n;
    expect((await t.app.inject({ url, headers: bearer(social) })).statusCode).toBe(403);
    expect((await one<{ n: number }>(t.sql, "SELECT count(*)::int AS n FROM audit_queue WHERE outcome = 'denied'")).n).toBe(before + 1);
  });

  it('an admin may verify and list checkpoints, but not read the log (403)', async () => {
    expect((await t.app.inject({ url: '/api/audit/verify', headers: bearer(admin) })).statusCode).toBe(200);
    expect((await t.app.inject({ url: '/api/audit/checkpoints', headers: bearer(admin) })).statusCode).toBe(200);
    for (const url of [
      '/api/audit/events',
      '/api/audit/export',
      '/api/audit/export.csv',
      `/api/audit/subjects/${subject}/extract`,
      `/api/audit/subjects/${subject}/extract.csv`,
      '/api/audit/anomalies',
      '/api/audit/agencies',
      '/api/audit/actors',
      '/api/audit/actions',
    ]) {
      expect((await t.app.inject({ url, headers: bearer(admin) })).statusCode, url).toBe(403);
    }
  });

  it.each([
    '/api/audit/events?pageSize=0',
    '/api/audit/events?pageSize=501',
    '/api/audit/events?page=0',
    '/api/audit/events?subjectId=abc',
    '/api/audit/events?outcome=maybe',
    '/api/audit/events?unknown=1',
    '/api/audit/events?from=yesterday',
    '/api/audit/events?action=DROP%20TABLE',
    '/api/audit/events?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z',
    '/api/audit/export.csv?caseId=1',
    '/api/audit/timeline',
    '/api/audit/timeline?from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z&bucket=week',
    '/api/audit/timeline?from=2026-01-01T00:00:00Z&to=2026-03-01T00:00:00Z&bucket=hour',
    '/api/audit/subjects/not-a-uuid/extract',
    '/api/audit/checkpoints?limit=0',
  ])('malformed query %s → 400', async (url) => {
    const res = await t.app.inject({ url, headers: bearer(auditor) });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/problem\+json/);
  });

  it('search filters by subject, case, actor, agency, action, outcome and period, newest first, with staff and agency names', async () => {
    const res = await t.app.inject({ url: `/api/audit/events?subjectId=${subject}&action=case.read&pageSize=4`, headers: bearer(auditor) });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json() as {
      items: { seq: number; actorName: string; agencyName: string; consentIds: string[]; occurredAt: string }[];
      total: number;
      totalExact: boolean;
      page: number;
    };
    expect(body).toMatchObject({ total: 6, totalExact: true, page: 1, pageSize: 4 });
    expect(body.items).toHaveLength(4);
    expect(body.items[0]).toMatchObject({ actorName: 'Sara Lind', agencyName: expect.stringContaining('Borås Stad'), sequenced: true });
    expect(body.items[0]!.consentIds).toHaveLength(1);
    expect(body.items[0]!.seq).toBeGreaterThan(body.items[1]!.seq);
    const page2 = (
      await t.app.inject({ url: `/api/audit/events?subjectId=${subject}&action=case.read&pageSize=4&page=2`, headers: bearer(auditor) })
    ).json() as { items: unknown[] };
    expect(page2.items).toHaveLength(2);
    const q = (s: string) =>
      t.app.inject({ url: `/api/audit/events?${s}`, headers: bearer(auditor) }).then((r) => (r.json() as { total: number }).total);
    expect(await q(`caseId=${caseId}&action=case.read`)).toBe(6);
    expect(await q(`caseId=${caseId}&action=case.read&outcome=denied`)).toBe(1);
    expect(await q(`actorId=${socialUser.id}&action=case.read`)).toBe(7);
    expect(await q(`agencyId=${socialUser.agency_id}&action=case.read&outcome=allowed`)).toBe(6);
    expect(await q(`subjectId=${subject}&from=2000-01-01T00:00:00Z&to=2001-01-01T00:00:00Z`)).toBe(0);
    // The searches above were audited with the case they named.
    expect(await q(`caseId=${caseId}&action=audit.search`)).toBeGreaterThanOrEqual(3);
  });

  it('events not yet sequenced appear in search at once (sequenced: false), then with their seq', async () => {
    const s2 = randomUUID();
    await t.app.audit.record(t.orm.em.fork(), ctx(), event(1, { subjectId: s2 }));
    const before = (await t.app.inject({ url: `/api/audit/events?subjectId=${s2}`, headers: bearer(auditor) })).json() as {
      items: { seq: number | null; sequenced: boolean; action: string }[];
    };
    // Newest first: the search's own audit event (about this subject), then the read.
    expect(before.items).toEqual([
      expect.objectContaining({ action: 'audit.search', seq: null, sequenced: false }),
      expect.objectContaining({ action: 'case.read', seq: null, sequenced: false }),
    ]);
    await t.app.auditSequencer.drain();
    const after = (await t.app.inject({ url: `/api/audit/events?subjectId=${s2}&action=case.read`, headers: bearer(auditor) })).json() as {
      items: { seq: number | null; sequenced: boolean }[];
    };
    expect(after.items).toEqual([expect.objectContaining({ sequenced: true, seq: expect.any(Number) })]);
  });

  it('every auditor request is itself audited, with the subject it was about', async () => {
    const auditorId = (await one<{ id: string }>(t.sql, "SELECT id FROM app_user WHERE username = 'auditor'")).id;
    const before = (await one<{ n: number }>(t.sql, 'SELECT count(*)::int AS n FROM audit_queue WHERE actor_id = $1', [auditorId])).n;
    await t.app.inject({ url: `/api/audit/events?subjectId=${subject}`, headers: bearer(auditor) });
    await t.app.inject({ url: '/api/audit/timeline?from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z', headers: bearer(auditor) });
    await t.app.inject({ url: '/api/audit/checkpoints', headers: bearer(auditor) });
    const rows = (
      await t.sql.query('SELECT action, subject_id FROM audit_queue WHERE actor_id = $1 ORDER BY id OFFSET $2', [auditorId, before])
    ).rows;
    expect(rows).toEqual([
      { action: 'audit.search', subject_id: subject },
      { action: 'audit.timeline', subject_id: null },
      { action: 'audit.checkpoints', subject_id: null },
    ]);
  });

  it('CSV export: every cell quoted, quotes doubled, formulas neutralised', async () => {
    expect(csvCell('=1+2')).toBe(`"'=1+2"`);
    expect(csvCell('-2')).toBe(`"'-2"`);
    expect(csvCell('@SUM(A1)')).toBe(`"'@SUM(A1)"`);
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell(null)).toBe('""');
    const res = await t.app.inject({ url: `/api/audit/export.csv?actorId=${socialUser.id}&action=case.read`, headers: bearer(auditor) });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/csv/);
    const lines = res.body
      .replace(/^\ufeff/, '')
      .trim()
      .split('\r\n');
    expect(lines).toHaveLength(8);
    expect(lines[0]).toMatch(/^"seq","occurred_at","actor_id","actor_name"/);
    expect(res.body).toContain(`"'=HYPERLINK(""http://x"")"`);
    expect(res.body).toContain(`"'+cmd|""/c calc"""`);
    expect(res.body).toContain('"Sara Lind"');
  });

  it('timeline: allowed and denied per agency per day, in Stockholm days', async () => {
    const now = new Date();
    const from = new Date(now.getTime() - 2 * 86_400_000).toISOString();
    const to = new Date(now.getTime() + 86_400_000).toISOString();
    const res = await t.app.inject({
      url: `/api/audit/timeline?from=${from}&to=${to}&bucket=day&agencyId=${socialUser.agency_id}`,
      headers: bearer(auditor),
    });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json() as { timezone: string; points: { agencyId: string; agencyName: string; allowed: number; denied: number }[] };
    expect(body.timezone).toBe('Europe/Stockholm');
    const sum = body.points.reduce((a, p) => ({ allowed: a.allowed + p.allowed, denied: a.denied + p.denied }), { allowed: 0, denied: 0 });
    expect(sum.denied).toBeGreaterThanOrEqual(1);
    expect(sum.allowed).toBeGreaterThanOrEqual(6);
    expect(body.points.every((p) => p.agencyId === socialUser.agency_id)).toBe(true);
  });

  it('the JSON-lines export verifies offline with the published public key', async () => {
    await t.app.auditSequencer.drain();
    const pk = await t.app.inject({ url: '/api/audit/public-key' });
    expect(pk.statusCode).toBe(200);
    const key = pk.json() as { pem: string; publicKey: string; keyId: string };
    expect(key.keyId).toBe(t.app.keys.signing.kid);
    const res = await t.app.inject({ url: '/api/audit/export', headers: bearer(auditor) });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/ndjson/);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'audit-export-'));
    const file = path.join(dir, 'export.jsonl');
    fs.writeFileSync(file, res.body);
    const r = await verifyExportFile(file, Buffer.from(key.publicKey, 'base64'));
    fs.rmSync(dir, { recursive: true, force: true });
    expect(r).toMatchObject({ kind: 'log', ok: true });
    expect((r as { size: number }).size).toBeGreaterThanOrEqual(8);
  });

  it('a 5xx on an audited route records an `error` event', async () => {
    const original = t.app.auditQueries.search;
    t.app.auditQueries.search = async () => {
      throw new Error('database gone');
    };
    try {
      const res = await t.app.inject({ url: '/api/audit/events', headers: bearer(auditor), query: { pageSize: '3' } });
      expect(res.statusCode).toBe(500);
      const row = await one<{ outcome: string; reason: string; request_id: string }>(
        t.sql,
        "SELECT outcome, reason, request_id FROM audit_queue WHERE action = 'audit.search' ORDER BY id DESC LIMIT 1",
      );
      expect(row).toMatchObject({ outcome: 'error', reason: 'http_500', request_id: res.headers['x-request-id'] });
    } finally {
      t.app.auditQueries.search = original;
    }
  });

  it('a read fails closed when its audit event cannot be written', async () => {
    const original = t.app.audit.record;
    t.app.audit.record = async () => {
      throw new Error('audit store down');
    };
    try {
      const res = await t.app.inject({ url: `/api/audit/events?subjectId=${subject}`, headers: bearer(auditor) });
      expect(res.statusCode).toBe(500);
      expect(res.body).not.toContain(subject);
    } finally {
      t.app.audit.record = original;
    }
  });
});
