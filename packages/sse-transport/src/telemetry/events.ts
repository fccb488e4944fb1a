/**
 * The audit events of `onAuthEvent`: one per authorization decision. No event carries a token, an
 * authorization code, a session id or a secret; principals are the issuer, subject and client id
 * the token was verified to carry.
 */

/** Who a decision was about (from the verified token). */
export interface AuthEventPrincipal {
  issuer: string | undefined;
  subject: string | undefined;
  clientId: string;
}

/** Fields of every event. */
export interface AuthEventBase {
  /** ms since the epoch (the server's clock). */
  time: number;
  /** HTTP method and path (no query string: it may carry a session id). */
  method: string;
  path: string;
  /** The endpoint family the request went to. */
  transport: 'streamable-http' | 'sse' | 'browser-flow' | 'metadata' | 'other';
}

/** A request was authorized (its token verified and its scopes sufficient). */
export interface AuthAcceptedEvent extends AuthEventBase {
  type: 'accepted';
  principal: AuthEventPrincipal;
  scopes: string[];
}

/** A request was refused because of its token (missing, invalid, expired, foreign, …). */
export interface AuthRefusedEvent extends AuthEventBase {
  type: 'refused';
  /** The validator's stable code (`ERR_MISSING_TOKEN`, `ERR_TOKEN_EXPIRED`, …). */
  code: string;
  status: number;
}

/** A request needed more scopes than its token has: 403 `insufficient_scope`, the client steps up. */
export interface AuthStepUpEvent extends AuthEventBase {
  type: 'step-up';
  code: 'ERR_INSUFFICIENT_SCOPE';
  status: 403;
  principal: AuthEventPrincipal | undefined;
  /** Every scope the request needs (what the challenge names). */
  requiredScopes: string[];
}

/** A valid token of another principal tried to use a session: 403, nothing delivered. */
export interface AuthSessionHijackEvent extends AuthEventBase {
  type: 'session-hijack-refused';
  status: 403;
  principal: AuthEventPrincipal | undefined;
}

/** `Origin` (or `Host`) not allowed: 403 before anything else ran (DNS rebinding protection). */
export interface AuthOriginRefusedEvent extends AuthEventBase {
  type: 'origin-refused';
  status: 403;
  reason: 'origin_not_allowed' | 'host_not_allowed';
  /** The refused `Origin` header, when present (truncated to 200 characters). */
  origin: string | undefined;
}

/** A cap was reached: sessions of one principal (429) or of the server (503). */
export interface AuthRateLimitedEvent extends AuthEventBase {
  type: 'rate-limited';
  status: 429 | 503;
  reason: 'sessions-per-principal' | 'sessions-total';
  principal: AuthEventPrincipal | undefined;
}

/** Every event `onAuthEvent` receives; `switch (event.type)` narrows. */
export type AuthEvent =
  | AuthAcceptedEvent
  | AuthRefusedEvent
  | AuthStepUpEvent
  | AuthSessionHijackEvent
  | AuthOriginRefusedEvent
  | AuthRateLimitedEvent;
