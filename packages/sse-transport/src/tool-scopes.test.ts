/**
 * Per-message scopes (`auth.toolScopes`, `auth.scopesFor`): option checks, fail-closed faults,
 * hostile tool names and bodies. Real tokens and the real provider: test/tool-scopes.e2e.test.ts.
 */

import { TokenValidationError } from '@mcp-auth/validator';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { fakeProvider, type OpenStream, openStream, postMessage } from '../test/helpers.js';
import {
  createHandler,
  createServer,
  parseJsonRpcMessages,
  type SseServer,
  type SseServerOptions,
} from './index.js';

const PRM = 'http://127.0.0.1/.well-known/oauth-protected-resource/sse';
const READ = 'Bearer user:alice:app-a:mcp:read';
const ADMIN = 'Bearer user:alice:app-a:mcp:read,mcp:admin';

/** The fake provider, rendering token errors with the validator's own toResponse. */
const provider = (requiredScopes: string[] | null = ['mcp:read']) =>
  fakeProvider({
    ...(requiredScopes ? { requiredScopes } : {}),
    getAuthError(error) {
      if (!(error instanceof TokenValidationError)) throw new Error('unexpected');
      return error.toResponse({ resourceMetadata: PRM });
    },
  });

const calls: string[] = [];
function mcp(): McpServer {
  const server = new McpServer({ name: 'unit', version: '1.0.0' });
  // (The SDK cannot register tools named like Object.prototype members: they are called below
  // unregistered, which is what an attacker would send anyway.)
  for (const name of ['echo', 'server_stats']) {
    server.registerTool(name, {}, async () => {
      calls.push(name);
      return { content: [{ type: 'text', text: name }] };
    });
  }
  return server;
}

let server: SseServer | undefined;
let url = '';
afterEach(async () => {
  await server?.close();
  server = undefined;
  calls.length = 0;
});

async function start(auth: Partial<NonNullable<SseServerOptions['auth']>>): Promise<OpenStream> {
  server = createServer({
    auth: { provider: provider(), ...auth },
    createMcpServer: mcp,
    logger: {},
  });
  ({ url } = await server.listen());
  const stream = await openStream(`${url}/sse`, { authorization: READ });
  const init = await postMessage(
    url,
    stream.endpoint!,
    {
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: {
        protocolVersion: '2025-06-18',
        capabilities: {},
        clientInfo: { name: 'u', version: '1' },
      },
    },
    { authorization: READ },
  );
  expect(init.status).toBe(202);
  await stream.next();
  return stream;
}

const call = (name: unknown, id = 1) => ({
  jsonrpc: '2.0',
  id,
  method: 'tools/call',
  params: { name, arguments: {} },
});

describe('option checks (TypeError naming the option, at construction)', () => {
  const base = { createMcpServer: mcp };
  it.each([
    [{ toolScopes: null }, /"auth.toolScopes"/],
    [{ toolScopes: ['mcp:admin'] }, /"auth.toolScopes"/],
    [{ toolScopes: { x: 'mcp:admin' } }, /"auth.toolScopes"/],
    [{ toolScopes: { x: ['two words'] } }, /"auth.toolScopes"/],
    [{ toolScopes: { x: ['quo"te'] } }, /"auth.toolScopes"/],
    [{ toolScopes: { x: [''] } }, /"auth.toolScopes"/],
    [{ toolScopes: { x: [42] } }, /"auth.toolScopes"/],
    [{ scopesFor: 'mcp:admin' }, /"auth.scopesFor"/],
    [
      { toolScopes: { x: ['mcp:admin'] }, endpoints: { messages: false } },
      /need authentication on the message endpoint/,
    ],
    [
      { scopesFor: () => undefined, endpoints: { messages: false } },
      /need authentication on the message endpoint/,
    ],
  ])('%j → TypeError', (auth, message) => {
    expect(() =>
      createHandler({ ...base, auth: { provider: provider(), ...auth } } as SseServerOptions),
    ).toThrow(message);
    expect(() =>
      createHandler({ ...base, auth: { provider: provider(), ...auth } } as SseServerOptions),
    ).toThrow(TypeError);
  });

  it('rejects a provider whose requiredScopes is not a list', () => {
    expect(() =>
      createHandler({
        ...base,
        auth: { provider: fakeProvider({ requiredScopes: 'mcp:read' as never }) },
      }),
    ).toThrow(/"auth.provider.requiredScopes"/);
  });

  it('accepts empty rules (nothing gated) and endpoints.messages off without rules', async () => {
    const h1 = createHandler({ ...base, auth: { provider: provider(), toolScopes: {} } });
    const h2 = createHandler({
      ...base,
      auth: { provider: provider(), toolScopes: { echo: [] }, endpoints: { sse: false } },
    });
    await Promise.all([h1.close(), h2.close()]);
  });
});

describe('parseJsonRpcMessages', () => {
  const ping = { jsonrpc: '2.0', id: 1, method: 'ping' };
  it.each([
    ['one message', ping, 1],
    ['a batch', [ping, { jsonrpc: '2.0', method: 'notifications/initialized' }], 2],
    ['an empty batch', [], undefined],
    ['a nested batch', [[ping]], undefined],
    ['a batch with one invalid element', [ping, { hello: 1 }], undefined],
    ['null', null, undefined],
    ['a string', 'ping', undefined],
    ['a wrong version', { ...ping, jsonrpc: '1.0' }, undefined],
  ])('%s', (_name, body, count) => {
    expect(parseJsonRpcMessages(body)?.length).toBe(count);
  });
});

