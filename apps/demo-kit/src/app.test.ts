import { execFileSync } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { createServer, type Server } from 'node:net';
import { type DevAuthServer, start } from '@mcp-auth/dev-auth-server';
import { getFreePort, type RedisProcess, startRedis } from '@mcp-auth/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoApp, startDemoApp } from './app.js';
import { runCli } from './cli.js';
import type { ConfigError } from './errors.js';
import { runFlowReport } from './flow.js';
import type { ProviderDefinition } from './provider.js';

/** A generic provider app (RFC 9068 tokens), as an app definition would describe it. */
const generic: ProviderDefinition = {
  profile: 'generic',
  appName: 'test-demo',
  displayName: 'Test IdP',
  defaultRequiredScopes: ['mcp:tools'],
  defaultStepUpScope: 'mcp:admin',
  defaultPort: 3999,
  issuerExample: 'https://idp.example.com',
  resourceExample: 'https://mcp.example.com/mcp',
  emulation: { notes: ['a test emulation'] },
  highlightClaims: ['aud', 'client_id'],
};

async function occupy(port: number): Promise<Server> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return server;
}

describe('startDemoApp against a real provider (provider mode)', () => {
  let as: DevAuthServer;
  let port: number;
  let port2: number; // a second server: never reuse a port a closed app listened on (pooled sockets)

  beforeAll(async () => {
    port = await getFreePort();
    port2 = await getFreePort();
    as = await start({
      resources: [
        { uri: `http://127.0.0.1:${port}/mcp`, scopes: ['mcp:tools', 'mcp:admin'] },
        { uri: `http://127.0.0.1:${port2}/mcp`, scopes: ['mcp:tools', 'mcp:admin'] },
        { uri: 'https://other.example.com/mcp', scopes: ['mcp:tools'] },
      ],
    });
  });
  afterAll(async () => {
    await as?.stop();
  });

  it('uses the configured issuer, runs the whole flow with step-up', async () => {
    const app = await startDemoApp(generic, {
      env: {
        OAUTH_AUTHORIZATION_SERVER: as.issuer,
        OAUTH_RESOURCE_URI: `http://127.0.0.1:${port}/mcp`,
        PORT: String(port),
      },
    });
    try {
      expect(app.mode).toBe('provider');
      expect(app.emulation).toBeUndefined();
      expect(app.issuer).toBe(as.issuer);
      expect(app.authorizeUrl).toBeUndefined(); // no client id: no server-side browser flow
      expect(app.mcpUrl).toBe(`http://127.0.0.1:${port}/mcp`);
      expect(app.sseUrl).toBe(`http://127.0.0.1:${port}/mcp/sse`);
      app.testClientOptions.clientId = as.clients.public.clientId;
      // The primary endpoint (Streamable HTTP), then the deprecated one: the same resource covers both.
      for (const transport of ['streamable-http', 'sse'] as const) {
        const result = await runFlowReport(app, { transport });
        expect(result.error, transport).toBeUndefined();
        expect(result.steppedUp).toBe(true);
        expect(result.report.steps.find((s) => s.id === 'connect')?.received.join(' ')).toContain(
          transport === 'sse' ? 'SSE' : 'Streamable HTTP',
        );
        expect(result.whoami).toMatchObject({
          issuer: as.issuer,
          clientId: 'mcp-public',
          scopes: ['mcp:tools'],
          providerClaims: { aud: `http://127.0.0.1:${port}/mcp`, client_id: 'mcp-public' },
        });
      }
    } finally {
      await app.close();
    }
  });

  it('refuses a token for another resource of the same authorization server', async () => {
    const app = await startDemoApp(generic, {
      env: {
        OAUTH_AUTHORIZATION_SERVER: as.issuer,
        OAUTH_RESOURCE_URI: `http://127.0.0.1:${port2}/mcp`,
        PORT: String(port2),
      },
    });
    try {
      const token = await as.getToken({
        resource: 'https://other.example.com/mcp',
        scope: 'mcp:tools',
      });
      const res = await fetch(app.sseUrl, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(401);
      await res.body?.cancel();
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/);
      // The same server's token for this resource is accepted.
      const ours = await as.getToken({
        resource: `http://127.0.0.1:${port2}/mcp`,
        scope: 'mcp:tools',
      });
      const ok = await fetch(app.sseUrl, { headers: { authorization: `Bearer ${ours}` } });
      expect(ok.status).toBe(200);
      await ok.body?.cancel();
    } finally {
      await app.close();
    }
  });
});

