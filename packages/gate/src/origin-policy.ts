import { canonicalizeResourceUri, isLoopbackHost } from '@mcp-auth/discovery';

/** Options of {@link createOriginPolicy}. */
export interface OriginPolicyOptions {
  /** The MCP server's resource URI: its host decides the defaults. */
  resource: string;
  /**
   * Origins allowed besides the defaults, exactly (`https://app.example.com`, `http://localhost:5173`).
   * Default `[]`.
   */
  allowedOrigins?: readonly string[];
  /** `Host` values allowed besides the defaults (`mcp.internal:8080`). Default `[]`. */
  allowedHosts?: readonly string[];
}

/** Why {@link OriginPolicy.check} refused a request. */
export type OriginPolicyRefusal = 'host_not_allowed' | 'origin_not_allowed';

/** The policy built by {@link createOriginPolicy}. */
export interface OriginPolicy {
  /**
   * `undefined` when the request may go on; otherwise why not (answer 403). `host` is the `Host`
   * header (or the request URL's host where a runtime has no `Host` header), `origin` the `Origin`
   * header when present.
   */
  check(host: string | undefined, origin: string | undefined): OriginPolicyRefusal | undefined;
  /** Whether `origin` is allowed (no `Origin` at all is always allowed: not a browser request). */
  allowsOrigin(origin: string): boolean;
  /** Whether the resource is on a loopback host (local server: loopback-only defaults). */
  readonly loopback: boolean;
  /** The `Host` values allowed, lower-cased. */
  readonly hosts: ReadonlySet<string>;
}

const HOST_VALUE = /^(?:[a-z0-9.-]+|\[[0-9a-f:.]+\])(?::\d{1,5})?$/;
const ORIGIN_VALUE = /^https?:\/\/(?:[a-z0-9.-]+|\[[0-9a-f:.]+\])(?::\d{1,5})?$/;
/** Loopback origins as browsers serialise them; the host part is then checked by isLoopbackHost. */
const LOOPBACK_ORIGIN = /^https?:\/\/(localhost|\d{1,3}(?:\.\d{1,3}){3}|\[::1\])(?::(\d{1,5}))?$/;

function checkList(value: unknown, option: string, pattern: RegExp, shape: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new TypeError(`"${option}" must be an array of ${shape}`);
  return value.map((entry) => {
    if (typeof entry !== 'string' || !pattern.test(entry.toLowerCase())) {
      throw new TypeError(`"${option}" entries must be ${shape}`);
    }
    return entry.toLowerCase();
  });
}

/** `host` and `host:port`: a Host header may carry the default port explicitly. */
function hostForms(hostname: string, port: string, defaultPort: string): string[] {
  return port === '' ? [hostname, `${hostname}:${defaultPort}`] : [`${hostname}:${port}`];
}

/**
 * DNS-rebinding protection (MCP: servers MUST validate `Origin`; local servers should check
 * `Host`): an `Origin` that is present and not allowed, or a `Host` that is not allowed, is refused
 * (the caller answers 403). Defaults: for a resource on a loopback host, only the loopback hosts
 * `localhost`, `127.0.0.1` and `[::1]` with the resource's port, and loopback origins
 * (`http(s)://localhost|127.x.x.x|[::1]` on any port); otherwise the resource's own host and
 * origin. `allowedHosts` / `allowedOrigins` add to these. Values are compared as lower-cased
 * strings and never parsed leniently (`http://127.1`, `0x7f.0.0.1` or full-width digits are not
 * loopback). CORS settings never change this policy.
 *
 * @example
 * ```ts
 * const policy = createOriginPolicy({ resource: 'http://127.0.0.1:3000/mcp' });
 * policy.check('127.0.0.1:3000', undefined);               // undefined (allowed)
 * policy.check('evil.example:3000', undefined);            // 'host_not_allowed'
 * policy.check('localhost:3000', 'https://evil.example');  // 'origin_not_allowed'
 * ```
 * @see https://modelcontextprotocol.io/specification/2026-07-28/basic/transports#security-warning
 */
export function createOriginPolicy(options: OriginPolicyOptions): OriginPolicy {
  let resource: URL;
  try {
    resource = new URL(canonicalizeResourceUri(options.resource));
  } catch {
    throw new TypeError('"resource" must be an absolute http(s) URL');
  }
  const extraOrigins = checkList(
    options.allowedOrigins,
    'allowedOrigins',
    ORIGIN_VALUE,
    'origins like "https://app.example.com" (scheme, host and port only)',
  );
  const extraHosts = checkList(
    options.allowedHosts,
    'allowedHosts',
    HOST_VALUE,
    'Host header values like "mcp.example.com" or "mcp.example.com:8443"',
  );
  const loopback = isLoopbackHost(resource.hostname);
  const defaultPort = resource.protocol === 'https:' ? '443' : '80';
  const hosts = new Set<string>(extraHosts);
  if (loopback) {
    for (const name of ['localhost', '127.0.0.1', '[::1]']) {
      for (const h of hostForms(name, resource.port, defaultPort)) hosts.add(h);
    }
  } else {
    for (const h of hostForms(resource.hostname, resource.port, defaultPort)) hosts.add(h);
  }
  const origins = new Set<string>(extraOrigins);
  if (!loopback) origins.add(resource.origin);

  const allowsOrigin = (origin: string): boolean => {
    const lower = origin.toLowerCase();
    if (origins.has(lower)) return true;
    if (!loopback) return false;
    const m = LOOPBACK_ORIGIN.exec(lower);
    if (m === null) return false;
    if (m[2] !== undefined && Number(m[2]) > 65535) return false;
    return isLoopbackHost(m[1]!);
  };
  return {
    loopback,
    hosts,
    allowsOrigin,
    check(host, origin) {
      if (host === undefined || !hosts.has(host.toLowerCase())) return 'host_not_allowed';
      if (origin !== undefined && !allowsOrigin(origin)) return 'origin_not_allowed';
      return undefined;
    },
  };
}
