/**
 * A clock for the hit path. `Date.now()` costs about as much as a `Map.get`, so calling it on every
 * cache hit would triple the cost of a hit. This clock reads `Date.now()` at most once per
 * event-loop turn (an unref'd `setImmediate` invalidates it) and at least every
 * {@link READS_PER_REFRESH} reads, so the time it returns is never older than the work done since
 * the current turn began. Writes use the precise clock.
 */
const READS_PER_REFRESH = 1024;

let cached = 0;
let reads = 0;
let scheduled = false;

const hasImmediate = typeof setImmediate === 'function';

function invalidate(): void {
  cached = 0;
  scheduled = false;
}

/** Milliseconds since the epoch, read at most once per event-loop turn (see module comment). */
export function coarseNow(): number {
  if (cached !== 0 && ++reads < READS_PER_REFRESH) return cached;
  reads = 0;
  if (!hasImmediate) return Date.now();
  cached = Date.now();
  if (!scheduled) {
    scheduled = true;
    const handle = setImmediate(invalidate);
    // Never keep a process alive just to invalidate a clock.
    (handle as { unref?: () => void }).unref?.();
  }
  return cached;
}
