import type { DevAuthServer } from '@mcp-auth/dev-auth-server';
import { trace } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadTracing } from '../src/internal/tracing.js';
import {
  OPAQUE_RESOURCE,
  rejectsWith,
  serviceToken,
  startAuthServer,
  validatorFor,
} from './helpers.js';

/**
 * Optional OpenTelemetry spans for the calls to the authorization server, with a registered
 * tracer provider (in-memory exporter) and the real local AS. Without a provider nothing is
 * recorded: tracing.noop.test.ts.
 */
const spans = new InMemorySpanExporter();
let as: DevAuthServer;

beforeAll(async () => {
  // The provider first: the validator takes its tracer when the API has loaded.
  trace.setGlobalTracerProvider(
    new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }),
  );
  await loadTracing();
  as = await startAuthServer();
});
afterAll(async () => {
  await as?.stop();
  trace.disable();
});
beforeEach(() => spans.reset());

/** Every attribute value and status message of every finished span, as one string. */
function everything(): string {
  return JSON.stringify(
    spans.getFinishedSpans().map((s) => [s.name, s.attributes, s.status, s.events]),
  );
}

describe('OpenTelemetry spans (a provider is registered)', () => {
  it('a JWKS fetch is one mcp_auth.jwks.fetch client span with the key count; a cached key set makes none', async () => {
    const v = validatorFor(as);
    const token = await serviceToken(as);
    await v.validate(token);
    const jwks = spans.getFinishedSpans().filter((s) => s.name === 'mcp_auth.jwks.fetch');
    expect(jwks).toHaveLength(1);
    expect(jwks[0]!.kind).toBe(2); // SpanKind.CLIENT
    expect(jwks[0]!.attributes['mcp_auth.jwks.keys']).toBeGreaterThanOrEqual(1);
    expect(jwks[0]!.status.code).toBe(0); // UNSET: not an error
    await v.validate(await serviceToken(as, undefined, 'mcp:read'));
    expect(spans.getFinishedSpans().filter((s) => s.name === 'mcp_auth.jwks.fetch')).toHaveLength(
      1,
    );
    expect(everything()).not.toContain(token.split('.')[2]!);
    await v.close();
  });

  it('introspection: one span per call, active or refused with its code, never the token', async () => {
    const v = validatorFor(as, {
      resource: OPAQUE_RESOURCE,
      tokenFormat: 'opaque',
      introspection: {
        clientId: as.clients.introspector.clientId,
        clientSecret: as.clients.introspector.clientSecret,
      },
    });
    const token = await serviceToken(as, OPAQUE_RESOURCE);
    await v.validate(token);
    await as.revoke(token);
    await v.evict(token);
    await rejectsWith(v.validate(token), 'ERR_TOKEN_INACTIVE');
    const calls = spans.getFinishedSpans().filter((s) => s.name === 'mcp_auth.introspection');
    expect(calls).toHaveLength(2);
    expect(calls[0]!.attributes['mcp_auth.token.active']).toBe(true);
    expect(calls[1]!.status).toEqual({ code: 2, message: 'ERR_TOKEN_INACTIVE' }); // ERROR
    expect(calls[1]!.attributes['mcp_auth.error_code']).toBe('ERR_TOKEN_INACTIVE');
    expect(everything()).not.toContain(token);
    await v.close();
  });

  it('a failed JWKS fetch ends its span as an error with the code (AS down)', async () => {
    const down = await startAuthServer();
    const v = validatorFor(down, { jwt: { jwksRefetchCooldownSeconds: 0 } });
    const token = await serviceToken(down);
    await v.validate(token); // discovery and keys cached
    spans.reset();
    await down.stop();
    // A token naming an unknown kid makes the validator refetch the keys: the AS is gone.
    const [h, p, s] = token.split('.');
    const header = JSON.parse(Buffer.from(h!, 'base64url').toString());
    const forged = `${Buffer.from(JSON.stringify({ ...header, kid: 'unknown' })).toString('base64url')}.${p}.${s}`;
    await rejectsWith(v.validate(forged), 'ERR_AUTH_SERVER_UNAVAILABLE');
    const jwks = spans.getFinishedSpans().filter((x) => x.name === 'mcp_auth.jwks.fetch');
    expect(jwks).toHaveLength(1);
    expect(jwks[0]!.status).toEqual({ code: 2, message: 'ERR_AUTH_SERVER_UNAVAILABLE' });
    await v.close();
  });
});
