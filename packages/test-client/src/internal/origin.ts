/**
 * The serialized origin of `value` (`https://app.example.com:8443`), or undefined when it is not an
 * http(s) origin: a path, query, fragment or credentials make it a URL, not an origin. A trailing
 * `/` is tolerated; default ports are dropped, as browsers serialize them.
 *
 * @example
 * ```ts
 * parseOrigin('https://app.example.com/'); // 'https://app.example.com'
 * parseOrigin('https://app.example.com/mcp'); // undefined
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6454#section-6.2
 * @see https://fetch.spec.whatwg.org/#origin-header
 */
export function parseOrigin(value: string): string | undefined {
  if (typeof value !== 'string' || !URL.canParse(value)) return undefined;
  const url = new URL(value);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
  if (url.username || url.password || url.pathname !== '/') return undefined;
  // `https://a.example/?` and `…#` parse with an empty search and hash: refuse them too.
  if (/[?#]/.test(value)) return undefined;
  return url.origin;
}
