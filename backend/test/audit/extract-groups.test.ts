import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp, login, type TestContext } from '../helpers/app.js';
import { agencies, createCase, pin, type Agencies } from '../cases/fixtures.js';
import { recordConsent } from '../consents/fixtures.js';

interface Ev {
  seq: number;
  occurredAt: string;
  actorId: string | null;
  actorName: string | null;
  agencyId?: string | null;
  actorAgencyId?: string | null;
  agencyName: string | null;
  action: string;
  outcome: string;
}
interface Group {
  day: string;
  agencyId: string | null;
  agencyName: string | null;
  category: string;
  ownReads: boolean;
  actorId: string | null;
  actorName: string | null;
  count: number;
  items: Ev[];
}
interface Page {
  groups: Group[];
  total: number;
  totalEvents: number;
  agenciesHeldBack: boolean;
}

const STOCKHOLM = new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Stockholm', year: 'numeric', month: '2-digit', day: '2-digit' });
const dayOf = (iso: string): string => STOCKHOLM.format(new Date(iso));
const isOwnRead = (e: Ev, ownerId: string) => e.outcome === 'allowed' && /\.(read|list)$/.test(e.action) && e.actorId === ownerId;

/**
 * A subject's log extract grouped per day × agency × action in SQL: counts that match the
 * extract's events, the case's own caseworker's repeated reads in a group of their own (or left
 * out), filters, and the protected person's agencies still held back.
 */