describe('startDemoApp when the authorization server goes away', () => {
  it('answers 503 with Retry-After (not 401: the client keeps its token) for a token it cannot check yet', async () => {
    const port = await getFreePort();
    const resource = `http://127.0.0.1:${port}/mcp`;
    const as = await start({ resources: [{ uri: resource, scopes: ['mcp:tools'] }] });
    const token = await as.getToken({ resource, scope: 'mcp:tools' });
    const app = await startDemoApp(generic, {
      env: {
        OAUTH_AUTHORIZATION_SERVER: as.issuer,
        OAUTH_RESOURCE_URI: resource,
        PORT: String(port),
      },
    });
    try {
      await as.stop(); // before the server ever fetched its metadata or keys
      const res = await fetch(app.sseUrl, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(503);
      await res.body?.cancel();
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(res.headers.get('www-authenticate')).toBeNull();
      // Without a token it is still a plain 401 challenge: no authorization server needed for that.
      const anonymous = await fetch(app.sseUrl);
      expect(anonymous.status).toBe(401);
      await anonymous.body?.cancel();
    } finally {
      await app.close();
    }
  });
});

describe('startDemoApp: ports, CORS and Redis', () => {
  it('fails with ERR_PORT_IN_USE (one line, no emulation left running) when PORT is taken', async () => {
    const port = await getFreePort();
    const blocker = await occupy(port);
    try {
      let error: ConfigError | undefined;
      await startDemoApp(generic, { env: { PORT: String(port) } }).catch((e) => {
        error = e;
      });
      expect(error?.code).toBe('ERR_PORT_IN_USE');
      expect(error?.variable).toBe('PORT');
      expect(error?.message).toBe(
        `PORT ${port} is already in use on 127.0.0.1: set PORT to a free port, e.g. PORT=${port + 1} (or PORT=0 for any)`,
      );
    } finally {
      blocker.close();
    }
  });

  it('moves to a free port, and says so, when the default port is taken and PORT is unset', async () => {
    const port = await getFreePort();
    const blocker = await occupy(port);
    const app = await startDemoApp({ ...generic, defaultPort: port }, { env: {} });
    try {
      expect(app.origin).not.toBe(`http://127.0.0.1:${port}`);
      expect(app.config.warnings).toEqual([
        `port ${port} is busy, using ${new URL(app.origin).port} instead (set PORT to choose one)`,
      ]);
    } finally {
      await app.close();
      blocker.close();
    }
  });

  it.each([
    ['the listen address', (app: DemoApp) => new URL(app.origin).host, 200],
    ['the public address (resource host)', () => 'mcp.example.com', 200],
    ['another name (DNS rebinding)', () => 'evil.example', 403],
    ['the public name on another port', () => 'mcp.example.com:8443', 403],
  ] as const)('behind a proxy, Host %s gets %i on /health', async (_name, host, status) => {
    const port = await getFreePort();
    const as = await start({
      resources: [{ uri: 'https://mcp.example.com/mcp', scopes: ['mcp:tools'] }],
    });
    const app = await startDemoApp(generic, {
      env: {
        OAUTH_AUTHORIZATION_SERVER: as.issuer,
        OAUTH_RESOURCE_URI: 'https://mcp.example.com/mcp',
        PORT: String(port),
      },
    });
    try {
      const res = await rawGet(`${app.origin}/health`, host(app));
      expect(res.status).toBe(status);
      if (status === 403) {
        expect(JSON.parse(res.body)).toEqual({
          error: 'forbidden',
          error_description: 'Host not allowed',
        });
      }
    } finally {
      await app.close();
      await as.stop();
    }
  });

  it('answers CORS for ALLOWED_ORIGIN only, also on the 403 of the step-up tool', async () => {
    const app = await startDemoApp(generic, {
      env: { PORT: '0', ALLOWED_ORIGIN: 'https://app.example.com' },
    });
    try {
      const allowed = await fetch(app.sseUrl, {
        method: 'OPTIONS',
        headers: {
          origin: 'https://app.example.com',
          'access-control-request-method': 'GET',
          'access-control-request-headers': 'authorization',
        },
      });
      expect(allowed.status).toBe(204);
      expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
      const other = await fetch(app.sseUrl, {
        method: 'OPTIONS',
        headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' },
      });
      // Another origin: refused by the Origin check (DNS rebinding) before CORS is looked at.
      expect(other.status).toBe(403);
      expect(other.headers.get('access-control-allow-origin')).toBeNull();
      expect(await other.json()).toEqual({
        error: 'forbidden',
        error_description: 'Origin not allowed',
      });
      // The Streamable HTTP endpoint answers the allowed origin's preflight the same way.
      const mcp = await fetch(app.mcpUrl, {
        method: 'OPTIONS',
        headers: {
          origin: 'https://app.example.com',
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization, content-type, mcp-protocol-version',
        },
      });
      expect(mcp.status).toBe(204);
      expect(mcp.headers.get('access-control-allow-origin')).toBe('https://app.example.com');

      // The transport's 403 for server_stats (auth.toolScopes) carries the same CORS headers, so a
      // browser client can read the challenge.
      const token = await app.emulation!.getToken({
        resource: app.resourceUri,
        scope: 'mcp:tools',
      });
      const stream = await fetch(app.sseUrl, { headers: { authorization: `Bearer ${token}` } });
      expect(stream.status).toBe(200);
      const reader = stream.body!.getReader();
      let text = '';
      while (!text.includes('sessionId='))
        text += new TextDecoder().decode((await reader.read()).value);
      const endpoint = /data: (\S+)/.exec(text)![1]!;
      const res = await fetch(new URL(endpoint, app.origin), {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          origin: 'https://app.example.com',
        },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 1,
          method: 'tools/call',
          params: { name: 'server_stats', arguments: {} },
        }),
      });
      expect(res.status).toBe(403);
      expect(res.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
      expect(res.headers.get('access-control-expose-headers')).toContain('WWW-Authenticate');
      expect(res.headers.get('www-authenticate')).toBe(
        `Bearer error="insufficient_scope", scope="mcp:tools mcp:admin", resource_metadata="${app.resourceMetadataUrl}", error_description="The token lacks a required scope"`,
      );
      expect(await res.json()).toEqual({
        error: 'insufficient_scope',
        error_description: 'The token lacks a required scope',
      });
      await reader.cancel();
    } finally {
      await app.close();
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

    it('lets a browser flow started on one instance finish on another (state shared in Redis)', async () => {
      // Two deployments of two instances each (fresh ports, so no pooled connection is reused).
      const [portA, portB, portC, portD] = [
        await getFreePort(),
        await getFreePort(),
        await getFreePort(),
        await getFreePort(),
      ];
      const client = (id: string, port: number) => ({
        client_id: id,
        client_secret: `${id}-secret-0123456789`,
        redirect_uris: [`http://127.0.0.1:${port}/oauth/callback`],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      });
      const as = await start({
        resources: [
          { uri: `http://127.0.0.1:${portA}/mcp`, scopes: ['mcp:tools', 'mcp:admin'] },
          { uri: `http://127.0.0.1:${portC}/mcp`, scopes: ['mcp:tools', 'mcp:admin'] },
        ],
        clients: [client('web-a', portA), client('web-c', portC)],
      });
      const env = (port: number, publicPort: number, id: string, redisUrl?: string) => ({
        OAUTH_AUTHORIZATION_SERVER: as.issuer,
        OAUTH_RESOURCE_URI: `http://127.0.0.1:${publicPort}/mcp`,
        OAUTH_CLIENT_ID: id,
        OAUTH_CLIENT_SECRET: `${id}-secret-0123456789`,
        PORT: String(port),
        ...(redisUrl ? { REDIS_URL: redisUrl } : {}),
      });
      /** Starts on A, follows the authorization server, and delivers the callback to B. */
      const crossInstance = async (a: DemoApp, b: DemoApp) => {
        const jar = new Map<string, string>();
        let url = a.authorizeUrl!;
        for (let hop = 0; hop < 12; hop++) {
          const res = await fetch(url, {
            redirect: 'manual',
            headers: { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') },
          });
          for (const c of res.headers.getSetCookie()) {
            const kv = c.split(';')[0]!;
            jar.set(kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1));
          }
          await res.body?.cancel();
          const next = new URL(res.headers.get('location') ?? '', url);
          if (next.pathname === '/oauth/callback') {
            // The load balancer sends the callback to the other instance.
            const onB = new URL(`${next.pathname}${next.search}`, b.sseUrl);
            const cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
            const final = await fetch(onB, { headers: { cookie } });
            return { status: final.status, body: await final.text() };
          }
          url = next.href;
        }
        throw new Error('the flow never reached the callback');
      };
      try {
        const [a, b] = [
          await startDemoApp(generic, { env: env(portA, portA, 'web-a', redis.url) }),
          await startDemoApp(generic, { env: env(portB, portA, 'web-a', redis.url) }),
        ];
        try {
          const shared = await crossInstance(a, b);
          expect(shared.status).toBe(200);
          expect(shared.body).toContain('<h1>Signed in</h1>');
        } finally {
          await a.close();
          await b.close();
        }
        // The same without Redis: B has never heard of that state.
        const [c, d] = [
          await startDemoApp(generic, { env: env(portC, portC, 'web-c') }),
          await startDemoApp(generic, { env: env(portD, portC, 'web-c') }),
        ];
        try {
          const alone = await crossInstance(c, d);
          expect(alone.status).toBe(400);
        } finally {
          await c.close();
          await d.close();
        }
      } finally {
        await as.stop();
      }
    });

    it('keeps the token cache in Redis under the app prefix', async () => {
      const app = await startDemoApp(generic, { env: { PORT: '0', REDIS_URL: redis.url } });
      try {
        const result = await runFlowReport(app);
        expect(result.error).toBeUndefined();
        const keys = execFileSync(
          'redis-cli',
          ['-p', String(redis.port), '--scan', '--pattern', '*'],
          {
            encoding: 'utf8',
          },
        )
          .split('\n')
          .filter(Boolean);
        expect(keys.length).toBeGreaterThan(0);
        for (const key of keys) expect(key.startsWith('mcp-auth:test-demo:')).toBe(true);
        // Keys are hashes, never tokens.
        expect(keys.join('\n')).not.toMatch(/eyJ/);
      } finally {
        await app.close();
      }
    });
  });
});

