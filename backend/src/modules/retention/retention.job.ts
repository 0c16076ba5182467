import type { EntityManager } from '@mikro-orm/postgresql';
import type { FastifyBaseLogger } from 'fastify';
import { ScheduledQueue } from '../../db/job-queue.js';
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
  private readonly queue: ScheduledQueue;

  constructor(
    private readonly fork: () => EntityManager,
    private readonly audit: AuditService,
    private readonly policy: RetentionPolicy,
    private readonly log: FastifyBaseLogger,
  ) {
    this.queue = new ScheduledQueue({
      queue: RETENTION_QUEUE,
      schedule: policy.schedule,
      timezone: policy.timezone,
      applicationName: 'samverka-retention',
      label: 'retention queue',
      run: () => this.runOnce(),
      log,
    });
  }

  /** One run now, in this process (tests, and the queue's worker). */
  async runOnce(now: Date = new Date()): Promise<RetentionRun> {
    return eraseDue(this.fork, this.audit, this.policy, this.log, now);
  }

  async start(connectionString: string, opts: { pollingIntervalSeconds?: number } = {}): Promise<void> {
    await this.queue.start(connectionString, opts);
  }

  /** Asks for a run now, through the queue (whichever worker takes it). */
  async runNow(): Promise<string | null> {
    return this.queue.send();
  }

  /** Starts the queue without holding up the API; retried with backoff until it starts. */
  startInBackground(connectionString: string): void {
    this.queue.startInBackground(connectionString);
  }

  async stop(): Promise<void> {
    await this.queue.stop();
  }
}
