import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp, login, type TestContext } from '../helpers/app.js';
import { pdfFlatText } from '../helpers/pdf-text.js';
import { agencies, birthDateFor, count, deniedCount, openCase, recordConsent, type Agencies, type TestCase } from '../consents/fixtures.js';

/** The plan and meeting minutes as PDFs: only what the gate lets the caller see, audited. */

const GOAL = 'Närvaro i skolan över 90 % (mål ZQGOAL)';
const REASON = 'Oro för skolgång och umgänge ZQREASON';
const AGENDA = 'Dagordning: uppföljning av åtagandeplanen ZQAGENDA';
const MINUTES = 'Vi gick igenom läget. Ökad närvaro ZQMINUTES';
const DECISION = 'Skolan ordnar läxhjälp på tisdagar ZQDECISION';

function expectPdf(res: LightMyRequestResponse, filename: RegExp): string {
  expect(res.statusCode, res.body.slice(0, 300)).toBe(200);
  expect(res.headers['content-type']).toBe('application/pdf');
  expect(res.headers['cache-control']).toBe('no-store');
  expect(String(res.headers['content-disposition'])).toMatch(filename);
  expect(res.rawPayload.subarray(0, 5).toString('latin1')).toBe('%PDF-');
  return pdfFlatText(res.rawPayload);
}

