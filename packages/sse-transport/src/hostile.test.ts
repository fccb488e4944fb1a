/**
 * Hostile input against a real server (loopback): random bodies, headers and callback queries never
 * produce a 5xx, a crash or unescaped markup.
 */

import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeProvider, type OpenStream, openStream, rawRequest } from '../test/helpers.js';
import { SseTransportError } from './errors.js';
import { STATE_COOKIE } from './oauth/routes.js';
import { createServer, type SseServer } from './server.js';

const ALICE = 'Bearer user:alice:app-a:mcp:read';
let server: SseServer;
let url: string;
let stream: OpenStream;

beforeAll(async () => {
  server = createServer({
    maxMessageBytes: 2048,
    auth: {
      provider: fakeProvider({
        clientId: 'web',
        redirectUri: 'http://127.0.0.1/oauth/callback',
        async handleCallback(_code, _state, _redirect, options) {
          throw new SseTransportError(
            'ERR_OAUTH_AUTHORIZATION_DENIED',
            'The authorization server refused the request',
            {
              ...(options?.error ? { oauthError: options.error } : {}),
              ...(options?.errorDescription
                ? { oauthErrorDescription: options.errorDescription }
                : {}),
            },
          );
        },
      }),
    },
    createMcpServer: () => new McpServer({ name: 'h', version: '1' }),
  });
  ({ url } = await server.listen());
  stream = await openStream(`${url}/sse`, { authorization: ALICE });
});

afterAll(async () => {
  stream?.close();
  await server?.close();
});

describe('hostile input', () => {
  it('random POST bodies and content types get 202, 400, 413 or 415, never more', async () => {
    const body = fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.json(),
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc
        .record({
          jsonrpc: fc.constantFrom('2.0', '1.0', 2),
          id: fc.oneof(fc.integer(), fc.string(), fc.constant(null)),
          method: fc.string({ maxLength: 20 }),
          params: fc.anything(),
        })
        .map((v) => JSON.stringify(v)),
      fc.string({ minLength: 2049, maxLength: 3000 }),
    );
    const contentType = fc.constantFrom(
      'application/json',
      'application/json; charset=utf-8',
      'text/plain',
      'application/json; charset=latin1',
      '',
    );
    await fc.assert(
      fc.asyncProperty(body, contentType, async (b, ct) => {
        const res = await rawRequest(`${url}${stream.endpoint}`, {
          method: 'POST',
          headers: { authorization: ALICE, ...(ct ? { 'content-type': ct } : {}) },
          body: b,
        });
        expect([202, 400, 413, 415]).toContain(res.status);
        if (res.status !== 202) {
          const json = JSON.parse(res.body);
          expect(Object.keys(json).sort()).toEqual(['error', 'error_description']);
        }
      }),
      { numRuns: 150 },
    );
    expect(server.handler.sessionCount).toBe(1);
  });

  it('random POST /mcp bodies, content types and headers: 200, 202, 400, 404, 406, 413 or 415, never more', async () => {
    // A session to aim at, so some bodies reach the transport (and its duplicate-id rule).
    const init = await rawRequest(`${url}/mcp`, {
      method: 'POST',
      headers: {
        authorization: ALICE,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 0,
        method: 'initialize',
        params: {
          protocolVersion: '2025-11-25',
          capabilities: {},
          clientInfo: { name: 'f', version: '1' },
        },
      }),
    });
    expect(init.status).toBe(200);
    const sessionId = init.headers['mcp-session-id'] as string;
    const message = fc
      .record({
        jsonrpc: fc.constantFrom('2.0', '1.0', 2),
        id: fc.oneof(fc.integer(), fc.string({ maxLength: 5 }), fc.constant(null)),
        method: fc.constantFrom('ping', 'tools/list', 'tools/call', 'initialize', 'x'),
        params: fc.oneof(fc.constant(undefined), fc.dictionary(fc.string(), fc.jsonValue())),
      })
      .map((v) => ({ ...v, id: v.id ?? undefined }));
    const body = fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.jsonValue().map((v) => JSON.stringify(v)),
      message.map((m) => JSON.stringify(m)),
      fc.array(message, { maxLength: 120 }).map((m) => JSON.stringify(m)),
      fc.string({ minLength: 2049, maxLength: 3000 }),
    );
    const header = fc.record(
      {
        'content-type': fc.constantFrom(
          'application/json',
          'text/plain',
          'application/json; charset=latin1',
        ),
        accept: fc.constantFrom(
          'application/json, text/event-stream',
          'application/json',
          '*/*',
          '',
        ),
        'mcp-session-id': fc.constantFrom(sessionId, 'nope', ''),
        'mcp-protocol-version': fc.constantFrom('2025-11-25', '2026-07-28', 'bogus'),
        'mcp-method': fc.constantFrom('ping', 'tools/call'),
        'mcp-name': fc.string({ maxLength: 10 }),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(body, header, async (b, h) => {
        const headers: Record<string, string> = { authorization: ALICE };
        for (const [k, v] of Object.entries(h)) if (v !== '') headers[k] = v;
        const res = await rawRequest(`${url}/mcp`, { method: 'POST', headers, body: b });
        expect([200, 202, 400, 404, 406, 413, 415]).toContain(res.status);
      }),
      { numRuns: 200 },
    );
    const health = await rawRequest(`${url}/health`);
    expect(health.status).toBe(200);
  });

  it('random callback queries never produce a 5xx or unescaped markup', async () => {
    const state = 'A'.repeat(43);
    const value = fc.string({ unit: 'binary', maxLength: 200 });
    await fc.assert(
      fc.asyncProperty(value, value, fc.boolean(), async (error, description, withCookie) => {
        const q = new URLSearchParams({
          state,
          error: error || 'x',
          error_description: description,
        });
        const res = await rawRequest(`${url}/oauth/callback?${q}`, {
          headers: withCookie ? { cookie: `${STATE_COOKIE}=${state}` } : {},
        });
        expect(res.status).toBe(400);
        const text = res.body.replace(
          /<\/?(!doctype html|html|head|meta|title|style|body|h1|p)[^>]*>/gi,
          '',
        );
        expect(text).not.toMatch(/[<>]/);
        expect(res.headers['content-security-policy']).toContain("default-src 'none'");
      }),
      { numRuns: 150 },
    );
  });

  it.each([
    ['a raw request target', 'GET http://evil.example/sse HTTP/1.1\r\nHost: x\r\n\r\n'],
    [
      'a huge sessionId',
      `POST /messages?sessionId=${'a'.repeat(5000)} HTTP/1.1\r\nHost: x\r\nAuthorization: ${ALICE}\r\nContent-Length: 0\r\n\r\n`,
    ],
    [
      'two Content-Length headers',
      `POST /messages HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n`,
    ],
  ])('answers %s without a 5xx', async (_name, raw) => {
    const { connect } = await import('node:net');
    const port = new URL(url).port;
    const reply = await new Promise<string>((resolve) => {
      const socket = connect(Number(port), '127.0.0.1', () => socket.end(raw));
      let data = '';
      socket.on('data', (c) => {
        data += c;
      });
      socket.on('close', () => resolve(data));
      socket.on('error', () => resolve(data));
    });
    expect(reply).toMatch(/^HTTP\/1\.1 [1-4]\d\d /);
  });
});
