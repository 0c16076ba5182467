import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp, login, type TestContext } from '../helpers/app.js';
import { count, createCase } from '../cases/fixtures.js';
import { JPEG, PDF, PNG, pdf, upload } from './fixtures.js';

const LIMIT = 64 * 1024;

describe('documents of a case: upload, storage, download (owning unit)', () => {
  let t: TestContext;
  let social: string;
  let caseId: string;
  beforeAll(async () => {
    t = await createTestApp({ DOCUMENT_MAX_BYTES: String(LIMIT) });
    social = await login(t.app, 'social');
    caseId = (await createCase(t.app, social)).id;
  });
  afterAll(async () => t.close());

  const download = (id: string, token = social) => t.app.inject({ url: `/api/documents/${id}`, headers: bearer(token) });

  it('requires a session on every route (401)', async () => {
    const id = '00000000-0000-4000-8000-000000000001';
    for (const r of [
      { method: 'POST' as const, url: `/api/cases/${caseId}/documents` },
      { method: 'GET' as const, url: `/api/cases/${caseId}/documents` },
      { method: 'GET' as const, url: `/api/documents/${id}` },
    ]) {
      expect((await t.app.inject(r)).statusCode, r.url).toBe(401);
    }
  });

  it('stores a PDF encrypted (201): metadata back, the SHA-256 in the signed audit event, bytes in the row not the plaintext', async () => {
    const res = await upload(t.app, social, caseId, { category: 'identity', title: 'Underskrivet samtycke' }, pdf());
    expect(res.statusCode, res.body).toBe(201);
    const doc = res.json();
    const sha256 = createHash('sha256').update(PDF).digest('hex');
    expect(doc).toMatchObject({
      caseId,
      category: 'identity',
      title: 'Underskrivet samtycke',
      mediaType: 'application/pdf',
      size: PDF.length,
      sha256,
      consentId: null,
      meetingId: null,
      authorName: 'Sara Lind',
    });
    const { rows: events } = await t.sql.query(
      "SELECT resource_id, case_id, outcome, reason FROM audit_queue WHERE action = 'document.upload'",
    );
    expect(events).toEqual([{ resource_id: doc.id, case_id: caseId, outcome: 'allowed', reason: `sha256:${sha256}` }]);
    const {
      rows: [row],
    } = await t.sql.query('SELECT ciphertext, iv, auth_tag, sha256 FROM document WHERE id = $1', [doc.id]);
    expect(row.iv).toHaveLength(12);
    expect(row.auth_tag).toHaveLength(16);
    expect(row.ciphertext).toHaveLength(PDF.length);
    expect(Buffer.compare(row.ciphertext, PDF)).not.toBe(0);
    expect(row.ciphertext.includes(Buffer.from('ZQSIGNEDCONSENTFORM'))).toBe(false);
    expect(row.ciphertext.includes(Buffer.from('%PDF'))).toBe(false);
    // A fresh IV per document: the same file stored twice gives other bytes.
    const again = (await upload(t.app, social, caseId, { category: 'identity' }, pdf())).json();
    const {
      rows: [row2],
    } = await t.sql.query('SELECT ciphertext, iv FROM document WHERE id = $1', [again.id]);
    expect(Buffer.compare(row2.iv, row.iv)).not.toBe(0);
    expect(Buffer.compare(row2.ciphertext, row.ciphertext)).not.toBe(0);
  });

  it('answers the same bytes on download, audited, never cached, with a neutral file name', async () => {
    for (const [bytes, type, ext] of [
      [PDF, 'application/pdf', 'pdf'],
      [PNG, 'image/png', 'png'],
      [JPEG, 'image/jpeg', 'jpg'],
    ] as const) {
      const doc = (
        await upload(
          t.app,
          social,
          caseId,
          { category: 'social' },
          { name: 'Elin Andersson 20110314-2384.bin', type: 'application/octet-stream', bytes },
        )
      ).json();
      const res = await download(doc.id);
      expect(res.statusCode).toBe(200);
      expect(Buffer.compare(res.rawPayload, bytes)).toBe(0);
      expect(res.headers['content-type']).toBe(type);
      expect(res.headers['content-disposition']).toBe(`attachment; filename="dokument-${doc.id.slice(0, 8)}.${ext}"`);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      const { rows } = await t.sql.query(
        "SELECT outcome, case_id FROM audit_queue WHERE action = 'document.download' AND resource_id = $1",
        [doc.id],
      );
      expect(rows).toEqual([{ outcome: 'allowed', case_id: caseId }]);
    }
  });

  it('checks the type by content: a PNG named .pdf is stored as PNG; text named .pdf, an empty file, no file → 400, nothing stored', async () => {
    const png = await upload(t.app, social, caseId, { category: 'social' }, { name: 'scan.pdf', type: 'application/pdf', bytes: PNG });
    expect(png.statusCode).toBe(201);
    expect(png.json().mediaType).toBe('image/png');
    const before = await count(t, 'document');
    const text = await upload(
      t.app,
      social,
      caseId,
      { category: 'social' },
      { name: 'scan.pdf', type: 'application/pdf', bytes: Buffer.from('Detta är ingen PDF, bara text.\n') },
    );
    expect(text.statusCode).toBe(400);
    expect(text.json()).toMatchObject({ type: 'urn:samverka:problem:document_type_not_allowed', errors: [{ path: '/file' }] });
    const empty = await upload(
      t.app,
      social,
      caseId,
      { category: 'social' },
      { name: 'tom.pdf', type: 'application/pdf', bytes: Buffer.alloc(0) },
    );
    expect(empty.statusCode).toBe(400);
    expect(empty.json().type).toBe('urn:samverka:problem:document_empty');
    expect((await upload(t.app, social, caseId, { category: 'social' })).statusCode).toBe(400);
    expect(await count(t, 'document')).toBe(before);
  });

  it('refuses a file over the configured limit (413), bad fields (400), two files, and a body that is not multipart (415): nothing stored', async () => {
    const before = await count(t, 'document');
    const big = Buffer.concat([PDF, Buffer.alloc(LIMIT, 0x20)]);
    const res = await upload(t.app, social, caseId, { category: 'social' }, pdf(big));
    expect(res.statusCode).toBe(413);
    expect(res.json().type).toBe('urn:samverka:problem:document_too_large');
    const bad: Record<string, string>[] = [
      {},
      { category: 'gossip' },
      { category: 'school' },
      { category: 'social', extra: 'x' },
      { category: 'social', consentId: 'nope' },
      { category: 'social', title: 'x'.repeat(201) },
    ];
    for (const fields of bad) {
      expect((await upload(t.app, social, caseId, fields, pdf())).statusCode, JSON.stringify(fields)).toBe(400);
    }
    expect((await upload(t.app, social, caseId, { category: 'social' }, pdf(), pdf())).statusCode).toBe(400);
    const json = await t.app.inject({
      method: 'POST',
      url: `/api/cases/${caseId}/documents`,
      headers: bearer(social),
      payload: { category: 'social' },
    });
    expect(json.statusCode).toBe(415);
    expect(await count(t, 'document')).toBe(before);
  });

  it('attaches a document to a consent or a meeting of the same case only', async () => {
    const other = (await createCase(t.app, social, {}, { personalIdentityNumber: '198211059954', guardians: [] })).id;
    const me = (await t.app.inject({ url: '/api/me', headers: bearer(social) })).json();
    const meeting = await t.app.inject({
      method: 'POST',
      url: `/api/cases/${other}/meetings`,
      headers: bearer(social),
      payload: { date: '2026-11-20', agencyIds: [me.agencyId], agenda: 'Uppstart', minutes: 'Inga' },
    });
    expect(meeting.statusCode, meeting.body).toBe(201);
    const meetingId = meeting.json().id;
    const attached = await upload(t.app, social, other, { category: 'plan', meetingId }, pdf());
    expect(attached.statusCode, attached.body).toBe(201);
    expect(attached.json().meetingId).toBe(meetingId);
    const before = await count(t, 'document');
    const wrong = await upload(t.app, social, caseId, { category: 'plan', meetingId }, pdf());
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json().type).toBe('urn:samverka:problem:meeting_not_in_case');
    expect(await count(t, 'document')).toBe(before);
  });

  it('lists metadata only, newest first', async () => {
    const res = await t.app.inject({ url: `/api/cases/${caseId}/documents`, headers: bearer(social) });
    expect(res.statusCode).toBe(200);
    const { items, withheld } = res.json();
    expect(items.length).toBe(await count(t, 'document', 'case_id = $1', [caseId]));
    expect(withheld).toEqual([]);
    expect(Object.keys(items[0]).sort()).toEqual([
      'authorAgencyId',
      'authorName',
      'authorUserId',
      'caseId',
      'category',
      'consentId',
      'createdAt',
      'id',
      'mediaType',
      'meetingId',
      'sha256',
      'size',
      'title',
    ]);
    const times = items.map((d: { createdAt: string }) => d.createdAt);
    expect([...times].sort().reverse()).toEqual(times);
  });

  it('refuses a tampered ciphertext: 409 document_corrupt, audited as an error, no bytes', async () => {
    const doc = (await upload(t.app, social, caseId, { category: 'social' }, pdf())).json();
    const client = await t.sql.connect();
    try {
      // The table refuses UPDATE (append-only): only a superuser that switches triggers off can tamper.
      await client.query('BEGIN');
      await client.query("SET LOCAL session_replication_role = 'replica'");
      await client.query('UPDATE document SET ciphertext = set_byte(ciphertext, 5, (get_byte(ciphertext, 5) # 1)) WHERE id = $1', [doc.id]);
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    const res = await download(doc.id);
    expect(res.statusCode).toBe(409);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json().type).toBe('urn:samverka:problem:document_corrupt');
    expect(res.body.includes('%PDF')).toBe(false);
    const { rows } = await t.sql.query("SELECT outcome, reason FROM audit_queue WHERE action = 'document.download' AND resource_id = $1", [
      doc.id,
    ]);
    expect(rows).toEqual([{ outcome: 'error', reason: 'document_corrupt' }]);
  });

  it('is append-only for the application', async () => {
    await expect(t.sql.query("UPDATE document SET title = 'x'")).rejects.toThrow(/append-only/);
    await expect(t.sql.query('DELETE FROM document')).rejects.toThrow(/append-only/);
  });

  it('answers 404 for a document that does not exist, audited', async () => {
    const id = '00000000-0000-4000-8000-0000000000aa';
    expect((await download(id)).statusCode).toBe(404);
    const { rows } = await t.sql.query("SELECT outcome, reason FROM audit_queue WHERE action = 'document.download' AND resource_id = $1", [
      id,
    ]);
    expect(rows).toEqual([{ outcome: 'denied', reason: 'not_found' }]);
  });
});
