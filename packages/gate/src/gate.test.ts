import { createTokenValidator } from '@mcp-auth/validator';
import { describe, expect, it } from 'vitest';
import { fakeValidator, RESOURCE } from '../test/fake-validator.js';
import { createGate } from './gate.js';
import type { SessionStore } from './session-binding.js';
import type { GateProceed } from './types.js';

const req = (auth: string, o: { method?: string; session?: string; body?: string } = {}) => ({
  method: o.method ?? 'POST',
  url: '/mcp',
  headers: {
    host: 'mcp.example.com',
    authorization: `Bearer ${auth}`,
    ...(o.session ? { 'mcp-session-id': o.session } : {}),
  },
  ...(o.method === undefined || o.method === 'POST'
    ? { body: o.body ?? '{"jsonrpc":"2.0","id":1,"method":"ping"}' }
    : {}),
});

describe('createGate options', () => {
  const validator = createTokenValidator({ issuer: 'https://as.example.com', resource: RESOURCE });
  it.each([
    [{ validator: {} }, '"validator"'],
    [{ validator, requiredScopes: ['a b'] }, '"requiredScopes"'],
    [{ validator, requiredScopes: ['offline_access'] }, 'offline_access'],
    [{ validator, toolScopes: { t: ['offline_access'] } }, 'offline_access'],
    [{ validator, toolScopes: [] }, '"toolScopes"'],
    [{ validator, scopesFor: 1 }, '"scopesFor"'],
    [{ validator, scopeHierarchy: { a: 'b' } }, '"scopeHierarchy"'],
    [{ validator, allowedOrigins: ['https://a.example/x'] }, '"allowedOrigins"'],
    [{ validator, allowedHosts: ['https://a.example'] }, '"allowedHosts"'],
    [{ validator, cors: { maxAge: -1 } }, '"cors.maxAge"'],
    [{ validator, endpointPath: 'mcp' }, '"endpointPath"'],
    [{ validator, maxBatchLength: 0 }, '"maxBatchLength"'],
    [{ validator, maxBodyBytes: 1.5 }, '"maxBodyBytes"'],
    [{ validator, sessions: { ttlSeconds: 0 } }, '"sessions.ttlSeconds"'],
    [{ validator, sessions: { store: {} } }, '"sessions.store"'],
    [{ validator, resourceMetadata: { scopesSupported: ['offline_access'] } }, 'offline_access'],
    [{ validator, resourceMetadata: { resourceName: '' } }, '"resourceName"'],
    [{ validator, allowInsecureHttpForLoopback: 'yes' }, '"allowInsecureHttpForLoopback"'],
  ])('%# → TypeError naming %s', (options, name) => {
    expect(() => createGate(options as never)).toThrow(TypeError);
    expect(() => createGate(options as never)).toThrow(name);
  });

  it('lists every issuer of a multi-issuer validator in authorization_servers', async () => {
    const v = {
      ...fakeValidator(),
      issuers: ['https://as-1.example.com', 'https://as-2.example.com'],
    };
    const gate = createGate({ validator: v as never });
    const d = await gate.check({
      method: 'GET',
      url: '/.well-known/oauth-protected-resource/mcp',
      headers: { host: 'mcp.example.com' },
    });
    expect(d.kind === 'respond' && JSON.parse(d.body).authorization_servers).toEqual([
      'https://as-1.example.com',
      'https://as-2.example.com',
    ]);
  });

  it('refuses a hierarchy that implies a scope the validator requires itself', () => {
    const v = createTokenValidator({
      issuer: 'https://as.example.com',
      resource: RESOURCE,
      requiredScopes: ['mcp:read'],
    });
    expect(() =>
      createGate({ validator: v, scopeHierarchy: { 'mcp:admin': ['mcp:read'] } }),
    ).toThrow(/move it from the validator's requiredScopes to the gate's requiredScopes/);
  });

  it('refuses an http resource unless allowInsecureHttpForLoopback', () => {
    const v = createTokenValidator({
      issuer: 'https://as.example.com',
      resource: 'http://127.0.0.1:3000/mcp',
    });
    expect(() => createGate({ validator: v })).toThrow(/allowInsecureHttpForLoopback/);
    expect(() => createGate({ validator: v, allowInsecureHttpForLoopback: true })).not.toThrow();
  });

  it('exposes resource, metadata URL, endpoint paths and the body limit', () => {
    const gate = createGate({ validator, endpointPath: ['/mcp', '/v2/mcp'] });
    expect(gate.resource).toBe(RESOURCE);
    expect(gate.resourceMetadataUrl).toBe(
      'https://mcp.example.com/.well-known/oauth-protected-resource/mcp',
    );
    expect(gate.endpointPaths).toEqual(['/mcp', '/v2/mcp']);
    expect(gate.maxBodyBytes).toBe(1024 * 1024);
  });
});

