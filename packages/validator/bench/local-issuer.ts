/**
 * A minimal issuer for the benchmarks that need tokens the real authorization server cannot mint
 * fast enough (100,000 for the storm) or in every algorithm at once: RFC 8414 metadata and a JWKS
 * on loopback, and RFC 9068 access tokens signed here with `node:crypto` (RS256, ES256, EdDSA).
 * The validator discovers and fetches it over real HTTP like any issuer.
 */
import { generateKeyPairSync, type KeyObject, randomUUID, sign } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export type BenchAlg = 'RS256' | 'ES256' | 'EdDSA';

interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  hash: string | null;
  dsaEncoding?: 'ieee-p1363';
}

function makeKey(alg: BenchAlg): SigningKey {
  const kid = `bench-${alg.toLowerCase()}`;
  if (alg === 'RS256') {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    return { kid, privateKey, publicKey, hash: 'sha256' };
  }
  if (alg === 'ES256') {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    return { kid, privateKey, publicKey, hash: 'sha256', dsaEncoding: 'ieee-p1363' };
  }
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { kid, privateKey, publicKey, hash: null };
}

const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64url');

export interface LocalIssuer {
  issuer: string;
  /** Signs a new access token (a fresh `jti`: every token is new to the validator). */
  mint(alg: BenchAlg, resource: string): string;
  /** The public key of `alg` (the baseline's raw `crypto.verify` and jose use the same one). */
  publicKey(alg: BenchAlg): KeyObject;
  stop(): Promise<void>;
}

export async function startLocalIssuer(): Promise<LocalIssuer> {
  const keys = new Map<BenchAlg, SigningKey>(
    (['RS256', 'ES256', 'EdDSA'] as const).map((alg) => [alg, makeKey(alg)]),
  );
  let issuer = '';
  const server = createServer((req, res) => {
    let body: unknown;
    if (req.url === '/.well-known/oauth-authorization-server') {
      body = {
        issuer,
        jwks_uri: `${issuer}/jwks`,
        authorization_endpoint: `${issuer}/authorize`,
        token_endpoint: `${issuer}/token`,
        response_types_supported: ['code'],
        grant_types_supported: ['authorization_code', 'client_credentials'],
        code_challenge_methods_supported: ['S256'],
      };
    } else if (req.url === '/jwks') {
      body = {
        keys: [...keys].map(([alg, k]) => ({
          ...k.publicKey.export({ format: 'jwk' }),
          kid: k.kid,
          alg,
          use: 'sig',
        })),
      };
    }
    if (body === undefined) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  server.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const headers = new Map(
    [...keys].map(([alg, k]) => [alg, b64(JSON.stringify({ alg, kid: k.kid, typ: 'at+jwt' }))]),
  );
  return {
    get issuer() {
      return issuer;
    },
    mint(alg, resource) {
      const k = keys.get(alg)!;
      const now = Math.floor(Date.now() / 1000);
      const payload = b64(
        JSON.stringify({
          iss: issuer,
          sub: 'bench-user',
          aud: resource,
          client_id: 'bench-client',
          scope: 'mcp:read mcp:write',
          iat: now,
          exp: now + 3600,
          jti: randomUUID(),
        }),
      );
      const input = `${headers.get(alg)}.${payload}`;
      const key = k.dsaEncoding ? { key: k.privateKey, dsaEncoding: k.dsaEncoding } : k.privateKey;
      return `${input}.${sign(k.hash, Buffer.from(input), key).toString('base64url')}`;
    },
    publicKey: (alg) => keys.get(alg)!.publicKey,
    stop: () => new Promise((r) => server.close(() => r())),
  };
}
