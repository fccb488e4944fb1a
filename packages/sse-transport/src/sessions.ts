import type { Principal } from './internal/principal.js';

/** One live session, of either transport. */
export interface SessionInfo {
  sessionId: string;
  /** `'sse'` (legacy HTTP+SSE) or `'streamable-http'`. */
  transport: 'sse' | 'streamable-http';
  /** Issuer, subject and client of the token that opened the session; '' when unauthenticated. */
  principal: string;
  createdAt: number;
  /** Seconds since the epoch: when the newest token of the principal expires. */
  expiresAt: number | undefined;
}

/** What the registry needs of a session's transport. */
export interface RegisteredSession extends SessionInfo {
  readonly owner: Principal;
  /** ms; refreshed on every request of the session. */
  lastUsedAt: number;
  /** Ends the session (transport and MCP server); the registry has already forgotten it. */
  end(reason: SessionEndReason): void;
  /** Sends keep-alive comments on its open streams. */
  keepAlive(): void;
  /** Whether the session holds an open stream (an idle Streamable HTTP session holds none). */
  hasOpenStream(): boolean;
  /**
   * The token that opened the streams expired: end them (the client reconnects with a fresh
   * token). For SSE the stream is the session, so the session ends.
   */
  closeStreams(): void;
}

export type SessionEndReason =
  | 'closed'
  | 'client-disconnected'
  | 'buffer-overflow'
  | 'token-expired'
  | 'idle'
  | 'evicted'
  | 'deleted'
  | 'server-shutdown';

export interface SessionLimits {
  maxSessions: number;
  /** Per account (issuer + subject), across clients and transports. */
  maxSessionsPerPrincipal: number;
  /** A Streamable HTTP session without a request or stream for this long ends (ms). */
  idleTimeoutMs: number;
  keepAliveMs: number;
  closeOnTokenExpiry: boolean;
  now: () => number;
  /** Told of every session added, used and removed (the cluster's session directory). */
  listener?: SessionListener | undefined;
  /**
   * Sessions of an account held by the other instances of the cluster (`undefined`: Redis cannot
   * tell). Without it, `maxSessionsPerPrincipal` counts this instance only.
   */
  sessionsElsewhere?: ((account: string) => Promise<number | undefined>) | undefined;
}

/** Receives the registry's changes (the cluster keeps its session directory with them). */
export interface SessionListener {
  sessionAdded(
    sessionId: string,
    owner: string,
    transport: SessionInfo['transport'],
    account: string,
  ): void;
  sessionTouched(sessionId: string): void;
  sessionRemoved(sessionId: string, account: string): void;
}

/** Why a session could not be added. */
export type AdmitRefusal = 'server-full' | 'principal-full';

/**
 * The live sessions of both transports, with the global and per-account caps, idle expiry,
 * token expiry and keep-alives. One registry per handler.
 */
export class SessionRegistry {
  readonly #sessions = new Map<string, RegisteredSession>();
  readonly #perAccount = new Map<string, Set<RegisteredSession>>();
  /** Admissions waiting for the cluster's count, or admitted and not yet added, per account. */
  readonly #reserved = new Map<string, number>();
  #reservedTotal = 0;
  readonly #limits: SessionLimits;
  readonly #timers: NodeJS.Timeout[] = [];

