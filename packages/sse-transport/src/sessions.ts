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
}

/** Receives the registry's changes (the cluster keeps its session directory with them). */
export interface SessionListener {
  sessionAdded(sessionId: string, owner: string, transport: SessionInfo['transport']): void;
  sessionTouched(sessionId: string): void;
  sessionRemoved(sessionId: string): void;
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
      mine.size >= this.#limits.maxSessionsPerPrincipal
    ) {
      const idle = [...mine]
        .filter((s) => !s.hasOpenStream())
        .sort((a, b) => a.lastUsedAt - b.lastUsedAt)[0];
      if (idle === undefined) return 'principal-full';
      this.remove(idle, 'evicted');
    }
    if (this.#sessions.size >= this.#limits.maxSessions) return 'server-full';
    return undefined;
  }

  add(session: RegisteredSession): void {
    this.#sessions.set(session.sessionId, session);
    let mine = this.#perAccount.get(session.owner.account);
    if (mine === undefined) {
      mine = new Set();
      this.#perAccount.set(session.owner.account, mine);
    }
    mine.add(session);
    this.#limits.listener?.sessionAdded(session.sessionId, session.owner.owner, session.transport);
  }

  /** Forgets the session and ends it. Safe to call more than once. */
  remove(session: RegisteredSession, reason: SessionEndReason): void {
    if (this.#sessions.get(session.sessionId) !== session) return;
    this.#sessions.delete(session.sessionId);
    const mine = this.#perAccount.get(session.owner.account);
    mine?.delete(session);
    if (mine?.size === 0) this.#perAccount.delete(session.owner.account);
    this.#limits.listener?.sessionRemoved(session.sessionId);
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
