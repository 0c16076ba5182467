import type { FastifyInstance } from 'fastify';
import { SMTPServer } from 'smtp-server';
import { freePort } from '../global-setup.js';
import { createCase, pin } from '../cases/fixtures.js';
import { birthDateFor } from '../consents/fixtures.js';

/** A 15-year-old with one guardian with custody and one without, each with a personnummer, and a case naming `agencyIds`. */
export interface Family {
  caseId: string;
  subjectId: string;
  subjectPin: string;
  /** The guardian with custody. */
  custodialId: string;
  custodialPin: string;
  /** The guardian without custody: sees nothing. */
  otherId: string;
  otherPin: string;
}

/**
 * Opens the family's case. `serial` (three digits) keeps the personnummer apart from other
 * families of the same test; names are distinctive so that tests can look for them in answers.
 */
export async function openFamilyCase(
  app: FastifyInstance,
  social: string,
  serial: string,
  agencyIds: string[],
  subject: Record<string, unknown> = {},
  caseFields: Record<string, unknown> = {},
): Promise<Family> {
  const subjectPin = pin(birthDateFor(15, -10).replaceAll('-', ''), serial);
  const custodialPin = pin('19800520', serial);
  const otherPin = pin('19790611', serial);
  const c = await createCase(
    app,
    social,
    { agencyIds, ...caseFields },
    {
      personalIdentityNumber: subjectPin,
      firstName: 'Zelmira',
      lastName: 'Qvarnström',
      guardians: [
        { firstName: 'Yngvild', lastName: 'Qvarnström', personalIdentityNumber: custodialPin, custody: true },
        { firstName: 'Torbjörn', lastName: 'Qvarnström', personalIdentityNumber: otherPin, custody: false },
      ],
      ...subject,
    },
  );
  const guardians = c.subject.guardians as { id: string; custody: boolean }[];
  return {
    caseId: c.id,
    subjectId: c.subject.id,
    subjectPin,
    custodialId: guardians.find((g) => g.custody)!.id,
    custodialPin,
    otherId: guardians.find((g) => !g.custody)!.id,
    otherPin,
  };
}

/** Names and numbers that must never reach a citizen's answer or the social worker's notice. */
export const STAFF_NAMES = ['Sara Lind', 'Johan Ek', 'Maria Berg', 'Ali Hassan', 'Eva Holm', 'Karin Sjö', 'Nils Strand'];

export interface Mail {
  to: string[];
  subject: string;
  /** The message with quoted-printable undone, to search its words. */
  text: string;
}

/** Undoes quoted-printable (what nodemailer uses for Swedish text). */
const unQuote = (raw: string): string =>
  Buffer.from(
    raw.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))),
    'latin1',
  ).toString('utf8');

/** A real SMTP server on a free port that keeps every message it receives. */
export async function startSmtp(): Promise<{ port: number; mails: Mail[]; close: () => Promise<void> }> {
  const mails: Mail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const text = unQuote(Buffer.concat(chunks).toString('utf8'));
        const subject = /^Subject: (.*)$/m.exec(text)?.[1] ?? '';
        mails.push({ to: session.envelope.rcptTo.map((r) => r.address), subject, text });
        callback();
      });
    },
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { port, mails, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
