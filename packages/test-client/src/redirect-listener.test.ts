import { createServer } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import {
  escapeHtml,
  parseRedirectHost,
  type RedirectListener,
  startRedirectListener,
  validateCallback,
} from './redirect-listener.js';

/** Whether a TCP connection to address:port succeeds. */
function connects(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: address, port, timeout: 1000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/** This machine's addresses that are not loopback (IPv4 only: link-local IPv6 needs a scope). */
function externalAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flat()
    .filter((a) => a && !a.internal && a.family === 'IPv4')
    .map((a) => a!.address);
}

describe('parseRedirectHost', () => {
  it.each([
    ['localhost', 'localhost'],
    [' Localhost ', 'localhost'],
    ['127.0.0.1', '127.0.0.1'],
    ['[::1]', '[::1]'],
    ['::1', '[::1]'],
    ['0.0.0.0', undefined],
    ['127.0.0.2', undefined],
    ['::', undefined],
    ['[::ffff:127.0.0.1]', undefined],
    ['localhost.', undefined],
    ['', undefined],
  ])('%j → %j', (input, expected) => {
    expect(parseRedirectHost(input)).toBe(expected);
  });
});

const ISSUER = 'http://127.0.0.1:9999';

describe('validateCallback', () => {
  const expected = { state: 'the-state', issuer: ISSUER };
  it.each([
    ['state=other&code=c', 'ERR_STATE_MISMATCH'],
    ['code=c', 'ERR_STATE_MISMATCH'],
    ['state=the-stat&code=c', 'ERR_STATE_MISMATCH'],
    [
      `state=the-state&code=c&iss=${encodeURIComponent('http://evil.example')}`,
      'ERR_CALLBACK_ISSUER_MISMATCH',
    ],
    [
      `state=the-state&code=c&iss=${encodeURIComponent(`${ISSUER}/`)}`,
      'ERR_CALLBACK_ISSUER_MISMATCH',
    ],
    ['state=the-state&error=access_denied&error_description=no', 'ERR_AUTHORIZATION_ERROR'],
    ['state=the-state', 'ERR_INVALID_CALLBACK'],
    ['state=the-state&code=', 'ERR_INVALID_CALLBACK'],
  ])('%s → %s', (query, code) => {
    expect(() => validateCallback(new URLSearchParams(query), expected)).toThrow(
      expect.objectContaining({ code }),
    );
  });

  it('checks state before iss, and iss before the error (RFC 9207 §2.4)', () => {
    expect(() =>
      validateCallback(
        new URLSearchParams('state=x&iss=http://evil&error=access_denied'),
        expected,
      ),
    ).toThrow(expect.objectContaining({ code: 'ERR_STATE_MISMATCH' }));
    expect(() =>
      validateCallback(
        new URLSearchParams('state=the-state&iss=http://evil&error=access_denied'),
        expected,
      ),
    ).toThrow(expect.objectContaining({ code: 'ERR_CALLBACK_ISSUER_MISMATCH' }));
  });

  it('requires iss when the server advertises it', () => {
    expect(() =>
      validateCallback(new URLSearchParams('state=the-state&code=c'), {
        ...expected,
        requireIss: true,
      }),
    ).toThrow(expect.objectContaining({ code: 'ERR_CALLBACK_ISSUER_MISSING' }));
  });

  it('reports the OAuth error and its description', () => {
    try {
      validateCallback(
        new URLSearchParams('state=the-state&error=access_denied&error_description=User+said+no'),
        expected,
      );
      expect.unreachable();
    } catch (err) {
      expect(err).toMatchObject({
        oauthError: 'access_denied',
        oauthErrorDescription: 'User said no',
      });
    }
  });

  it('accepts a good response', () => {
    const r = validateCallback(
      new URLSearchParams(`state=the-state&code=abc&iss=${encodeURIComponent(ISSUER)}`),
      expected,
    );
    expect(r).toMatchObject({ code: 'abc', iss: ISSUER });
  });
});

