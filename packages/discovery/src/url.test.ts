import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalizeResourceUri, isLoopbackHost, parseFetchableUrl } from './url';

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
    ['https://mcp.example.com/a/../mcp', 'https://mcp.example.com/mcp'],
    ['https://mcp.example.com/MCP', 'https://mcp.example.com/MCP'],
    ['https://mcp.example.com/mcp?tenant=1', 'https://mcp.example.com/mcp?tenant=1'],
    ['https://mcp.example.com/?tenant=1', 'https://mcp.example.com/?tenant=1'],
    ['http://[::1]:3000/mcp', 'http://[::1]:3000/mcp'],
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

  it('is a TypeError for non-strings', () => {
    expect(() => canonicalizeResourceUri(42 as unknown as string)).toThrow(TypeError);
  });

  it('is idempotent and keeps origin, path and query (fast-check)', () => {
    fc.assert(
      fc.property(fc.webUrl({ withQueryParameters: true }), (raw) => {
        const canonical = canonicalizeResourceUri(raw);
        expect(canonicalizeResourceUri(canonical)).toBe(canonical);
        const a = new URL(raw);
        const b = new URL(canonical);
        expect(b.origin).toBe(a.origin);
        expect(b.pathname).toBe(a.pathname);
        expect(b.search).toBe(a.search);
        expect(canonical.endsWith('/') && a.pathname === '/' && a.search === '').toBe(false);
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
