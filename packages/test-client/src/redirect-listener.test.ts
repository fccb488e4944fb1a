import { afterEach, describe, expect, it } from 'vitest';
import {
  escapeHtml,
  type RedirectListener,
  startRedirectListener,
  validateCallback,
} from './redirect-listener.js';

const ISSUER = 'http://127.0.0.1:9999';

describe('validateCallback', () => {
  const expected = { state: 'the-state', issuer: ISSUER };
  it.each([
    ['state=other&code=c', 'ERR_STATE_MISMATCH'],
    ['code=c', 'ERR_STATE_MISMATCH'],
    ['state=the-stat&code=c', 'ERR_STATE_MISMATCH'],
    [
      `state=the-state&code=c&iss=${encodeURIComponent('http://evil.example')}`,
      'ERR_ISSUER_MISMATCH',
    ],
    [`state=the-state&code=c&iss=${encodeURIComponent(`${ISSUER}/`)}`, 'ERR_ISSUER_MISMATCH'],
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
    ).toThrow(expect.objectContaining({ code: 'ERR_ISSUER_MISMATCH' }));
  });

  it('requires iss when the server advertises it', () => {
    expect(() =>
      validateCallback(new URLSearchParams('state=the-state&code=c'), {
        ...expected,
        requireIss: true,
      }),
    ).toThrow(expect.objectContaining({ code: 'ERR_ISSUER_MISSING' }));
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

  it('aborts with ERR_ABORTED, and rejects a pending wait on close', async () => {
    listener = await startRedirectListener();
    const controller = new AbortController();
    const wait = listener.expect({ state: 's', issuer: ISSUER, signal: controller.signal });
    controller.abort();
    await expect(wait).rejects.toMatchObject({ code: 'ERR_ABORTED' });
    const wait2 = listener.expect({ state: 's', issuer: ISSUER });
    await listener.close();
    listener = undefined;
    await expect(wait2).rejects.toMatchObject({ code: 'ERR_ABORTED' });
  });

  it('says which port is busy', async () => {
    listener = await startRedirectListener();
    await expect(startRedirectListener({ port: listener.port })).rejects.toMatchObject({
      code: 'ERR_REDIRECT_LISTENER',
      message: expect.stringContaining(`Port ${listener.port}`),
    });
  });

  it.each([
    [{ port: -1 }, /"port"/],
    [{ port: 70000 }, /"port"/],
    [{ path: 'callback' }, /"path"/],
    [{ path: '/cb?x=1' }, /"path"/],
  ])('refuses bad options %j', async (options, message) => {
    await expect(startRedirectListener(options)).rejects.toThrow(message);
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
