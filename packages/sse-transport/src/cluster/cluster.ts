import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { Logger } from '../internal/logger.js';
import { AccountCounts } from './accounts.js';
import { SessionDirectory } from './directory.js';
import { connectRedis, type RedisLink } from './redis.js';
import { type RelayFrame, RelayResponse } from './relay-response.js';
import type {
  ClusterRefusal,
  RelayedCall,
  ResolvedClusterOptions,
  SessionLocation,
} from './types.js';

/** Serves a call relayed from another instance, answering on `res` like a local request. */
export type RelayedCallHandler = (call: RelayedCall, res: ServerResponse) => void | Promise<void>;

/** What travels on an instance's channel. */
type Envelope =
  | { k: 'call'; r: string; f: string; c: RelayedCall }
  | { k: 'abort'; r: string; f: string }
  /** The answer's frames, in order, as many as were ready in one turn of the event loop. */
  | { k: 'frames'; r: string; f: AnswerFrame[] };

type AnswerFrame = { k: 'ack' } | RelayFrame;

/** A request this instance forwarded and still answers to its client. */
interface Outbound {
  readonly peer: string;
  readonly res: ServerResponse;
  readonly cors: Record<string, string>;
  readonly refuse: (status: ClusterRefusal) => void;
  acked: boolean;
  timer: NodeJS.Timeout | undefined;
}

/**
 * One instance of a cluster: the session directory, this instance's heartbeat and channel, and
 * the relay that carries requests for sessions held elsewhere to their instance and the answers
 * (JSON bodies or SSE frames) back.
 */
export class Cluster {
  readonly instanceId: string;
  readonly #o: ResolvedClusterOptions;
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #handlers = new Map<RelayedCall['transport'], RelayedCallHandler>();
  readonly #outbound = new Map<string, Outbound>();
  readonly #inbound = new Map<string, { peer: string; res: RelayResponse }>();
  #link: RedisLink | undefined;
  readonly #accounts: AccountCounts;
  #directory: SessionDirectory | undefined;
  #timer: NodeJS.Timeout | undefined;
  #nextId = 0;
  /** Sessions opened before Redis was first reached: entered in the directory once it is. */
  readonly #early = new Map<string, { owner: string; transport: RelayedCall['transport'] }>();
  #closed = false;
  readonly #ready: Promise<void>;
  /** Settles once the Redis clients exist (quick: loading the client); `#ready` waits for Redis. */
  #linked: Promise<unknown> = Promise.resolve();

