import type { FastifyBaseLogger } from 'fastify';
import { PgBoss } from 'pg-boss';
import { Backoff } from './backoff.js';

export interface ScheduledQueueOptions {
  /** The queue's name in pg-boss (schema `pgboss`). */
  queue: string;
  /** Cron expression and its time zone. */
  schedule: string;
  timezone: string;
  /** `application_name` of the queue's connections in pg_stat_activity. */
  applicationName: string;
  /** What the log calls it ("job queue", "retention queue"). */
  label: string;
  /** How often an idle worker looks for a run (default 10 s). */
  pollingIntervalSeconds?: number;
  /** One run, in this process. */
  run: () => Promise<unknown>;
  log: FastifyBaseLogger;
}

function errorFields(e: unknown): { type: string; code?: string } {
  return { type: e instanceof Error ? e.name : typeof e, code: (e as { code?: string }).code };
}

/**
 * A scheduled job in PostgreSQL through pg-boss: the schedule and queued runs survive restarts,
 * and each run happens once across several API processes. Started in the background so that a
 * database that is away never holds up or takes down the API: the start is retried with backoff
 * until it succeeds or the server stops; the queue's own errors are logged, never thrown.
 */
export class ScheduledQueue {
  private boss?: PgBoss;
  private stopping = false;
  private retry?: NodeJS.Timeout;

  constructor(private readonly options: ScheduledQueueOptions) {}

  async start(connectionString: string, opts: { pollingIntervalSeconds?: number } = {}): Promise<void> {
    const { queue, schedule, timezone, applicationName, label, run, log } = this.options;
    const boss = new PgBoss({ connectionString, schema: 'pgboss', max: 2, application_name: applicationName });
    boss.on('error', (e: Error) => log.error({ err: errorFields(e) }, `${label} error`));
    this.boss = boss;
    await boss.start();
    await boss.createQueue(queue);
    await boss.schedule(queue, schedule, null, { tz: timezone });
    await boss.work(
      queue,
      { pollingIntervalSeconds: opts.pollingIntervalSeconds ?? this.options.pollingIntervalSeconds ?? 10 },
      async () => {
        await run();
      },
    );
  }

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
        this.options.log.warn({ err: errorFields(e), retryInMs: delay }, `the ${this.options.label} did not start; trying again`);
        this.retry = setTimeout(() => void attempt(), delay);
        this.retry.unref();
      }
    };
    void attempt();
  }

  /** Asks for a run now, through the queue (whichever worker takes it). */
  async send(): Promise<string | null> {
    if (!this.boss) throw new Error(`the ${this.options.label} is not started`);
    return this.boss.send(this.options.queue);
  }

  /** The queue's counts; null while it is not started. */
  async stats(): Promise<{ queued: number; active: number; failed: number } | null> {
    const q = await this.boss?.getQueue(this.options.queue);
    return q ? { queued: q.queuedCount, active: q.activeCount, failed: q.failedCount } : null;
  }

  /** Stops the queue; one that fails to stop cleanly is logged and never holds up the shutdown. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.retry) clearTimeout(this.retry);
    try {
      await this.boss?.stop({ graceful: true, timeout: 10_000 });
    } catch (e) {
      this.options.log.warn({ err: errorFields(e) }, `the ${this.options.label} did not stop cleanly`);
    }
    this.boss = undefined;
  }
}
