/**
 * Audit events (`onAuthEvent`), OpenTelemetry spans and metrics (in-memory exporter and reader)
 * and the health endpoints, with real tokens from the local authorization server over real HTTP.
 */
import { type DevAuthServer, start as startAuthServer } from '@mcp-auth/dev-auth-server';
import { getFreePort } from '@mcp-auth/test-utils';
import { metrics, trace } from '@opentelemetry/api';
import {
  AggregationTemporality,
  type DataPoint,
  MeterProvider,
  MetricReader,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, OAuthProvider, type SseServer } from '../src/index.js';
import type { AuthEvent } from '../src/telemetry/events.js';
import { openStream, rawRequest, whoamiServer } from './helpers.js';

class TestReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

const spans = new InMemorySpanExporter();
const reader = new TestReader({
  aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE,
});
const tracerProvider = new BasicTracerProvider({
  spanProcessors: [new SimpleSpanProcessor(spans)],
});
const meterProvider = new MeterProvider({ readers: [reader] });

let das: DevAuthServer;
let provider: OAuthProvider;
let server: SseServer;
let base: string;
let mcpUrl: string;
const events: AuthEvent[] = [];
const tokens: Record<string, string> = {};
const sessionIds: string[] = [];

const ACCEPT = 'application/json, text/event-stream';
const INIT = {
  jsonrpc: '2.0',
  id: 0,
  method: 'initialize',
  params: {
    protocolVersion: '2025-11-25',
    capabilities: {},
    clientInfo: { name: 'raw', version: '1' },
  },
};

function post(body: unknown, headers: Record<string, string> = {}) {
  return rawRequest(mcpUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: ACCEPT, ...headers },
    body: JSON.stringify(body),
  });
}

beforeAll(async () => {
  // Providers first: the handler takes its meter when it is created.
  trace.setGlobalTracerProvider(tracerProvider);
  metrics.setGlobalMeterProvider(meterProvider);
  const port = await getFreePort();
  base = `http://127.0.0.1:${port}`;
  mcpUrl = `${base}/mcp`;
  das = await startAuthServer({
    resources: [{ uri: mcpUrl, scopes: ['mcp:read', 'mcp:admin'] }],
    users: ['alice', 'bob', 'carol'].map((sub) => ({ sub, password: 'p' })),
  });
  provider = new OAuthProvider({
    authorizationServer: das.issuer,
    resourceUri: mcpUrl,
    requiredScopes: ['mcp:read'],
    allowInsecureHttpForLoopback: true,
  });
  server = createServer({
    port,
    auth: { provider, toolScopes: { server_stats: ['mcp:admin'] } },
    createMcpServer: () => whoamiServer(),
    maxSessionsPerPrincipal: 1,
    onAuthEvent: (event) => events.push(event),
  });
  await server.listen();
  await server.handler.ready();
  for (const user of ['alice', 'bob', 'carol']) {
    tokens[user] = (
      await das.authorizationCodeFlow({ resource: mcpUrl, user, scope: 'mcp:read' })
    ).access_token;
  }
});

afterAll(async () => {
  await server?.close();
  await provider?.close();
  await das?.stop();
  trace.disable();
  metrics.disable();
});

