import type { Logger } from '../internal/logger.js';
import type { RedisLink } from './redis.js';
import type { SessionLocation } from './types.js';

/** A session entry as stored in Redis: owner principal, holding instance, transport. */
interface Entry {
  o: string;
  i: string;
  t: 'sse' | 'streamable-http';
}

/**
 * The session directory and the instances' heartbeats in Redis. Entries of local sessions are
 * written on creation, refreshed on use and in the background (so a Redis that restarted empty is
 * refilled), and deleted when the session ends.
 */
export class SessionDirectory {
  readonly #link: RedisLink;
  readonly #prefix: string;
  readonly #instanceId: string;
  readonly #ttlMs: number;
  readonly #heartbeatTtlMs: number;
  readonly #now: () => number;
  readonly #logger: Logger;
  /** Local sessions: entry and when it was last written (-Infinity: write on the next tick). */
  readonly #local = new Map<string, { entry: string; writtenAt: number }>();
  /**
   * Where remote sessions live, for one heartbeat: a session never moves, so a cached location
   * can only be stale by having ended, which its holder answers (404) itself.
   */
  readonly #located = new Map<string, { at: number; location: SessionLocation }>();
  /** Peers seen alive, and when (a short cache: one EXISTS per peer per heartbeat at most). */
  readonly #alive = new Map<string, number>();
  readonly #aliveCacheMs: number;

  constructor(options: {
    link: RedisLink;
    prefix: string;
    instanceId: string;
    sessionTtlMs: number;
    heartbeatMs: number;
    now: () => number;
    logger: Logger;
  }) {
    this.#link = options.link;
    this.#prefix = options.prefix;
    this.#instanceId = options.instanceId;
    this.#ttlMs = options.sessionTtlMs;
    this.#heartbeatTtlMs = options.heartbeatMs * 3;
    this.#aliveCacheMs = options.heartbeatMs;
    this.#now = options.now;
    this.#logger = options.logger;
    options.link.onReconnect(() => {
      // Redis may have restarted without its data: write every local entry again.
      for (const local of this.#local.values()) local.writtenAt = Number.NEGATIVE_INFINITY;
    });
  }

  #sessionKey(sessionId: string): string {
    return `${this.#prefix}s:${sessionId}`;
  }

