/**
 * The guide's "validator only" shape (src/validator-only.ts), run as it is with an SDK client and
 * real tokens; and what it leaves to you, pinned so the guide's list stays true.
 */
import { type DevAuthServer, start } from '@mcp-auth/dev-auth-server';
import { getFreePort } from '@mcp-auth/test-utils';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createValidatorOnlyServer } from '../src/validator-only.js';

let as: DevAuthServer;
let url: string;
let port: number;
let close: () => Promise<void>;
let token: string;

beforeAll(async () => {
  port = await getFreePort();
  url = `http://127.0.0.1:${port}/mcp`;
  as = await start({ resources: [{ uri: url, scopes: ['mcp:tools', 'mcp:admin'] }] });
  const example = createValidatorOnlyServer({
    issuer: as.issuer,
    resource: url,
    allowInsecureHttpForLoopback: true,
  });
  await new Promise<void>((resolve) => example.server.listen(port, '127.0.0.1', resolve));
  close = example.close;
  token = (await as.authorizationCodeFlow({ resource: url, scope: 'mcp:tools' })).access_token;
});
afterAll(async () => {
  await close?.();
  await as?.stop();
});

const ping = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' });
function post(headers: Record<string, string>): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...headers,
    },
    body: ping,
  });
}

describe('validator only (src/validator-only.ts)', () => {
  it('serves the metadata at both well-known URLs', async () => {
    for (const path of [
      '/.well-known/oauth-protected-resource/mcp',
      '/.well-known/oauth-protected-resource',
    ]) {
      const res = await fetch(`http://127.0.0.1:${port}${path}`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({
        resource: url,
        authorization_servers: [as.issuer],
        scopes_supported: ['mcp:tools'],
        bearer_methods_supported: ['header'],
      });
    }
  });

  it('answers 401 without a token, with the challenge and no error parameter', async () => {
    const res = await post({});
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe(
      `Bearer scope="mcp:tools", resource_metadata="http://127.0.0.1:${port}/.well-known/oauth-protected-resource/mcp"`,
    );
    await res.body?.cancel();
  });

  it('refuses a token for another resource with invalid_token', async () => {
    as.addResource({ uri: 'https://other.example/mcp', scopes: ['mcp:tools'] });
    const other = await as.getToken({ resource: 'https://other.example/mcp', scope: 'mcp:tools' });
    const res = await post({ authorization: `Bearer ${other}` });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/);
    await res.body?.cancel();
  });

  it('lets an SDK client call whoami with the token', async () => {
    const client = new Client({ name: 'docs-example', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(url), {
        requestInit: { headers: { authorization: `Bearer ${token}` } },
      }),
    );
    try {
      const who = await client.callTool({ name: 'whoami', arguments: {} });
      const text = (who as { content: { text: string }[] }).content[0]!.text;
      expect(JSON.parse(text)).toEqual({
        subject: 'user-1',
        clientId: 'mcp-public',
        scopes: ['mcp:tools'],
      });
    } finally {
      await client.close();
    }
  });

  // What the guide says the validator alone leaves to you (the gate and our server do these).
  describe('what it leaves to you', () => {
    it('no Origin check: a page on another origin (DNS rebinding) is served', async () => {
      const res = await post({ authorization: `Bearer ${token}`, origin: 'https://evil.example' });
      expect(res.status).toBe(200);
      await res.body?.cancel();
    });

    it('no CORS: a browser cannot read the 401 (no Access-Control-Allow-Origin), preflights are not answered', async () => {
      const res = await post({ origin: 'http://localhost:6274' });
      expect(res.status).toBe(401);
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
      await res.body?.cancel();
      const preflight = await fetch(url, {
        method: 'OPTIONS',
        headers: {
          origin: 'http://localhost:6274',
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization, content-type',
        },
      });
      expect(preflight.status).toBe(405);
      await preflight.body?.cancel();
    });
  });
});
