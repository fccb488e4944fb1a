/**
 * The pending browser sign-in lives with the browser: what the callback refuses (replayed,
 * tampered, expired, another flow's or another server's state), that two instances sharing the
 * flow secret finish each other's flows, and that no log line carries a code, state or token.
 * Real local authorization server, real callbacks over HTTP.
 */
import { type DevAuthServer, start as startAuthServer } from '@mcp-auth/dev-auth-server';
import { getFreePort } from '@mcp-auth/test-utils';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createServer,
  OAuthProvider,
  type OAuthProviderOptions,
  type SseServer,
} from '../src/index.js';
import { followAuthorization, type RawResponse, rawRequest } from './helpers.js';

const SECRET = 'a flow secret of at least thirty-two bytes, shared';
const logs: unknown[] = [];
const logger = {
  debug: (...a: unknown[]) => logs.push(a),
  info: (...a: unknown[]) => logs.push(a),
  warn: (...a: unknown[]) => logs.push(a),
  error: (...a: unknown[]) => logs.push(a),
};
/** Every value a log line must never contain. */
const secrets: string[] = [];

let das: DevAuthServer;
let clockOffsetMs = 0;
let tokenRequests = 0;
const instances: { provider: OAuthProvider; server: SseServer; base: string }[] = [];

/** An instance serving `resourceBase`'s resource on its own port (a second instance of one deployment). */
async function instance(
  resourceBase: string,
  port: number,
  options: Partial<OAuthProviderOptions>,
) {
  const provider = new OAuthProvider({
    authorizationServer: das.issuer,
    resourceUri: `${resourceBase}/sse`,
    requiredScopes: ['mcp:read'],
    clientId: das.clients.confidential.clientId,
    clientSecret: das.clients.confidential.clientSecret,
    allowInsecureHttpForLoopback: true,
    now: () => Date.now() + clockOffsetMs,
    fetch: (input, init) => {
      if (String(input instanceof Request ? input.url : input) === das.endpoints.token) {
        tokenRequests++;
      }
      return fetch(input, init);
    },
    logger,
    ...options,
  });
  const server = createServer({
    port,
    auth: { provider },
    createMcpServer: () => new McpServer({ name: 'flow-state', version: '1' }),
    logger,
  });
  await server.listen();
  const entry = { provider, server, base: `http://127.0.0.1:${port}` };
  instances.push(entry);
  return entry;
}

let a: Awaited<ReturnType<typeof instance>>;
let b: Awaited<ReturnType<typeof instance>>;
let stranger: Awaited<ReturnType<typeof instance>>;
let rotated: Awaited<ReturnType<typeof instance>>;
const NEW_SECRET = new Uint8Array(32).fill(7);

beforeAll(async () => {
  const [portA, portB, portC, portD] = [
    await getFreePort(),
    await getFreePort(),
    await getFreePort(),
    await getFreePort(),
  ];
  const base = `http://127.0.0.1:${portA}`;
  das = await startAuthServer({ resources: [{ uri: `${base}/sse`, scopes: ['mcp:read'] }] });
  // A and B: one deployment (same resource, redirect URI and secret) on two ports.
  a = await instance(base, portA, { flowSecret: SECRET });
  b = await instance(base, portB, { flowSecret: SECRET });
  // Same configuration, another secret.
  stranger = await instance(base, portC, { flowSecret: `${SECRET} but another one` });
  // Rotation in progress: a new secret signs, the old one still verifies.
  rotated = await instance(base, portD, { flowSecret: [NEW_SECRET, SECRET] });
});

afterAll(async () => {
  for (const i of instances) {
    await i.server.close();
    await i.provider.close();
  }
  await das?.stop();
});

interface Flow {
  cookie: string;
  state: string;
  callbackUrl: string;
}

/**
 * Every instance serves the public origin (A's): like a load balancer, requests to another
 * instance keep the public `Host`.
 */
const publicHost = () => ({ host: new URL(a.base).host });

/** Starts on `on` and follows the authorization server up to (not into) the callback. */
async function startFlow(on = a): Promise<Flow> {
  const start = await rawRequest(`${on.base}/oauth/authorize`, { headers: publicHost() });
  expect(start.status).toBe(302);
  const cookie = String(start.headers['set-cookie']).split(';')[0]!;
  const state = new URL(start.headers.location!).searchParams.get('state')!;
  const callbackUrl = await followAuthorization(start.headers.location!, a.base);
  secrets.push(cookie.slice(cookie.indexOf('=') + 1), state);
  secrets.push(new URL(callbackUrl).searchParams.get('code')!);
  return { cookie, state, callbackUrl };
}

/** Delivers the callback to `to` (the same path and query, another instance's port). */
function callback(flow: Flow, cookie: string, to = a): Promise<RawResponse> {
  const url = new URL(flow.callbackUrl);
  return rawRequest(`${to.base}${url.pathname}${url.search}`, {
    headers: { ...publicHost(), cookie },
  });
}

function expectRefusal(res: RawResponse, message: string) {
  expect(res.status).toBe(400);
  expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
  expect(res.headers['cache-control']).toBe('no-store');
  expect(res.body).toContain('<title>Authorization failed</title>');
  expect(res.body).toContain(`<p>${message}</p>`);
  expect(res.headers['set-cookie']).toEqual([
    'mcp_oauth_state=; Path=/oauth/callback; Max-Age=0; HttpOnly; SameSite=Lax',
  ]);
}

