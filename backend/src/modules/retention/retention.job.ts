import type { EntityManager } from '@mikro-orm/postgresql';
import type { FastifyBaseLogger } from 'fastify';
import { PgBoss } from 'pg-boss';
import { Backoff } from '../../db/backoff.js';
import type { AuditService } from '../../plugins/app/audit.js';
import type { RetentionPolicy } from './retention.policy.js';
import { eraseDue, type RetentionRun } from './retention.service.js';

/** The job queue of retention runs (pg-boss, schema `pgboss`). */
export const RETENTION_QUEUE = 'retention';

/**
 * The scheduled retention run. Like the daily digest it lives in PostgreSQL through pg-boss: the
 * schedule and a queued run survive restarts, and one run happens across several API processes.
 * The jobs connection only carries the queue; the erasing itself goes through the API's pool.
 */
export class RetentionJob {
  private boss?: PgBoss;
  private stopping = false;
  private retry?: NodeJS.Timeout;

  constructor(
    private readonly fork: () => EntityManager,
    private readonly audit: AuditService,
    private readonly policy: RetentionPolicy,
    private readonly log: FastifyBaseLogger,
  ) {}

  /** One run now, in this process (tests, and the queue's worker). */
  async runOnce(now: Date = new Date()): Promise<RetentionRun> {
    return eraseDue(this.fork, this.audit, this.policy, this.log, now);
  }

  async start(connectionString: string, opts: { pollingIntervalSeconds?: number } = {}): Promise<void> {
    const boss = new PgBoss({ connectionString, schema: 'pgboss', max: 2, application_name: 'samverka-retention' });
    boss.on('error', (e: Error) => this.log.error({ err: { type: e.name, code: (e as { code?: string }).code } }, 'retention queue error'));
    this.boss = boss;
    await boss.start();
    await boss.createQueue(RETENTION_QUEUE);
    await boss.schedule(RETENTION_QUEUE, this.policy.schedule, null, { tz: this.policy.timezone });
    await boss.work(RETENTION_QUEUE, { pollingIntervalSeconds: opts.pollingIntervalSeconds ?? 10 }, async () => {
      await this.runOnce();
    });
  }

  /** Asks for a run now, through the queue (whichever worker takes it). */
  async runNow(): Promise<string | null> {
    if (!this.boss) throw new Error('the retention queue is not started');
    return this.boss.send(RETENTION_QUEUE);
  }

  /** Starts the queue without holding up the API; retried with backoff until it starts. */
  startInBackground(connectionString: string): void {
    const backoff = new Backoff(1_000, 60_000);
    const attempt = async (): Promise<void> => {
      if (this.stopping) return;
      try {
        await this.start(connectionString);
      } catch (e) {
        const boss = this.boss;
        this.boss = undefined;
        await boss?.stop({ graceful: false, timeout: 1_000 }).catch(() => undefined);
        const delay = backoff.next();
        this.log.warn(
          { err: { type: (e as Error).name, code: (e as { code?: string }).code }, retryInMs: delay },
          'the retention queue did not start; trying again',
        );
        this.retry = setTimeout(() => void attempt(), delay);
        this.retry.unref();
      }
    };
    void attempt();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.retry) clearTimeout(this.retry);
    try {
      await this.boss?.stop({ graceful: true, timeout: 10_000 });
    } catch (e) {
      this.log.warn({ err: { type: (e as Error).name, code: (e as { code?: string }).code } }, 'the retention queue did not stop cleanly');
    }
    this.boss = undefined;
  }
}
