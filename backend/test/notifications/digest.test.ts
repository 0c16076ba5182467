import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../global-setup.js';
import { bearer, createTestApp, login, type TestContext } from '../helpers/app.js';
import { birthDateFor, daysFromToday, openCase, recordConsent } from '../consents/fixtures.js';
import { agencies, pin, type Agencies } from '../cases/fixtures.js';

interface Mail {
  to: string[];
  raw: string;
  /** The message with quoted-printable undone, to search its words. */
  text: string;
}

/** Undoes quoted-printable (what nodemailer uses for Swedish text), and folds no other encoding. */
const unQuote = (raw: string): string =>
  Buffer.from(
    raw.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))),
    'latin1',
  ).toString('utf8');

/** A real SMTP server on a free port that keeps every message it receives. */
async function startSmtp(): Promise<{ port: number; mails: Mail[]; close: () => Promise<void> }> {
  const mails: Mail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        mails.push({ to: session.envelope.rcptTo.map((r) => r.address), raw, text: unQuote(raw) });
        callback();
      });
    },
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { port, mails, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

const ORIGIN = 'https://samverka.example';
const NAME = { firstName: 'Ragnvald', lastName: 'Xylofonsson' };
const REASON = 'Distinktiv-orosanledning-4711';
const ACTION = 'Hemlig-insats-9931';

describe('daily digest e-mail', () => {
  let t: TestContext;
  let smtp: Awaited<ReturnType<typeof startSmtp>>;
  let social: string;
  let a: Agencies;
  let subjectPin: string;
  let caseNumber: string;

  beforeAll(async () => {
    smtp = await startSmtp();
    t = await createTestApp({ SMTP_URL: `smtp://127.0.0.1:${smtp.port}`, ORIGIN });
    social = await login(t.app, 'social');
    a = await agencies(t);
    const birth = birthDateFor(25, 40);
    subjectPin = pin(birth.replaceAll('-', ''), '377');
    const c = await openCase(t.app, social, birth, { agencyIds: [a.school], serial: '377', subject: NAME });
    await t.sql.query('UPDATE support_case SET reason = $1 WHERE id = $2', [REASON, c.id]);
    caseNumber = (await t.sql.query('SELECT case_number FROM support_case WHERE id = $1', [c.id])).rows[0].case_number as string;
    await recordConsent(t.app, social, c.id, {
      givenBy: { kind: 'subject' },
      agencyIds: [a.social, a.school],
      categories: ['identity', 'plan'],
      validTo: daysFromToday(10),
    });
    for (const [agencyId, action] of [
      [a.social, ACTION],
      [a.school, `${ACTION}-skola`],
    ] as const) {
      const res = await t.app.inject({
        method: 'POST',
        url: `/api/cases/${c.id}/plan-items`,
        headers: bearer(social),
        payload: { lifeArea: 'school', goal: 'Mål', action, responsibleAgencyId: agencyId, dueDate: daysFromToday(2) },
      });
      expect(res.statusCode, res.body).toBe(201);
    }
  });
  afterAll(async () => {
    await t.close();
    await smtp.close();
  });

  const mailTo = (address: string): Mail[] => smtp.mails.filter((m) => m.to.includes(address));

  it('sends each user with something waiting HOW MANY items wait and a link to the start page, and nothing of the cases', async () => {
    const run = await t.app.digest.runOnce();
    expect(run).toMatchObject({ enabled: true, failed: 0 });
    expect(run.sent).toBe(2);
    const toSocial = mailTo('sara.lind@example.org');
    expect(toSocial).toHaveLength(1);
    const m = toSocial[0]!;
    // The caseworker: one action due, one consent ending soon.
    expect(m.text).toContain('I Samverka väntar 2 saker på dig:');
    expect(m.text).toContain('1 insats att göra');
    expect(m.text).toContain('1 samtycke som snart upphör');
    expect(m.text).toContain(`${ORIGIN}/`);
    // The partner: its own action, through the consent.
    const toSchool = mailTo('johan.ek@example.org');
    expect(toSchool).toHaveLength(1);
    expect(toSchool[0]!.text).toContain('1 insats att göra');
    for (const mail of smtp.mails) {
      for (const secret of [
        NAME.firstName,
        NAME.lastName,
        subjectPin,
        subjectPin.slice(2),
        `${subjectPin.slice(0, 8)}-${subjectPin.slice(8)}`,
        REASON,
        ACTION,
        caseNumber,
      ]) {
        expect(mail.raw).not.toContain(secret);
        expect(mail.text).not.toContain(secret);
      }
    }
    // Users with nothing waiting get nothing; the send is audited.
    expect(mailTo('maria.berg@example.org')).toHaveLength(0);
    expect((await t.sql.query("SELECT count(*)::int AS n FROM audit_queue WHERE action = 'digest.send'")).rows[0].n).toBe(2);
  });

  it('a user can turn the digest off (and on) in the profile; 401 without a session, 400 for a malformed body', async () => {
    expect((await t.app.inject({ method: 'PUT', url: '/api/me/notifications', payload: { digest: false } })).statusCode).toBe(401);
    expect((await t.app.inject({ url: '/api/me/notifications' })).statusCode).toBe(401);
    for (const payload of [{ digest: 'no' }, {}, { digest: false, email: 'x@example.org' }]) {
      expect(
        (await t.app.inject({ method: 'PUT', url: '/api/me/notifications', headers: bearer(social), payload })).statusCode,
        JSON.stringify(payload),
      ).toBe(400);
    }
    const got = await t.app.inject({ url: '/api/me/notifications', headers: bearer(social) });
    expect(got.json()).toEqual({ digest: true, email: 'sara.lind@example.org' });
    const off = await t.app.inject({ method: 'PUT', url: '/api/me/notifications', headers: bearer(social), payload: { digest: false } });
    expect(off.statusCode).toBe(200);
    expect(off.json()).toEqual({ digest: false, email: 'sara.lind@example.org' });
    expect(
      (await t.sql.query("SELECT count(*)::int AS n FROM audit_queue WHERE action = 'user.notifications.update' AND reason = 'digest_off'"))
        .rows[0].n,
    ).toBe(1);

    const before = smtp.mails.length;
    const run = await t.app.digest.runOnce();
    expect(run.sent).toBe(1);
    expect(smtp.mails.slice(before).flatMap((m) => m.to)).toEqual(['johan.ek@example.org']);
    await t.app.inject({ method: 'PUT', url: '/api/me/notifications', headers: bearer(social), payload: { digest: true } });
  });

  it('pg-boss runs the job when it is sent, from its own schema with the schedule stored', async () => {
    await t.app.digest.start(t.databaseUrl, { pollingIntervalSeconds: 0.5 });
    const schedule = (await t.sql.query('SELECT name, cron, timezone FROM pgboss.schedule')).rows;
    expect(schedule).toEqual([{ name: 'daily-digest', cron: '0 6 * * *', timezone: 'Europe/Stockholm' }]);
    const before = smtp.mails.length;
    const jobId = await t.app.digest.sendNow();
    expect(jobId).toBeTruthy();
    const deadline = Date.now() + 20_000;
    while (smtp.mails.length < before + 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(
      smtp.mails
        .slice(before)
        .flatMap((m) => m.to)
        .sort(),
    ).toEqual(['johan.ek@example.org', 'sara.lind@example.org']);
    let state = '';
    while (state !== 'completed' && Date.now() < deadline) {
      state = (await t.sql.query('SELECT state FROM pgboss.job WHERE id = $1', [jobId])).rows[0]?.state ?? '';
      if (state !== 'completed') await new Promise((r) => setTimeout(r, 200));
    }
    expect(state).toBe('completed');
  });
});

describe('daily digest without SMTP', () => {
  it('is off: the run says so and sends nothing, without failing', async () => {
    const t = await createTestApp();
    try {
      expect(await t.app.digest.runOnce()).toEqual({ enabled: false, sent: 0, empty: 0, failed: 0 });
    } finally {
      await t.close();
    }
  });
});