describe('session binding', () => {
  it('binds, refuses others, unbinds on DELETE and on the handler’s 404', async () => {
    const gate = createGate({ validator: fakeValidator() });
    const first = (await gate.check(req('u1'))) as GateProceed;
    expect(first.kind).toBe('proceed');
    await gate.observeResponse(first, { status: 200, headers: { 'mcp-session-id': 's1' } });
    expect((await gate.check(req('u1', { session: 's1' }))).kind).toBe('proceed');
    expect(await gate.check(req('u2', { session: 's1' }))).toMatchObject({
      status: 403,
      reason: 'session_forbidden',
    });
    // A 4xx answer never binds.
    await gate.observeResponse(first, { status: 400, headers: { 'mcp-session-id': 's2' } });
    expect(await gate.check(req('u1', { session: 's2' }))).toMatchObject({ status: 404 });

    const del = (await gate.check(req('u1', { method: 'DELETE', session: 's1' }))) as GateProceed;
    expect(del.kind).toBe('proceed');
    await gate.observeResponse(del, { status: 200, headers: {} });
    expect(await gate.check(req('u1', { session: 's1' }))).toMatchObject({
      status: 404,
      reason: 'session_not_found',
    });

    const again = (await gate.check(req('u1'))) as GateProceed;
    await gate.observeResponse(again, {
      status: 200,
      headers: new Headers({ 'mcp-session-id': 's3' }),
    });
    const used = (await gate.check(req('u1', { session: 's3' }))) as GateProceed;
    await gate.observeResponse(used, { status: 404, headers: {} });
    expect(await gate.check(req('u1', { session: 's3' }))).toMatchObject({ status: 404 });
  });

  it('a request racing a slow store write still finds the owner (and is refused for others)', async () => {
    let release: () => void = () => {};
    const data = new Map<string, string>();
    const store: SessionStore = {
      get: async (id) => data.get(id),
      set: (id, p) =>
        new Promise<void>((resolve) => {
          release = () => {
            data.set(id, p);
            resolve();
          };
        }),
      delete: async (id) => void data.delete(id),
    };
    const gate = createGate({ validator: fakeValidator(), sessions: { store } });
    const first = (await gate.check(req('u1'))) as GateProceed;
    const writing = gate.observeResponse(first, {
      status: 200,
      headers: { 'mcp-session-id': 'slow' },
    });
    expect((await gate.check(req('u1', { session: 'slow' }))).kind).toBe('proceed');
    expect(await gate.check(req('u2', { session: 'slow' }))).toMatchObject({ status: 403 });
    release();
    await writing;
    expect(await gate.check(req('u2', { session: 'slow' }))).toMatchObject({ status: 403 });
  });

  it.each([['memory'], ['async']])(
    'never rebinds a session id the handler hands to a second principal (%s store)',
    async (kind) => {
      const data = new Map<string, string>();
      const asyncStore: SessionStore = {
        get: async (id) => data.get(id),
        set: async (id, p) => void data.set(id, p),
        delete: async (id) => void data.delete(id),
      };
      const gate = createGate({
        validator: fakeValidator(),
        ...(kind === 'async' ? { sessions: { store: asyncStore } } : {}),
      });
      const p1 = (await gate.check(req('u1'))) as GateProceed;
      await gate.observeResponse(p1, { status: 200, headers: { 'mcp-session-id': 'same' } });
      const p2 = (await gate.check(req('u2'))) as GateProceed;
      await gate.observeResponse(p2, { status: 200, headers: { 'mcp-session-id': 'same' } });
      expect(await gate.check(req('u2', { session: 'same' }))).toMatchObject({ status: 403 });
      expect((await gate.check(req('u1', { session: 'same' }))).kind).toBe('proceed');
    },
  );

  it('sessions: false lets any session id through (the handler decides)', async () => {
    const gate = createGate({ validator: fakeValidator(), sessions: false });
    expect((await gate.check(req('u2', { session: 'whatever' }))).kind).toBe('proceed');
  });
});