describe('the server-side browser flow (emulation)', () => {
  /** Follows redirects by hand with a per-name cookie jar, as a browser would (cookies ignore ports). */
  async function browse(start: string, jar = new Map<string, string>()) {
    let url = start;
    for (let hop = 0; hop < 12; hop++) {
      const res = await fetch(url, {
        redirect: 'manual',
        headers: { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') },
      });
      for (const c of res.headers.getSetCookie()) {
        const kv = c.split(';')[0]!;
        const eq = kv.indexOf('=');
        jar.set(kv.slice(0, eq), kv.slice(eq + 1));
      }
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location) {
        url = new URL(location, url).href;
        continue;
      }
      return { url, res, body: await res.text(), jar };
    }
    throw new Error('too many redirects');
  }

  it('signs in through /oauth/authorize and shows who signed in, never the token', async () => {
    const app = await startDemoApp(generic, { env: { PORT: '0' } });
    try {
      expect(app.authorizeUrl).toBe(`${app.origin}/oauth/authorize`);
      const { url, res, body } = await browse(app.authorizeUrl!);
      expect(url.startsWith(`${app.origin}/oauth/callback?`)).toBe(true);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(body).toContain('<h1>Signed in</h1>');
      expect(body).toContain('<code>user-1</code>');
      expect(body).toContain('<code>mcp:tools</code>');
      expect(body).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}/); // no JWT in the page
      // The state is single-use: replaying the callback fails.
      const replay = await browse(url);
      expect(replay.res.status).toBe(400);
    } finally {
      await app.close();
    }
  });
});

