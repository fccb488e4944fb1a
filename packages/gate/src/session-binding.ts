import { positiveInteger } from '@mcp-auth/internal';
import type { AuthInfo } from '@mcp-auth/validator';

/**
 * Where session bindings live: session id → principal key. Pluggable so several server processes
 * can share one (Redis); the gate awaits each call. `get` may extend the entry's lifetime
 * (sliding expiry); `set` must store with the given TTL.
 */
export interface SessionStore {
  get(sessionId: string): Promise<string | undefined> | string | undefined;
  set(sessionId: string, principal: string, ttlSeconds: number): Promise<void> | void;
  delete(sessionId: string): Promise<void> | void;
}

/** Options of {@link memorySessionStore}. */
export interface MemorySessionStoreOptions {
  /** Most bindings kept; the least recently used goes first. Default 10_000. */
  maxEntries?: number;
  /** Clock in milliseconds. Default `Date.now`. */
  now?: () => number;
}

/**
 * The default {@link SessionStore}: in process, bounded by `maxEntries` (least recently used
 * evicted first), entries expire `ttlSeconds` after their last use. An evicted or expired session
 * is unknown to the gate: its next request gets 404 and the client starts a new session.
 *
 * @example
 * ```ts
 * const gate = createGate({ validator, sessions: { store: memorySessionStore({ maxEntries: 50_000 }) } });
 * ```
 * @see https://modelcontextprotocol.io/specification/2025-11-25/basic/security_best_practices#session-hijacking
 */
export function memorySessionStore(o: MemorySessionStoreOptions = {}): SessionStore & {
  readonly size: number;
} {
  const maxEntries = positiveInteger(o.maxEntries ?? 10_000, 'maxEntries');
  const now = o.now ?? Date.now;
  if (typeof now !== 'function') throw new TypeError('"now" must be a function returning ms');
  // A Map iterates in insertion order: re-inserting on use keeps the oldest first.
  const entries = new Map<string, { principal: string; ttlMs: number; expiresAt: number }>();
  return {
    get size() {
      return entries.size;
    },
    get(sessionId) {
      const entry = entries.get(sessionId);
      if (entry === undefined) return undefined;
      const t = now();
      entries.delete(sessionId);
      if (entry.expiresAt <= t) return undefined;
      entry.expiresAt = t + entry.ttlMs;
      entries.set(sessionId, entry);
      return entry.principal;
    },
    set(sessionId, principal, ttlSeconds) {
      entries.delete(sessionId);
      while (entries.size >= maxEntries) {
        const oldest = entries.keys().next().value as string;
        entries.delete(oldest);
      }
      const ttlMs = ttlSeconds * 1000;
      entries.set(sessionId, { principal, ttlMs, expiresAt: now() + ttlMs });
    },
    delete(sessionId) {
      entries.delete(sessionId);
    },
  };
}

/**
 * The key a session is bound to: issuer + subject + client id of the token, unambiguous (a JSON
 * array, so no separator can be smuggled inside one part).
 *
 * @example
 * ```ts
 * principalKey(auth); // '["https://as.example","user-1","mcp-public"]'
 * ```
 * @see https://modelcontextprotocol.io/specification/2025-11-25/basic/security_best_practices#session-hijacking
 */
export function principalKey(auth: AuthInfo): string {
  // The validator hands out one frozen AuthInfo per cached token: key it once.
  let key = keys.get(auth);
  if (key === undefined) {
    key = computePrincipalKey(auth);
    keys.set(auth, key);
  }
  return key;
}

const keys = new WeakMap<AuthInfo, string>();

function computePrincipalKey(auth: AuthInfo): string {
  const extra = auth.extra as { issuer?: unknown; subject?: unknown } | undefined;
  return JSON.stringify([
    typeof extra?.issuer === 'string' ? extra.issuer : '',
    typeof extra?.subject === 'string' ? extra.subject : '',
    auth.clientId,
  ]);
}

/** `Mcp-Session-Id`: visible ASCII (0x21–0x7E), bounded here to 256 characters. */
const SESSION_ID = /^[\x21-\x7e]{1,256}$/;

/**
 * Whether a session id has the shape MCP allows (visible ASCII 0x21–0x7E), at most 256 characters.
 *
 * @example
 * ```ts
 * isValidSessionId('1868a90c-7c4b-4d5e'); // true
 * isValidSessionId('a b');                // false
 * ```
 * @see https://modelcontextprotocol.io/specification/2025-11-25/basic/transports#session-management
 */
export function isValidSessionId(value: string): boolean {
  return SESSION_ID.test(value);
}
