import { isHeaders } from '@mcp-auth/internal';

/** Request or response headers as the gate accepts them: Fetch `Headers` or a node-style record. */
export type HeaderBag = Headers | Readonly<Record<string, string | readonly string[] | undefined>>;

/**
 * One header's value, or `undefined`. A repeated header (node gives an array) is joined with
 * `", "` as Fetch does, so a doubled `Origin` never equals an allowed origin.
 */
export function getHeader(headers: HeaderBag, name: string): string | undefined {
  if (isHeaders(headers)) {
    // Fetch Headers throw on names that are not HTTP tokens (such as HTTP/2 pseudo-headers).
    if (name.startsWith(':')) return undefined;
    return headers.get(name) ?? undefined;
  }
  let value = (headers as Record<string, string | readonly string[] | undefined>)[name];
  if (value === undefined) {
    // Records from node are lower-cased; hand-built ones may not be.
    for (const key of Object.keys(headers)) {
      if (key.length === name.length && key.toLowerCase() === name) {
        value = (headers as Record<string, string | readonly string[] | undefined>)[key];
        break;
      }
    }
  }
  if (value === undefined) return undefined;
  return typeof value === 'string' ? value : value.join(', ');
}

/** How many times `name` occurs in node's `rawHeaders` (name/value pairs). */
export function countRawHeader(rawHeaders: readonly string[], name: string): number {
  let count = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const key = rawHeaders[i];
    if (key !== undefined && key.length === name.length && key.toLowerCase() === name) count++;
  }
  return count;
}
