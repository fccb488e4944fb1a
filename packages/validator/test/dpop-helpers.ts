import { createDpopProof, type DevAuthServer } from '@mcp-auth/dev-auth-server';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { RESOURCE } from './helpers.js';

export type KeyPair = Awaited<ReturnType<typeof generateKeyPair>>;

export const newKeyPair = (alg = 'ES256'): Promise<KeyPair> =>
  generateKeyPair(alg, { extractable: true });

/** A DPoP-bound access token for `keyPair` from the real local AS (client credentials). */
export async function boundToken(
  as: DevAuthServer,
  keyPair: KeyPair,
  resource = RESOURCE,
): Promise<string> {
  const t = await as.getDpopToken({ keyPair, resource, scope: 'mcp:read mcp:write' });
  return t.access_token as string;
}

/** A request as node's adapters and the gate hand it over: method, path, headers. */
export function dpopRequest(
  token: string,
  proof: string | string[] | undefined,
  o: { method?: string; url?: string; scheme?: string } = {},
) {
  const rawHeaders = ['Authorization', `${o.scheme ?? 'DPoP'} ${token}`];
  for (const p of proof === undefined ? [] : Array.isArray(proof) ? proof : [proof]) {
    rawHeaders.push('DPoP', p);
  }
  const headers: Record<string, string> = {};
  for (let i = 0; i < rawHeaders.length; i += 2) {
    headers[rawHeaders[i]!.toLowerCase()] ??= rawHeaders[i + 1]!;
  }
  return { method: o.method ?? 'POST', url: o.url ?? '/mcp', headers, rawHeaders };
}

/** A proof for POST /mcp bound to `token`, with overrides. */
export function proofFor(
  keyPair: KeyPair,
  token: string | undefined,
  o: { htm?: string; htu?: string; iat?: number; nonce?: string } = {},
): Promise<string> {
  return createDpopProof(keyPair, {
    htm: o.htm ?? 'POST',
    htu: o.htu ?? RESOURCE,
    ...(token === undefined ? {} : { accessToken: token }),
    ...(o.iat === undefined ? {} : { iat: o.iat }),
    ...(o.nonce === undefined ? {} : { nonce: o.nonce }),
  });
}

/** A proof with a hand-made header and payload, signed by `keyPair` (or unsigned for `none`). */
export async function craftedProof(
  keyPair: KeyPair,
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
): Promise<string> {
  const jwk = await exportJWK(keyPair.publicKey);
  const h = { typ: 'dpop+jwt', alg: 'ES256', jwk, ...header };
  if (h.alg === 'none') {
    const enc = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    return `${enc(h)}.${enc(payload)}.`;
  }
  if (h.alg === 'HS256') {
    return new SignJWT(payload)
      .setProtectedHeader(h as { alg: string })
      .sign(new TextEncoder().encode('a shared secret of thirty-two bytes!!'));
  }
  return new SignJWT(payload).setProtectedHeader(h as { alg: string }).sign(keyPair.privateKey);
}

/** Standard proof claims for POST /mcp. */
export async function proofClaims(token: string, extra: Record<string, unknown> = {}) {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(token));
  return {
    htm: 'POST',
    htu: RESOURCE,
    jti: crypto.randomUUID(),
    iat: Math.floor(Date.now() / 1000),
    ath: Buffer.from(digest).toString('base64url'),
    ...extra,
  };
}
