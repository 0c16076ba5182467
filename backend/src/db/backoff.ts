/**
 * Delays between reconnection attempts of a long-lived database connection: doubling from
 * `baseMs`, capped at `capMs`, each drawn at random from its upper half ("equal jitter"), so that
 * many instances that lost the database at the same moment do not all come back in lock step.
 */
export class Backoff {
  private attempt = 0;

  constructor(
    private readonly baseMs = 250,
    private readonly capMs = 10_000,
  ) {}

  /** The delay before the next attempt (each call counts one failed attempt). */
  next(): number {
    const ceiling = Math.min(this.capMs, this.baseMs * 2 ** Math.min(this.attempt, 30));
    this.attempt += 1;
    return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
  }

  /** After a successful connection: the next failure starts from the base delay again. */
  reset(): void {
    this.attempt = 0;
  }
}
