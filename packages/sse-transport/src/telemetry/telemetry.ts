import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import { requestPath } from '../internal/http.js';
import type { Logger } from '../internal/logger.js';
import type { AuthEvent, AuthEventBase, AuthEventPrincipal } from './events.js';

type OtelApi = typeof import('@opentelemetry/api');
type Span = import('@opentelemetry/api').Span;
type Transport = AuthEventBase['transport'];

/** The instrument names (API: dashboards depend on them). */
export const METRICS = {
  validations: 'mcp_auth.validations',
  refusals: 'mcp_auth.refusals',
  activeSessions: 'mcp_auth.sessions.active',
  authorizationDuration: 'mcp_auth.authorization.duration',
} as const;

export const SPANS = {
  authorize: 'mcp_auth.authorize',
  flowAuthorize: 'mcp_auth.browser_flow.authorize',
  flowCallback: 'mcp_auth.browser_flow.callback',
} as const;

const SCOPE = '@mcp-auth/sse-transport';

const NO_RECORD: AuthorizationRecord = {
  accepted: () => undefined,
  refused: () => undefined,
  stepUp: () => undefined,
};

interface Instruments {
  api: OtelApi;
  tracer: import('@opentelemetry/api').Tracer;
  validations: import('@opentelemetry/api').Counter;
  refusals: import('@opentelemetry/api').Counter;
  duration: import('@opentelemetry/api').Histogram;
}

/** What the endpoints report of one authorization (`authenticate` + per-message scopes). */
export interface AuthorizationRecord {
  accepted(authInfo: AuthInfo): void;
  refused(code: string, status: number): void;
  stepUp(authInfo: AuthInfo | undefined, requiredScopes: string[]): void;
}

function principal(authInfo: AuthInfo | undefined): AuthEventPrincipal | undefined {
  if (authInfo === undefined) return undefined;
  const issuer = authInfo.extra?.['issuer'];
  const subject = authInfo.extra?.['subject'];
  return {
    issuer: typeof issuer === 'string' ? issuer : undefined,
    subject: typeof subject === 'string' ? subject : undefined,
    clientId: authInfo.clientId,
  };
}

/**
 * Audit events (`onAuthEvent`) and OpenTelemetry (spans and metrics through `@opentelemetry/api`,
 * an optional peer dependency loaded once with a guarded dynamic import: nothing happens when it
 * is absent). Register your tracer and meter providers before creating the handler.
 */
/** Whether an SDK registered a tracer provider (the API's proxy delegates to a no-op otherwise). */
function hasTracerProvider(api: OtelApi): boolean {
  const provider = api.trace.getTracerProvider() as { getDelegate?: () => unknown };
  const delegate = typeof provider.getDelegate === 'function' ? provider.getDelegate() : provider;
  return (
    (delegate as { constructor?: { name?: string } })?.constructor?.name !== 'NoopTracerProvider'
  );
}

/** Whether an SDK registered a meter provider. */
function hasMeterProvider(api: OtelApi): boolean {
  const provider = api.metrics.getMeterProvider() as { constructor?: { name?: string } };
  return provider?.constructor?.name !== 'NoopMeterProvider';
}

export class Telemetry {
  readonly #onEvent: ((event: AuthEvent) => void) | undefined;
  readonly #logger: Logger;
  readonly #now: () => number;
  #otel: Instruments | undefined;
  readonly loaded: Promise<void>;

  constructor(
    onEvent: ((event: AuthEvent) => void) | undefined,
    sessions: () => Record<'sse' | 'streamable-http', number>,
    logger: Logger,
    now: () => number,
  ) {
    this.#onEvent = onEvent;
    this.#logger = logger;
    this.#now = now;
    this.loaded = this.#load(sessions);
  }

