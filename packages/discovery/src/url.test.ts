import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalizeResourceUri, isLoopbackHost, parseFetchableUrl } from './url.js';

describe('isLoopbackHost', () => {
  it.each([
    'localhost',
    'LOCALHOST',
    '127.0.0.1',
    '127.255.255.254',
    '127.0.0.53',
    '::1',
    '[::1]',
    '0:0:0:0:0:0:0:1',
    '[::ffff:7f00:1]',
    '::ffff:127.0.0.1',
  ])('%s is loopback', (host) => {
    expect(isLoopbackHost(host)).toBe(true);
  });

  it.each([
    '',
    'localhost.',
    'foo.localhost',
    'localhost.example.com',
    '127.0.0.1.nip.io',
    '128.0.0.1',
    '10.0.0.1',
    '0.0.0.0',
    '127.0.0.256',
    '127.0.0.01',
    '127.1',
    '::',
    '[::2]',
    '::ffff:10.0.0.1',
    '[::ffff:a00:1]',
    'example.com',
  ])('%s is not loopback', (host) => {
    expect(isLoopbackHost(host)).toBe(false);
  });

  it('is false for non-strings', () => {
    expect(isLoopbackHost(undefined as unknown as string)).toBe(false);
  });

  it('agrees with WHATWG URL hostnames', () => {
    expect(isLoopbackHost(new URL('http://[::1]:8080/').hostname)).toBe(true);
    expect(isLoopbackHost(new URL('http://127.1/').hostname)).toBe(true); // URL normalises to 127.0.0.1
    expect(isLoopbackHost(new URL('http://0x7f000001/').hostname)).toBe(true);
  });
});

