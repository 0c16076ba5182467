import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp, login, type TestContext } from '../helpers/app.js';
import { pdfFlatText } from '../helpers/pdf-text.js';
import { agencies, birthDateFor, count, deniedCount, openCase, recordConsent, type Agencies, type TestCase } from '../consents/fixtures.js';

/** The invitation to a network meeting as a PDF: the same access as the minutes, audited. */

const AGENDA = 'Uppföljning av åtagandeplanen ZQINVAGENDA';

function expectPdf(res: LightMyRequestResponse): string {
  expect(res.statusCode, res.body.slice(0, 300)).toBe(200);
  expect(res.headers['content-type']).toBe('application/pdf');
  expect(res.headers['cache-control']).toBe('no-store');
  expect(String(res.headers['content-disposition'])).toMatch(/^attachment; filename="([A-Z]+-\d{4}-\d{4}-)?kallelse-2027-03-10\.pdf"$/);
  expect(res.rawPayload.subarray(0, 5).toString('latin1')).toBe('%PDF-');
  return pdfFlatText(res.rawPayload);
}

describe('GET /api/cases/:id/meetings/:meetingId/invitation.pdf', () => {
  let t: TestContext;
  let social: string;
  let school: string;
  let police: string;
  let a: Agencies;
  let c: TestCase;
  let meetingId = '';
  const names: Record<string, string> = {};

  const get = (token: string | null, url: string) => t.app.inject({ method: 'GET', url, headers: token ? bearer(token) : {} });
  const url = (id = meetingId) => `/api/cases/${c.id}/meetings/${id}/invitation.pdf`;

  beforeAll(async () => {
    t = await createTestApp();
    [social, school, police] = (await Promise.all(['social', 'school', 'police'].map((u) => login(t.app, u)))) as [string, string, string];
    a = await agencies(t);
    const { rows } = await t.sql.query<{ id: string; name: string }>('SELECT id, name FROM agency');
    for (const r of rows) names[r.id] = r.name;
    c = await openCase(t.app, social, birthDateFor(25, 10), {
      agencyIds: [a.school, a.police],
      subject: { firstName: 'Åsa', lastName: 'Öberg' },
    });
    const call = (method: 'POST' | 'PATCH', path: string, payload: Record<string, unknown>) =>
      t.app.inject({ method, url: path, headers: bearer(social), payload });
    const contact = await call('PATCH', `/api/cases/${c.id}/network/${a.social}`, {
      contactName: 'Sara Lind',
      contactPhone: '013-20 00 00',
    });
    expect(contact.statusCode, contact.body).toBe(200);
    const meeting = await call('POST', `/api/cases/${c.id}/meetings`, {
      status: 'planned',
      startsAt: '2027-03-10T13:00:00.000Z',
      endsAt: '2027-03-10T14:30:00.000Z',
      place: 'Stadshuset, rum Åsen',
      agencyIds: [a.school, a.police],
      invitees: ['Kurator Kim Åkesson'],
      agenda: AGENDA,
    });
    expect(meeting.statusCode, meeting.body).toBe(201);
    meetingId = meeting.json().id;
    // The school may see the person and the plan (meetings are `plan`); the police has no consent at all.
    await recordConsent(t.app, social, c.id, {
      givenBy: { kind: 'subject' },
      agencyIds: [a.social, a.school],
      categories: ['identity', 'plan'],
    });
  });
  afterAll(async () => t.close());

  it('requires a session', async () => {
    expect((await get(null, url())).statusCode).toBe(401);
  });

  it('answers 400 to a malformed meeting id', async () => {
    expect((await get(social, url('x'))).statusCode).toBe(400);
  });

  it('answers 404 (audited) for a meeting of no case of the caller, and to a partner without consent', async () => {
    const before = await deniedCount(t);
    expect((await get(social, url(c.id))).statusCode).toBe(404);
    const res = await get(police, url());
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(await deniedCount(t)).toBe(before + 2);
  });

  it('gives the owner the invitation in Swedish: date, time, place, invited agencies and people, agenda, contact; audited', async () => {
    const before = await count(t, 'audit_queue', "action = 'case.print.invitation' AND outcome = 'allowed'");
    const text = expectPdf(await get(social, url()));
    const { caseNumber } = (await get(social, `/api/cases/${c.id}`)).json() as { caseNumber: string };
    for (const s of [
      'Kallelse till nätverksmöte',
      caseNumber,
      'Åsa Öberg',
      '2027-03-10',
      'kl. 14:00',
      '15:30',
      'Stadshuset, rum Åsen',
      names[a.school]!,
      names[a.police]!,
      'Kurator Kim Åkesson',
      AGENDA,
      'Sara Lind',
    ])
      expect(text).toContain(s);
    expect(await count(t, 'audit_queue', "action = 'case.print.invitation' AND outcome = 'allowed'")).toBe(before + 1);
  });

  it('gives a partner the invitation while the plan crosses to it, naming only agencies it may know of', async () => {
    const text = expectPdf(await get(school, url()));
    expect(text).toContain(AGENDA);
    expect(text).toContain(names[a.school]);
    expect(text).not.toContain(names[a.police]);
    expect(await count(t, 'disclosure', "case_id = $1 AND to_agency_id = $2 AND item_type = 'meeting'", [c.id, a.school])).toBeGreaterThan(
      0,
    );
  });

  it('says so when the meeting is cancelled', async () => {
    const res = await t.app.inject({
      method: 'PATCH',
      url: `/api/cases/${c.id}/meetings/${meetingId}`,
      headers: bearer(social),
      payload: { status: 'cancelled' },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(expectPdf(await get(social, url()))).toContain('INSTÄLLT');
  });
});
