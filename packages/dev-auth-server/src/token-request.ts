import { createClientAssertion, type PrivateKeyJwtKey } from './client-assertion.js';
import type { ServerContext } from './context.js';
import { createDpopProof, type DpopKeyPair } from './dpop.js';
import { type ClientCredentials, postForm } from './flows.js';

/**
 * One token endpoint request as the helpers make it: client authentication (a secret, an RFC 7523
 * assertion, or none), and a DPoP proof when a key pair is given. A `use_dpop_nonce` answer is
 * retried once with the nonce the server sent (RFC 9449 §8); the last nonce is remembered.
 */

/** Who the helper authenticates as. */
export interface ClientChoice {
  clientId?: string | undefined;
  clientSecret?: string | undefined;
  privateKeyJwt?: PrivateKeyJwtKey | undefined;
}

/**
 * The credentials for one request: an assertion with `privateKeyJwt` (or the built-in
 * `mcp-service-jwt` key), else the secret given or known for the client, else none (public client).
 * Assertions are single-use: make one per request.
 */
export async function resolveClient(
  s: ServerContext,
  o: ClientChoice,
  fallback: string,
): Promise<ClientCredentials> {
  const clientId = o.clientId ?? fallback;
  const builtinKey =
    clientId === s.clients.info.serviceJwt.clientId && o.clientSecret === undefined
      ? { key: s.clients.info.serviceJwt.privateJwk, alg: 'ES256' }
      : undefined;
  const key = o.privateKeyJwt ?? builtinKey;
  if (key) {
    return {
      clientId,
      clientAssertion: await createClientAssertion({ ...key, clientId, audience: s.issuer }),
    };
  }
  return { clientId, clientSecret: o.clientSecret ?? s.clients.secrets.get(clientId) };
}

export async function tokenRequest(
  s: ServerContext,
  url: string,
  params: Record<string, string | undefined>,
  who: ClientChoice,
  fallbackClient: string,
  dpop?: DpopKeyPair,
): Promise<{ status: number; body: unknown; headers: Headers }> {
  for (let attempt = 0; ; attempt++) {
    const client = await resolveClient(s, who, fallbackClient);
    if (!dpop) return postForm(url, params, client);
    const nonce = s.dpopNonce;
    const proof = await createDpopProof(dpop, {
      htm: 'POST',
      htu: url,
      ...(nonce ? { nonce } : {}),
    });
    const r = await postForm(url, params, client, { dpop: proof });
    const next = r.headers.get('dpop-nonce');
    if (next) s.dpopNonce = next;
    const error = (r.body as { error?: unknown } | undefined)?.error;
    if (attempt === 0 && r.status === 400 && error === 'use_dpop_nonce' && next) continue;
    return r;
  }
}
