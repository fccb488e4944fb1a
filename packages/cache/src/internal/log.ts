import type { Logger } from '../types.js';

/**
 * Logs each kind of failure at most once per interval, with the number of occurrences that were
 * suppressed since the last line, so a store outage under load produces a few lines, not one per
 * request.
 */
export class RateLimitedLog {
  private readonly last = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly logger: Logger | undefined,
    private readonly intervalMs: number,
    private readonly now: () => number,
    private readonly name: string,
  ) {}

  warn(kind: string, message: string, meta?: Record<string, unknown>): void {
    const log = this.logger?.warn;
    if (log === undefined) return;
    const now = this.now();
    const seen = this.last.get(kind);
    if (seen !== undefined && now - seen.at < this.intervalMs) {
      seen.suppressed++;
      return;
    }
    const suppressed = seen?.suppressed ?? 0;
    this.last.set(kind, { at: now, suppressed: 0 });
    try {
      log.call(this.logger, `${this.name}: ${message}`, { ...meta, suppressed });
    } catch {
      // A throwing logger must not turn a cache miss into a failed request.
    }
  }
}
