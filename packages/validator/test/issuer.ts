import { createHmac, createPrivateKey, type KeyObject, sign as nodeSign } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { startHttpServer, type TestHttpServer } from '@mcp-auth/test-utils';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { b64url } from './helpers.js';

export type Mode =
  | { kind: 'ok' }
  | { kind: 'status'; status: number }
  | { kind: 'slow'; ms: number }
  | { kind: 'body'; body: string; contentType?: string }
  | { kind: 'hang' };

/**
 * An issuer whose keys the test holds: serves RFC 8414 metadata and a JWKS on 127.0.0.1, with a
 * switchable failure mode per path, so claim-level rules and faults can be tested precisely.
 */
export interface ControlledIssuer {
  url: string;
  jwksUri: string;
  server: TestHttpServer;
  key: KeyObject;
  kid: string;
  jwks: { keys: JWK[] };
  modes: { jwks: Mode; metadata: Mode; introspect: Mode };
  /** Introspection answers by token (active false when absent). */
  introspection: Map<string, Record<string, unknown>>;
  jwksHits(): number;
  sign(
    payload: Record<string, unknown> | string,
    header?: Record<string, unknown>,
    key?: KeyObject,
  ): string;
  stop(): Promise<void>;
}

export async function rsaKey(): Promise<{ privateKey: KeyObject; jwk: JWK }> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = await exportJWK(publicKey);
  const pkcs8 = await exportJWK(privateKey);
  return { privateKey: createPrivateKey({ key: pkcs8 as never, format: 'jwk' }), jwk };
}

/** Signs header.payload with any algorithm name, RSA (RS, PS) or HMAC (HS) keys, as an attacker would. */
export function signRaw(
  header: Record<string, unknown> | string,
  payload: Record<string, unknown> | string,
  key: KeyObject | Buffer | string,
  how: 'RS256' | 'RS512' | 'PS256' | 'HS256' | 'HS384' | 'HS512' = 'RS256',
): string {
  const input = `${b64url(header)}.${b64url(payload)}`;
  let sig: Buffer;
  if (how.startsWith('HS')) {
    sig = createHmac(`sha${how.slice(2)}`, key as Buffer)
      .update(input)
      .digest();
  } else if (how === 'PS256') {
    sig = nodeSign('sha256', Buffer.from(input), {
      key: key as KeyObject,
      padding: 6,
      saltLength: 32,
    });
  } else {
    sig = nodeSign(`sha${how.slice(2)}`, Buffer.from(input), key as KeyObject);
  }
  return `${input}.${sig.toString('base64url')}`;
}

function answer(res: ServerResponse, mode: Mode, ok: () => string): void | Promise<void> {
  switch (mode.kind) {
    case 'ok':
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(ok());
      return;
    case 'status':
      res.writeHead(mode.status, { 'content-type': 'application/json' });
      res.end('{"error":"server_error"}');
      return;
    case 'body':
      res.writeHead(200, { 'content-type': mode.contentType ?? 'application/json' });
      res.end(mode.body);
      return;
    case 'slow':
      return new Promise((resolve) =>
        setTimeout(() => {
          if (!res.destroyed) {
            res.writeHead(200, { 'content-type': 'application/json' });
            res.end(ok());
          }
          resolve();
        }, mode.ms),
      );
    case 'hang':
      return; // never answers; the server's stop() destroys the socket
  }
}

export async function startControlledIssuer(): Promise<ControlledIssuer> {
  const { privateKey, jwk } = await rsaKey();
  const kid = 'ctl-key-1';
  const jwks = { keys: [{ ...jwk, kid, alg: 'RS256', use: 'sig' }] as JWK[] };
  const modes: ControlledIssuer['modes'] = {
    jwks: { kind: 'ok' },
    metadata: { kind: 'ok' },
    introspect: { kind: 'ok' },
  };
  const introspection = new Map<string, Record<string, unknown>>();
  let jwksHits = 0;
  let url = '';
  const server = await startHttpServer(async (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '').split('?')[0];
    if (path === '/jwks') {
      jwksHits++;
      return answer(res, modes.jwks, () => JSON.stringify(jwks));
    }
    if (path === '/.well-known/oauth-authorization-server') {
      return answer(res, modes.metadata, () =>
        JSON.stringify({
          issuer: url,
          authorization_endpoint: `${url}/authorize`,
          token_endpoint: `${url}/token`,
          jwks_uri: `${url}/jwks`,
          introspection_endpoint: `${url}/introspect`,
          response_types_supported: ['code'],
          code_challenge_methods_supported: ['S256'],
        }),
      );
    }
    if (path === '/introspect' && req.method === 'POST') {
      let body = '';
      for await (const chunk of req) body += chunk;
      const token = new URLSearchParams(body).get('token') ?? '';
      return answer(res, modes.introspect, () =>
        JSON.stringify(introspection.get(token) ?? { active: false }),
      );
    }
    res.writeHead(404).end();
  });
  url = server.url;
  return {
    url,
    jwksUri: `${url}/jwks`,
    server,
    key: privateKey,
    kid,
    jwks,
    modes,
    introspection,
    jwksHits: () => jwksHits,
    sign(payload, header = { alg: 'RS256', typ: 'at+jwt', kid }, key = privateKey) {
      return signRaw(header, payload, key, 'RS256');
    },
    stop: () => server.stop(),
  };
}