describe("a subject's log extract, grouped", () => {
  let t: TestContext;
  let auditor: string;
  let social: string;
  let school: string;
  let a: Agencies;
  let socialId: string;
  let subjectId: string;
  let protectedSubjectId: string;

  const groups = (q = '', subject = subjectId) =>
    t.app.inject({ url: `/api/audit/subjects/${subject}/extract/groups${q}`, headers: bearer(auditor) });
  const extractEvents = async (): Promise<Ev[]> =>
    (await t.app.inject({ url: `/api/audit/subjects/${subjectId}/extract`, headers: bearer(auditor) })).json().events as Ev[];

  beforeAll(async () => {
    t = await createTestApp();
    auditor = await login(t.app, 'auditor');
    social = await login(t.app, 'social');
    school = await login(t.app, 'school');
    a = await agencies(t);
    socialId = (await t.sql.query("SELECT id FROM app_user WHERE username = 'social'")).rows[0].id as string;
    const c = await createCase(
      t.app,
      social,
      { agencyIds: [a.school] },
      { personalIdentityNumber: pin('19990909', '234'), firstName: 'Grupp', lastName: 'Person', guardians: [] },
    );
    subjectId = c.subject.id;
    await recordConsent(t.app, social, c.id, { givenBy: { kind: 'subject' }, agencyIds: [a.social, a.school], categories: ['identity'] });
    // The caseworker opens the case six times; the school twice.
    for (let i = 0; i < 6; i++) expect((await t.app.inject({ url: `/api/cases/${c.id}`, headers: bearer(social) })).statusCode).toBe(200);
    for (let i = 0; i < 2; i++) expect((await t.app.inject({ url: `/api/cases/${c.id}`, headers: bearer(school) })).statusCode).toBe(200);
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
    protectedSubjectId = hidden.subject.id;
    expect((await t.app.inject({ url: `/api/cases/${hidden.id}`, headers: bearer(social) })).statusCode).toBe(200);
    await t.app.auditSequencer.drain();
  });
  afterAll(async () => t.close());

  it('groups every event of the extract once, in groups whose counts are their events', async () => {
    const events = await extractEvents();
    const res = await groups('?groupRows=100&pageSize=200');
    expect(res.statusCode).toBe(200);
    const page = res.json() as Page;
    expect(page.agenciesHeldBack).toBe(false);
    expect(page.totalEvents).toBe(events.length);
    expect(page.total).toBe(page.groups.length);
    expect(page.groups.reduce((n, g) => n + g.count, 0)).toBe(events.length);
    for (const g of page.groups) {
      expect(g.items).toHaveLength(g.count);
      for (const e of g.items) {
        expect(dayOf(e.occurredAt)).toBe(g.day);
        expect(e.agencyId ?? null).toBe(g.agencyId);
        expect(e.action).toBe(g.category);
        expect(isOwnRead(e, socialId)).toBe(g.ownReads);
      }
    }
    const seqs = page.groups.flatMap((g) => g.items.map((e) => e.seq)).sort((x, y) => x - y);
    expect(seqs).toEqual(events.map((e) => e.seq).sort((x, y) => x - y));
  });

  it("collapses the caseworker's own reads of their case into one named line per day, or leaves them out", async () => {
    const events = await extractEvents();
    const own = events.filter((e) => isOwnRead(e, socialId));
    expect(own.length).toBeGreaterThanOrEqual(6);
    const page = (await groups()).json() as Page;
    const mine = page.groups.filter((g) => g.ownReads);
    expect(mine.every((g) => g.actorId === socialId && g.actorName === 'Sara Lind')).toBe(true);
    expect(mine.reduce((n, g) => n + g.count, 0)).toBe(own.length);
    const caseReads = mine.find((g) => g.category === 'case.read')!;
    expect(caseReads.count).toBeGreaterThanOrEqual(6);
    // The school's reads stand on their own line, not drowned among the caseworker's.
    const schoolReads = page.groups.find((g) => g.agencyId === a.school && g.category === 'case.read')!;
    expect(schoolReads).toMatchObject({ ownReads: false, count: 2, actorId: null });
    expect(schoolReads.items.every((e) => e.actorName === 'Johan Ek')).toBe(true);

    const hidden = (await groups('?ownReads=hide')).json() as Page;
    expect(hidden.groups.some((g) => g.ownReads)).toBe(false);
    expect(hidden.totalEvents).toBe(events.length - own.length);
  });

  it('filters by period, agency and action, and pages the groups', async () => {
    const byAgency = (await groups(`?agencyId=${a.school}`)).json() as Page;
    expect(byAgency.groups.length).toBeGreaterThan(0);
    expect(byAgency.groups.every((g) => g.agencyId === a.school)).toBe(true);
    const reads = (await groups('?category=case.read')).json() as Page;
    expect(reads.groups.every((g) => g.category === 'case.read')).toBe(true);
    expect(reads.totalEvents).toBe((await extractEvents()).filter((e) => e.action === 'case.read').length);
    expect(((await groups('?to=2020-01-01')).json() as Page).total).toBe(0);
    const today = dayOf(new Date().toISOString());
    expect(((await groups(`?from=${today}&to=${today}`)).json() as Page).totalEvents).toBe((await extractEvents()).length);

    const all = (await groups()).json() as Page;
    const first = (await groups('?pageSize=1')).json() as Page;
    const second = (await groups('?pageSize=1&page=2')).json() as Page;
    expect(first.groups[0]).toEqual(all.groups[0]);
    expect(second.groups[0]!.category === all.groups[1]!.category && second.groups[0]!.agencyId === all.groups[1]!.agencyId).toBe(true);
  });

  it("holds back a protected person's agencies and users, and refuses to filter by agency (409)", async () => {
    const page = (await groups('', protectedSubjectId)).json() as Page;
    expect(page.agenciesHeldBack).toBe(true);
    expect(page.groups.length).toBeGreaterThan(0);
    for (const g of page.groups) {
      expect(g).toMatchObject({ agencyId: null, agencyName: null, actorId: null, actorName: null });
      for (const e of g.items) expect(e).toMatchObject({ actorId: null, actorName: null, agencyId: null, agencyName: null });
    }
    const res = await groups(`?agencyId=${a.social}`, protectedSubjectId);
    expect(res.statusCode).toBe(409);
    expect(res.body).not.toContain('Sara Lind');
  });

  it('answers 400 to a malformed filter', async () => {
    for (const q of [
      '?from=2026-12-05&to=2026-12-01',
      '?ownReads=collapse',
      '?category=Case%20read',
      '?agencyId=nope',
      '?pageSize=0',
      '?from=1/12',
    ]) {
      const res = await groups(q);
      expect(res.statusCode, q).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
    expect((await t.app.inject({ url: '/api/audit/subjects/not-a-uuid/extract/groups', headers: bearer(auditor) })).statusCode).toBe(400);
  });

  it('is the auditor’s: 401 without a session, 403 for others — audited; the auditor’s reading is audited too', async () => {
    expect((await t.app.inject({ url: `/api/audit/subjects/${subjectId}/extract/groups` })).statusCode).toBe(401);
    const n = async (where: string) =>
      (await t.sql.query(`SELECT count(*)::int AS n FROM audit_queue WHERE subject_id = $1 AND ${where}`, [subjectId])).rows[0].n as number;
    const deniedBefore = (await t.sql.query("SELECT count(*)::int AS n FROM audit_queue WHERE outcome = 'denied'")).rows[0].n as number;
    for (const token of [social, school]) {
      const res = await t.app.inject({ url: `/api/audit/subjects/${subjectId}/extract/groups`, headers: bearer(token) });
      expect(res.statusCode).toBe(403);
      expect(res.body).not.toContain('Sara Lind');
    }
    expect((await t.sql.query("SELECT count(*)::int AS n FROM audit_queue WHERE outcome = 'denied'")).rows[0].n).toBe(deniedBefore + 2);
    const before = await n("action = 'audit.extract_groups' AND outcome = 'allowed'");
    expect((await groups()).statusCode).toBe(200);
    expect(await n("action = 'audit.extract_groups' AND outcome = 'allowed'")).toBe(before + 1);
  });
});