  async #load(sessions: () => Record<'sse' | 'streamable-http', number>): Promise<void> {
    let api: OtelApi;
    try {
      api = await import('@opentelemetry/api');
    } catch {
      return; // Not installed: no telemetry.
    }
    // Installed but nothing registered (no SDK): every span and metric would be a no-op, so pay
    // nothing per request. Providers must be registered before the handler is created.
    if (!hasTracerProvider(api) && !hasMeterProvider(api)) return;
    const meter = api.metrics.getMeter(SCOPE);
    const active = meter.createObservableUpDownCounter(METRICS.activeSessions, {
      description: 'Live sessions held by this instance',
    });
    active.addCallback((result) => {
      for (const [transport, count] of Object.entries(sessions())) {
        result.observe(count, { 'mcp_auth.transport': transport });
      }
    });
    this.#otel = {
      api,
      tracer: api.trace.getTracer(SCOPE),
      validations: meter.createCounter(METRICS.validations, {
        description: 'Authorization decisions on requests, by outcome and code',
      }),
      refusals: meter.createCounter(METRICS.refusals, {
        description: 'Refused requests, by reason',
      }),
      duration: meter.createHistogram(METRICS.authorizationDuration, {
        description: 'Time to authorize a request (token validation and scope checks)',
        unit: 'ms',
      }),
    };
  }

  #base(req: IncomingMessage, transport: Transport): AuthEventBase {
    const target =
      (req as IncomingMessage & { originalUrl?: string }).originalUrl ?? req.url ?? '/';
    return {
      time: this.#now(),
      method: req.method ?? 'GET',
      path: requestPath(target) ?? '',
      transport,
    };
  }

  #emit(event: AuthEvent): void {
    if (this.#onEvent === undefined) return;
    try {
      this.#onEvent(event);
    } catch (error) {
      this.#logger.warn?.('sse-transport: onAuthEvent threw', { error: String(error) });
    }
  }

  #refusal(reason: string, transport: Transport): void {
    this.#otel?.refusals.add(1, { 'mcp_auth.reason': reason, 'mcp_auth.transport': transport });
  }

  /** Starts the record (and span) of one request's authorization. */
  authorization(req: IncomingMessage, transport: Transport): AuthorizationRecord {
    const otel = this.#otel;
    // The hot path pays nothing when nobody listens.
    if (otel === undefined && this.#onEvent === undefined) return NO_RECORD;
    const base = this.#base(req, transport);
    const started = performance.now();
    const span: Span | undefined = otel?.tracer.startSpan(SPANS.authorize, {
      attributes: {
        'http.request.method': base.method,
        'url.path': base.path,
        'mcp_auth.transport': transport,
      },
    });
    let done = false;
    const finish = (outcome: 'accepted' | 'refused' | 'step_up', code?: string) => {
      if (done) return false;
      done = true;
      if (otel !== undefined) {
        const attributes: Record<string, string> = {
          'mcp_auth.outcome': outcome,
          'mcp_auth.transport': transport,
        };
        if (code !== undefined) attributes['mcp_auth.code'] = code;
        otel.validations.add(1, attributes);
        otel.duration.record(performance.now() - started, { 'mcp_auth.outcome': outcome });
        span!.setAttributes(attributes);
        if (outcome !== 'accepted')
          span!.setStatus({ code: otel.api.SpanStatusCode.ERROR, message: code });
        span!.end();
      }
      return true;
    };
    return {
      accepted: (authInfo) => {
        if (!finish('accepted')) return;
        this.#emit({
          ...base,
          type: 'accepted',
          principal: principal(authInfo)!,
          scopes: [...authInfo.scopes],
        });
      },
      refused: (code, status) => {
        if (!finish('refused', code)) return;
        this.#refusal(code, transport);
        this.#emit({ ...base, type: 'refused', code, status });
      },
      stepUp: (authInfo, requiredScopes) => {
        // After `accepted` (per-message scopes are checked once the token was): counted anyway.
        if (!finish('step_up', 'ERR_INSUFFICIENT_SCOPE')) {
          this.#otel?.validations.add(1, {
            'mcp_auth.outcome': 'step_up',
            'mcp_auth.code': 'ERR_INSUFFICIENT_SCOPE',
            'mcp_auth.transport': transport,
          });
        }
        this.#refusal('ERR_INSUFFICIENT_SCOPE', transport);
        this.#emit({
          ...base,
          type: 'step-up',
          code: 'ERR_INSUFFICIENT_SCOPE',
          status: 403,
          principal: principal(authInfo),
          requiredScopes,
        });
      },
    };
  }

  /** A valid token of another principal tried to use a session. */
  sessionHijack(req: IncomingMessage, transport: Transport, authInfo: AuthInfo | undefined): void {
    this.#refusal('session_hijack', transport);
    this.#emit({
      ...this.#base(req, transport),
      type: 'session-hijack-refused',
      status: 403,
      principal: principal(authInfo),
    });
  }

  /** `Origin` or `Host` refused. */
  originRefused(req: IncomingMessage, reason: 'origin_not_allowed' | 'host_not_allowed'): void {
    this.#refusal(reason, 'other');
    const origin = req.headers.origin;
    this.#emit({
      ...this.#base(req, 'other'),
      type: 'origin-refused',
      status: 403,
      reason,
      origin: typeof origin === 'string' ? origin.slice(0, 200) : undefined,
    });
  }

  /** A session cap was reached. */
  rateLimited(
    req: IncomingMessage,
    transport: Transport,
    reason: 'sessions-per-principal' | 'sessions-total',
    authInfo: AuthInfo | undefined,
  ): void {
    this.#refusal(reason.replace(/-/g, '_'), transport);
    this.#emit({
      ...this.#base(req, transport),
      type: 'rate-limited',
      status: reason === 'sessions-total' ? 503 : 429,
      reason,
      principal: principal(authInfo),
    });
  }

  /** Runs a step of the browser flow in a span; the status its response got is recorded. */
  async flow(
    name: 'authorize' | 'callback',
    res: ServerResponse,
    run: () => Promise<void>,
  ): Promise<void> {
    const otel = this.#otel;
    if (otel === undefined) return run();
    const span = otel.tracer.startSpan(
      name === 'authorize' ? SPANS.flowAuthorize : SPANS.flowCallback,
    );
    try {
      await run();
    } catch (error) {
      span.setStatus({ code: otel.api.SpanStatusCode.ERROR });
      throw error;
    } finally {
      const status = res.statusCode;
      span.setAttribute('http.response.status_code', status);
      span.setAttribute('mcp_auth.outcome', status < 400 ? 'ok' : 'error');
      if (status >= 400) span.setStatus({ code: otel.api.SpanStatusCode.ERROR });
      span.end();
    }
  }
}
