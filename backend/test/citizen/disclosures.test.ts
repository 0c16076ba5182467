import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventLeafHash, verifyCheckpointSignature, verifyInclusion, type Checkpoint } from '../../src/modules/audit/audit.crypto.js';
import { verifyDocument } from '../../src/cli/audit-verify.js';
import { stockholmDate } from '../../src/modules/consents/calendar.js';
import { bearer, createTestApp, login, type TestContext } from '../helpers/app.js';
import { citizenSignIn, type CitizenTestSession } from '../helpers/citizen.js';
import { agencies, recordConsent, type Agencies } from '../consents/fixtures.js';
import { openFamilyCase, STAFF_NAMES, type Family } from './consent-fixtures.js';

interface Day {
  date: string;
  agencyId: string;
  agencyName: string;
  category: string;
  categoryLabel: string;
  count: number;
}

interface ExtractEvent {
  seq: number;
  eventId: string;
  occurredAt: string;
  actorId: string | null;
  actorAgencyId: string | null;
  agencyName: string | null;
  actorRole: string | null;
  action: string;
  resourceType: string;
  resourceId: string | null;
  caseId: string | null;
  subjectId: string | null;
  outcome: string;
  reason: string | null;
  consentIds: string[];
  requestId: string | null;
  clientIp: string | null;
  leafIndex: number;
  leafHash: string;
  inclusionProof: string[] | null;
  redacted: string[];
}

const daysAgo = (n: number): Date => new Date(Date.now() - n * 86_400_000);

