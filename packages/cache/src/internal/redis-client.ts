import type { RateLimitedLog } from './log.js';

/**
 * The part of a node-redis v5 client (`createClient()` from `redis`) the store uses. Every command
 * goes through `sendCommand`, so clients with modules, scripts or custom type mappings all fit.
 */
export interface RedisClientLike {
  sendCommand(
    args: string[],
    options?: { timeout?: number; abortSignal?: AbortSignal },
  ): Promise<unknown>;
  readonly isOpen: boolean;
  readonly isReady: boolean;
  /**
   * A new client with the same options (node-redis `duplicate()`): the subscriber connection of
   * the delete broadcast. Without it, two-level caches on the store get no broadcast.
   */
  duplicate?(): unknown;
}

/** Commands waiting in the client's queue while it reconnects; beyond it they fail at once. */
const MAX_QUEUED_COMMANDS = 10_000;

/**
 * node-redis, loaded on first use. The specifier is a variable, not a literal: a bundler (esbuild,
 * Rollup, webpack, Vite) then leaves the import alone instead of pulling node-redis, which is all
 * `node:` modules, into a Workers or Deno bundle of the validator. Node resolves it at run time
 * from this package's own dependencies, as it would the literal.
 */
const REDIS_MODULE = 'redis';
function loadRedis(): Promise<typeof import('redis')> {
  return import(/* webpackIgnore: true */ /* @vite-ignore */ REDIS_MODULE);
}

/** How {@link openOwnClient} connects. */
export interface OwnClientOptions {
  connectTimeoutMs: number;
  maxReconnectDelayMs: number;
  log: RateLimitedLog;
  /** Called on the client's first `ready`. */
  onReady: () => void;
}

/**
 * Loads node-redis and creates, connects and watches a client of `url` that reconnects forever
 * (capped exponential backoff with jitter). Connection errors are logged, never thrown.
 */
export function openOwnClient(url: string, o: OwnClientOptions): Promise<RedisClientLike> {
  return loadRedis().then(({ createClient }) => {
    const own = createClient({
      url,
      socket: {
        connectTimeout: o.connectTimeoutMs,
        // Capped exponential backoff with jitter, forever: the store reconnects on its own.
        reconnectStrategy: (retries: number) =>
          Math.min(o.maxReconnectDelayMs, 50 * 2 ** Math.min(retries, 10)) *
          (0.5 + Math.random() / 2),
      },
      commandsQueueMaxLength: MAX_QUEUED_COMMANDS,
    });
    // Without a listener an `error` event would crash the process.
    own.on('error', (err: unknown) => {
      o.log.warn('connection', 'redis connection error; reconnecting', {
        error: err instanceof Error ? err.message : String(err),
      });
    });
    own.connect().catch((err: unknown) => {
      o.log.warn('connection', 'redis connect failed', {
        error: err instanceof Error ? err.message : String(err),
      });
    });
    // Commands wait for the first connection (see `call`); the first `ready` ends that wait.
    own.once('ready', o.onReady);
    return own as unknown as RedisClientLike;
  });
}

/**
 * Closes a client the store created: gracefully (waiting for in-flight replies) when it is ready,
 * destroyed when it is reconnecting or the graceful close takes longer than `deadlineMs`.
 */
export async function closeOwnClient(
  connecting: Promise<RedisClientLike>,
  deadlineMs: number,
): Promise<void> {
  let client: RedisClientLike | undefined;
  try {
    client = await connecting;
  } catch {
    return;
  }
  const own = client as unknown as {
    close(): Promise<void>;
    destroy(): void;
    isOpen: boolean;
    isReady: boolean;
  };
  if (!own.isOpen) return;
  if (!own.isReady) {
    // Reconnecting: nothing in flight can complete, stop the reconnect loop now.
    own.destroy();
    return;
  }
  // A graceful close waits for in-flight replies; if Redis is gone, destroy after the deadline.
  let timer: ReturnType<typeof setTimeout> | undefined;
  const graceful = own.close().then(
    () => true,
    () => false,
  );
  const timedOut = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), deadlineMs);
  });
  const ok = await Promise.race([graceful, timedOut]);
  clearTimeout(timer);
  if (!ok && own.isOpen) own.destroy();
}
