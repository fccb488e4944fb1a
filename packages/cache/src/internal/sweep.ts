/** The unref'd sweep timer inspects this many entries per tick and tier. */
const SWEEP_INTERVAL_MS = 30_000;
export const SWEEP_BUDGET = 10_000;

/**
 * The unref'd sweep timer. A module-level function, so the callback's closure holds the cache only
 * through the WeakRef: a cache dropped without close() can still be garbage-collected (its timer
 * then stops itself).
 */
export function sweepTimer(ref: WeakRef<{ sweepTick(): void }>): ReturnType<typeof setInterval> {
  const timer: ReturnType<typeof setInterval> = setInterval(() => {
    const cache = ref.deref();
    if (cache === undefined) clearInterval(timer);
    else cache.sweepTick();
  }, SWEEP_INTERVAL_MS);
  // Never keep the process alive for housekeeping.
  (timer as { unref?: () => void }).unref?.();
  return timer;
}