describe('startRedirectListener', () => {
  let listener: RedirectListener | undefined;
  afterEach(async () => {
    await listener?.close();
    listener = undefined;
  });

  it('listens on 127.0.0.1 and resolves a valid response, then refuses a second one', async () => {
    listener = await startRedirectListener({ path: '/cb' });
    expect(listener.redirectUri).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/cb$/);
    const wait = listener.expect({ state: 's1', issuer: ISSUER });
    const res = await fetch(
      `${listener.redirectUri}?code=the-code&state=s1&iss=${encodeURIComponent(ISSUER)}`,
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toBe("default-src 'none'");
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = await res.text();
    expect(body).toContain('Authorization complete');
    expect(body).not.toContain('the-code');
    await expect(wait).resolves.toMatchObject({ code: 'the-code' });
    const again = await fetch(`${listener.redirectUri}?code=x&state=s1`);
    expect(again.status).toBe(400);
    await again.text();
  });

  it('escapes what it echoes (XSS through error_description)', async () => {
    listener = await startRedirectListener();
    const wait = listener.expect({ state: 's', issuer: ISSUER });
    wait.catch(() => {});
    const payload = '<script>alert(1)</script>"\'&';
    const res = await fetch(
      `${listener.redirectUri}?state=s&error=access_denied&error_description=${encodeURIComponent(payload)}`,
    );
    expect(res.status).toBe(400);
    const body = await res.text();
    expect(body).not.toContain('<script>');
    expect(body).toContain('&#60;script&#62;alert(1)&#60;/script&#62;&#34;&#39;&#38;');
    await expect(wait).rejects.toMatchObject({
      code: 'ERR_AUTHORIZATION_ERROR',
      oauthError: 'access_denied',
    });
  });

  it.each([
    ['/other', 'GET', 404],
    ['/callback', 'POST', 405],
  ])('%s %s → %i', async (path, method, status) => {
    listener = await startRedirectListener();
    const res = await fetch(`http://127.0.0.1:${listener.port}${path}`, { method });
    expect(res.status).toBe(status);
    await res.text();
  });

  it('times out with ERR_CALLBACK_TIMEOUT', async () => {
    listener = await startRedirectListener();
    await expect(
      listener.expect({ state: 's', issuer: ISSUER, timeoutMs: 50 }),
    ).rejects.toMatchObject({
      code: 'ERR_CALLBACK_TIMEOUT',
    });
  });

  it('aborts with ERR_INTERRUPTED, and rejects a pending wait on close', async () => {
    listener = await startRedirectListener();
    const controller = new AbortController();
    const wait = listener.expect({ state: 's', issuer: ISSUER, signal: controller.signal });
    controller.abort();
    await expect(wait).rejects.toMatchObject({ code: 'ERR_INTERRUPTED' });
    const wait2 = listener.expect({ state: 's', issuer: ISSUER });
    await listener.close();
    listener = undefined;
    await expect(wait2).rejects.toMatchObject({ code: 'ERR_INTERRUPTED' });
  });

  it('says which port is busy', async () => {
    listener = await startRedirectListener();
    await expect(startRedirectListener({ port: listener.port })).rejects.toMatchObject({
      code: 'ERR_REDIRECT_LISTENER',
      message: expect.stringContaining(`Port ${listener.port}`),
    });
  });

  it.each([
    ['127.0.0.1', '127.0.0.1', 'http://127.0.0.1'],
    ['[::1]', '::1', 'http://[::1]'],
  ] as const)(
    'host %s: binds %s only, and the redirect URI names it',
    async (host, address, origin) => {
      listener = await startRedirectListener({ host, path: '/cb' });
      expect(listener.redirectUri).toBe(`${origin}:${listener.port}/cb`);
      const wait = listener.expect({ state: 's1', issuer: ISSUER });
      const res = await fetch(`${listener.redirectUri}?code=c&state=s1`);
      expect(res.status).toBe(200);
      await res.text();
      await expect(wait).resolves.toMatchObject({ code: 'c' });
      // Nothing on the other loopback address, nor on a non-loopback one.
      const other = address === '::1' ? '127.0.0.1' : '::1';
      expect(await connects(other, listener.port)).toBe(false);
      for (const external of externalAddresses()) {
        expect(await connects(external, listener.port)).toBe(false);
      }
    },
  );

  it('host localhost: the same port on 127.0.0.1 and ::1, redirect URI http://localhost:<port>', async () => {
    listener = await startRedirectListener({ host: 'localhost' });
    expect(listener.redirectUri).toBe(`http://localhost:${listener.port}/callback`);
    for (const [i, origin] of [
      `http://127.0.0.1:${listener.port}`,
      `http://[::1]:${listener.port}`,
      `http://localhost:${listener.port}`,
    ].entries()) {
      const wait = listener.expect({ state: `s${i}`, issuer: ISSUER });
      const res = await fetch(`${origin}/callback?code=c${i}&state=s${i}`);
      expect(res.status).toBe(200);
      await res.text();
      await expect(wait).resolves.toMatchObject({ code: `c${i}` });
    }
    for (const external of externalAddresses()) {
      expect(await connects(external, listener.port)).toBe(false);
    }
  });

  it('host localhost on a fixed port: refused when either address has it taken', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '::1', resolve));
    const port = (blocker.address() as AddressInfo).port;
    try {
      await expect(startRedirectListener({ host: 'localhost', port })).rejects.toMatchObject({
        code: 'ERR_REDIRECT_LISTENER',
        message: `Port ${port} on [::1] is in use; pass another --port or omit it for a random one`,
      });
      // Nothing stays bound on 127.0.0.1 after the failure.
      expect(await connects('127.0.0.1', port)).toBe(false);
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });

  it.each([
    [{ port: -1 }, /"port"/],
    [{ host: '0.0.0.0' }, /"host" must be one of localhost, 127.0.0.1, \[::1\]/],
    [{ host: '::' }, /"host"/],
    [{ host: '::1' }, /"host"/],
    [{ host: 'example.com' }, /"host"/],
    [{ port: 70000 }, /"port"/],
    [{ path: 'callback' }, /"path"/],
    [{ path: '/cb?x=1' }, /"path"/],
  ])('refuses bad options %j', async (options, message) => {
    await expect(
      startRedirectListener(options as Parameters<typeof startRedirectListener>[0]),
    ).rejects.toThrow(message);
  });
});

describe('escapeHtml', () => {
  it('escapes the five characters', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe(
      '&#60;a href=&#34;x&#34;&#62;&#39;&#38;&#39;&#60;/a&#62;',
    );
  });
});

describe('validateCallback on hostile input', () => {
  it('returns a checked result or throws a TestClientError, never anything else', async () => {
    const fc = (await import('fast-check')).default;
    const key = fc.constantFrom('code', 'state', 'iss', 'error', 'error_description', 'x');
    fc.assert(
      fc.property(
        fc.array(fc.tuple(key, fc.string()), { maxLength: 8 }),
        fc.boolean(),
        (pairs, requireIss) => {
          const params = new URLSearchParams(pairs);
          try {
            const r = validateCallback(params, { state: 'S', issuer: ISSUER, requireIss });
            expect(params.get('state')).toBe('S');
            expect(r.code.length).toBeGreaterThan(0);
            expect(params.get('error')).toBeNull();
            if (requireIss) expect(params.get('iss')).toBe(ISSUER);
          } catch (err) {
            expect((err as { name?: string }).name).toBe('TestClientError');
          }
        },
      ),
      { numRuns: 5000 },
    );
  });
});