  #heartbeatKey(instanceId: string): string {
    return `${this.#prefix}hb:${instanceId}`;
  }

  /** Records a new local session (written now, or on a later tick when Redis is down). */
  add(sessionId: string, owner: string, transport: 'sse' | 'streamable-http'): void {
    const entry = JSON.stringify({ o: owner, i: this.#instanceId, t: transport } satisfies Entry);
    const local = { entry, writtenAt: Number.NEGATIVE_INFINITY };
    this.#local.set(sessionId, local);
    void this.#write(sessionId, local);
  }

  /** A local session was used: its entry's TTL restarts (at most every third of the TTL). */
  touch(sessionId: string): void {
    const local = this.#local.get(sessionId);
    if (local !== undefined && this.#now() - local.writtenAt > this.#ttlMs / 3) {
      void this.#write(sessionId, local);
    }
  }

  /** A local session ended: its entry goes. */
  remove(sessionId: string): Promise<void> {
    if (!this.#local.delete(sessionId)) return Promise.resolve();
    return this.#delete(sessionId);
  }

  get size(): number {
    return this.#local.size;
  }

  /** Heartbeat, and the entries due (new while Redis was down, or a third of their TTL old). */
  async tick(): Promise<void> {
    try {
      await this.#link.call((c) =>
        c.set(this.#heartbeatKey(this.#instanceId), '1', {
          expiration: { type: 'PX', value: this.#heartbeatTtlMs },
        }),
      );
    } catch {
      return; // Redis is down: entries wait for the next tick.
    }
    const now = this.#now();
    const due = [...this.#local].filter(([, local]) => now - local.writtenAt > this.#ttlMs / 3);
    await Promise.all(due.map(([sessionId, local]) => this.#write(sessionId, local)));
  }

  /** Where a session not held here lives; `unavailable` when Redis cannot tell. */
  async locate(sessionId: string): Promise<SessionLocation> {
    const cached = this.#located.get(sessionId);
    if (cached !== undefined && this.#now() - cached.at < this.#aliveCacheMs) {
      const { location } = cached;
      if (location.kind === 'remote' && (await this.isAlive(location.instance)) === true) {
        return location;
      }
    }
    const location = await this.#lookup(sessionId);
    if (location.kind === 'remote') {
      if (this.#located.size >= 10_000) this.#located.clear();
      this.#located.set(sessionId, { at: this.#now(), location });
    } else this.#located.delete(sessionId);
    return location;
  }

  async #lookup(sessionId: string): Promise<SessionLocation> {
    let raw: unknown;
    try {
      raw = await this.#link.call((c) => c.get(this.#sessionKey(sessionId)));
    } catch {
      return { kind: 'unavailable' };
    }
    if (typeof raw !== 'string') return { kind: 'unknown' };
    let entry: Entry;
    try {
      entry = JSON.parse(raw) as Entry;
    } catch {
      return { kind: 'unknown' };
    }
    if (entry.i === this.#instanceId) {
      // Ours, but no longer held here: stale (its end could not be written while Redis was down).
      void this.#delete(sessionId);
      return { kind: 'unknown' };
    }
    const alive = await this.isAlive(entry.i);
    if (alive === undefined) return { kind: 'unavailable' };
    // The holder died: its sessions end with it. The entry is left to expire: a holder that only
    // missed heartbeats (overloaded, or cut off from Redis for a moment) serves it again after.
    if (!alive) return { kind: 'unknown' };
    return { kind: 'remote', instance: entry.i, owner: entry.o };
  }

  /** Whether the instance has a heartbeat; `undefined` when Redis cannot tell. */
  async isAlive(instanceId: string): Promise<boolean | undefined> {
    const seen = this.#alive.get(instanceId);
    if (seen !== undefined && this.#now() - seen < this.#aliveCacheMs) return true;
    try {
      const exists = await this.#link.call((c) => c.exists(this.#heartbeatKey(instanceId)));
      if (Number(exists) > 0) {
        this.#alive.set(instanceId, this.#now());
        return true;
      }
      this.#alive.delete(instanceId);
      return false;
    } catch {
      return undefined;
    }
  }

  /** Forgets the cached liveness of a peer (it stopped answering). */
  forgetAlive(instanceId: string): void {
    this.#alive.delete(instanceId);
  }

  /** Ends this instance's presence: heartbeat and every entry it wrote. */
  async close(): Promise<void> {
    const ids = [...this.#local.keys()];
    this.#local.clear();
    await Promise.allSettled([
      ...ids.map((id) => this.#delete(id)),
      this.#link.call((c) => c.del(this.#heartbeatKey(this.#instanceId))),
    ]);
  }

  async #write(sessionId: string, local: { entry: string; writtenAt: number }): Promise<void> {
    try {
      await this.#link.call((c) =>
        c.set(this.#sessionKey(sessionId), local.entry, {
          expiration: { type: 'PX', value: this.#ttlMs },
        }),
      );
      // Removed meanwhile: the entry must not outlive the session.
      if (this.#local.get(sessionId) !== local) await this.#delete(sessionId);
      else local.writtenAt = this.#now();
    } catch (error) {
      this.#logger.debug?.('sse-transport: session directory write failed (retried)', {
        error: String(error),
      });
    }
  }

  async #delete(sessionId: string): Promise<void> {
    try {
      await this.#link.call((c) => c.del(this.#sessionKey(sessionId)));
    } catch {
      // Redis down: the entry expires, and instances that find it check the holder anyway.
    }
  }
}