  constructor(options: ResolvedClusterOptions, logger: Logger, now: () => number) {
    this.#o = options;
    this.instanceId = options.instanceId;
    this.#logger = logger;
    this.#now = now;
    this.#accounts = new AccountCounts({
      link: () => this.#link,
      prefix: options.prefix,
      instanceId: options.instanceId,
      ttlMs: options.sessionTtlMs,
      isAlive: (id) => this.#directory?.isAlive(id) ?? Promise.resolve(undefined),
      logger,
    });
    this.#ready = this.#start();
    this.#ready.catch(() => undefined);
  }

  /** Resolves once connected and subscribed (requests for remote sessions get 503 until then). */
  ready(): Promise<void> {
    return this.#ready;
  }

  /** Whether the Redis connections are up (readiness). */
  get healthy(): boolean {
    return this.#link?.commands.isReady === true && this.#link.subscriber.isReady;
  }

  /** Registers the endpoint that serves relayed calls of one transport. */
  serve(transport: RelayedCall['transport'], handler: RelayedCallHandler): void {
    this.#handlers.set(transport, handler);
  }

  sessionAdded(
    sessionId: string,
    owner: string,
    transport: RelayedCall['transport'],
    account: string,
  ): void {
    this.#accounts.change(account, 1);
    if (this.#directory === undefined) this.#early.set(sessionId, { owner, transport });
    else this.#directory.add(sessionId, owner, transport);
  }

  sessionTouched(sessionId: string): void {
    this.#directory?.touch(sessionId);
  }

  sessionRemoved(sessionId: string, account: string): void {
    this.#accounts.change(account, -1);
    this.#early.delete(sessionId);
    void this.#directory?.remove(sessionId);
  }

  /**
   * Sessions of the account (issuer + subject) held by the other live instances; `undefined` when
   * Redis cannot tell (then only the local count applies).
   */
  sessionsElsewhere(account: string): Promise<number | undefined> {
    return this.#accounts.others(account);
  }

  /** Where a session that is not held here lives. */
  locate(sessionId: string): Promise<SessionLocation> {
    if (this.#directory === undefined) return Promise.resolve({ kind: 'unavailable' });
    return this.#directory.locate(sessionId);
  }

  /**
   * Forwards the call to the instance holding the session and writes its answer to `res` (with
   * `cors` added to its headers). A holder that is gone, or does not take the call in time, is
   * answered through `refuse`: 404 when it is dead, 503 when it cannot be told.
   */
  async forward(
    location: Extract<SessionLocation, { kind: 'remote' }>,
    call: RelayedCall,
    res: ServerResponse,
    cors: Record<string, string>,
    refuse: (status: ClusterRefusal) => void,
  ): Promise<void> {
    const r = `${this.instanceId}.${++this.#nextId}`;
    const out: Outbound = {
      peer: location.instance,
      res,
      cors,
      refuse,
      acked: false,
      timer: undefined,
    };
    this.#outbound.set(r, out);
    res.once('close', () => {
      if (this.#outbound.get(r) !== out) return;
      this.#settle(r);
      void this.#publish(out.peer, { k: 'abort', r, f: this.instanceId });
    });
    out.timer = setTimeout(() => void this.#unanswered(r), this.#o.forwardTimeoutMs);
    const receivers = await this.#publish(location.instance, {
      k: 'call',
      r,
      f: this.instanceId,
      c: call,
    });
    if (receivers === 0) await this.#unanswered(r);
  }

  /** Ends every relay and this instance's presence in Redis. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    for (const r of [...this.#outbound.keys()]) this.#fail(r);
    for (const { res } of this.#inbound.values()) res.abandon();
    this.#inbound.clear();
    // Not `#ready`: with Redis down that never settles, and shutdown must not wait for Redis.
    await this.#linked.catch(() => undefined);
    await this.#accounts.close();
    await this.#directory?.close();
    await this.#link?.close();
  }

  async #start(): Promise<void> {
    const linking = connectRedis(this.#o.redis, this.#o.commandTimeoutMs, this.#logger);
    this.#linked = linking;
    const link = await linking;
    if (this.#closed) {
      await link.close();
      return;
    }
    this.#link = link;
    link.onDrop((which) => {
      // Frames in flight on a dropped connection are lost: the relays they belonged to end now.
      if (which === 'subscriber') for (const r of [...this.#outbound.keys()]) this.#fail(r);
      else {
        for (const { res } of this.#inbound.values()) res.abandon();
        this.#inbound.clear();
      }
    });
    this.#directory = new SessionDirectory({
      link,
      prefix: this.#o.prefix,
      instanceId: this.instanceId,
      sessionTtlMs: this.#o.sessionTtlMs,
      heartbeatMs: this.#o.heartbeatMs,
      now: this.#now,
      logger: this.#logger,
    });
    for (const [sessionId, { owner, transport }] of this.#early) {
      this.#directory.add(sessionId, owner, transport);
    }
    this.#early.clear();
    this.#timer = setInterval(() => void this.#tick(), this.#o.heartbeatMs);
    this.#timer.unref();
    await link.ready;
    if (this.#closed) return;
    await link.subscriber.subscribe(this.#channel(this.instanceId), (raw) => this.#receive(raw));
    await this.#tick();
  }

  #channel(instanceId: string): string {
    return `${this.#o.prefix}ch:${instanceId}`;
  }

  /** Publishes to a peer's channel; resolves with the number of receivers (0: none, or Redis down). */
  async #publish(peer: string, envelope: Envelope): Promise<number> {
    const link = this.#link;
    if (link === undefined) return 0;
    try {
      return Number(
        await link.call((c) => c.publish(this.#channel(peer), JSON.stringify(envelope))),
      );
    } catch {
      return 0;
    }
  }

  #receive(raw: string): void {
    let envelope: Envelope;
    try {
      envelope = JSON.parse(raw) as Envelope;
    } catch {
      return;
    }
    switch (envelope.k) {
      case 'call':
        void this.#serve(envelope.r, envelope.f, envelope.c);
        return;
      case 'abort': {
        const key = `${envelope.f}/${envelope.r}`;
        const inbound = this.#inbound.get(key);
        this.#inbound.delete(key);
        inbound?.res.abandon();
        return;
      }
      case 'frames':
        for (const frame of envelope.f) this.#answer(envelope.r, frame);
    }
  }

  /** A call from another instance: acknowledged at once, then served like a local request. */
  async #serve(r: string, from: string, call: RelayedCall): Promise<void> {
    const key = `${from}/${r}`;
    // Frames ready in the same turn leave in one message: a quick answer is one PUBLISH (ack,
    // head, body and end together) instead of four.
    let queue: AnswerFrame[] = [{ k: 'ack' }];
    const flush = () => {
      const frames = queue;
      queue = [];
      const last = frames[frames.length - 1]!.k;
      void this.#publish(from, { k: 'frames', r, f: frames }).then((n) => {
        // The other instance is gone (or Redis is): nothing will reach the client.
        if (n === 0 && last !== 'end' && last !== 'abort') {
          this.#inbound.delete(key);
          res.abandon();
        }
      });
    };
    setImmediate(flush);
    const res = new RelayResponse((frame) => {
      if (frame.k === 'end' || frame.k === 'abort') this.#inbound.delete(key);
      if (queue.length === 0) setImmediate(flush);
      queue.push(frame);
    });
    this.#inbound.set(key, { peer: from, res });
    if (call.authInfo?.resource !== undefined) {
      call.authInfo.resource = new URL(String(call.authInfo.resource));
    }
    const handler = this.#handlers.get(call.transport);
    try {
      if (handler === undefined) throw new Error(`no ${call.transport} endpoint`);
      await handler(call, res.asServerResponse());
    } catch (error) {
      this.#logger.error?.('sse-transport: relayed request failed', { error: String(error) });
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'application/json; charset=utf-8' });
        res.end(
          JSON.stringify({ error: 'server_error', error_description: 'Internal server error' }),
        );
      } else res.destroy();
    }
  }

  /** A frame of the answer to a call this instance forwarded. */
  #answer(r: string, frame: AnswerFrame): void {
    const out = this.#outbound.get(r);
    if (out === undefined) return;
    const { res } = out;
    switch (frame.k) {
      case 'ack':
        out.acked = true;
        clearTimeout(out.timer);
        return;
      case 'head': {
        out.acked = true;
        clearTimeout(out.timer);
        if (res.headersSent) return;
        res.writeHead(frame.st, { ...frame.h, ...out.cors });
        // A stream's head must reach the client before its first event.
        res.socket?.setNoDelay(true);
        res.flushHeaders();
        return;
      }
      case 'data':
        if (!res.writableEnded) res.write(frame.d);
        return;
      case 'end':
        this.#settle(r);
        if (!res.writableEnded) res.end();
        return;
      case 'abort':
        this.#settle(r);
        res.destroy();
        return;
    }
  }

  /** The holder did not take the call: 404 when it is dead (its sessions ended), else 503. */
  async #unanswered(r: string): Promise<void> {
    const out = this.#outbound.get(r);
    if (out === undefined || out.acked) return;
    this.#settle(r);
    this.#directory?.forgetAlive(out.peer);
    const alive = await this.#directory?.isAlive(out.peer);
    if (out.res.headersSent) {
      out.res.destroy();
      return;
    }
    out.refuse(alive === false ? 404 : 503);
  }

  #settle(r: string): void {
    const out = this.#outbound.get(r);
    if (out === undefined) return;
    this.#outbound.delete(r);
    clearTimeout(out.timer);
  }

  /** Ends a forwarded request whose holder (404: it died) or Redis (503) went away mid-answer. */
  #fail(r: string, status: ClusterRefusal = 503): void {
    const out = this.#outbound.get(r);
    if (out === undefined) return;
    this.#settle(r);
    if (!out.res.headersSent) out.refuse(status);
    else if (!out.res.writableEnded) out.res.end();
  }

  async #tick(): Promise<void> {
    const link = this.#link;
    const directory = this.#directory;
    if (link === undefined || directory === undefined || this.#closed) return;
    await directory.tick();
    await this.#accounts.tick();
    // Pub/sub down: frames in either direction are lost, so every relay in flight ends.
    if (!link.subscriber.isReady) {
      for (const r of [...this.#outbound.keys()]) this.#fail(r);
    }
    if (!link.commands.isReady) {
      for (const { res } of this.#inbound.values()) res.abandon();
      this.#inbound.clear();
    }
    const peers = new Set<string>();
    for (const out of this.#outbound.values()) peers.add(out.peer);
    for (const inbound of this.#inbound.values()) peers.add(inbound.peer);
    for (const peer of peers) {
      directory.forgetAlive(peer);
      if ((await directory.isAlive(peer)) !== false) continue;
      // The peer died: its relays end (clients reconnect and get 404 for its sessions).
      for (const [r, out] of [...this.#outbound]) if (out.peer === peer) this.#fail(r, 404);
      for (const [key, inbound] of [...this.#inbound]) {
        if (inbound.peer !== peer) continue;
        this.#inbound.delete(key);
        inbound.res.abandon();
      }
    }
  }
}

/** A random instance id (12 bytes, base64url). */
export function randomInstanceId(): string {
  return randomBytes(12).toString('base64url');
}
