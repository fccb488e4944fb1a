import type { RateLimitedLog } from './log.js';

/** The part of a node-redis v5 subscriber connection the delete broadcast uses. */
interface Subscriber {
  on(event: 'error', listener: (err: unknown) => void): unknown;
  connect(): Promise<unknown>;
  subscribe(channel: string, listener: (message: string) => void): Promise<unknown>;
  destroy(): void;
  readonly isOpen: boolean;
}

/**
 * The listening side of a Redis store's delete broadcast: one subscriber connection
 * (`client.duplicate()`), opened by the first listener and closed with the last, on the channel
 * named by the store's prefix. Failures are logged (rate-limited) and never thrown: without the
 * broadcast, local tiers still expire by their TTL.
 */
export class DeleteSubscription {
  readonly #listeners = new Set<(key: string) => void>();
  readonly #client: () => unknown;
  readonly #channel: string;
  readonly #log: RateLimitedLog;
  #opening: Promise<void> | undefined;
  #sub: Subscriber | undefined;
  /** Bumped per subscriber opened: an opening outrun by a close (and reopen) gives up. */
  #generation = 0;

  constructor(client: () => unknown, channel: string, log: RateLimitedLog) {
    this.#client = client;
    this.#channel = channel;
    this.#log = log;
  }

  /** Adds a listener (opening the connection for the first); returns its removal. */
  add(listener: (key: string) => void): () => void {
    this.#listeners.add(listener);
    this.#opening ??= this.#open(++this.#generation);
    return () => {
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0) this.#closeConnection();
    };
  }

  /** Drops every listener and the connection (the store closed). */
  close(): void {
    this.#listeners.clear();
    this.#closeConnection();
  }

  async #open(generation: number): Promise<void> {
    let sub: Subscriber | undefined;
    try {
      const client = (await this.#client()) as { duplicate?: () => unknown };
      // Everyone left (or left and came back: a newer opening owns the connection) meanwhile.
      if (generation !== this.#generation) return;
      if (typeof client.duplicate !== 'function') {
        this.#log.warn('subscriber', 'the redis client has no duplicate(): no delete broadcast');
        return;
      }
      sub = client.duplicate() as Subscriber;
      this.#sub = sub;
      // Without a listener an `error` event would crash the process. Down: logged once per
      // interval; node-redis reconnects and resubscribes on its own.
      sub.on('error', (err: unknown) => {
        this.#log.warn('subscriber', 'redis subscriber error; local tiers expire by TTL', {
          error: err instanceof Error ? err.message : String(err),
        });
      });
      await sub.connect();
      await sub.subscribe(this.#channel, (key) => {
        for (const l of this.#listeners) {
          try {
            l(key);
          } catch {
            // One failing cache must not keep the others from dropping the key.
          }
        }
      });
    } catch (err) {
      if (sub !== undefined && this.#sub !== sub) return; // closed meanwhile
      this.#log.warn('subscriber', 'redis subscriber failed; local tiers expire by TTL', {
        error: err instanceof Error ? err.message : String(err),
      });
    }
  }

  #closeConnection(): void {
    const sub = this.#sub;
    this.#sub = undefined;
    this.#opening = undefined;
    this.#generation++;
    if (sub === undefined) return;
    try {
      sub.destroy();
    } catch {
      // Already closed.
    }
  }
}