describe('check', () => {
  it.each([
    ['POST', '/mcp'],
    ['OPTIONS', '/mcp'],
    ['GET', '/.well-known/oauth-protected-resource/mcp'],
    ['OPTIONS', '/.well-known/oauth-protected-resource'],
    ['GET', '/health'],
  ])("cors.allowOrigin '*' does not switch the Origin check off: %s %s", async (method, url) => {
    const gate = createGate({ validator: fakeValidator(), cors: { allowOrigin: '*' } });
    const evil = await gate.check({
      method,
      url,
      headers: {
        host: 'mcp.example.com',
        origin: 'https://evil.example',
        authorization: 'Bearer u1',
      },
      body: '{"jsonrpc":"2.0","id":1,"method":"ping"}',
    });
    expect(evil).toMatchObject({ kind: 'respond', status: 403, reason: 'origin_not_allowed' });
    const own = await gate.check({
      method,
      url,
      headers: {
        host: 'mcp.example.com',
        origin: 'https://mcp.example.com',
        authorization: 'Bearer u1',
      },
      body: '{"jsonrpc":"2.0","id":1,"method":"ping"}',
    });
    expect(own.kind === 'respond' ? own.status : own.kind).not.toBe(403);
    if (own.kind === 'proceed') expect(own.headers['access-control-allow-origin']).toBe('*');
  });

  it('takes the host from :authority (HTTP/2) when there is no Host header', async () => {
    const gate = createGate({ validator: fakeValidator() });
    const ok = await gate.check({
      method: 'GET',
      url: '/mcp',
      headers: { ':authority': 'mcp.example.com', authorization: 'Bearer u' },
    });
    expect(ok.kind).toBe('proceed');
    const evil = await gate.check({
      method: 'GET',
      url: '/mcp',
      headers: { ':authority': 'evil.example', authorization: 'Bearer u' },
    });
    expect(evil).toMatchObject({ status: 403, reason: 'host_not_allowed' });
  });

  it('fails closed (500) when scopesFor throws', async () => {
    const gate = createGate({
      validator: fakeValidator(),
      scopesFor: () => {
        throw new Error('boom');
      },
    });
    expect(await gate.check(req('u1'))).toMatchObject({ status: 500, reason: 'scopes_for_failed' });
  });

  it('names the validator’s own required scopes and the tool scopes in one 403', async () => {
    const gate = createGate({
      validator: fakeValidator(['mcp:read']),
      toolScopes: { t: ['mcp:admin'] },
    });
    const d = await gate.check(
      req('u1:mcp:read', {
        body: '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"t"}}',
      }),
    );
    expect(d).toMatchObject({
      status: 403,
      reason: 'insufficient_scope',
      tokenError: 'ERR_INSUFFICIENT_SCOPE',
    });
    if (d.kind === 'respond')
      expect(d.headers['www-authenticate']).toContain('scope="mcp:read mcp:admin"');
  });

  it('reads the body lazily, only for POST to the endpoint, and maps reader failures', async () => {
    const gate = createGate({ validator: fakeValidator() });
    let reads = 0;
    const readBody = async () => {
      reads++;
      return '{"jsonrpc":"2.0","id":1,"method":"ping"}';
    };
    await gate.check({
      method: 'GET',
      url: '/mcp',
      headers: { host: 'mcp.example.com', authorization: 'Bearer u' },
      readBody,
    });
    await gate.check({
      method: 'POST',
      url: '/other',
      headers: { host: 'mcp.example.com' },
      readBody,
    });
    await gate.check({ method: 'POST', url: '/mcp', headers: { host: 'evil.example' }, readBody });
    expect(reads).toBe(0);
    const d = await gate.check({
      method: 'POST',
      url: '/mcp',
      headers: { host: 'mcp.example.com', authorization: 'Bearer u' },
      readBody,
    });
    expect(d.kind).toBe('proceed');
    expect(reads).toBe(1);
    const { BodyReadError } = await import('./errors.js');
    for (const [code, status] of [
      ['ERR_BODY_TOO_LARGE', 413],
      ['ERR_BODY_TIMEOUT', 408],
      ['ERR_BODY_ABORTED', 400],
    ] as const) {
      const r = await gate.check({
        method: 'POST',
        url: '/mcp',
        headers: { host: 'mcp.example.com', authorization: 'Bearer u' },
        readBody: () => Promise.reject(new BodyReadError(code, 'x')),
      });
      expect(r).toMatchObject({ kind: 'respond', status });
    }
  });
});
