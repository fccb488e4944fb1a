import { canonicalizeResourceUri } from '@mcp-auth/discovery';

/**
 * An `htu` as compared (RFC 9449 §4.3): the query and fragment dropped, then only the
 * equivalences of the resource URI itself (scheme and host case, the scheme's default port, an
 * empty path as `/`). Any spelling a URL parser would rewrite (dot segments, `%2e`, TAB, `127.1`)
 * is not normalised: `undefined`, which matches nothing.
 */
export function normaliseHtu(value: string): string | undefined {
  const cut = value.search(/[?#]/);
  try {
    return canonicalizeResourceUri(cut === -1 ? value : value.slice(0, cut));
  } catch {
    return undefined;
  }
}

/**
 * The public URL of the request, for `htu`: `explicit` when the caller gives it (`authenticate(req,
 * { url })`), else the resource URI's origin + the request's path. The path is `req.url` of a node
 * request (`/mcp?x`; Express's `req.originalUrl`) or the path of a Fetch `Request`'s URL; the host the request was addressed
 * to is never used (behind a proxy it is an internal name).
 */
export function requestHtu(
  req: unknown,
  resourceOrigin: string,
  explicit: string | undefined,
): string | undefined {
  if (explicit !== undefined) return normaliseHtu(explicit);
  // Express strips the mount path from `req.url` inside `app.use('/mcp', …)`; `originalUrl` keeps it.
  const r = req as { url?: unknown; originalUrl?: unknown } | null;
  const url = typeof r?.originalUrl === 'string' ? r.originalUrl : r?.url;
  if (typeof url !== 'string' || url === '') return undefined;
  let path: string;
  if (url.startsWith('/')) {
    path = url;
  } else {
    const scheme = url.indexOf('://');
    const slash = scheme === -1 ? -1 : url.indexOf('/', scheme + 3);
    if (scheme === -1) return undefined;
    path = slash === -1 ? '/' : url.slice(slash);
  }
  return normaliseHtu(resourceOrigin + path);
}
