import { discoverAuthorizationServer } from '@mcp-auth/discovery';

/** How the authorization server looks from here: reachable now, known from a fresh check, or not. */
export type AuthServerReadiness = 'ok' | 'cached' | 'down';

/**
 * Readiness of the authorization server for `/health/ready`: its metadata is discovered and its
 * JWKS fetched (2 s each, at most once every `intervalMs`); when that fails but a check succeeded
 * within `freshMs` (the validator's JWKS cache life, 300 s by default) the keys it holds are still
 * fresh: `cached`, still ready. Otherwise `down`.
 */
export function createAuthServerReadiness(o: {
  issuer: string;
  fetch: typeof fetch | undefined;
  allowHttp: boolean;
  now: () => number;
  intervalMs?: number;
  freshMs?: number;
}): () => Promise<AuthServerReadiness> {
  const intervalMs = o.intervalMs ?? 10_000;
  const freshMs = o.freshMs ?? 300_000;
  const fetchImpl = o.fetch ?? fetch;
  let lastOk = Number.NEGATIVE_INFINITY;
  let last: { at: number; result: AuthServerReadiness } | undefined;
  let running: Promise<AuthServerReadiness> | undefined;

  async function probe(): Promise<boolean> {
    try {
      const { metadata } = await discoverAuthorizationServer(o.issuer, {
        fetch: (input, init) => fetchImpl(input, { ...init, signal: AbortSignal.timeout(2_000) }),
        ...(o.allowHttp ? { allowInsecureHttpForLoopback: true } : {}),
        // Readiness asks "reachable", not "fit for the browser flow".
        requirePkceS256: false,
      });
      const jwksUri = metadata.jwks_uri;
      if (typeof jwksUri !== 'string') return true; // Opaque tokens only: metadata is enough.
      const res = await fetchImpl(jwksUri, { signal: AbortSignal.timeout(2_000) });
      const body = (await res.json()) as { keys?: unknown };
      return res.ok && Array.isArray(body.keys);
    } catch {
      return false;
    }
  }

  return () => {
    const now = o.now();
    if (last !== undefined && now - last.at < intervalMs) return Promise.resolve(last.result);
    running ??= probe().then((ok) => {
      const at = o.now();
      if (ok) lastOk = at;
      const result: AuthServerReadiness = ok ? 'ok' : at - lastOk < freshMs ? 'cached' : 'down';
      last = { at, result };
      running = undefined;
      return result;
    });
    return running;
  };
}
