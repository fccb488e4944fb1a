/**
 * Optional OpenTelemetry spans around the validator's calls to the authorization server (JWKS
 * fetches, introspection), through `@opentelemetry/api`, an optional peer dependency loaded once
 * with a guarded dynamic import. Nothing is recorded when the package is absent (edge runtimes
 * included) or when no tracer provider is registered. Attributes never carry a token.
 */

type OtelApi = typeof import('@opentelemetry/api');
type Tracer = import('@opentelemetry/api').Tracer;
type Attributes = Record<string, string | number | boolean>;

/** The span names (API: dashboards depend on them). */
export const SPANS = {
  jwksFetch: 'mcp_auth.jwks.fetch',
  introspection: 'mcp_auth.introspection',
} as const;

const SCOPE = '@mcp-auth/validator';

/**
 * The specifier is a variable, not a literal: a bundler for the edge then leaves the import alone
 * (no build error when the package is not installed); Node resolves it at run time.
 */
const OTEL_MODULE = '@opentelemetry/api';

/** undefined: not loaded yet; null: absent, or no provider registered. */
let tracer: Tracer | null | undefined;
let api: OtelApi | undefined;
let loading: Promise<void> | undefined;

/** Whether an SDK registered a tracer provider (the API's proxy delegates to a no-op otherwise). */
function hasTracerProvider(otel: OtelApi): boolean {
  const provider = otel.trace.getTracerProvider() as { getDelegate?: () => unknown };
  const delegate = typeof provider.getDelegate === 'function' ? provider.getDelegate() : provider;
  return (
    (delegate as { constructor?: { name?: string } })?.constructor?.name !== 'NoopTracerProvider'
  );
}

/**
 * Starts loading `@opentelemetry/api` (once per process; the validator calls it at creation).
 * Register your tracer provider before creating the validator.
 */
export function loadTracing(): Promise<void> {
  loading ??= (import(/* webpackIgnore: true */ /* @vite-ignore */ OTEL_MODULE) as Promise<OtelApi>)
    .then((otel) => {
      api = otel;
      tracer = hasTracerProvider(otel) ? otel.trace.getTracer(SCOPE) : null;
    })
    .catch(() => {
      tracer = null; // not installed (or not loadable here): no spans
    });
  return loading;
}

/**
 * Runs `work` inside a span named `name` when tracing is on; otherwise just runs it. The span
 * records the error code (never a message that could quote input, never a token) and ends with
 * the work.
 */
export function traced<T>(
  name: string,
  attributes: Attributes,
  work: () => Promise<T>,
  outcome?: (value: T) => Attributes,
): Promise<T> {
  const t = tracer;
  if (t === undefined || t === null || api === undefined) return work();
  const otel = api;
  return t.startActiveSpan(name, { kind: otel.SpanKind.CLIENT, attributes }, (span) =>
    work().then(
      (value) => {
        if (outcome !== undefined) span.setAttributes(outcome(value));
        span.end();
        return value;
      },
      (err: unknown) => {
        const code = (err as { code?: unknown })?.code;
        span.setStatus({
          code: otel.SpanStatusCode.ERROR,
          ...(typeof code === 'string' ? { message: code } : {}),
        });
        if (typeof code === 'string') span.setAttribute('mcp_auth.error_code', code);
        span.end();
        throw err;
      },
    ),
  );
}