  constructor(limits: SessionLimits) {
    this.#limits = limits;
    if (limits.keepAliveMs > 0) {
      this.#timers.push(setInterval(() => this.#keepAlive(), limits.keepAliveMs));
    }
    this.#timers.push(
      setInterval(() => this.#sweep(), Math.min(limits.keepAliveMs || 5_000, 5_000)),
    );
    for (const timer of this.#timers) timer.unref();
  }

  get size(): number {
    return this.#sessions.size;
  }

  get(sessionId: string): RegisteredSession | undefined {
    return this.#sessions.get(sessionId);
  }

  /**
   * Whether one more session of `owner` fits. When the account is at its cap, an idle Streamable
   * HTTP session of the same account (the least recently used) makes room: a client that lost its
   * session id must not lock its user out for the idle timeout.
   */
  admit(owner: Principal): AdmitRefusal | undefined {
    const mine = this.#perAccount.get(owner.account);
    if (
      owner.account !== '' &&
      mine !== undefined &&
      mine.size >= this.#limits.maxSessionsPerPrincipal &&
      !this.#evictIdle(mine)
    ) {
      return 'principal-full';
    }
    if (this.#sessions.size + this.#reservedTotal >= this.#limits.maxSessions) return 'server-full';
    return undefined;
  }

  /** Whether admissions count the sessions of other instances ({@link admitShared}). */
  get sharesCounts(): boolean {
    return this.#limits.sessionsElsewhere !== undefined;
  }

  /**
   * {@link admit}, with the account's sessions on the other instances of the cluster counted too
   * (`sessionsElsewhere`). When admitted, the caller must {@link add} the session at once: the
   * slot stays reserved until then, so concurrent admissions on this instance cannot overshoot.
   * Redis down (`sessionsElsewhere` gives `undefined`): only the local count applies, so the cap
   * is per instance until Redis is back.
   */
  async admitShared(owner: Principal): Promise<AdmitRefusal | undefined> {
    const refusal = this.admit(owner);
    const elsewhere = this.#limits.sessionsElsewhere;
    if (refusal !== undefined || owner.account === '' || elsewhere === undefined) return refusal;
    const account = owner.account;
    this.#reserved.set(account, (this.#reserved.get(account) ?? 0) + 1);
    this.#reservedTotal++;
    let others: number | undefined;
    try {
      others = await elsewhere(account);
    } catch {
      others = undefined;
    }
    const mine = this.#perAccount.get(account) ?? new Set<RegisteredSession>();
    const total = () => mine.size + (this.#reserved.get(account) ?? 0) + (others ?? 0);
    if (total() > this.#limits.maxSessionsPerPrincipal && !this.#evictIdle(mine)) {
      this.#release(account);
      return 'principal-full';
    }
    if (this.#sessions.size + this.#reservedTotal > this.#limits.maxSessions) {
      this.#release(account);
      return 'server-full';
    }
    return undefined;
  }

  /** Ends the least recently used idle session among `mine`; whether there was one. */
  #evictIdle(mine: Set<RegisteredSession>): boolean {
    const idle = [...mine]
      .filter((s) => !s.hasOpenStream())
      .sort((a, b) => a.lastUsedAt - b.lastUsedAt)[0];
    if (idle === undefined) return false;
    this.remove(idle, 'evicted');
    return true;
  }

  #release(account: string): void {
    this.#reservedTotal--;
    const n = (this.#reserved.get(account) ?? 0) - 1;
    if (n > 0) this.#reserved.set(account, n);
    else this.#reserved.delete(account);
  }

  add(session: RegisteredSession): void {
    this.#sessions.set(session.sessionId, session);
    let mine = this.#perAccount.get(session.owner.account);
    if (mine === undefined) {
      mine = new Set();
      this.#perAccount.set(session.owner.account, mine);
    }
    mine.add(session);
    if (this.#reserved.has(session.owner.account)) this.#release(session.owner.account);
    this.#limits.listener?.sessionAdded(
      session.sessionId,
      session.owner.owner,
      session.transport,
      session.owner.account,
    );
  }

  /** Forgets the session and ends it. Safe to call more than once. */
  remove(session: RegisteredSession, reason: SessionEndReason): void {
    if (this.#sessions.get(session.sessionId) !== session) return;
    this.#sessions.delete(session.sessionId);
    const mine = this.#perAccount.get(session.owner.account);
    mine?.delete(session);
    if (mine?.size === 0) this.#perAccount.delete(session.owner.account);
    this.#limits.listener?.sessionRemoved(session.sessionId, session.owner.account);
    session.end(reason);
  }

  /** Marks a request of the session: idle expiry restarts, and a newer token extends its life. */
  touch(session: RegisteredSession, expiresAt: number | undefined): void {
    session.lastUsedAt = this.#limits.now();
    this.#limits.listener?.sessionTouched(session.sessionId);
    if (
      expiresAt !== undefined &&
      (session.expiresAt === undefined || expiresAt > session.expiresAt)
    ) {
      session.expiresAt = expiresAt;
    }
  }

  list(): SessionInfo[] {
    return [...this.#sessions.values()].map(
      ({ sessionId, transport, principal, createdAt, expiresAt }) => ({
        sessionId,
        transport,
        principal,
        createdAt,
        expiresAt,
      }),
    );
  }

  /** Ends every session and stops the timers. */
  close(): void {
    for (const timer of this.#timers) clearInterval(timer);
    for (const session of [...this.#sessions.values()]) this.remove(session, 'server-shutdown');
  }

  #keepAlive(): void {
    for (const session of this.#sessions.values()) session.keepAlive();
  }

  #sweep(): void {
    const now = this.#limits.now();
    const nowSeconds = now / 1000;
    for (const session of [...this.#sessions.values()]) {
      if (
        this.#limits.closeOnTokenExpiry &&
        session.expiresAt !== undefined &&
        session.expiresAt <= nowSeconds &&
        session.hasOpenStream()
      ) {
        if (session.transport === 'sse') this.remove(session, 'token-expired');
        else session.closeStreams();
      } else if (
        session.transport === 'streamable-http' &&
        !session.hasOpenStream() &&
        now - session.lastUsedAt >= this.#limits.idleTimeoutMs
      ) {
        this.remove(session, 'idle');
      }
    }
  }
}
