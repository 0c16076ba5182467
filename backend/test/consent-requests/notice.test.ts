import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, login, type TestContext } from '../helpers/app.js';
import { citizenSignIn } from '../helpers/citizen.js';
import { startSmtp } from '../citizen/consent-fixtures.js';
import { agencies, type Agencies } from '../consents/fixtures.js';
import { createRequest, openFamilyCase, requestBody } from './fixtures.js';

const ORIGIN = 'https://samverka.example.se';

describe('the responsible social worker hears of an answer by e-mail, with nothing of the case in it', () => {
  let t: TestContext;
  let smtp: Awaited<ReturnType<typeof startSmtp>>;
  let social: string;
  let a: Agencies;

  beforeAll(async () => {
    smtp = await startSmtp();
    t = await createTestApp({ SMTP_URL: `smtp://127.0.0.1:${smtp.port}`, ORIGIN });
    social = await login(t.app, 'social');
    a = await agencies(t);
  });
  afterAll(async () => {
    await t.close();
    await smtp.close();
  });

  const nextMail = async (n: number) => {
    const deadline = Date.now() + 10_000;
    while (smtp.mails.length < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(smtp.mails).toHaveLength(n);
    return smtp.mails[n - 1]!;
  };

  it('an accept and a decline each send one e-mail to the responsible social worker, linking to the consents page', async () => {
    const fam = await openFamilyCase(t.app, social, '761', [a.school]);
    const caseNumber = (await t.sql.query<{ case_number: string }>('SELECT case_number FROM support_case WHERE id = $1', [fam.caseId]))
      .rows[0]!.case_number;
    const guardian = await citizenSignIn(t.app, { personalIdentityNumber: fam.custodialPin });
    const youth = await citizenSignIn(t.app, { personalIdentityNumber: fam.subjectPin });
    const first = await createRequest(t.app, social, fam.caseId, requestBody([a.social, a.school]));
    const accepted = await t.app.inject({
      method: 'POST',
      url: `/api/citizen/requests/${first.id}/accept`,
      payload: {},
      headers: guardian.headers,
    });
    expect(accepted.statusCode).toBe(201);
    const mail = await nextMail(1);
    expect(mail.to).toEqual(['sara.lind@example.org']);
    expect(mail.text).toContain('A consent request on one of your cases was accepted with e-identification.');
    expect(mail.text).toContain(`${ORIGIN}/cases/${fam.caseId}/consents`);

    const declined = await t.app.inject({
      method: 'POST',
      url: `/api/citizen/requests/${first.id}/decline`,
      payload: { reason: 'Jag vill prata med Zelmira först' },
      headers: youth.headers,
    });
    expect(declined.statusCode).toBe(200);
    const second = await nextMail(2);
    expect(second.text).toContain('declined with e-identification');
    for (const m of [mail, second]) {
      for (const secret of ['Zelmira', 'Yngvild', 'Qvarnström', fam.subjectPin, fam.custodialPin, caseNumber, 'prata med']) {
        expect(m.text).not.toContain(secret);
        expect(m.subject).not.toContain(secret);
      }
    }
  });

  it('a refused answer sends nothing', async () => {
    const before = smtp.mails.length;
    const fam = await openFamilyCase(t.app, social, '762', [a.school]);
    const guardian = await citizenSignIn(t.app, { personalIdentityNumber: fam.custodialPin });
    const req = await createRequest(t.app, social, fam.caseId, requestBody([a.social, a.school]));
    expect(
      (await t.app.inject({ method: 'POST', url: `/api/citizen/requests/${req.id}/accept`, payload: {}, headers: guardian.headers }))
        .statusCode,
    ).toBe(201);
    await nextMail(before + 1);
    const twice = await t.app.inject({
      method: 'POST',
      url: `/api/citizen/requests/${req.id}/accept`,
      payload: {},
      headers: guardian.headers,
    });
    expect(twice.statusCode).toBe(409);
    await new Promise((r) => setTimeout(r, 500));
    expect(smtp.mails).toHaveLength(before + 1);
  });
});
