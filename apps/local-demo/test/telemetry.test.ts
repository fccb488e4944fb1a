/**
 * OTLP export of the local demo: OTEL_EXPORTER_OTLP_ENDPOINT points at a recording HTTP server on
 * 127.0.0.1 (a stand-in collector), and what the SDK POSTs there is read back.
 */
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { type DemoApp, startDemoApp } from '@mcp-auth/app-demo-kit';
import { ensureBuilt, spawnApp } from '@mcp-auth/app-demo-kit/testing';
import { startHttpServer, type TestHttpServer } from '@mcp-auth/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { local } from '../src/provider.js';

const appDir = join(import.meta.dirname, '..');

interface Export {
  path: string;
  contentType: string;
  body: string;
}

let collector: TestHttpServer;
let exports: Export[];

beforeEach(async () => {
  exports = [];
  collector = await startHttpServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    let body = Buffer.concat(chunks);
    if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
    exports.push({
      path: req.url ?? '',
      contentType: String(req.headers['content-type']),
      body: body.toString('utf8'),
    });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{}');
  });
});
afterEach(async () => {
  await collector?.stop();
});

const posted = (path: string) => exports.filter((e) => e.path === path);

describe('local demo with OTEL_EXPORTER_OTLP_ENDPOINT', () => {
  it('exports the authorize span and the validations metric over OTLP/HTTP', async () => {
    let app: DemoApp | undefined;
    try {
      app = await startDemoApp(local, {
        env: { PORT: '0', OTEL_EXPORTER_OTLP_ENDPOINT: `${collector.url}/` },
      });
      expect(app.telemetry?.description).toBe(`OTLP/HTTP to ${collector.url}`);
      const token = await app.emulation!.getToken({
        resource: app.resourceUri,
        scope: 'mcp:tools',
      });
      const res = await fetch(app.mcpUrl, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
        },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 1,
          method: 'initialize',
          params: {
            protocolVersion: '2025-11-25',
            capabilities: {},
            clientInfo: { name: 'otel-test', version: '1' },
          },
        }),
      });
      expect(res.status).toBe(200);
      await res.body?.cancel();
      await app.telemetry!.flush();

      const traces = posted('/v1/traces');
      expect(traces.length).toBeGreaterThanOrEqual(1);
      expect(traces[0]!.contentType).toBe('application/json');
      const spans = traces.flatMap((t) =>
        (
          JSON.parse(t.body) as {
            resourceSpans: { scopeSpans: { spans: { name: string }[] }[] }[];
          }
        ).resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans)),
      );
      expect(spans.map((s) => s.name)).toContain('mcp_auth.authorize');
      expect(traces[0]!.body).toContain('"stringValue":"local-demo"'); // service.name

      const metrics = posted('/v1/metrics');
      expect(metrics.length).toBeGreaterThanOrEqual(1);
      expect(metrics.some((m) => m.body.includes('"mcp_auth.validations"'))).toBe(true);
      expect(metrics.some((m) => m.body.includes('"stringValue":"accepted"'))).toBe(true);
      // Never the token, in spans or metrics.
      for (const e of exports) expect(e.body).not.toContain(token);
    } finally {
      await app?.close();
    }
  }, 30_000);

  it('refuses an endpoint that is not an http(s) URL, with one line naming the variable', async () => {
    await expect(
      startDemoApp(local, { env: { PORT: '0', OTEL_EXPORTER_OTLP_ENDPOINT: 'localhost:4318' } }),
    ).rejects.toMatchObject({
      code: 'ERR_CONFIG_INVALID',
      variable: 'OTEL_EXPORTER_OTLP_ENDPOINT',
      message:
        'OTEL_EXPORTER_OTLP_ENDPOINT must be an absolute http(s) URL, e.g. http://127.0.0.1:4318',
    });
    expect(exports).toEqual([]);
  });

  it('--once as a process: exits 0 and its shutdown flushes spans and metrics to the collector', async () => {
    ensureBuilt();
    const run = await spawnApp(
      appDir,
      ['--once'],
      { PORT: '0', OTEL_EXPORTER_OTLP_ENDPOINT: collector.url },
      { timeoutMs: 60_000 },
    );
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toContain(`OTLP/HTTP to ${collector.url}`);
    expect(posted('/v1/traces').some((t) => t.body.includes('"mcp_auth.authorize"'))).toBe(true);
    expect(posted('/v1/metrics').some((m) => m.body.includes('"mcp_auth.validations"'))).toBe(true);
  }, 300_000);

  it('--once --telemetry console prints the spans and metrics, sends nothing to the endpoint', async () => {
    ensureBuilt();
    const run = await spawnApp(
      appDir,
      ['--once', '--telemetry', 'console'],
      { PORT: '0', OTEL_EXPORTER_OTLP_ENDPOINT: collector.url },
      { timeoutMs: 60_000 },
    );
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toMatch(/telemetry\s+console/);
    expect(run.stdout).toContain("name: 'mcp_auth.authorize'");
    expect(run.stdout).toContain("name: 'mcp_auth.validations'");
    expect(exports).toEqual([]);
  }, 300_000);
});
