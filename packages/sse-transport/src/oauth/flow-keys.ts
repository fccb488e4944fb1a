import type { CacheStore, RemoteCacheStore } from '@mcp-auth/cache';
import {
  deriveFlowKeys,
  type FlowKeys,
  MIN_FLOW_SECRET_BYTES,
  randomFlowSecret,
} from './flow-state.js';

/** A flow secret as the `flowSecret` option takes it. */
export type FlowSecret = string | Uint8Array;

const MAX_SECRETS = 4;
const SHARED_SECRET_KEY = 'sse-transport:oauth-flow-secret';
// The shared secret lives "forever": it is rewritten (same value) when less than a year is left.
const SHARED_SECRET_TTL_MS = 400 * 24 * 3600 * 1000;
const SHARED_SECRET_REFRESH_BELOW_MS = 365 * 24 * 3600 * 1000;

function secretBytes(value: unknown): Uint8Array | undefined {
  if (typeof value === 'string') return new TextEncoder().encode(value);
  if (value instanceof Uint8Array) return value;
  return undefined;
}

/**
 * Checks the `flowSecret` option: one secret or a list of 1 to 4 (the first mints states, all
 * verify them, for rotation), each a string or Uint8Array of at least 32 bytes.
 */
export function parseFlowSecrets(value: unknown): Uint8Array[] | undefined {
  if (value === undefined) return undefined;
  const list = Array.isArray(value) ? value : [value];
  const secrets = list.map(secretBytes);
  if (
    list.length === 0 ||
    list.length > MAX_SECRETS ||
    secrets.some((s) => s === undefined || s.byteLength < MIN_FLOW_SECRET_BYTES)
  ) {
    throw new TypeError(
      `"flowSecret" must be a string or Uint8Array of at least ${MIN_FLOW_SECRET_BYTES} bytes, or a list of 1 to ${MAX_SECRETS} of them (the first signs)`,
    );
  }
  return secrets as Uint8Array[];
}

/** Where the keys of pending browser flows come from. */
export interface FlowKeySource {
  /** The keys to verify with; the first one mints. Rejects when a shared store cannot be read. */
  keyring(): Promise<readonly FlowKeys[]>;
}

/** Configured secrets (every instance configured alike), or one random secret for this process. */
export function staticFlowKeys(secrets: Uint8Array[] | undefined): FlowKeySource {
  const keyring = (secrets ?? [randomFlowSecret()]).map(deriveFlowKeys);
  return { keyring: () => Promise.resolve(keyring) };
}

/**
 * One secret shared by every instance through a remote store (no `flowSecret` configured): read on
 * every use, so all instances agree even after the store lost it; created once when missing.
 * Whoever can read the store can mint states, as they could read pending flows before.
 */
export function sharedFlowKeys(store: RemoteCacheStore): FlowKeySource {
  let last: { encoded: string; keys: FlowKeys } | undefined;
  const keysOf = (encoded: string): FlowKeys => {
    if (last?.encoded !== encoded) {
      last = { encoded, keys: deriveFlowKeys(Buffer.from(encoded, 'base64url')) };
    }
    return last.keys;
  };
  const read = async (): Promise<{ encoded: string; ttlMs?: number } | undefined> => {
    const entry = await store.get(SHARED_SECRET_KEY, true);
    if (entry === undefined) return undefined;
    const encoded = entry.value;
    if (
      typeof encoded !== 'string' ||
      Buffer.from(encoded, 'base64url').byteLength < MIN_FLOW_SECRET_BYTES
    ) {
      return undefined;
    }
    return entry.ttlMs === undefined ? { encoded } : { encoded, ttlMs: entry.ttlMs };
  };
  return {
    async keyring() {
      let entry = await read();
      if (entry === undefined) {
        // Two instances creating it at once: both write, both read back the last write.
        await store.set(
          SHARED_SECRET_KEY,
          Buffer.from(randomFlowSecret()).toString('base64url'),
          SHARED_SECRET_TTL_MS,
        );
        entry = await read();
        if (entry === undefined) throw new Error('the store lost the flow secret');
      } else if (entry.ttlMs !== undefined && entry.ttlMs < SHARED_SECRET_REFRESH_BELOW_MS) {
        await store.set(SHARED_SECRET_KEY, entry.encoded, SHARED_SECRET_TTL_MS);
      }
      return [keysOf(entry.encoded)];
    },
  };
}

/** Picks the key source from the options: configured secrets win; else a shared store; else random. */
export function flowKeySource(
  secrets: Uint8Array[] | undefined,
  store: CacheStore | undefined,
): FlowKeySource {
  if (secrets === undefined && store?.kind === 'remote') return sharedFlowKeys(store);
  return staticFlowKeys(secrets);
}
