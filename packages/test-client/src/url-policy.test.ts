import { describe, expect, it } from 'vitest';
import { assertUrlAllowed } from './url-policy.js';

describe('assertUrlAllowed', () => {
  it.each([
    'https://mcp.example.com/mcp',
    'http://localhost:3000/mcp',
    'http://127.0.0.1:3000/mcp',
    'http://127.5.6.7/mcp',
    'http://[::1]:8080/mcp',
  ])('accepts %s', (url) => {
    expect(assertUrlAllowed(url, 'server URL').href).toBe(new URL(url).href);
  });

  it.each([
    ['http://mcp.example.com/mcp', 'ERR_HTTP_URL_REFUSED'],
    ['http://127.0.0.1.nip.io/mcp', 'ERR_HTTP_URL_REFUSED'],
    ['http://10.0.0.1/mcp', 'ERR_HTTP_URL_REFUSED'],
    ['ftp://mcp.example.com/mcp', 'ERR_URL_UNSUPPORTED'],
    ['javascript:alert(1)', 'ERR_URL_UNSUPPORTED'],
    ['/relative', 'ERR_URL_UNSUPPORTED'],
  ])('refuses %s with %s', (url, code) => {
    expect(() => assertUrlAllowed(url, 'server URL')).toThrow(expect.objectContaining({ code }));
  });

  it('accepts non-loopback http only with allowHttp, and says which flag', () => {
    expect(() => assertUrlAllowed('http://mcp.example.com/mcp', 'server URL')).toThrow(
      /--allow-http/,
    );
    expect(
      assertUrlAllowed('http://mcp.example.com/mcp', 'server URL', { allowHttp: true }).host,
    ).toBe('mcp.example.com');
  });
});