describe('citizen: who received what, and the log extract', () => {
  let t: TestContext;
  let social: string;
  let police: string;
  let a: Agencies;
  let fam: Family;
  let other: Family;
  let youth: CitizenTestSession;
  let custodial: CitizenTestSession;
  let noCustody: CitizenTestSession;
  let staffIds: string[];
  let policeName: string;
  let todayCounts: Record<string, number>;

  beforeAll(async () => {
    t = await createTestApp({ AUDIT_CHECKPOINT_EVERY: '1' });
    social = await login(t.app, 'social');
    police = await login(t.app, 'police');
    a = await agencies(t);
    fam = await openFamilyCase(t.app, social, '391', [a.police]);
    other = await openFamilyCase(t.app, social, '392', [a.police]);
    const consents = [];
    for (const givenBy of [{ kind: 'subject' as const }, { kind: 'guardian' as const, guardianId: fam.custodialId }]) {
      consents.push(
        await recordConsent(t.app, social, fam.caseId, { givenBy, agencyIds: [a.social, a.police], categories: ['identity', 'social'] }),
      );
    }
    // A real read through the gate: the police open the case.
    expect((await t.app.inject({ url: `/api/cases/${fam.caseId}`, headers: bearer(police) })).statusCode).toBe(200);
    const policeUser = (await t.sql.query("SELECT id, display_name FROM app_user WHERE username = 'police'")).rows[0];
    policeName = policeUser.display_name;
    todayCounts = Object.fromEntries(
      (await t.sql.query('SELECT category, count(*)::int AS n FROM disclosure WHERE subject_id = $1 GROUP BY 1', [fam.subjectId])).rows.map(
        (r) => [r.category, r.n],
      ),
    );
    // Earlier days of the ledger (the school's reads three days ago, the police's ten days ago).
    for (const [when, to, category] of [
      [daysAgo(3), a.school, 'identity'],
      [daysAgo(3), a.school, 'identity'],
      [daysAgo(10), a.police, 'social'],
    ] as const) {
      await t.sql.query(
        `INSERT INTO disclosure (id, case_id, subject_id, item_type, item_id, category, from_agency_id, to_agency_id, to_user_id, consent_ids, disclosed_at, request_id)
         VALUES ($1, $2, $3, 'case', $2, $4, $5, $6, $7, $8::uuid[], $9, $10)`,
        [randomUUID(), fam.caseId, fam.subjectId, category, a.social, to, policeUser.id, `{${consents[0]!.id}}`, when, randomUUID()],
      );
    }
    youth = await citizenSignIn(t.app, { personalIdentityNumber: fam.subjectPin });
    custodial = await citizenSignIn(t.app, { personalIdentityNumber: fam.custodialPin });
    noCustody = await citizenSignIn(t.app, { personalIdentityNumber: fam.otherPin });
    staffIds = (await t.sql.query<{ id: string }>('SELECT id FROM app_user')).rows.map((r) => r.id);
  });
  afterAll(async () => t.close());

  const disclosures = (query: string, headers: Record<string, string>) =>
    t.app.inject({ url: `/api/citizen/disclosures?${query}`, headers });
  const extract = (subjectId: string, headers: Record<string, string>) =>
    t.app.inject({ url: `/api/citizen/extract?subjectId=${subjectId}`, headers });
  const denied = async (action: string): Promise<{ reason: string; resource_id: string }[]> =>
    (await t.sql.query("SELECT reason, resource_id FROM audit_queue WHERE action = $1 AND outcome = 'denied' ORDER BY id", [action])).rows;

  it('answers 401 without a token and with a staff token', async () => {
    for (const headers of [{}, bearer(social)]) {
      expect((await disclosures(`subjectId=${fam.subjectId}`, headers)).statusCode).toBe(401);
      expect((await extract(fam.subjectId, headers)).statusCode).toBe(401);
    }
  });

  it('answers 400 for a missing or malformed subject, day or limit', async () => {
    for (const q of ['', 'subjectId=nope', `subjectId=${fam.subjectId}&limit=0`, `subjectId=${fam.subjectId}&before=yesterday`]) {
      expect((await disclosures(q, youth.headers)).statusCode).toBe(400);
    }
    expect((await t.app.inject({ url: '/api/citizen/extract', headers: youth.headers })).statusCode).toBe(400);
  });

  it('answers 404 for a person out of scope (another family, a guardian without custody) — audited', async () => {
    expect((await disclosures(`subjectId=${other.subjectId}`, youth.headers)).statusCode).toBe(404);
    expect((await disclosures(`subjectId=${fam.subjectId}`, noCustody.headers)).statusCode).toBe(404);
    expect((await extract(other.subjectId, youth.headers)).statusCode).toBe(404);
    expect(await denied('citizen.disclosure.read')).toEqual([
      { reason: 'not_in_scope', resource_id: other.subjectId },
      { reason: 'not_in_scope', resource_id: fam.subjectId },
    ]);
    expect(await denied('citizen.extract')).toEqual([{ reason: 'not_in_scope', resource_id: other.subjectId }]);
  });

  it('answers 404 to a protected person before a social worker released their view — audited', async () => {
    const hidden = await openFamilyCase(t.app, social, '393', [a.police], { protectedIdentity: 'sekretessmarkering' });
    const session = await citizenSignIn(t.app, { personalIdentityNumber: hidden.subjectPin });
    expect((await disclosures(`subjectId=${hidden.subjectId}`, session.headers)).statusCode).toBe(404);
    expect((await extract(hidden.subjectId, session.headers)).statusCode).toBe(404);
    expect((await denied('citizen.disclosure.read')).at(-1)).toEqual({ reason: 'contact_social_worker', resource_id: hidden.subjectId });
    expect((await denied('citizen.extract')).at(-1)).toEqual({ reason: 'contact_social_worker', resource_id: hidden.subjectId });
  });

  it('shows per day which agencies received which kinds of information, newest first — never a staff name', async () => {
    const res = await disclosures(`subjectId=${fam.subjectId}`, youth.headers);
    expect(res.statusCode).toBe(200);
    const { days, nextBefore } = res.json() as { days: Day[]; nextBefore: string | null };
    expect(nextBefore).toBeNull();
    const today = stockholmDate(new Date());
    const policeAgency = (await t.sql.query('SELECT name FROM agency WHERE id = $1', [a.police])).rows[0].name;
    const schoolAgency = (await t.sql.query('SELECT name FROM agency WHERE id = $1', [a.school])).rows[0].name;
    expect(Object.keys(todayCounts).length).toBeGreaterThan(0);
    expect(days.filter((d) => d.date === today)).toEqual(
      Object.keys(todayCounts)
        .sort()
        .map((category) => ({
          date: today,
          agencyId: a.police,
          agencyName: policeAgency,
          category,
          categoryLabel: category === 'identity' ? 'Identity and personal circumstances' : expect.any(String),
          count: todayCounts[category],
        })),
    );
    expect(days.filter((d) => d.date !== today)).toEqual([
      {
        date: stockholmDate(daysAgo(3)),
        agencyId: a.school,
        agencyName: schoolAgency,
        category: 'identity',
        categoryLabel: 'Identity and personal circumstances',
        count: 2,
      },
      {
        date: stockholmDate(daysAgo(10)),
        agencyId: a.police,
        agencyName: policeAgency,
        category: 'social',
        categoryLabel: "Social services' assessments and interventions",
        count: 1,
      },
    ]);
    for (const secret of [...STAFF_NAMES, ...staffIds]) expect(res.body).not.toContain(secret);
    const { rows } = await t.sql.query(
      "SELECT actor_role, subject_id FROM audit_queue WHERE action = 'citizen.disclosure.read' AND outcome = 'allowed'",
    );
    expect(rows).toEqual([{ actor_role: 'citizen_subject', subject_id: fam.subjectId }]);
    // The guardian with custody sees the same.
    expect((await disclosures(`subjectId=${fam.subjectId}`, custodial.headers)).json().days).toEqual(days);
  });

  it('pages by whole days: `limit` days, then `before` the oldest of them', async () => {
    const seen: string[][] = [];
    let query = `subjectId=${fam.subjectId}&limit=1`;
    for (;;) {
      const page = (await disclosures(query, youth.headers)).json() as { days: Day[]; nextBefore: string | null };
      seen.push([...new Set(page.days.map((d) => d.date))]);
      if (!page.nextBefore) break;
      expect(page.nextBefore).toBe(page.days.at(-1)!.date);
      query = `subjectId=${fam.subjectId}&limit=1&before=${page.nextBefore}`;
    }
    expect(seen).toEqual([[stockholmDate(new Date())], [stockholmDate(daysAgo(3))], [stockholmDate(daysAgo(10))]]);
  });

  it('gives the log extract as a download whose proofs verify against the signed checkpoint, with agencies and roles but no staff', async () => {
    await t.app.auditSequencer.drain();
    const res = await extract(fam.subjectId, youth.headers);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-disposition']).toBe('attachment; filename="samverka-registerutdrag.json"');
    expect(res.headers['cache-control']).toBe('no-store');
    const x = res.json() as { format: string; checkpoint: Checkpoint; events: ExtractEvent[]; publicKey: { publicKey: string } };
    expect(x.format).toBe('samverka-citizen-extract/v1');
    const key = Buffer.from(x.publicKey.publicKey, 'base64');
    expect(verifyCheckpointSignature(key, x.checkpoint)).toBe(true);
    const root = Buffer.from(x.checkpoint.rootHash, 'hex');
    expect(x.events.length).toBeGreaterThan(5);
    for (const e of x.events) {
      expect(e.inclusionProof).not.toBeNull();
      const proof = e.inclusionProof!.map((h) => Buffer.from(h, 'hex'));
      expect(verifyInclusion(e.leafIndex, x.checkpoint.treeSize, Buffer.from(e.leafHash, 'hex'), proof, root)).toBe(true);
      // Left whole, an event recomputes to its leaf: the proof covers what the person reads.
      if (e.redacted.length === 0) expect(eventLeafHash(e).toString('hex')).toBe(e.leafHash);
    }
    const whole = x.events.filter((e) => e.redacted.length === 0);
    expect(whole.some((e) => e.action === 'citizen.disclosure.read' && e.actorId === fam.subjectId && e.clientIp !== null)).toBe(true);
    // The police's read: the agency and the role, not who.
    const read = x.events.find((e) => e.action === 'case.read' && e.actorAgencyId === a.police);
    expect(read).toMatchObject({ actorId: null, clientIp: null, agencyName: expect.any(String), actorRole: 'partner' });
    expect(read!.redacted).toEqual(['actorId', 'clientIp']);
    for (const secret of [...STAFF_NAMES, policeName, ...staffIds]) expect(res.body).not.toContain(secret);
    expect(res.body).not.toContain('actorName');
    // Read before it left: the extract's own event is in the queue.
    const { rows } = await t.sql.query("SELECT subject_id FROM audit_queue WHERE action = 'citizen.extract' AND outcome = 'allowed'");
    expect(rows).toEqual([{ subject_id: fam.subjectId }]);
  });

  it("the offline verifier checks the person's copy: whole events recomputed, the others by their leaf hash, tampering found", async () => {
    await t.app.auditSequencer.drain();
    const doc = (await extract(fam.subjectId, youth.headers)).json() as {
      publicKey: { publicKey: string };
      events: Record<string, unknown>[];
    };
    const key = Buffer.from(doc.publicKey.publicKey, 'base64');
    const r = verifyDocument(doc, key);
    expect(r).toMatchObject({ kind: 'extract', ok: true, events: doc.events.length, proven: doc.events.length });
    expect(r.kind === 'extract' && r.provenByLeafOnly).toBe(doc.events.filter((e) => (e.redacted as string[]).length > 0).length);
    expect(r.kind === 'extract' && r.provenByLeafOnly).toBeGreaterThan(0);

    const whole = doc.events.findIndex((e) => (e.redacted as string[]).length === 0);
    const altered = structuredClone(doc);
    altered.events[whole]!.action = 'case.close';
    expect(verifyDocument(altered, key)).toMatchObject({ ok: false, problem: expect.stringContaining('leaf hash') });

    const partial = doc.events.findIndex((e) => (e.redacted as string[]).length > 0);
    const swapped = structuredClone(doc);
    swapped.events[partial]!.leafHash = 'f'.repeat(64);
    expect(verifyDocument(swapped, key)).toMatchObject({ ok: false, problem: expect.stringContaining('inclusion proof') });
  });
});