const NOT_THIS_BROWSER = 'This authorization was not started from this browser';
const INVALID = 'Unknown, expired or already used state';

/** Replaces character `i` of `s` with another base64url character. */
function flip(s: string, i: number): string {
  return s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);
}

describe('the callback', () => {
  it('completes a flow once; the replayed callback (same cookie, same URL) is refused before the token endpoint', async () => {
    const flow = await startFlow();
    const before = tokenRequests;
    const done = await callback(flow, flow.cookie);
    expect(done.status).toBe(200);
    expect(done.body).toContain('Authorization complete');
    expect(tokenRequests).toBe(before + 1);
    const replay = await callback(flow, flow.cookie);
    expectRefusal(replay, INVALID);
    expect(tokenRequests).toBe(before + 1);
  });

  it.each([
    ['first character (version)', 0],
    ['expiry', 3],
    ['nonce', 20],
    ['tag', 45],
  ])(
    'refuses a tampered cookie (%s): 400 without the state, 400 with a state tampered alike',
    async (_name, i) => {
      const flow = await startFlow();
      const before = tokenRequests;
      const tampered = flip(flow.state, i);
      // The cookie alone changed: it no longer names this flow.
      expectRefusal(await callback(flow, `mcp_oauth_state=${tampered}`), NOT_THIS_BROWSER);
      // Cookie and state changed together (as an attacker who controls both could): not ours.
      const url = new URL(flow.callbackUrl);
      url.searchParams.set('state', tampered);
      expectRefusal(
        await rawRequest(url.href, { headers: { cookie: `mcp_oauth_state=${tampered}` } }),
        INVALID,
      );
      expect(tokenRequests).toBe(before);
      // Nothing was consumed: the real browser still completes.
      expect((await callback(flow, flow.cookie)).status).toBe(200);
    },
  );

  it('refuses an expired flow (10 min 2 s after the start), before the token endpoint', async () => {
    const flow = await startFlow();
    const before = tokenRequests;
    clockOffsetMs = 602_000;
    try {
      expectRefusal(await callback(flow, flow.cookie), INVALID);
    } finally {
      clockOffsetMs = 0;
    }
    expect(tokenRequests).toBe(before);
  });

  it('accepts a flow at 9 min 59 s', async () => {
    const flow = await startFlow();
    clockOffsetMs = 599_000;
    try {
      // The token is validated with the same clock: still well within its life.
      expect((await callback(flow, flow.cookie)).status).toBe(200);
    } finally {
      clockOffsetMs = 0;
    }
  });

  it("refuses another flow's cookie (two tabs, or an attacker's own flow), consuming nothing", async () => {
    const mine = await startFlow();
    const theirs = await startFlow();
    const before = tokenRequests;
    expectRefusal(await callback(mine, theirs.cookie), NOT_THIS_BROWSER);
    expect(tokenRequests).toBe(before);
    expect((await callback(mine, mine.cookie)).status).toBe(200);
    expect((await callback(theirs, theirs.cookie)).status).toBe(200);
  });

  it('refuses a state minted by a server with another flow secret', async () => {
    const flow = await startFlow(stranger);
    const before = tokenRequests;
    expectRefusal(await callback(flow, flow.cookie, a), INVALID);
    expect(tokenRequests).toBe(before);
    expect((await callback(flow, flow.cookie, stranger)).status).toBe(200);
  });
});

describe('two instances sharing the flow secret', () => {
  it('finish a flow started on the other, in both directions', async () => {
    const ab = await startFlow(a);
    expect((await callback(ab, ab.cookie, b)).status).toBe(200);
    const ba = await startFlow(b);
    expect((await callback(ba, ba.cookie, a)).status).toBe(200);
    // B remembers what it completed; without a shared store A does not, and the authorization
    // server's one-time code is what refuses the replay there (share the store: see redis tests).
    expectRefusal(await callback(ab, ab.cookie, b), INVALID);
    const other = await callback(ab, ab.cookie, a);
    expect(other.status).toBe(502);
    expect(other.body).toContain('The token endpoint refused the code: ');
  });
});

describe('rotating the flow secret', () => {
  it('an instance with [new, old] finishes flows minted with old; old-only instances refuse new ones', async () => {
    const old = await startFlow(a);
    expect((await callback(old, old.cookie, rotated)).status).toBe(200);
    const fresh = await startFlow(rotated);
    const before = tokenRequests;
    expectRefusal(await callback(fresh, fresh.cookie, a), INVALID);
    expect(tokenRequests).toBe(before);
    expect((await callback(fresh, fresh.cookie, rotated)).status).toBe(200);
  });

  it('rejects a bad flowSecret at construction with a TypeError naming the option', () => {
    for (const flowSecret of ['too short', new Uint8Array(16), [], [SECRET, 'short']]) {
      expect(
        () =>
          new OAuthProvider({
            authorizationServer: das.issuer,
            resourceUri: `${a.base}/sse`,
            clientId: 'c',
            allowInsecureHttpForLoopback: true,
            flowSecret: flowSecret as string,
          }),
      ).toThrow(/^"flowSecret" must be a string or Uint8Array of at least 32 bytes/);
    }
  });
});

describe('logs', () => {
  it('no log line carries a state, cookie, code or verifier of the flows above', () => {
    expect(secrets.length).toBeGreaterThan(30);
    expect(logs.length).toBeGreaterThan(0); // the refusals above were logged (by code)
    const text = JSON.stringify(logs);
    for (const s of secrets) expect(text).not.toContain(s);
    expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}/);
  });
});
