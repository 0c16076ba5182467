import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { sql } from '../../db/sql.js';

/** What the person did in their own view that the case's social worker should know about. */
export type CaseNoticeKind = 'consent_withdrawn' | 'request_accepted' | 'request_declined';

const TEXTS: Record<CaseNoticeKind, { subject: string; sv: string; en: string; section: 'consents' }> = {
  consent_withdrawn: {
    subject: 'Samverka: ett samtycke har återkallats',
    sv: 'Hej! Ett samtycke i ett av dina ärenden har återkallats av personen själv. Öppna Samverka:',
    en: 'A consent on one of your cases was withdrawn by the person. Open Samverka:',
    section: 'consents',
  },
  request_accepted: {
    subject: 'Samverka: en samtyckesbegäran har besvarats',
    sv: 'Hej! En samtyckesbegäran i ett av dina ärenden har godkänts med e-legitimation. Öppna Samverka:',
    en: 'A consent request on one of your cases was accepted with e-identification. Open Samverka:',
    section: 'consents',
  },
  request_declined: {
    subject: 'Samverka: en samtyckesbegäran har besvarats',
    sv: 'Hej! En samtyckesbegäran i ett av dina ärenden har avböjts med e-legitimation. Öppna Samverka:',
    en: 'A consent request on one of your cases was declined with e-identification. Open Samverka:',
    section: 'consents',
  },
};

/**
 * The e-mail to a case's responsible social worker about what the person did. It says only that
 * it happened and links to the case's page: no name, no personal identity number, no case number
 * (a subject line is shown in lock screens and mail lists), no reason.
 */
export function caseNoticeMail(kind: CaseNoticeKind, origin: string, caseId: string): { subject: string; text: string } {
  const t = TEXTS[kind];
  const link = `${origin}/cases/${caseId}/${t.section}`;
  return {
    subject: t.subject,
    text: [t.sv, link, '', t.en, link, '', 'Brevet innehåller inga uppgifter ur ärendet.', 'This e-mail holds nothing from the case.'].join(
      '\n',
    ),
  };
}

/**
 * Sends the notice after what it tells of committed, through the digest's SMTP transport when one
 * is configured. Never throws: what the person did holds whether or not the e-mail goes out (the
 * case page shows it anyway), and a failure is logged by ids and error code only.
 */
export async function sendCaseNotice(
  app: FastifyInstance,
  log: FastifyBaseLogger,
  kind: CaseNoticeKind,
  caseId: string,
  resourceId: string,
): Promise<void> {
  try {
    const [to] = await sql<{ user_id: string; email: string | null }>(
      app.orm.em.fork(),
      `SELECT u.id AS user_id, u.email FROM support_case c JOIN app_user u ON u.id = c.owner_user_id
       WHERE c.id = ? AND u.active`,
      [caseId],
    );
    if (!to?.email) {
      log.info({ kind, resourceId }, 'case notice: the responsible social worker has no e-mail address');
      return;
    }
    const sent = await app.digest.sendMail({ to: to.email, ...caseNoticeMail(kind, app.config.ORIGIN, caseId) });
    log.info({ kind, resourceId, userId: to.user_id, sent }, sent ? 'case notice sent' : 'case notice: SMTP is not configured');
  } catch (e) {
    // The SMTP error's own text can echo the address: only its code is logged.
    log.warn({ kind, resourceId, code: (e as { code?: string }).code ?? 'unknown' }, 'case notice not sent');
  }
}