describe('runCli in-process', () => {
  const run = async (argv: string[], env: Record<string, string> = {}) => {
    const out: string[] = [];
    const err: string[] = [];
    let code: number | undefined;
    await runCli(generic, {
      argv,
      env,
      out: (l) => out.push(l),
      err: (l) => err.push(l),
      exit: (c) => {
        code = c;
      },
      handleSignals: false,
    });
    return { out: out.join('\n'), err: err.join('\n'), code };
  };

  it('--help prints the usage and exits 0', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('Usage: pnpm --filter @mcp-auth/app-test-demo start -- [options]');
    expect(r.out).toContain('--once');
  });

  it.each([
    [['--bogus'], 'test-demo: unknown argument "--bogus" (see --help)'],
    [['--once', '--check'], 'test-demo: --once and --check cannot be combined (see --help)'],
  ])('%j fails with one line and exit 1', async (argv, line) => {
    const r = await run(argv);
    expect(r.code).toBe(1);
    expect(r.err).toBe(line);
    expect(r.out).toBe('');
  });

  it('--once --json prints only the JSON report and exits 0', async () => {
    const r = await run(['--once', '--json'], { PORT: '0' });
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out) as { ok: boolean; steps: { id: string; status: string }[] };
    expect(report.ok).toBe(true);
    expect(report.steps.map((s) => s.id)).toContain('step_up');
    expect(report.steps.every((s) => s.status !== 'fail')).toBe(true);
  });

  it('--check --json passes against the emulation', async () => {
    const r = await run(['--check', '--json'], { PORT: '0' });
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out) as { ok: boolean; checks: { id: string; status: string }[] };
    expect(report.ok).toBe(true);
    expect(report.checks.find((c) => c.id === 'other_resource_refused')?.status).toBe('pass');
  });

  it('--once against a configured provider says it needs the emulation, exit 1', async () => {
    const as = await start({
      resources: [{ uri: 'http://127.0.0.1:1/mcp', scopes: ['mcp:tools'] }],
    });
    try {
      const r = await run(['--once'], {
        OAUTH_AUTHORIZATION_SERVER: as.issuer,
        OAUTH_RESOURCE_URI: 'http://127.0.0.1:1/mcp',
        PORT: '0',
      });
      expect(r.code).toBe(1);
      expect(r.err).toContain(
        'test-demo: --once runs the flow non-interactively against the emulation only',
      );
      // The banner looked at the issuer first, as MCP clients will.
      expect(r.out).toMatch(
        new RegExp(
          `issuer check\\s+✓ metadata at ${as.issuer}/\\.well-known/oauth-authorization-server`,
        ),
      );
      expect(r.out).not.toContain('EMULATION');
    } finally {
      await as.stop();
    }
  });
});

/** A GET with an explicit Host header (fetch always sends the URL's). */
function rawGet(url: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers: { host }, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}
