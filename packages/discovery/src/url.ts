import { DiscoveryError } from './errors.js';

/**
 * Whether `hostname` names the local machine: `localhost`, an IPv4 address in `127.0.0.0/8`
 * (dotted decimal), or the IPv6 loopback `::1` (bracketed or not, including the IPv4-mapped form of
 * a `127.x` address). Names are not resolved: `foo.localhost` or a DNS name pointing at 127.0.0.1 is
 * not loopback here, so a remote DNS answer can never unlock an insecure option.
 *
 * @example
 * ```ts
 * isLoopbackHost('127.0.0.1'); // true
 * isLoopbackHost('[::1]');     // true
 * isLoopbackHost(new URL('http://LocalHost:3000/mcp').hostname); // true
 * isLoopbackHost('127.0.0.1.nip.io'); // false
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc8252#section-8.3 (loopback interface)
 * @see https://www.rfc-editor.org/rfc/rfc6761#section-6.3 (localhost)
 */
export function isLoopbackHost(hostname: string): boolean {
  if (typeof hostname !== 'string') return false;
  let host = hostname.toLowerCase();
  if (host === 'localhost') return true;
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  if (host === '::1' || host === '0:0:0:0:0:0:0:1') return true;
  // IPv4-mapped IPv6, as WHATWG URL serialises it: ::ffff:7f00:1 is ::ffff:127.0.0.1.
  const mapped = /^::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}$/.exec(host);
  if (mapped) return true;
  const dotted = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(host);
  if (dotted) host = dotted[1]!;
  const octets = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (!octets) return false;
  for (let i = 1; i <= 4; i++) {
    const octet = octets[i]!;
    if (Number(octet) > 255 || (octet.length > 1 && octet.startsWith('0'))) return false;
  }
  return octets[1] === '127';
}

function parseAbsolute(uri: string | URL, what: string): URL {
  if (uri instanceof URL) return new URL(uri.href);
  if (typeof uri !== 'string') throw new TypeError(`${what} must be an absolute URL string`);
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new TypeError(
      `${what} must be an absolute URL, got ${JSON.stringify(uri.slice(0, 200))}`,
    );
  }
  return url;
}

const DEFAULT_PORT: Record<string, string> = { 'http:': '80', 'https:': '443' };