describe('canonicalizeResourceUri', () => {
  it.each([
    ['https://mcp.example.com/mcp', 'https://mcp.example.com/mcp'],
    ['HTTPS://MCP.EXAMPLE.COM/mcp', 'https://mcp.example.com/mcp'],
    ['https://mcp.example.com:443/mcp', 'https://mcp.example.com/mcp'],
    ['http://127.0.0.1:80/mcp', 'http://127.0.0.1/mcp'],
    ['https://mcp.example.com:8443/mcp', 'https://mcp.example.com:8443/mcp'],
    ['https://mcp.example.com/', 'https://mcp.example.com'],
    ['https://mcp.example.com', 'https://mcp.example.com'],
    ['https://mcp.example.com/mcp/', 'https://mcp.example.com/mcp/'],
    ['https://mcp.example.com/MCP', 'https://mcp.example.com/MCP'],
    ['https://mcp.example.com/mcp?tenant=1', 'https://mcp.example.com/mcp?tenant=1'],
    ['https://mcp.example.com/?tenant=1', 'https://mcp.example.com/?tenant=1'],
    ['http://[::1]:3000/mcp', 'http://[::1]:3000/mcp'],
    ['https://[::1]:443/mcp', 'https://[::1]/mcp'],
    ['http://127.0.0.1:3999/mcp', 'http://127.0.0.1:3999/mcp'],
    ['HTTP://LOCALHOST:3999/mcp', 'http://localhost:3999/mcp'],
    ['https://mcp.example.com/a%2Fb', 'https://mcp.example.com/a%2Fb'],
  ])('%s -> %s', (input, expected) => {
    expect(canonicalizeResourceUri(input)).toBe(expected);
    expect(canonicalizeResourceUri(expected)).toBe(expected);
  });

  it('accepts URL objects', () => {
    expect(canonicalizeResourceUri(new URL('https://A.example/x'))).toBe('https://a.example/x');
  });

  it.each([
    ['/mcp', 'must be an absolute URL'],
    ['mcp.example.com/mcp', 'must be an absolute URL'],
    ['', 'must be an absolute URL'],
    ['https://mcp.example.com/mcp#frag', 'must not contain a fragment'],
    ['https://mcp.example.com/mcp#', 'must not contain a fragment'],
    ['https://user:pw@mcp.example.com/mcp', 'must not contain user info'],
    ['ftp://mcp.example.com/mcp', 'must use https:'],
    ['urn:example:mcp', 'must use https:'],
  ])('%s is a TypeError', (input, message) => {
    expect(() => canonicalizeResourceUri(input)).toThrow(TypeError);
    expect(() => canonicalizeResourceUri(input)).toThrow(message);
  });

  const HOST = 'must be written in its canonical form (no IPv4 shorthand';
  const PATH = 'path must be written in its canonical form';
  const ASCII = 'must contain only printable ASCII characters';
  // Issue 12 item 5: every spelling a URL parser would rewrite into the resource is refused.
  it.each([
    ['dot segment', 'http://127.0.0.1:3999/x/../mcp', PATH],
    ['single dot segment', 'http://127.0.0.1:3999/./mcp', PATH],
    ['percent-encoded dot segment', 'http://127.0.0.1:3999/x/%2e%2e/mcp', PATH],
    ['percent-encoded dot segment (upper case)', 'http://127.0.0.1:3999/x/%2E%2E/mcp', PATH],
    ['half-encoded dot segment', 'http://127.0.0.1:3999/x/.%2e/mcp', PATH],
    ['backslash after the host', 'http://127.0.0.1:3999\\mcp', HOST],
    ['backslash dot segment', 'http://127.0.0.1:3999/x\\..\\mcp', PATH],
    ['empty query', 'http://127.0.0.1:3999/mcp?', PATH],
    ['TAB inside the path', 'http://127.0.0.1:3999/m\tcp', ASCII],
    ['LF inside the path', 'http://127.0.0.1:3999/m\ncp', ASCII],
    ['CR inside the host', 'http://127.0.0.1\r:3999/mcp', ASCII],
    ['a space', 'http://127.0.0.1:3999/m cp', ASCII],
    ['leading space', ' http://127.0.0.1:3999/mcp', ASCII],
    ['trailing LF', 'http://127.0.0.1:3999/mcp\n', ASCII],
    ['full-width digits in the host', 'http://１２７.0.0.1:3999/mcp', ASCII],
    ['non-ASCII host (IDN, not punycode)', 'https://bücher.example/mcp', ASCII],
    ['IPv4 shorthand', 'http://127.1:3999/mcp', HOST],
    ['IPv4 hex part', 'http://0x7f.0.0.1:3999/mcp', HOST],
    ['IPv4 as one decimal number', 'http://2130706433:3999/mcp', HOST],
    ['IPv4 octal part', 'http://0177.0.0.1:3999/mcp', HOST],
    ['IPv4 trailing dot', 'http://127.0.0.1.:3999/mcp', HOST],
    ['percent-encoded host', 'http://127.0.0.%31:3999/mcp', HOST],
    ['empty port', 'http://127.0.0.1:/mcp', HOST],
    ['zero-padded port', 'http://127.0.0.1:03999/mcp', HOST],
    ['uncompressed IPv6', 'http://[0:0:0:0:0:0:0:1]:3999/mcp', HOST],
  ])('refuses %s: %j', (_name, input, message) => {
    expect(() => canonicalizeResourceUri(input)).toThrow(TypeError);
    expect(() => canonicalizeResourceUri(input)).toThrow(message);
  });

  it('is a TypeError for non-strings', () => {
    expect(() => canonicalizeResourceUri(42 as unknown as string)).toThrow(TypeError);
  });

  it('accepts every URL as a parser serialises it, idempotently, keeping origin, path and query (fast-check)', () => {
    fc.assert(
      fc.property(fc.webUrl({ withQueryParameters: true }), (raw) => {
        const parsed = new URL(raw);
        // An empty query ("?" with nothing after) is the one serialisation the rule refuses.
        if (parsed.search === '' && parsed.href.includes('?')) return;
        const canonical = canonicalizeResourceUri(parsed.href);
        expect(canonicalizeResourceUri(canonical)).toBe(canonical);
        const b = new URL(canonical);
        expect(b.origin).toBe(parsed.origin);
        expect(b.pathname).toBe(parsed.pathname);
        expect(b.search).toBe(parsed.search);
        expect(canonical.endsWith('/') && parsed.pathname === '/' && parsed.search === '').toBe(
          false,
        );
      }),
      { numRuns: 2000 },
    );
  });

  it('what it accepts equals the input up to scheme/host case, default port and the empty path (fast-check)', () => {
    fc.assert(
      fc.property(fc.webUrl({ withQueryParameters: true }), (raw) => {
        let canonical: string;
        try {
          canonical = canonicalizeResourceUri(raw);
        } catch (err) {
          expect(err).toBeInstanceOf(TypeError);
          return;
        }
        const [, scheme, authority, rest] = /^([^:]+):\/\/([^/?#]*)(.*)$/.exec(raw)!;
        const port = scheme!.toLowerCase() === 'https' ? ':443' : ':80';
        const host = authority!.toLowerCase();
        const expected = `${scheme!.toLowerCase()}://${host.endsWith(port) ? host.slice(0, -port.length) : host}${rest === '/' ? '' : rest!.startsWith('?') ? `/${rest}` : rest}`;
        expect(canonical).toBe(expected);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('parseFetchableUrl', () => {
  it.each([
    ['https://as.example.com/x', {}, undefined],
    ['http://127.0.0.1:8080/x', { allowInsecureHttpForLoopback: true }, undefined],
    ['http://localhost/x', { allowInsecureHttpForLoopback: true }, undefined],
    ['http://127.0.0.1:8080/x', {}, 'ERR_INSECURE_URL'],
    ['http://as.example.com/x', { allowInsecureHttpForLoopback: true }, 'ERR_INSECURE_URL'],
    ['http://as.example.com/x', {}, 'ERR_INSECURE_URL'],
    ['file:///etc/passwd', {}, 'ERR_INVALID_URL'],
    ['javascript:alert(1)', {}, 'ERR_INVALID_URL'],
    ['/relative', {}, 'ERR_INVALID_URL'],
    ['https://u:p@as.example.com/', {}, 'ERR_INVALID_URL'],
    ['https://as.example.com/#x', {}, 'ERR_INVALID_URL'],
  ])('%s %o -> %s', (input, options, code) => {
    if (code === undefined) {
      expect(parseFetchableUrl(input, 'URL', options).href).toBe(new URL(input).href);
    } else {
      expect(() => parseFetchableUrl(input, 'URL', options)).toThrow(
        expect.objectContaining({ name: 'DiscoveryError', code }),
      );
    }
  });

  it('never echoes user info', () => {
    try {
      parseFetchableUrl('https://user:secret@as.example.com/', 'URL');
      expect.unreachable();
    } catch (err) {
      expect(JSON.stringify({ ...(err as object), m: (err as Error).message })).not.toContain(
        'secret',
      );
    }
  });
});
