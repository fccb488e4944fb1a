import { createHash } from 'node:crypto';
import type { Logger } from '../internal/logger.js';
import type { RedisLink } from './redis.js';

/**
 * Per-account session counts shared through Redis, so `maxSessionsPerPrincipal` holds across the
 * cluster. One hash per account (`<prefix>a:<sha256(issuer + subject)>`, never the raw subject),
 * one field per instance holding that instance's count of the account's sessions. Each instance
 * writes its absolute count (HSET, or HDEL at 0), so a lost write or a Redis restart heals on the
 * next heartbeat; only fields of instances with a live heartbeat are summed, so a dead instance
 * stops counting when its heartbeat expires, and a closed one removes its fields at once.
 */
export class AccountCounts {
  readonly #link: () => RedisLink | undefined;
  readonly #prefix: string;
  readonly #instanceId: string;
  readonly #ttlMs: number;
  readonly #isAlive: (instanceId: string) => Promise<boolean | undefined>;
  readonly #logger: Logger;
  /** This instance's sessions per account. */
  readonly #local = new Map<string, number>();

  constructor(options: {
    /** The Redis link, once connected (`undefined` before: writes wait for the next tick). */
    link: () => RedisLink | undefined;
    prefix: string;
    instanceId: string;
    ttlMs: number;
    isAlive: (instanceId: string) => Promise<boolean | undefined>;
    logger: Logger;
  }) {
    this.#link = options.link;
    this.#prefix = options.prefix;
    this.#instanceId = options.instanceId;
    this.#ttlMs = options.ttlMs;
    this.#isAlive = options.isAlive;
    this.#logger = options.logger;
  }

  #call<T>(run: Parameters<RedisLink['call']>[0]): Promise<T> {
    const link = this.#link();
    if (link === undefined) return Promise.reject(new Error('redis is not connected'));
    return link.call(run) as Promise<T>;
  }

  #key(account: string): string {
    return `${this.#prefix}a:${createHash('sha256').update(account).digest('hex')}`;
  }

  /** One more (`+1`) or one fewer (`-1`) local session of the account. */
  change(account: string, delta: 1 | -1): void {
    if (account === '') return;
    const count = (this.#local.get(account) ?? 0) + delta;
    if (count > 0) this.#local.set(account, count);
    else this.#local.delete(account);
    void this.#write(account, Math.max(count, 0));
  }

  /**
   * Sessions of the account held by other live instances; `undefined` when Redis cannot tell (the
   * caller then falls back to the local count).
   */
  async others(account: string): Promise<number | undefined> {
    try {
      const fields = (await this.#call((c) => c.hGetAll(this.#key(account)))) as Record<
        string,
        string
      >;
      let sum = 0;
      for (const [instance, raw] of Object.entries(fields)) {
        const n = Number(raw);
        if (instance === this.#instanceId || !(n > 0)) continue;
        const alive = await this.#isAlive(instance);
        if (alive === undefined) return undefined;
        if (alive) sum += n;
      }
      return sum;
    } catch {
      return undefined;
    }
  }

  /** Heartbeat: every local count written again (TTL refreshed; Redis may have lost them). */
  async tick(): Promise<void> {
    await Promise.all([...this.#local].map(([account, n]) => this.#write(account, n)));
  }

  /** This instance stops counting: its fields go. */
  async close(): Promise<void> {
    const accounts = [...this.#local.keys()];
    this.#local.clear();
    await Promise.allSettled(
      accounts.map((a) => this.#call((c) => c.hDel(this.#key(a), this.#instanceId))),
    );
  }

  async #write(account: string, count: number): Promise<void> {
    const key = this.#key(account);
    try {
      if (count === 0) await this.#call((c) => c.hDel(key, this.#instanceId));
      else {
        await this.#call((c) => c.hSet(key, this.#instanceId, String(count)));
        await this.#call((c) => c.pExpire(key, this.#ttlMs));
      }
    } catch (error) {
      // Redis down: the next heartbeat writes the count again.
      this.#logger.debug?.('sse-transport: account count write failed (retried)', {
        error: String(error),
      });
    }
  }
}