/** The scheme, authority and the rest (path and query) of an absolute URI, as written. */
const ABSOLUTE_URI = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)([^#]*)$/;

/**
 * Throws unless `raw` is already written the way a URL parser serialises it, up to the
 * equivalences a resource URI has: case of scheme and host, the scheme's default port, and the
 * empty path (`https://h` = `https://h/`). Everything a parser would silently rewrite is refused,
 * because each rewrite is a second spelling of the audience: dot segments (`/x/../mcp`,
 * `%2e%2e`), TAB or LF inside (removed by parsers), IPv4 shorthand or hex (`127.1`,
 * `0x7f.0.0.1`), full-width or other non-ASCII characters, backslashes, an empty port or query.
 */
function assertWrittenCanonically(raw: string, url: URL): void {
  if (!/^[\x21-\x7e]*$/.test(raw)) {
    throw new TypeError(
      'resource URI must contain only printable ASCII characters (no spaces, tabs, line breaks or non-ASCII)',
    );
  }
  const parts = ABSOLUTE_URI.exec(raw);
  if (parts === null) {
    throw new TypeError('resource URI must be written as scheme://host/path (RFC 3986 §3)');
  }
  let authority = parts[2]!.toLowerCase();
  const defaultPort = DEFAULT_PORT[url.protocol];
  if (defaultPort !== undefined && authority.endsWith(`]:${defaultPort}`)) {
    authority = authority.slice(0, -defaultPort.length - 1);
  } else if (
    defaultPort !== undefined &&
    !authority.startsWith('[') &&
    authority.endsWith(`:${defaultPort}`)
  ) {
    authority = authority.slice(0, -defaultPort.length - 1);
  }
  if (authority !== url.host) {
    throw new TypeError(
      'resource URI host must be written in its canonical form (no IPv4 shorthand, hex or octal parts, percent-encoding, trailing dot or empty port)',
    );
  }
  const rest = parts[3]!;
  const parsed = url.pathname + url.search;
  if (rest !== parsed && !(rest === '' && parsed === '/') && `/${rest}` !== parsed) {
    throw new TypeError(
      'resource URI path must be written in its canonical form (no dot segments such as /x/../ or %2e%2e, no backslashes, no empty query)',
    );
  }
}

/**
 * The canonical form of a resource (server) URI, as MCP and RFC 8707 use it for the `resource`
 * parameter and the token audience: scheme and host lower-cased, default port dropped, no trailing
 * slash when the path is empty (`https://mcp.example.com`, not `https://mcp.example.com/`), path
 * and query kept exactly as written. Those are the only equivalences (see the README): two
 * resource URIs are the same resource when their canonical forms are equal strings.
 *
 * Throws a `TypeError` when `uri` is not an absolute `http:`/`https:` URL, has a fragment or user
 * info (neither is allowed in a resource indicator), or is not written the way a URL parser
 * serialises it: dot segments (`/x/../mcp`, `%2e%2e`), TAB/LF or other whitespace, IPv4
 * shorthand or hex (`127.1`, `0x7f.0.0.1`), non-ASCII (full-width digits), backslashes. A parser
 * would rewrite each of those into another URI; a resource (or an audience) is never rewritten.
 * A `URL` object is taken as its serialisation.
 *
 * @example
 * ```ts
 * canonicalizeResourceUri('HTTPS://MCP.Example.com:443/mcp'); // 'https://mcp.example.com/mcp'
 * canonicalizeResourceUri('https://mcp.example.com/');         // 'https://mcp.example.com'
 * canonicalizeResourceUri('https://mcp.example.com/x/../mcp'); // throws TypeError
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc8707#section-2
 * @see https://www.rfc-editor.org/rfc/rfc3986#section-6.2.3
 * @see https://modelcontextprotocol.io/specification/2025-11-25/basic/authorization#canonical-server-uri
 */
export function canonicalizeResourceUri(uri: string | URL): string {
  const url = parseAbsolute(uri, 'resource URI');
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new TypeError(`resource URI must use https: (or http:), got ${url.protocol}`);
  }
  if (url.href.includes('#') || (typeof uri === 'string' && uri.includes('#'))) {
    throw new TypeError('resource URI must not contain a fragment');
  }
  if (url.username !== '' || url.password !== '') {
    throw new TypeError('resource URI must not contain user info');
  }
  if (typeof uri === 'string') assertWrittenCanonically(uri, url);
  if (url.pathname === '/' && url.search === '') return url.origin;
  return url.href;
}

/** Options shared by every function that fetches or validates a remote URL. */
export interface InsecureHttpOption {
  /**
   * Accept `http:` URLs whose host is loopback (`localhost`, `127.0.0.0/8`, `[::1]`), for local
   * development and tests. Weakens security; never the default. Other hosts always need `https:`.
   */
  allowInsecureHttpForLoopback?: boolean;
}

/**
 * Parse a URL that came from the network or from configuration and check it may be fetched:
 * absolute, `https:` (or `http:` on loopback when allowed), no user info, no fragment.
 * @internal
 */
export function parseFetchableUrl(
  value: unknown,
  what: string,
  options: InsecureHttpOption = {},
): URL {
  if (typeof value !== 'string' && !(value instanceof URL)) {
    throw new DiscoveryError('ERR_INVALID_URL', `${what} must be a URL string`);
  }
  const raw = typeof value === 'string' ? value : value.href;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new DiscoveryError('ERR_INVALID_URL', `${what} is not an absolute URL`, {
      url: raw.slice(0, 2048),
    });
  }
  if (url.username !== '' || url.password !== '') {
    throw new DiscoveryError('ERR_INVALID_URL', `${what} must not contain user info`, {
      url: redactUserInfo(url),
    });
  }
  if (url.href.includes('#')) {
    throw new DiscoveryError('ERR_INVALID_URL', `${what} must not contain a fragment`, {
      url: url.href,
    });
  }
  assertSecureProtocol(url, what, options);
  return url;
}

/** @internal */
export function assertSecureProtocol(url: URL, what: string, options: InsecureHttpOption): void {
  if (url.protocol === 'https:') return;
  if (url.protocol === 'http:') {
    if (isLoopbackHost(url.hostname)) {
      if (options.allowInsecureHttpForLoopback === true) return;
      throw new DiscoveryError(
        'ERR_INSECURE_URL',
        `${what} uses http:; pass allowInsecureHttpForLoopback: true to allow it on a loopback host`,
        { url: url.href },
      );
    }
    throw new DiscoveryError('ERR_INSECURE_URL', `${what} must use https:`, { url: url.href });
  }
  throw new DiscoveryError('ERR_INVALID_URL', `${what} must be an https: URL`, {
    url: url.href.slice(0, 2048),
  });
}

function redactUserInfo(url: URL): string {
  const copy = new URL(url.href);
  copy.username = '';
  copy.password = '';
  return copy.href;
}
