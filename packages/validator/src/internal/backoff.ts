/**
 * Exponential backoff for calls to the authorization server (discovery, JWKS): after a failure,
 * the next attempt waits 1 s, 2 s, 4 s … up to `maxMs`, so a down server is not hammered by every
 * request, and the waiting requests get a 503 with an honest `Retry-After`.
 */
export class Backoff {
  private failures = 0;
  private nextAttemptAt = 0;

  constructor(
    private readonly now: () => number,
    private readonly baseMs = 1000,
    private readonly maxMs = 30_000,
  ) {}

  /** Milliseconds until the next attempt is allowed (0 when allowed now). */
  remainingMs(): number {
    return Math.max(0, this.nextAttemptAt - this.now());
  }

  failed(): void {
    this.failures++;
    const delay = Math.min(this.maxMs, this.baseMs * 2 ** Math.min(this.failures - 1, 20));
    this.nextAttemptAt = this.now() + delay;
  }

  succeeded(): void {
    this.failures = 0;
    this.nextAttemptAt = 0;
  }
}
