import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { sql } from '../../../db/sql.js';

/**
 * The e-mail to a case's responsible social worker when the person withdrew a consent. It says
 * only that it happened and links to the case's consents page: no name, no personal identity
 * number, no case number (a subject line is shown in lock screens and mail lists), no reason.
 */
export function withdrawalNoticeMail(origin: string, caseId: string): { subject: string; text: string } {
  const link = `${origin}/cases/${caseId}/consents`;
  return {
    subject: 'Samverka: ett samtycke har återkallats',
    text: [
      'Hej! Ett samtycke i ett av dina ärenden har återkallats av personen själv. Öppna Samverka:',
      link,
      '',
      'A consent on one of your cases was withdrawn by the person. Open Samverka:',
      link,
      '',
      'Brevet innehåller inga uppgifter ur ärendet.',
      'This e-mail holds nothing from the case.',
    ].join('\n'),
  };
}

/**
 * Sends the notice after the withdrawal committed, through the digest's SMTP transport when one is
 * configured. Never throws: a withdrawal holds whether or not the e-mail goes out (the agenda's
 * `consentsWithdrawn` shows it anyway), and a failure is logged by ids and error code only.
 */
export async function sendWithdrawalNotice(app: FastifyInstance, log: FastifyBaseLogger, caseId: string, consentId: string): Promise<void> {
  try {
    const [to] = await sql<{ user_id: string; email: string | null }>(
      app.orm.em.fork(),
      `SELECT u.id AS user_id, u.email FROM support_case c JOIN app_user u ON u.id = c.owner_user_id
       WHERE c.id = ? AND u.active`,
      [caseId],
    );
    if (!to?.email) {
      log.info({ consentId }, 'consent withdrawal notice: the responsible social worker has no e-mail address');
      return;
    }
    const sent = await app.digest.sendMail({ to: to.email, ...withdrawalNoticeMail(app.config.ORIGIN, caseId) });
    log.info(
      { consentId, userId: to.user_id, sent },
      sent ? 'consent withdrawal notice sent' : 'consent withdrawal notice: SMTP is not configured',
    );
  } catch (e) {
    // The SMTP error's own text can echo the address: only its code is logged.
    log.warn({ consentId, code: (e as { code?: string }).code ?? 'unknown' }, 'consent withdrawal notice not sent');
  }
}