describe('one audit event, span and metric per decision', () => {
  it('every kind of decision', async () => {
    expect((await post(INIT)).status).toBe(401);
    expect((await post(INIT, { authorization: 'Bearer not-a-jwt' })).status).toBe(401);
    const init = await post(INIT, { authorization: `Bearer ${tokens['alice']}` });
    expect(init.status).toBe(200);
    const sessionId = init.headers['mcp-session-id'] as string;
    sessionIds.push(sessionId);
    const call = {
      jsonrpc: '2.0',
      id: 2,
      method: 'tools/call',
      params: { name: 'server_stats', arguments: {} },
    };
    const stepUp = await post(call, {
      authorization: `Bearer ${tokens['alice']}`,
      'mcp-session-id': sessionId,
    });
    expect(stepUp.status).toBe(403);
    const whoami = {
      jsonrpc: '2.0',
      id: 3,
      method: 'tools/call',
      params: { name: 'whoami', arguments: {} },
    };
    const hijack = await post(whoami, {
      authorization: `Bearer ${tokens['bob']}`,
      'mcp-session-id': sessionId,
    });
    expect(hijack.status).toBe(403);
    const origin = await post(INIT, {
      authorization: `Bearer ${tokens['alice']}`,
      origin: 'https://evil.example',
    });
    expect(origin.status).toBe(403);
    const stream = await openStream(`${base}/sse`, { authorization: `Bearer ${tokens['carol']}` });
    expect(stream.status).toBe(200);
    sessionIds.push(stream.sessionId!);
    const second = await openStream(`${base}/sse`, { authorization: `Bearer ${tokens['carol']}` });
    expect(second.status).toBe(429);
    stream.close();

    const byType = (type: AuthEvent['type']) => events.filter((e) => e.type === type);
    expect(byType('refused').map((e) => (e.type === 'refused' ? [e.code, e.status] : []))).toEqual([
      ['ERR_MISSING_TOKEN', 401],
      [expect.stringMatching(/^ERR_/), 401],
    ]);
    expect(byType('refused')[0]).toMatchObject({
      method: 'POST',
      path: '/mcp',
      transport: 'streamable-http',
    });
    expect(byType('accepted')[0]).toMatchObject({
      principal: { issuer: das.issuer, subject: 'alice', clientId: 'mcp-public' },
      scopes: ['mcp:read'],
      transport: 'streamable-http',
    });
    expect(byType('step-up')).toEqual([
      expect.objectContaining({
        code: 'ERR_INSUFFICIENT_SCOPE',
        status: 403,
        requiredScopes: ['mcp:read', 'mcp:admin'],
        principal: expect.objectContaining({ subject: 'alice' }),
      }),
    ]);
    expect(byType('session-hijack-refused')).toEqual([
      expect.objectContaining({
        status: 403,
        principal: expect.objectContaining({ subject: 'bob' }),
      }),
    ]);
    expect(byType('origin-refused')).toEqual([
      expect.objectContaining({
        status: 403,
        reason: 'origin_not_allowed',
        origin: 'https://evil.example',
      }),
    ]);
    expect(byType('rate-limited')).toEqual([
      expect.objectContaining({
        status: 429,
        reason: 'sessions-per-principal',
        transport: 'sse',
        principal: expect.objectContaining({ subject: 'carol' }),
      }),
    ]);
  });

  it('no event or span carries a token or a session id', () => {
    const secrets = [...Object.values(tokens), ...sessionIds, 'not-a-jwt'];
    const dumped = JSON.stringify([
      events,
      spans.getFinishedSpans().map((s) => [s.name, s.attributes]),
    ]);
    for (const secret of secrets) expect(dumped).not.toContain(secret);
  });

  it('spans of request authorization', () => {
    const authorize = spans.getFinishedSpans().filter((s) => s.name === 'mcp_auth.authorize');
    const outcomes = authorize.map((s) => [
      s.attributes['mcp_auth.outcome'],
      s.attributes['mcp_auth.code'],
    ]);
    expect(outcomes).toContainEqual(['refused', 'ERR_MISSING_TOKEN']);
    expect(outcomes).toContainEqual(['accepted', undefined]);
    expect(authorize[0]!.attributes).toMatchObject({
      'http.request.method': 'POST',
      'url.path': '/mcp',
      'mcp_auth.transport': 'streamable-http',
    });
    expect(authorize.find((s) => s.attributes['mcp_auth.outcome'] === 'refused')!.status.code).toBe(
      2,
    );
  });

  it('metrics: validations by outcome, refusals by reason, active sessions, duration', async () => {
    const { resourceMetrics } = await reader.collect();
    const all = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics);
    const points = (name: string) =>
      (all.find((m) => m.descriptor.name === name)?.dataPoints ?? []) as DataPoint<number>[];
    const sum = (name: string, attrs: Record<string, string>) =>
      points(name)
        .filter((p) => Object.entries(attrs).every(([k, v]) => p.attributes[k] === v))
        .reduce((total, p) => total + p.value, 0);
    expect(
      sum('mcp_auth.validations', {
        'mcp_auth.outcome': 'refused',
        'mcp_auth.code': 'ERR_MISSING_TOKEN',
      }),
    ).toBe(1);
    expect(sum('mcp_auth.validations', { 'mcp_auth.outcome': 'step_up' })).toBe(1);
    expect(sum('mcp_auth.validations', { 'mcp_auth.outcome': 'accepted' })).toBeGreaterThanOrEqual(
      4,
    );
    for (const reason of [
      'ERR_MISSING_TOKEN',
      'ERR_INSUFFICIENT_SCOPE',
      'session_hijack',
      'origin_not_allowed',
      'sessions_per_principal',
    ]) {
      expect(sum('mcp_auth.refusals', { 'mcp_auth.reason': reason }), reason).toBe(1);
    }
    expect(sum('mcp_auth.sessions.active', { 'mcp_auth.transport': 'streamable-http' })).toBe(1);
    const duration = all.find((m) => m.descriptor.name === 'mcp_auth.authorization.duration')!;
    expect(duration.descriptor.unit).toBe('ms');
    expect(duration.dataPoints.length).toBeGreaterThan(0);
  });
});

describe('health', () => {
  it('/health is liveness, /health/ready checks the authorization server', async () => {
    const live = await rawRequest(`${base}/health`);
    expect(live.status).toBe(200);
    expect(JSON.parse(live.body)).toEqual({ status: 'ok' });
    const ready = await rawRequest(`${base}/health/ready`);
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.body)).toEqual({
      status: 'ready',
      checks: { authorizationServer: 'ok' },
    });
  });
});
