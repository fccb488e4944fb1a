import { request } from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DevAuthServer, start } from './index.js';

const MCP = 'http://127.0.0.1:3000/mcp';

let as: DevAuthServer;
const serverErrors: unknown[] = [];

beforeAll(async () => {
  as = await start({
    issuerPath: '/t1',
    resources: [{ uri: MCP, scopes: ['mcp:tools'] }],
    logger: { error: (msg, meta) => serverErrors.push({ msg, meta }) },
  });
});
afterAll(async () => {
  await as?.stop();
  expect(serverErrors).toEqual([]);
});

/** A raw request, so the path is sent exactly as given (fetch would normalise it). */
function raw(method: string, path: string, body?: string, headers: Record<string, string> = {}) {
  const { port } = new URL(as.origin);
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        headers: body ? { ...headers, 'content-length': Buffer.byteLength(body) } : headers,
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => {
          text += c.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('hostile input', () => {
  it.each([
    ['GET', '/t1/../.well-known/openid-configuration'],
    ['GET', '/%2e%2e/t1/.well-known/openid-configuration'],
    ['GET', '//evil.example/t1/authorize'],
    ['GET', '/t1/authorize?%ZZ=1&client_id=%E0%A4%A'],
    ['GET', '/t1/interaction/..%2f..%2fjwks'],
    ['GET', 'http://evil.example/t1/jwks'],
    ['POST', '/t1/token'],
    ['DELETE', '/t1/jwks'],
    ['GET', `/t1/authorize?${'a=1&'.repeat(500)}`],
  ])('%s %#: no 5xx', async (method, path) => {
    const r = await raw(method, path);
    expect(r.status).toBeGreaterThanOrEqual(200);
    expect(r.status).toBeLessThan(500);
  });

  it.each(['//evil.example/t1/authorize', '//evil.example/t1/.well-known/openid-configuration'])(
    '%s (a host where the path should be) is a 400',
    async (path) => {
      const r = await raw('GET', path);
      expect(r.status).toBe(400);
      expect(JSON.parse(r.body)).toEqual({ error: 'invalid_request' });
    },
  );

  it.each([
    ['evil.example', 421],
    ['evil.example:80', 421],
    ['127.0.0.1', 421], // another port
    ['LOCALHOST:{port}', 200],
    ['localhost:{port}', 200],
    ['[::1]:{port}', 200],
    ['127.0.0.1:{port}', 200],
  ])('Host: %s -> %i (DNS rebinding protection)', async (hostHeader, status) => {
    const { port } = new URL(as.origin);
    const r = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          path: '/t1/.well-known/openid-configuration',
          headers: { host: hostHeader.replace('{port}', port) },
        },
        (res) => {
          let body = '';
          res.on('data', (c: Buffer) => {
            body += c.toString();
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(r.status).toBe(status);
    if (status === 421) {
      expect(JSON.parse(r.body)).toEqual({
        error: 'invalid_request',
        error_description: 'unexpected Host header',
      });
    }
  });

  it.each([
    [
      'two resources',
      `grant_type=client_credentials&resource=${encodeURIComponent(MCP)}&resource=${encodeURIComponent('http://127.0.0.1:1/x')}`,
      'invalid_target',
    ],
    ['a relative resource', 'grant_type=client_credentials&resource=mcp', 'invalid_target'],
    ['unknown grant type', 'grant_type=password&username=a&password=b', 'unsupported_grant_type'],
    ['no grant type', 'scope=x', 'invalid_request'],
    ['garbage', '%%%&&&===', 'invalid_request'],
  ])('token endpoint, %s -> 400 %s', async (_name, body, error) => {
    const r = await raw('POST', '/t1/token', body, {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`mcp-service:${as.clients.service.clientSecret}`).toString('base64')}`,
    });
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body).error).toBe(error);
  });

  it('random paths and queries never produce a 5xx (property)', async () => {
    const segment = fc.oneof(
      fc.constantFrom(
        't1',
        '.well-known',
        'authorize',
        'token',
        'interaction',
        'jwks',
        '..',
        '%2e',
        '%00',
        '',
      ),
      fc.string({ maxLength: 12 }).map(encodeURIComponent),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(segment, { maxLength: 5 }),
        fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 16 }), { maxKeys: 4 }),
        fc.constantFrom('GET', 'POST', 'HEAD', 'OPTIONS'),
        async (segments, query, method) => {
          const qs = new URLSearchParams(query).toString();
          const r = await raw(method, `/${segments.join('/')}${qs ? `?${qs}` : ''}`);
          expect(r.status).toBeLessThan(500);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('random token endpoint bodies never produce a 5xx (property)', async () => {
    const key = fc.constantFrom(
      'grant_type',
      'resource',
      'scope',
      'code',
      'code_verifier',
      'refresh_token',
      'audience',
      'client_id',
      'x',
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(key, fc.string({ maxLength: 40 })), { maxLength: 6 }),
        async (pairs) => {
          const body = new URLSearchParams(pairs).toString();
          const r = await raw('POST', '/t1/token', body, {
            'content-type': 'application/x-www-form-urlencoded',
            authorization: `Basic ${Buffer.from(`mcp-service:${as.clients.service.clientSecret}`).toString('base64')}`,
          });
          expect([200, 400, 401]).toContain(r.status);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('the server still works afterwards', async () => {
    expect((await as.introspect(await as.getToken({ resource: MCP }))).active).toBe(true);
  });
});
