import type { IncomingMessage, ServerResponse } from 'node:http';
import { isLoopbackHost } from '@mcp-auth/discovery';
import { createOriginPolicy, type OriginPolicy } from '@mcp-auth/gate';
import { sendError } from './http.js';

/** Refuses requests with a `Host` or `Origin` the server does not serve (DNS rebinding). */
export type OriginGuard = (
  req: IncomingMessage,
  res: ServerResponse,
  onRefused?: (reason: 'host_not_allowed' | 'origin_not_allowed') => void,
) => boolean;

const HOST = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::\d{1,5})?$/;

/**
 * Without a resource URI (an unauthenticated server that was not told its URL) only loopback
 * hosts and origins on any port are served: the one safe default for a server whose address we
 * do not know.
 */
function loopbackOnly(
  allowedOrigins: readonly string[] = [],
  allowedHosts: readonly string[] = [],
): Pick<OriginPolicy, 'check'> {
  const origins = new Set(allowedOrigins.map((o) => o.toLowerCase()));
  const hosts = new Set(allowedHosts.map((h) => h.toLowerCase()));
  const loopbackAuthority = (authority: string): boolean => {
    const m = HOST.exec(authority.toLowerCase());
    return m !== null && isLoopbackHost(m[1]!);
  };
  return {
    check(host, origin) {
      if (host === undefined || !(hosts.has(host.toLowerCase()) || loopbackAuthority(host))) {
        return 'host_not_allowed';
      }
      if (origin === undefined || origins.has(origin.toLowerCase())) return undefined;
      const m = /^https?:\/\/(.+)$/i.exec(origin);
      return m !== null && loopbackAuthority(m[1]!) ? undefined : 'origin_not_allowed';
    },
  };
}

function hostHeaders(req: IncomingMessage): number {
  let count = 0;
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.toLowerCase() === 'host') count++;
  return count;
}

/**
 * The `Origin`/`Host` check of every endpoint, by `@mcp-auth/gate`'s policy: an `Origin` present
 * and not allowed, or a `Host` not allowed (or sent twice), gets 403 before anything else runs.
 *
 * @see https://modelcontextprotocol.io/specification/2026-07-28/basic/transports#security-warning
 */
export function createOriginGuard(options: {
  resource: string | undefined;
  allowedOrigins: readonly string[] | undefined;
  allowedHosts: readonly string[] | undefined;
}): OriginGuard {
  const policy =
    options.resource === undefined
      ? loopbackOnly(options.allowedOrigins, options.allowedHosts)
      : createOriginPolicy({
          resource: options.resource,
          ...(options.allowedOrigins ? { allowedOrigins: options.allowedOrigins } : {}),
          ...(options.allowedHosts ? { allowedHosts: options.allowedHosts } : {}),
        });
  return (req, res, onRefused) => {
    const origin = req.headers.origin;
    const refusal =
      hostHeaders(req) > 1 ? 'host_not_allowed' : policy.check(req.headers.host, origin);
    if (refusal === undefined) return true;
    onRefused?.(refusal);
    const headers: Record<string, string> = { connection: 'close' };
    sendError(
      res,
      403,
      'forbidden',
      refusal === 'host_not_allowed' ? 'Host not allowed' : 'Origin not allowed',
      headers,
    );
    return false;
  };
}
