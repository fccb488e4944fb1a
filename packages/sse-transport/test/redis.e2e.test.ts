/**
 * Used flow states and the flow secret in Redis: a flow started on one instance completes on
 * another, a state is used once across instances (also when two instances race for it), and a Redis outage fails closed.
 */
import { redisStore } from '@mcp-auth/cache';
import { type DevAuthServer, start as startAuthServer } from '@mcp-auth/dev-auth-server';
import { getFreePort, type RedisProcess, startRedis } from '@mcp-auth/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OAuthProvider } from '../src/index.js';
import { followAuthorization } from './helpers.js';

let redis: RedisProcess;
let das: DevAuthServer;
let base: string;
let a: OAuthProvider;
let b: OAuthProvider;

function instance(): OAuthProvider {
  return new OAuthProvider({
    authorizationServer: das.issuer,
    resourceUri: `${base}/sse`,
    requiredScopes: ['mcp:read'],
    clientId: das.clients.confidential.clientId,
    clientSecret: das.clients.confidential.clientSecret,
    cache: redisStore({ url: redis.url, prefix: 'sse-e2e:', commandTimeoutMs: 250, logger: {} }),
    allowInsecureHttpForLoopback: true,
    logger: {},
  });
}

async function callbackParams(provider: OAuthProvider) {
  const flow = await provider.startAuthorizationFlow();
  const url = new URL(await followAuthorization(flow.authorizationUrl, base));
  return {
    code: url.searchParams.get('code')!,
    state: url.searchParams.get('state')!,
    iss: url.searchParams.get('iss'),
    flowState: flow.state,
  };
}

beforeAll(async () => {
  redis = await startRedis();
  base = `http://127.0.0.1:${await getFreePort()}`;
  das = await startAuthServer({ resources: [{ uri: `${base}/sse`, scopes: ['mcp:read'] }] });
  a = instance();
  b = instance();
});

afterAll(async () => {
  await a?.close();
  await b?.close();
  await das?.stop();
  await redis?.stop();
});

describe('pending authorizations shared through Redis', () => {
  it('a flow started on instance A completes on instance B; the state then fails on A', async () => {
    const p = await callbackParams(a);
    expect(p.state).toBe(p.flowState);
    const result = await b.handleCallback(p.code, p.state, undefined, { iss: p.iss });
    expect(result.authInfo.scopes).toEqual(['mcp:read']);
    expect(result.authInfo.clientId).toBe('mcp-confidential');
    expect(result.tokens.token_type.toLowerCase()).toBe('bearer');
    await expect(
      a.handleCallback(p.code, p.state, undefined, { iss: p.iss }),
    ).rejects.toMatchObject({
      code: 'ERR_OAUTH_STATE_INVALID',
    });
  });

  it('two instances racing for one state: exactly one wins', async () => {
    for (let i = 0; i < 5; i++) {
      const p = await callbackParams(a);
      const results = await Promise.allSettled([
        a.handleCallback(p.code, p.state, undefined, { iss: p.iss }),
        b.handleCallback(p.code, p.state, undefined, { iss: p.iss }),
      ]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      // Across instances the authorization server's one-time code decides; in one process the
      // in-flight check does.
      expect(['ERR_OAUTH_STATE_INVALID', 'ERR_OAUTH_TOKEN_EXCHANGE_FAILED']).toContain(
        rejected.reason.code,
      );
    }
  });

  it('fails closed while Redis is down, and recovers when it is back', async () => {
    const p = await callbackParams(a);
    await redis.kill();
    try {
      await expect(a.startAuthorizationFlow()).rejects.toMatchObject({
        code: 'ERR_OAUTH_STATE_STORE_UNAVAILABLE',
      });
      await expect(
        b.handleCallback(p.code, p.state, undefined, { iss: p.iss }),
      ).rejects.toMatchObject({
        code: 'ERR_OAUTH_STATE_STORE_UNAVAILABLE',
      });
    } finally {
      await redis.restart();
    }
    await expect
      .poll(
        async () => {
          try {
            const q = await callbackParams(a);
            return (await b.handleCallback(q.code, q.state, undefined, { iss: q.iss })).authInfo
              .clientId;
          } catch (error) {
            return (error as { code?: string }).code;
          }
        },
        { timeout: 15_000, interval: 500 },
      )
      .toBe('mcp-confidential');
  }, 30_000);
});
