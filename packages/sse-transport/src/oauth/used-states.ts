import { type CacheStore, createCache, hashKey } from '@mcp-auth/cache';

// One-time use of a flow state. Only a callback that obtained and validated a token writes here,
// so the set grows with real sign-ins, never with anonymous starts or failed callbacks. A state
// being processed is also held in `inFlight` (this process), so a double-submitted callback is
// refused at once instead of racing to the token endpoint.

const USED_KEY_PREFIX = 'sse-transport:oauth-used:';
/** Bound of the in-process set (the Redis set is bounded by the states' lives, at most 10 minutes). */
export const MAX_USED_STATES_IN_MEMORY = 10_000;

/** The used-state set: in process, or in a remote store shared by every instance. */
export interface UsedStates {
  /** Takes the state for this process; false when another callback is processing it. */
  claim(state: string): boolean;
  /** Gives the state back (whatever the outcome; `markUsed` is what makes it used). */
  release(state: string): void;
  /** Whether a successful callback used the state. Rejects when the store cannot be read. */
  isUsed(state: string): Promise<boolean>;
  /** Records a successful use for `ttlMs`. Rejects when the store cannot be written. */
  markUsed(state: string, ttlMs: number): Promise<void>;
  close(): Promise<void>;
}

export function usedStates(
  store: CacheStore | undefined,
  now: (() => number) | undefined,
): UsedStates {
  const inFlight = new Set<string>();
  const key = (state: string) => USED_KEY_PREFIX + hashKey(state);
  const remote = store?.kind === 'remote' ? store : undefined;
  // The in-process set: a full set evicts its oldest entries, it never refuses a sign-in.
  const local = remote
    ? undefined
    : createCache<true>({
        maxEntries: MAX_USED_STATES_IN_MEMORY,
        ttlSeconds: 600,
        ...(now ? { now } : {}),
        logger: {},
        name: 'sse-transport:oauth-used',
      });
  return {
    claim(state) {
      const k = key(state);
      if (inFlight.has(k)) return false;
      inFlight.add(k);
      return true;
    },
    release(state) {
      inFlight.delete(key(state));
    },
    async isUsed(state) {
      if (remote) return (await remote.get(key(state), false)) !== undefined;
      return (await local!.get(key(state))) !== undefined;
    },
    async markUsed(state, ttlMs) {
      const ms = Math.max(1, Math.ceil(ttlMs));
      if (remote) return remote.set(key(state), 1, ms);
      return local!.set(key(state), true, { ttlSeconds: ms / 1000 });
    },
    async close() {
      await local?.close();
    },
  };
}
