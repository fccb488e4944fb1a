import { describe, expect, it } from 'vitest';
import { createAuthServerReadiness } from './readiness.js';

const ISSUER = 'https://as.example';
const METADATA = {
  issuer: ISSUER,
  authorization_endpoint: `${ISSUER}/authorize`,
  token_endpoint: `${ISSUER}/token`,
  jwks_uri: `${ISSUER}/jwks`,
  response_types_supported: ['code'],
};

function fakeAs() {
  const state = { up: true, calls: 0 };
  const fetchImpl = (async (input: string | URL | Request) => {
    state.calls++;
    if (!state.up) throw new TypeError('fetch failed');
    const url = String(input instanceof Request ? input.url : input);
    if (url.endsWith('/jwks')) return Response.json({ keys: [] });
    if (url.includes('/.well-known/')) return Response.json(METADATA);
    return new Response('not found', { status: 404 });
  }) as typeof fetch;
  return { state, fetchImpl };
}

describe('authorization server readiness', () => {
  it('ok, then cached while the last success is fresh, then down; checks at most once per interval', async () => {
    const { state, fetchImpl } = fakeAs();
    let now = 0;
    const check = createAuthServerReadiness({
      issuer: ISSUER,
      fetch: fetchImpl,
      allowHttp: false,
      now: () => now,
      intervalMs: 1_000,
      freshMs: 10_000,
    });
    expect(await check()).toBe('ok');
    const calls = state.calls;
    state.up = false;
    now = 500;
    expect(await check()).toBe('ok'); // within the interval: no new check
    expect(state.calls).toBe(calls);
    now = 2_000;
    expect(await check()).toBe('cached');
    now = 10_001;
    expect(await check()).toBe('down');
    state.up = true;
    now = 11_002;
    expect(await check()).toBe('ok');
  });

  it('a JWKS that is not a key set is down', async () => {
    const fetchImpl = (async (input: string | URL | Request) => {
      const url = String(input instanceof Request ? input.url : input);
      if (url.endsWith('/jwks')) return Response.json({ nope: true });
      return Response.json(METADATA);
    }) as typeof fetch;
    const check = createAuthServerReadiness({
      issuer: ISSUER,
      fetch: fetchImpl,
      allowHttp: false,
      now: () => 0,
    });
    expect(await check()).toBe('down');
  });
});
