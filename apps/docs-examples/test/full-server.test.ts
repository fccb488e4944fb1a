/**
 * The docs' first deployment shape, run as it is: packages/sse-transport/examples/full-server.ts
 * (imported here, so `tsc` of this app type-checks it too, and spawned as a program). The other two
 * shapes (the gate around your own SDK transport on Express; a Fetch handler with the v2 SDK) are
 * packages/gate/examples/*, run by the gate's own tests.
 */
import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ensureBuilt, REPO_ROOT } from '@mcp-auth/app-demo-kit/testing';
import { type DevAuthServer, start } from '@mcp-auth/dev-auth-server';
import { getFreePort, type RedisProcess, startRedis } from '@mcp-auth/test-utils';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExampleServer } from '../../../packages/sse-transport/examples/full-server.js';

const EXAMPLE = join(
  import.meta.dirname,
  '../../../packages/sse-transport/examples/full-server.ts',
);
const SCOPES = ['mcp:tools', 'mcp:admin'];

let as: DevAuthServer;
beforeAll(async () => {
  ensureBuilt(); // the spawned program imports the built package, as its users do
  as = await start({ resources: [] });
}, 300_000);
afterAll(async () => {
  await as?.stop();
});

async function mcpPost(url: string, token: string | undefined, body: unknown, origin?: string) {
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(origin ? { origin } : {}),
    },
    body: JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

function whoami(result: unknown): Record<string, unknown> {
  const content = (result as { content: { text: string }[] }).content;
  return JSON.parse(content[0]!.text) as Record<string, unknown>;
}

