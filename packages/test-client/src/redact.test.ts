import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { redact, redactSecrets, redactToken } from './redact.js';

describe('redactToken', () => {
  it.each([
    ['eyJhbGciOiJSUzI1NiJ9.payload.signature', 'eyJh…ture'],
    ['abcdefghijklm', 'abcd…jklm'],
    ['abcdefghijkl', '************'],
    ['abc', '****'],
    ['', '****'],
  ])('%s → %s', (input, expected) => {
    expect(redactToken(input)).toBe(expected);
  });

  it('never contains the middle of a long secret', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 13, maxLength: 200 }), (secret) => {
        const out = redactToken(secret);
        expect(out).toBe(`${secret.slice(0, 4)}…${secret.slice(-4)}`);
        expect(out.length).toBeLessThan(secret.length);
      }),
    );
  });
});

describe('redactSecrets', () => {
  const token = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyLTEifQ.c2lnbmF0dXJlLXZhbHVl';
  it('replaces raw and URL-encoded occurrences', () => {
    const secret = 'sec+ret/with=chars&more';
    const text = `Bearer ${token} and ${encodeURIComponent(secret)} and ${secret}`;
    const out = redactSecrets(text, [token, secret]);
    expect(out).not.toContain(token);
    expect(out).not.toContain(secret);
    expect(out).not.toContain(encodeURIComponent(secret));
    expect(out).toBe('Bearer eyJh…bHVl and sec+…more and sec+…more');
  });

  it('redacts the longer secret first when one contains another', () => {
    const outer = 'AAAAinnerSECRETvalueZZZZ';
    const inner = 'innerSECRETvalue';
    const out = redactSecrets(`x ${outer} y ${inner}`, [inner, outer]);
    expect(out).toBe(`x AAAA…ZZZZ y inne…alue`);
  });
});

describe('redact (the one redaction of every report line and of the CLI output)', () => {
  const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyLTEifQ.c2lnbmF0dXJlLXZhbHVl';
  const code = 'SplxlOBeZQQYbYS6WxSbIA0123';
  it.each([
    [
      'the code in a redirect Location (query)',
      `302 Location: http://127.0.0.1:8976/callback?code=${code}&state=af0ifjsldkj&iss=http%3A%2F%2F127.0.0.1`,
      '302 Location: http://127.0.0.1:8976/callback?code=Splx…0123&state=af0ifjsldkj&iss=http%3A%2F%2F127.0.0.1',
    ],
    [
      'the code and a token in a fragment',
      `http://localhost/cb#state=s1&code=${code}&access_token=${jwt}`,
      'http://localhost/cb#state=s1&code=Splx…0123&access_token=eyJh…bHVl',
    ],
    [
      'a form body',
      `grant_type=authorization_code&code=${code}&code_verifier=dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk&redirect_uri=http%3A%2F%2F127.0.0.1`,
      'grant_type=authorization_code&code=Splx…0123&code_verifier=dBjf…EjXk&redirect_uri=http%3A%2F%2F127.0.0.1',
    ],
    [
      'report lines',
      `access_token=${jwt}, token_type=Bearer, refresh_token=rt-0123456789abcdef`,
      'access_token=eyJh…bHVl, token_type=Bearer, refresh_token=rt-0…cdef',
    ],
    [
      'a JSON body',
      `{"access_token":"${jwt}","token_type":"Bearer","refresh_token": "rt-0123456789abcdef","id_token":"${jwt}","registration_access_token":"rat-0123456789abcd","client_secret":"s3cr3t-0123456789"}`,
      '{"access_token":"eyJh…bHVl","token_type":"Bearer","refresh_token": "rt-0…cdef","id_token":"eyJh…bHVl","registration_access_token":"rat-…abcd","client_secret":"s3cr…6789"}',
    ],
    [
      'JSON inside a JSON string',
      JSON.stringify({ line: `{"access_token":"${jwt}"}` }),
      '{"line":"{\\"access_token\\":\\"eyJh…bHVl\\"}"}',
    ],
    ['an Authorization header', `Authorization: Bearer ${jwt}`, 'Authorization: Bearer eyJh…bHVl'],
    [
      'a Basic Authorization header',
      'authorization: Basic bXktY2xpZW50OnMzY3IzdA==',
      'authorization: Basic bXkt…dA==',
    ],
    ['a bare Bearer credential', `sent Bearer ${jwt} to /mcp`, 'sent Bearer eyJh…bHVl to /mcp'],
    ['a short code', 'callback?code=abc&state=x', 'callback?code=****&state=x'],
    [
      'cookies',
      'Set-Cookie: _session=abcdefghijklmnopq; Path=/; HttpOnly',
      'Set-Cookie: _session=abcd…nopq; Path=/; HttpOnly',
    ],
  ])('%s', (_what, input, expected) => {
    expect(redact(input)).toBe(expected);
  });

  it.each([
    ['a challenge', 'WWW-Authenticate: Bearer error="invalid_token", scope="mcp:read"'],
    ['a Bearer challenge with only resource_metadata', 'Bearer resource_metadata="http://x/y"'],
    ['PKCE parameters', 'response_type=code&code_challenge=abc123&code_challenge_method=S256'],
    ['an error code in JSON', '{"error":{"code":"ERR_HTTP_URL_REFUSED","message":"m"}}'],
    ['prose', 'this client speaks Bearer only; the authorization server said so'],
    ['the … placeholder', '?access_token=… → 401'],
    ['metadata', 'authorization_servers=["http://127.0.0.1:1"], token_endpoint_auth_method=none'],
  ])('leaves %s alone', (_what, input) => {
    expect(redact(input)).toBe(input);
  });

  it('redacts registered secrets by value, raw, URL-encoded and JSON-escaped', () => {
    const secret = 'a/b"c+d=e&f0123456789';
    const text = `x ${secret} ${encodeURIComponent(secret)} ${JSON.stringify(secret)}`;
    const out = redact(text, [secret]);
    expect(out).not.toContain('c+d=e&f012345');
    expect(out).not.toContain(encodeURIComponent(secret));
    expect(out).not.toContain(JSON.stringify(secret).slice(1, -1));
  });

  it.each([
    ['a quote', 'se"cret-0123456789'],
    ['a backslash', 's\\ecret-0123456789'],
    ['a quote among the first 4', 'a"bcdefghijklmnop'],
    ['a backslash among the last 4', 'abcdefghijklmno\\p'],
    ['a newline', 'abcdefgh\nijklmnop'],
  ])('keeps JSON parseable for a registered secret with %s', (_what, secret) => {
    const text = JSON.stringify({ line: `client_secret ${secret}`, client_secret: secret });
    const out = redact(text, [secret]);
    const parsed = JSON.parse(out) as { line: string; client_secret: string };
    expect(out).not.toContain(JSON.stringify(secret).slice(1, -1));
    expect(parsed.line).not.toContain(secret);
    expect(parsed.client_secret).not.toContain(secret);
  });

  it('is idempotent', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('code', 'access_token', 'refresh_token', 'code_verifier', 'client_secret'),
        fc.stringMatching(/^[\w.~-]{1,80}$/),
        fc.constantFrom('?', '&', '#', ' ', ''),
        (name, value, sep) => {
          const once = redact(`${sep}${name}=${value}`);
          expect(redact(once)).toBe(once);
          if (value.length > 12) expect(once).not.toContain(value);
        },
      ),
    );
  });
});