describe('per-message scopes over HTTP (fake provider, validator rendering)', () => {
  it('answers the exact 403 and delivers nothing', async () => {
    const stream = await start({ toolScopes: { server_stats: ['mcp:admin'] } });
    try {
      const res = await postMessage(url, stream.endpoint!, call('server_stats'), {
        authorization: READ,
      });
      expect(res.status).toBe(403);
      expect(res.headers['www-authenticate']).toBe(
        `Bearer error="insufficient_scope", scope="mcp:read mcp:admin", resource_metadata="${PRM}", error_description="The token lacks a required scope"`,
      );
      expect(JSON.parse(res.body)).toEqual({
        error: 'insufficient_scope',
        error_description: 'The token lacks a required scope',
      });
      await expect(stream.next('message', 200)).rejects.toThrow(/no message event/);
      expect(calls).toEqual([]);
      const ok = await postMessage(url, stream.endpoint!, call('server_stats', 2), {
        authorization: ADMIN,
      });
      expect(ok.status).toBe(202);
      expect(JSON.parse((await stream.next()).data)).toMatchObject({ id: 2 });
      expect(calls).toEqual(['server_stats']);
    } finally {
      stream.close();
    }
  });

  it('lists only the extra scopes when the provider does not tell its required ones', async () => {
    server = createServer({
      auth: { provider: provider(null), toolScopes: { server_stats: ['mcp:admin'] } },
      createMcpServer: mcp,
    });
    ({ url } = await server.listen());
    const stream = await openStream(`${url}/sse`, { authorization: READ });
    try {
      const res = await postMessage(url, stream.endpoint!, call('server_stats'), {
        authorization: READ,
      });
      expect(res.status).toBe(403);
      expect(res.headers['www-authenticate']).toContain('scope="mcp:admin"');
    } finally {
      stream.close();
    }
  });

  it.each([
    [
      'throws',
      () => {
        throw new Error('boom');
      },
    ],
    ['returns a string', () => 'mcp:admin' as never],
  ])('fails closed with 500 when scopesFor %s, and delivers nothing', async (_name, scopesFor) => {
    // Only for tools/call, so the session can be initialized first.
    const stream = await start({
      scopesFor: (m) => ('method' in m && m.method === 'tools/call' ? scopesFor() : undefined),
    });
    try {
      const res = await postMessage(url, stream.endpoint!, call('echo'), { authorization: READ });
      expect(res.status).toBe(500);
      expect(JSON.parse(res.body)).toEqual({
        error: 'server_error',
        error_description: 'Could not determine the scopes this request needs',
      });
      expect(res.body).not.toContain('boom');
      await expect(stream.next('message', 200)).rejects.toThrow(/no message event/);
      expect(calls).toEqual([]);
    } finally {
      stream.close();
    }
  });

  it('checks the message the MCP server receives: with duplicate keys the last name counts for both', async () => {
    const stream = await start({ toolScopes: { server_stats: ['mcp:admin'] } });
    try {
      const body =
        '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","name":"server_stats","arguments":{}}}';
      const res = await postMessage(url, stream.endpoint!, body, { authorization: READ });
      expect(res.status).toBe(403);
      const flipped =
        '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"server_stats","name":"echo","arguments":{}}}';
      expect(
        (await postMessage(url, stream.endpoint!, flipped, { authorization: READ })).status,
      ).toBe(202);
      await stream.next();
      expect(calls).toEqual(['echo']);
    } finally {
      stream.close();
    }
  });

  it.each(['constructor', '__proto__', 'toString'])(
    'a call of a tool named %s is not gated unless listed, and refused when it is',
    async (name) => {
      const stream = await start({ toolScopes: { server_stats: ['mcp:admin'] } });
      try {
        const open = await postMessage(url, stream.endpoint!, call(name), { authorization: READ });
        expect(open.status).toBe(202);
        // Delivered: the SDK answers it (unknown tool), the transport did not refuse it.
        expect(JSON.parse((await stream.next()).data)).toMatchObject({ id: 1 });
        expect(calls).toEqual([]);
      } finally {
        stream.close();
      }
      await server!.close();
      calls.length = 0;
      const gated = await start({ toolScopes: JSON.parse(`{"${name}":["mcp:admin"]}`) });
      try {
        const res = await postMessage(url, gated.endpoint!, call(name), { authorization: READ });
        expect(res.status).toBe(403);
        expect(calls).toEqual([]);
      } finally {
        gated.close();
      }
    },
  );

  it('never delivers a gated call without the scope, whatever surrounds it (property)', async () => {
    const stream = await start({ toolScopes: { server_stats: ['mcp:admin'] } });
    try {
      const element = fc.oneof(
        fc.constantFrom('echo', 'server_stats', 'Server_Stats', 'toString').map((n) => call(n)),
        fc.constant({ jsonrpc: '2.0', id: 3, method: 'ping' }),
        fc.constant({
          jsonrpc: '2.0',
          method: 'notifications/cancelled',
          params: { requestId: 99 },
        }),
      );
      await fc.assert(
        fc.asyncProperty(
          fc.array(element, { minLength: 1, maxLength: 5 }),
          fc.boolean(),
          async (batch, single) => {
            const body = single ? batch[0] : batch;
            const gated = (single ? [batch[0]] : batch).some(
              (m) => 'params' in m! && (m.params as { name?: string }).name === 'server_stats',
            );
            calls.length = 0;
            const res = await postMessage(url, stream.endpoint!, body, { authorization: READ });
            expect(res.status).toBe(gated ? 403 : 202);
            if (gated) expect(calls).not.toContain('server_stats');
          },
        ),
        { numRuns: 60 },
      );
      expect(calls).not.toContain('server_stats');
    } finally {
      stream.close();
    }
  });
});