describe('examples/full-server.ts (our full server)', () => {
  it('serves Streamable HTTP and the deprecated SSE to SDK clients, with step-up and Origin checks (no REDIS_URL)', async () => {
    const port = await getFreePort();
    const resource = `http://127.0.0.1:${port}/mcp`;
    as.addResource({ uri: resource, scopes: SCOPES });
    const example = createExampleServer({
      issuer: as.issuer,
      resource,
      port,
      allowInsecureHttpForLoopback: true,
    });
    const { url } = await example.server.listen();
    try {
      // No token: 401 with the challenge, no error parameter.
      const anonymous = await mcpPost(`${url}/mcp`, undefined, {
        jsonrpc: '2.0',
        id: 1,
        method: 'ping',
      });
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers.get('www-authenticate')).toBe(
        `Bearer scope="mcp:tools", resource_metadata="http://127.0.0.1:${port}/.well-known/oauth-protected-resource/mcp"`,
      );
      // The metadata names the resource that covers /mcp and /mcp/sse.
      const prm = await fetch(`${url}/.well-known/oauth-protected-resource/mcp`);
      expect(await prm.json()).toMatchObject({
        resource,
        authorization_servers: [as.issuer],
        scopes_supported: SCOPES,
      });

      const token = (await as.authorizationCodeFlow({ resource, scope: 'mcp:tools' })).access_token;
      const headers = { authorization: `Bearer ${token}` };
      for (const transport of [
        new StreamableHTTPClientTransport(new URL(`${url}/mcp`), { requestInit: { headers } }),
        new SSEClientTransport(new URL(`${url}/mcp/sse`), {
          requestInit: { headers },
          eventSourceInit: {
            fetch: (u, init) => fetch(u, { ...init, headers: { ...init?.headers, ...headers } }),
          },
        }),
      ]) {
        const client = new Client({ name: 'example-test', version: '1.0.0' });
        await client.connect(transport);
        try {
          expect(whoami(await client.callTool({ name: 'whoami', arguments: {} }))).toEqual({
            subject: 'user-1',
            clientId: 'mcp-public',
            scopes: ['mcp:tools'],
            openedBy: 'user-1',
          });
          const sum = await client.callTool({ name: 'add', arguments: { a: 2, b: 3 } });
          expect((sum as { content: { text: string }[] }).content[0]!.text).toBe('5');
        } finally {
          await client.close();
        }
      }

      // server_stats needs mcp:admin: 403 naming every scope the call needs.
      const init = await mcpPost(`${url}/mcp`, token, {
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: {
          protocolVersion: '2025-11-25',
          capabilities: {},
          clientInfo: { name: 'raw', version: '1' },
        },
      });
      expect(init.status).toBe(200);
      const session = init.headers.get('mcp-session-id')!;
      const res = await fetch(`${url}/mcp`, {
        method: 'POST',
        headers: {
          ...headers,
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          'mcp-session-id': session,
          'mcp-protocol-version': '2025-11-25',
        },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 2,
          method: 'tools/call',
          params: { name: 'server_stats', arguments: {} },
        }),
      });
      expect(res.status).toBe(403);
      expect(res.headers.get('www-authenticate')).toBe(
        `Bearer error="insufficient_scope", scope="mcp:tools mcp:admin", resource_metadata="http://127.0.0.1:${port}/.well-known/oauth-protected-resource/mcp", error_description="The token lacks a required scope"`,
      );
      await res.body?.cancel();

      // Origin: the allowed browser origin passes, another one gets 403 before anything runs.
      const ping = { jsonrpc: '2.0', id: 3, method: 'ping' };
      const allowed = await mcpPost(`${url}/mcp`, token, ping, 'https://app.example.com');
      expect(allowed.status).not.toBe(403);
      expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
      const foreign = await mcpPost(`${url}/mcp`, token, ping, 'https://evil.example');
      expect(foreign.status).toBe(403);
      expect(JSON.parse(foreign.text)).toEqual({
        error: 'forbidden',
        error_description: 'Origin not allowed',
      });
    } finally {
      await example.close();
    }
  });

  describe('with REDIS_URL', () => {
    let redis: RedisProcess;
    beforeAll(async () => {
      redis = await startRedis();
    });
    afterAll(async () => {
      await redis?.stop();
    });

    it('keeps the token cache in Redis and still serves', async () => {
      const port = await getFreePort();
      const resource = `http://127.0.0.1:${port}/mcp`;
      as.addResource({ uri: resource, scopes: SCOPES });
      const example = createExampleServer({
        issuer: as.issuer,
        resource,
        port,
        redisUrl: redis.url,
        allowInsecureHttpForLoopback: true,
      });
      const { url } = await example.server.listen();
      try {
        const token = (await as.authorizationCodeFlow({ resource, scope: 'mcp:tools' }))
          .access_token;
        const client = new Client({ name: 'example-test', version: '1.0.0' });
        await client.connect(
          new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
            requestInit: { headers: { authorization: `Bearer ${token}` } },
          }),
        );
        try {
          expect(whoami(await client.callTool({ name: 'whoami', arguments: {} }))).toMatchObject({
            subject: 'user-1',
          });
        } finally {
          await client.close();
        }
        const keys = execFileSync(
          'redis-cli',
          ['-p', String(redis.port), '--scan', '--pattern', 'example:*'],
          {
            encoding: 'utf8',
          },
        );
        expect(keys.trim().split('\n').filter(Boolean).length).toBeGreaterThan(0);
      } finally {
        await example.close();
      }
    });
  });

  it('runs as a program without REDIS_URL: listens, answers 401 on /mcp, stops on SIGTERM with exit 0', async () => {
    const port = await getFreePort();
    const resource = `http://127.0.0.1:${port}/mcp`;
    as.addResource({ uri: resource, scopes: SCOPES });
    const tsx = pathToFileURL(join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
    const child = spawn(process.execPath, ['--import', tsx, EXAMPLE], {
      cwd: join(EXAMPLE, '../..'),
      env: { PATH: process.env['PATH'] ?? '', ISSUER: as.issuer, RESOURCE: resource },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      const deadline = Date.now() + 20_000;
      while (!stdout.includes('MCP server:') && Date.now() < deadline) {
        if (child.exitCode !== null) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(stdout, stderr).toContain(
        `MCP server: http://127.0.0.1:${port}/mcp (Streamable HTTP), http://127.0.0.1:${port}/mcp/sse (HTTP+SSE, deprecated)`,
      );
      const health = await fetch(`http://127.0.0.1:${port}/health`);
      expect(health.status).toBe(200);
      const res = await mcpPost(`http://127.0.0.1:${port}/mcp`, undefined, {
        jsonrpc: '2.0',
        id: 1,
        method: 'ping',
      });
      expect(res.status).toBe(401);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(stderr).toBe('');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 30_000);
});
