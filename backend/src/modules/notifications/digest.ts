import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import nodemailer, { type Transporter } from 'nodemailer';
import type { Config } from '../../config.js';
import { ScheduledQueue } from '../../db/job-queue.js';
import { sql } from '../../db/sql.js';
import type { AgencyKind, Role } from '../identity/identity.entities.js';
import type { Actor } from '../../types.js';
import { AgendaService } from '../agenda/agenda.service.js';
import { countsOf, digestMail, totalOf } from './digest.mail.js';

/** The job queue of the daily digest (pg-boss, schema `pgboss`). */
export const DIGEST_QUEUE = 'daily-digest';

export interface DigestRun {
  /** False: no SMTP server is configured, nothing was sent. */
  enabled: boolean;
  sent: number;
  /** Users with nothing waiting: no e-mail. */
  empty: number;
  failed: number;
}

interface Recipient {
  id: string;
  username: string;
  displayName: string;
  agencyId: string;
  agencyName: string;
  agencyKind: AgencyKind;
  roles: Role[];
  email: string;
}

const RECIPIENTS_SQL = `SELECT u.id, u.username, u.display_name AS "displayName", u.agency_id AS "agencyId", a.name AS "agencyName", a.kind AS "agencyKind",
    u.roles, u.email
  FROM app_user u JOIN agency a ON a.id = u.agency_id
  WHERE u.active AND u.digest AND u.email IS NOT NULL ORDER BY u.id`;

/**
 * The daily e-mail digest: for every user who wants it, HOW MANY items wait on the start page
 * (the same decisions as the page itself), and a link there — never a name, a personal identity
 * number or anything of a case. The job runs in PostgreSQL through pg-boss, so a schedule and a
 * job survive restarts and run once across several API processes.
 */
export class DailyDigest {
  private api?: FastifyInstance;
  private readonly queue: ScheduledQueue;
  private readonly transport: Transporter | null;

  constructor(
    private readonly config: Config,
    private readonly log: FastifyBaseLogger,
  ) {
    this.transport = config.SMTP_URL ? nodemailer.createTransport(config.SMTP_URL) : null;
    this.queue = new ScheduledQueue({
      queue: DIGEST_QUEUE,
      schedule: config.DIGEST_SCHEDULE,
      timezone: config.DIGEST_TIMEZONE,
      applicationName: 'samverka-jobs',
      label: 'job queue',
      pollingIntervalSeconds: 2,
      run: () => this.runOnce(),
      log,
    });
  }

  /**
   * Sends one e-mail through the digest's SMTP transport, so that other notices need no second
   * mailer. False when no SMTP server is configured (nothing is sent); a failed send throws.
   */
  async sendMail(mail: { to: string; subject: string; text: string }): Promise<boolean> {
    if (!this.transport) return false;
    await this.transport.sendMail({ from: this.config.MAIL_FROM, ...mail });
    return true;
  }

  /** The routes' instance, which holds the services the start page needs. */
  attach(api: FastifyInstance): void {
    this.api = api;
  }

  /** One run: every recipient's counts, one e-mail each where something waits. */
  async runOnce(): Promise<DigestRun> {
    if (!this.transport) {
      this.log.info('SMTP_URL is not set: daily digests are off');
      return { enabled: false, sent: 0, empty: 0, failed: 0 };
    }
    const api = this.api;
    if (!api) throw new Error('the digest runs once the routes are registered');
    const agenda = new AgendaService(api);
    const run: DigestRun = { enabled: true, sent: 0, empty: 0, failed: 0 };
    for (const r of await sql<Recipient>(api.orm.em.fork(), RECIPIENTS_SQL)) {
      const actor: Actor = { ...r, sessionId: randomUUID() };
      if (!api.policy.roleAllows(actor, 'agenda.read').allow) continue;
      const em = api.orm.em.fork();
      const ctx = { actorId: r.id, actorAgencyId: r.agencyId, actorRole: r.roles[0] ?? null, requestId: randomUUID(), clientIp: null };
      const counts = countsOf(await agenda.agenda(em, actor, ctx, 'digest'));
      if (totalOf(counts) === 0) {
        run.empty += 1;
        continue;
      }
      const mail = digestMail(counts, this.config.ORIGIN);
      try {
        await this.transport.sendMail({ from: this.config.MAIL_FROM, to: r.email, subject: mail.subject, text: mail.text });
        await api.audit.record(em, ctx, { action: 'digest.send', resourceType: 'user', resourceId: r.id, outcome: 'allowed' });
        run.sent += 1;
      } catch (e) {
        run.failed += 1;
        // The SMTP error's own text can echo the address: only its code is logged.
        this.log.warn({ userId: r.id, code: (e as { code?: string }).code }, 'digest e-mail not sent');
      }
    }
    this.log.info({ sent: run.sent, empty: run.empty, failed: run.failed }, 'daily digest done');
    return run;
  }

  /**
   * Starts pg-boss on `connectionString` (a role that may create the `pgboss` schema: the
   * migration/owner connection), schedules the digest and works its queue.
   */
  async start(connectionString: string, opts: { pollingIntervalSeconds?: number } = {}): Promise<void> {
    await this.queue.start(connectionString, opts);
    if (!this.transport) this.log.info('SMTP_URL is not set: daily digests are off');
  }

  /** The queue's counts for the metrics; null while the job queue is not started. */
  async queueStats(): Promise<{ queued: number; active: number; failed: number } | null> {
    return this.queue.stats();
  }

  /** Asks for a run now, through the queue (whichever worker takes it). */
  async sendNow(): Promise<string | null> {
    return this.queue.send();
  }

  /**
   * Starts the job queue without holding up or risking the API: digests wait; requests do not.
   */
  startInBackground(connectionString: string): void {
    this.queue.startInBackground(connectionString);
  }

  /** Stops the queue; a queue that fails to stop cleanly is logged, never holds up the shutdown. */
  async stop(): Promise<void> {
    await this.queue.stop();
    this.transport?.close();
  }
}
