import type { Logger } from '../internal/logger.js';

/**
 * The part of a node-redis v5 client (`createClient()` from `redis`) the cluster uses: a few
 * commands, pub/sub on a duplicate connection, and the connection events. Clients of
 * `createCluster()` and `createSentinel()` have the same methods.
 */
export interface ClusterRedisClient {
  set(
    key: string,
    value: string,
    options: { expiration: { type: 'PX'; value: number } },
  ): Promise<unknown>;
  get(key: string): Promise<unknown>;
  del(key: string): Promise<unknown>;
  exists(key: string): Promise<unknown>;
  hSet(key: string, field: string, value: string): Promise<unknown>;
  hDel(key: string, field: string): Promise<unknown>;
  hGetAll(key: string): Promise<unknown>;
  pExpire(key: string, ms: number): Promise<unknown>;
  publish(channel: string, message: string): Promise<unknown>;
  /** A new, unconnected client with the same options (for the subscriber connection). */
  duplicate(overrides?: object): ClusterRedisClient;
  connect(): Promise<unknown>;
  subscribe(channel: string, listener: (message: string) => void): Promise<unknown>;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  destroy(): void;
  close?(): Promise<unknown>;
  readonly isOpen: boolean;
  readonly isReady: boolean;
}

/** The command and subscriber connections of one instance. */
export interface RedisLink {
  readonly commands: ClusterRedisClient;
  readonly subscriber: ClusterRedisClient;
  /** Every call bounded by the command timeout; rejects when Redis does not answer in time. */
  call<T>(run: (client: ClusterRedisClient) => Promise<T>): Promise<T>;
  /** Resolves when the command connection is first ready (never, if closed before). */
  readonly ready: Promise<void>;
  /** Called on every `ready` after the first (a reconnect: Redis may have lost its data). */
  onReconnect(listener: () => void): void;
  /** Called when a connection drops (`'subscriber'`: messages may have been lost; `'commands'`). */
  onDrop(listener: (which: 'subscriber' | 'commands') => void): void;
  close(): Promise<void>;
}

/**
 * Connects the command client (the user's, or one created from the URL) and a subscriber on a
 * duplicate connection. Neither is required to be up: commands fail fast (timeout) while it is down.
 */
export async function connectRedis(
  redis: ClusterRedisClient | string,
  commandTimeoutMs: number,
  logger: Logger,
): Promise<RedisLink> {
  const owned = typeof redis === 'string';
  const commands = owned ? await createFromUrl(redis) : redis;
  // Subscribing waits for the connection (the offline queue), even at startup with Redis down.
  const subscriber = commands.duplicate({ disableOfflineQueue: false });
  const reconnectListeners: (() => void)[] = [];
  const dropListeners: ((which: 'subscriber' | 'commands') => void)[] = [];
  subscriber.on('reconnecting', () => {
    for (const listener of dropListeners) listener('subscriber');
  });
  commands.on('reconnecting', () => {
    for (const listener of dropListeners) listener('commands');
  });
  let lastLog = 0;
  const onError = (error: unknown) => {
    // Rate-limited: a Redis outage must not flood the log.
    const now = Date.now();
    if (now - lastLog < 10_000) return;
    lastLog = now;
    logger.warn?.('sse-transport: cluster redis connection error; reconnecting', {
      error: error instanceof Error ? error.message : String(error),
    });
  };
  if (owned) commands.on('error', onError);
  subscriber.on('error', onError);
  let seenReady = commands.isReady;
  commands.on('ready', () => {
    if (seenReady) for (const listener of reconnectListeners) listener();
    seenReady = true;
  });
  if (owned) {
    commands.connect().catch(onError);
  }
  subscriber.connect().catch(onError);
  return {
    commands,
    subscriber,
    ready: whenReady(commands),
    call(run) {
      return new Promise((resolve, reject) => {
        if (!commands.isReady) {
          reject(new Error('redis is not connected'));
          return;
        }
        const timer = setTimeout(
          () => reject(new Error(`redis did not answer within ${commandTimeoutMs} ms`)),
          commandTimeoutMs,
        );
        run(commands).then(
          (value) => {
            clearTimeout(timer);
            resolve(value);
          },
          (error: unknown) => {
            clearTimeout(timer);
            reject(error);
          },
        );
      });
    },
    onReconnect(listener) {
      reconnectListeners.push(listener);
    },
    onDrop(listener) {
      dropListeners.push(listener);
    },
    async close() {
      subscriber.destroy();
      if (owned) commands.destroy();
    },
  };
}

/** Resolves once the client is ready (at once when it is); Redis down at startup: it waits. */
function whenReady(client: ClusterRedisClient): Promise<void> {
  if (client.isReady) return Promise.resolve();
  return new Promise((resolve) => client.on('ready', () => resolve()));
}

async function createFromUrl(url: string): Promise<ClusterRedisClient> {
  // Loaded only in cluster mode: a single instance never loads the Redis client.
  const { createClient } = await import('redis');
  const client = createClient({
    url,
    // Fail at once while disconnected instead of queueing behind the reconnect.
    disableOfflineQueue: true,
    socket: {
      connectTimeout: 2_000,
      reconnectStrategy: (retries: number) =>
        Math.min(1_000, 50 * 2 ** Math.min(retries, 10)) * (0.5 + Math.random() / 2),
    },
  });
  return client as unknown as ClusterRedisClient;
}
