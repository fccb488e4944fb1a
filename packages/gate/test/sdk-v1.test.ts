import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DevAuthServer } from '@mcp-auth/dev-auth-server';
import { getFreePort } from '@mcp-auth/test-utils';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../examples/express-sdk-v1.js';
import { jsonHeaders, SCOPES, send, startAuthServer, toolCall, userToken } from './helpers.js';

/**
 * The official SDK v1: `StreamableHTTPServerTransport` behind Express with the gate
 * (examples/express-sdk-v1.ts, run as is), an SDK v1 `Client`, real tokens.
 */
let as: DevAuthServer;
let http: Server;
let url: string;
let user1: string;
let user1Admin: string;
let user2: string;

async function connect(
  token: string,
  sessionId?: string,
): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: { authorization: `Bearer ${token}` } },
    ...(sessionId === undefined ? {} : { sessionId }),
  });
  const client = new Client({ name: 'gate-test', version: '1.0.0' });
  await client.connect(transport);
  return { client, transport };
}

function whoami(result: unknown): Record<string, unknown> {
  const content = (result as { content: { type: string; text: string }[] }).content;
  return JSON.parse(content[0]!.text) as Record<string, unknown>;
}

beforeAll(async () => {
  as = await startAuthServer();
  const port = await getFreePort();
  url = `http://127.0.0.1:${port}/mcp`;
  as.addResource({ uri: url, scopes: SCOPES });
  const app = createApp({ issuer: as.issuer, resource: url, allowInsecureHttpForLoopback: true });
  http = await new Promise<Server>((resolve) => {
    const s = app.listen(port, '127.0.0.1', () => resolve(s));
  });
  expect((http.address() as AddressInfo).port).toBe(port);
  user1 = await userToken(as, url, 'user-1', 'mcp:read');
  user1Admin = await userToken(as, url, 'user-1', 'mcp:admin');
  user2 = await userToken(as, url, 'user-2', 'mcp:read mcp:admin');
});

afterAll(async () => {
  http?.closeAllConnections();
  await new Promise((resolve) => http?.close(resolve));
  await as?.stop();
});

describe('SDK v1 StreamableHTTPServerTransport behind Express + the gate', () => {
  it('an SDK v1 Client calls whoami end to end; the tool sees extra.authInfo', async () => {
    const { client, transport } = await connect(user1);
    expect(transport.sessionId).toMatch(/^[0-9a-f-]{36}$/);
    const result = await client.callTool({ name: 'whoami', arguments: {} });
    expect(whoami(result)).toEqual({
      subject: 'user-1',
      clientId: 'mcp-public',
      scopes: ['mcp:read'],
    });
    await transport.terminateSession();
    await client.close();
  });

  it('per-tool scope: admin_stats with mcp:read → 403 insufficient_scope; mcp:admin (implies mcp:read) → ok', async () => {
    const { client, transport } = await connect(user1);
    await expect(client.callTool({ name: 'admin_stats', arguments: {} })).rejects.toThrow(
      /403|insufficient_scope/i,
    );
    await client.close();
    const admin = await connect(user1Admin);
    const result = await admin.client.callTool({ name: 'admin_stats', arguments: {} });
    expect((result as { content: { text: string }[] }).content[0]!.text).toBe('all good');
    await admin.client.close();
    void transport;
  });

  it('session hijack: another principal’s token with user-1’s session id → 403, nothing delivered', async () => {
    const owner = await connect(user1);
    const sessionId = owner.transport.sessionId!;

    const raw = await send(url, {
      method: 'POST',
      headers: jsonHeaders(user2, {
        'mcp-session-id': sessionId,
        'mcp-protocol-version': '2025-11-25',
      }),
      body: toolCall('whoami', 7),
    });
    expect(raw.status).toBe(403);
    expect(JSON.parse(raw.body).error.message).toBe(
      'Forbidden: the session belongs to another principal',
    );
    for (const method of ['GET', 'DELETE']) {
      const r = await send(url, {
        method,
        headers: {
          authorization: `Bearer ${user2}`,
          'mcp-session-id': sessionId,
          accept: 'text/event-stream',
        },
      });
      expect(r.status).toBe(403);
    }

    // The same through an SDK client that reuses the session id.
    const thief = new StreamableHTTPClientTransport(new URL(url), {
      requestInit: { headers: { authorization: `Bearer ${user2}` } },
      sessionId,
    });
    const thiefClient = new Client({ name: 'thief', version: '1.0.0' });
    // Connecting with a session id skips initialize; the first request is refused.
    await thiefClient.connect(thief);
    await expect(thiefClient.callTool({ name: 'whoami', arguments: {} })).rejects.toThrow(
      /belongs to another principal/,
    );
    await thiefClient.close();

    // The session still works for its owner, and was never touched by user-2.
    const result = await owner.client.callTool({ name: 'whoami', arguments: {} });
    expect(whoami(result).subject).toBe('user-1');
    await owner.transport.terminateSession();
    const gone = await send(url, {
      method: 'POST',
      headers: jsonHeaders(user1, { 'mcp-session-id': sessionId }),
      body: toolCall('whoami'),
    });
    expect(gone.status).toBe(404);
    await owner.client.close();
  });

  it('serves PRM at both URLs and answers 401 with the challenge', async () => {
    const origin = new URL(url).origin;
    for (const path of [
      '/.well-known/oauth-protected-resource/mcp',
      '/.well-known/oauth-protected-resource',
    ]) {
      const r = await send(`${origin}${path}`);
      expect(r.status).toBe(200);
      expect(JSON.parse(r.body).resource).toBe(url);
    }
    const r = await send(url, { method: 'POST', headers: jsonHeaders(), body: toolCall('whoami') });
    expect(r.status).toBe(401);
    expect(r.headers['www-authenticate']).toBe(
      `Bearer scope="mcp:read", resource_metadata="${origin}/.well-known/oauth-protected-resource/mcp"`,
    );
    const health = await send(`${origin}/health`, { headers: { host: 'evil.example' } });
    expect(health.status).toBe(403);
    const ok = await send(`${origin}/health`);
    expect(ok.status).toBe(200);
  });
});