describe('redact on hostile and random input', () => {
  const secretValue = fc.stringMatching(/^[A-Za-z0-9_~.-]{13,120}$/);
  const contexts: ((v: string) => string)[] = [
    (v) => `303 Location: http://127.0.0.1:1/callback?state=s&code=${v}&iss=x`,
    (v) => `http://localhost:1/cb#access_token=${v}&token_type=bearer`,
    (v) => `grant_type=refresh_token&refresh_token=${encodeURIComponent(v)}`,
    (v) => `code_verifier=${v}`,
    (v) => `{"id_token": "${v}", "token_type": "Bearer"}`,
    (v) => JSON.stringify({ body: JSON.stringify({ registration_access_token: v }) }),
    (v) => `Authorization: Bearer ${v}`,
    (v) => `proxy-authorization: Basic ${v}`,
    (v) => `client_secret=${v}; client_id=c`,
  ];
  it('never leaves a secret parameter value in any context', () => {
    fc.assert(
      fc.property(secretValue, fc.integer({ min: 0, max: contexts.length - 1 }), (value, i) => {
        const out = redact(contexts[i]!(value));
        expect(out).not.toContain(value);
        expect(out).not.toContain(value.slice(4, -4));
        expect(redact(out)).toBe(out);
      }),
      { numRuns: 2000 },
    );
  });

  it('never throws on arbitrary text, never leaves a registered secret, and a second pass reveals nothing', () => {
    const piece = fc.oneof(
      fc.string(),
      fc.constantFrom(
        'code=',
        'access_token=',
        '"refresh_token":"',
        'Authorization: ',
        'Bearer ',
        'Cookie: ',
        '…',
        '&',
        '#',
        '\\"',
        '%2F',
      ),
    );
    const secret = fc.stringMatching(/^[A-Za-z0-9_~.-]{13,60}$/);
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 12 }), secret, (parts, s) => {
        const text = [...parts, s].join('');
        const once = redact(text, [s]);
        expect(once).not.toContain(s);
        const twice = redact(once, [s]);
        expect(twice).not.toContain(s);
        // A second pass only ever hides more: it never makes the text longer.
        expect(twice.length).toBeLessThanOrEqual(once.length);
      }),
      { numRuns: 3000 },
    );
  });
});
