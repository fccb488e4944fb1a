import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { describe, expect, it } from 'vitest';
import { createDemoServer, describeCaller, STEP_UP_TOOL } from './tools.js';

const options = {
  name: 'test-demo',
  providerName: 'Okta',
  stepUpScope: 'mcp.admin',
  highlightClaims: ['scp', 'cid', 'missing'],
};

describe('describeCaller', () => {
  it('reports the caller from AuthInfo, lifting the provider claims', () => {
    const who = describeCaller(
      {
        token: 'secret-token',
        clientId: '0oa1',
        scopes: ['mcp.tools'],
        expiresAt: 1_900_000_000,
        resource: new URL('http://127.0.0.1:3003/sse'),
        extra: {
          subject: 'user1@example.com',
          issuer: 'http://127.0.0.1:9/oauth2/default',
          tokenType: 'jwt',
          claims: { sub: 'user1@example.com', scp: ['mcp.tools'], cid: '0oa1' },
        },
      },
      options,
    );
    expect(who).toEqual({
      provider: 'Okta',
      subject: 'user1@example.com',
      clientId: '0oa1',
      scopes: ['mcp.tools'],
      issuer: 'http://127.0.0.1:9/oauth2/default',
      resource: 'http://127.0.0.1:3003/sse',
      tokenType: 'jwt',
      expiresAt: '2030-03-17T17:46:40.000Z',
      providerClaims: { scp: ['mcp.tools'], cid: '0oa1' },
      claims: { sub: 'user1@example.com', scp: ['mcp.tools'], cid: '0oa1' },
    });
    expect(JSON.stringify(who)).not.toContain('secret-token');
  });

  it('copes with no authentication at all', () => {
    expect(describeCaller(undefined, options)).toMatchObject({
      subject: null,
      clientId: '',
      scopes: [],
      claims: {},
      providerClaims: {},
    });
  });
});

describe('createDemoServer over the SDK', () => {
  it('lists the three tools, echoes, and refuses server_stats without the scope (second line of defence)', async () => {
    const server = createDemoServer({ ...options, stats: () => ({ sessions: 7 }) });
    const [a, b] = InMemoryTransport.createLinkedPair();
    const client = new Client({ name: 't', version: '0' });
    await Promise.all([server.connect(a), client.connect(b)]);
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toEqual(['whoami', 'echo', STEP_UP_TOOL]);
      const echo = await client.callTool({ name: 'echo', arguments: { text: 'héllo' } });
      expect(echo.content).toEqual([{ type: 'text', text: 'héllo' }]);
      const tooLong = await client.callTool({
        name: 'echo',
        arguments: { text: 'x'.repeat(10_001) },
      });
      expect(tooLong.isError).toBe(true);
      const stats = await client.callTool({ name: STEP_UP_TOOL, arguments: {} });
      expect(stats.isError).toBe(true);
      expect(stats.content).toEqual([
        { type: 'text', text: 'insufficient_scope: this tool needs the scope "mcp.admin"' },
      ]);
    } finally {
      await client.close();
      await server.close();
    }
  });
});