describe('plan and minutes printouts', () => {
  let t: TestContext;
  let social: string;
  let school: string;
  let police: string;
  let a: Agencies;
  let c: TestCase;
  let meetingId = '';

  const get = (token: string | null, url: string) => t.app.inject({ method: 'GET', url, headers: token ? bearer(token) : {} });
  const audited = (action: string, outcome = 'allowed') => count(t, 'audit_queue', 'action = $1 AND outcome = $2', [action, outcome]);

  beforeAll(async () => {
    t = await createTestApp();
    [social, school, police] = (await Promise.all(['social', 'school', 'police'].map((u) => login(t.app, u)))) as [string, string, string];
    a = await agencies(t);
    c = await openCase(t.app, social, birthDateFor(25, 10), {
      agencyIds: [a.school, a.police],
      subject: { firstName: 'Åsa', lastName: 'Öberg' },
    });
    const call = (method: 'POST' | 'PATCH', url: string, payload: Record<string, unknown>) =>
      t.app.inject({ method, url, headers: bearer(social), payload });
    expect((await call('PATCH', `/api/cases/${c.id}`, { reason: REASON })).statusCode).toBe(200);
    const item = await call('POST', `/api/cases/${c.id}/plan-items`, {
      lifeArea: 'school',
      goal: GOAL,
      action: 'Möte med kuratorn varje vecka',
      responsibleAgencyId: a.school,
      dueDate: '2027-06-30',
    });
    expect(item.statusCode, item.body).toBe(201);
    expect(
      (await call('PATCH', `/api/cases/${c.id}/plan-items/${item.json().id}`, { followUp: 'Första veckan gick bra, närvaron ökade.' }))
        .statusCode,
    ).toBe(200);
    const meeting = await call('POST', `/api/cases/${c.id}/meetings`, {
      date: '2026-11-20',
      agencyIds: [a.school, a.police],
      people: ['Kurator Kim Åkesson'],
      agenda: AGENDA,
      minutes: MINUTES,
      decisions: [{ text: DECISION }],
    });
    expect(meeting.statusCode, meeting.body).toBe(201);
    meetingId = meeting.json().id;
    // The school may see the person (identity) and nothing else; the police has no consent at all.
    await recordConsent(t.app, social, c.id, { givenBy: { kind: 'subject' }, agencyIds: [a.social, a.school], categories: ['identity'] });
  });
  afterAll(async () => t.close());

  describe('GET /api/cases/:id/plan.pdf', () => {
    it('requires a session', async () => {
      expect((await get(null, `/api/cases/${c.id}/plan.pdf`)).statusCode).toBe(401);
    });

    it('answers 400 to a malformed id', async () => {
      expect((await get(social, '/api/cases/not-a-uuid/plan.pdf')).statusCode).toBe(400);
    });

    it('answers 404 (audited) for a case that does not exist and for a partner without consent', async () => {
      const before = await deniedCount(t);
      expect((await get(social, '/api/cases/00000000-0000-4000-8000-000000000000/plan.pdf')).statusCode).toBe(404);
      const res = await get(police, `/api/cases/${c.id}/plan.pdf`);
      expect(res.statusCode).toBe(404);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(await deniedCount(t)).toBe(before + 2);
    });

    it('gives the owner the whole plan, in Swedish, with the person, goals and follow-ups, and audits the print', async () => {
      const before = await audited('case.print.plan');
      const res = await get(social, `/api/cases/${c.id}/plan.pdf`);
      const text = expectPdf(res, /^attachment; filename="[A-Za-z0-9_-]+\.pdf"$/);
      // The case number, once cases carry one, heads the plan and names the file.
      const { caseNumber } = (await get(social, `/api/cases/${c.id}`)).json() as { caseNumber?: string | null };
      expect(res.headers['content-disposition']).toBe(`attachment; filename="${caseNumber ?? 'atagandeplan'}.pdf"`);
      if (caseNumber) expect(text).toContain(caseNumber);
      for (const s of [
        'Åtagandeplan',
        'Åsa Öberg',
        GOAL,
        REASON,
        'Möte med kuratorn varje vecka',
        '2027-06-30',
        'Planerad',
        'Första veckan gick bra, närvaron ökade.',
        'Skola',
      ]) {
        expect(text).toContain(s);
      }
      expect(await audited('case.print.plan')).toBe(before + 1);
    });

    it('gives a partner under an identity-only consent the person but not the plan or the reason', async () => {
      const res = await get(school, `/api/cases/${c.id}/plan.pdf`);
      const text = expectPdf(res, /^attachment; filename="[A-Za-z0-9_-]+\.pdf"$/);
      expect(text).toContain('Åsa Öberg');
      for (const s of ['ZQGOAL', 'ZQREASON', 'Möte med kuratorn', 'Första veckan']) expect(text).not.toContain(s);
      expect(text).toContain('Uppgifter som inte visas');
      // The file name carries no personal data.
      expect(String(res.headers['content-disposition'])).not.toMatch(/sa|berg/i);
    });

    it('shows the partner the plan once a consent names the plan', async () => {
      await recordConsent(t.app, social, c.id, {
        givenBy: { kind: 'subject' },
        agencyIds: [a.social, a.school],
        categories: ['identity', 'plan'],
      });
      const text = expectPdf(await get(school, `/api/cases/${c.id}/plan.pdf`), /\.pdf"$/);
      expect(text).toContain(GOAL);
      expect(text).not.toContain('ZQREASON');
      // What crossed is in the disclosure ledger.
      expect(
        await count(t, 'disclosure', "case_id = $1 AND to_agency_id = $2 AND item_type = 'plan_item'", [c.id, a.school]),
      ).toBeGreaterThan(0);
    });
  });

  describe('GET /api/cases/:id/meetings/:meetingId/minutes.pdf', () => {
    const url = () => `/api/cases/${c.id}/meetings/${meetingId}/minutes.pdf`;

    it('requires a session', async () => {
      expect((await get(null, url())).statusCode).toBe(401);
    });

    it('answers 400 to a malformed meeting id', async () => {
      expect((await get(social, `/api/cases/${c.id}/meetings/x/minutes.pdf`)).statusCode).toBe(400);
    });

    it('answers 404 (audited) for a meeting of no case of the caller, and to a partner without consent', async () => {
      const before = await deniedCount(t);
      expect((await get(social, `/api/cases/${c.id}/meetings/${c.id}/minutes.pdf`)).statusCode).toBe(404);
      expect((await get(police, url())).statusCode).toBe(404);
      expect(await deniedCount(t)).toBe(before + 2);
    });

    it('gives the owner the minutes: date, agencies, people, agenda, minutes and decisions', async () => {
      const text = expectPdf(await get(social, url()), /^attachment; filename="([A-Z]+-\d{4}-\d{4}-)?minnesanteckningar-2026-11-20\.pdf"$/);
      for (const s of ['Minnesanteckningar', '2026-11-20', 'Åsa Öberg', 'Kurator Kim Åkesson', AGENDA, MINUTES, DECISION])
        expect(text).toContain(s);
      expect(await audited('case.print.minutes')).toBeGreaterThan(0);
    });

    it('gives the partner the minutes while the plan crosses to it, naming only agencies it may know of', async () => {
      const text = expectPdf(await get(school, url()), /\.pdf"$/);
      expect(text).toContain(MINUTES);
      const { rows } = await t.sql.query<{ name: string }>('SELECT name FROM agency WHERE id = $1', [a.police]);
      expect(text).not.toContain(rows[0]!.name);
    });
  });
});
