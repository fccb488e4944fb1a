/**
 * The authorization extensions against purpose-built servers on 127.0.0.1: client credentials,
 * private_key_jwt (RFC 7523), workload identity (JWT bearer), enterprise-managed authorization
 * (token exchange for an ID-JAG, then JWT bearer) and DPoP (RFC 9449).
 */
import {
  createHash,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  verify as verifySignature,
} from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHttpServer, type TestHttpServer } from '@mcp-auth/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { authorize, runCli } from '../src/index.js';
import { AuthSession } from '../src/internal/session.js';
import { type FakeAnswer, type FakeAs, json, startFakeAs, startFakeResource } from './helpers.js';

const servers: TestHttpServer[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function fakeAs(o: Parameters<typeof startFakeAs>[0] = {}): Promise<FakeAs> {
  const as = await startFakeAs(o);
  servers.push(as);
  return as;
}

async function fakeResource(o: Parameters<typeof startFakeResource>[0]) {
  const rs = await startFakeResource(o);
  servers.push(rs);
  return rs;
}

const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const ID_JAG = 'urn:ietf:params:oauth:token-type:id-jag';

function decodePart(jwt: string, i: 0 | 1): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[i]!, 'base64url').toString('utf8'));
}

/** Verifies a compact JWS with a public key (ES256 signatures are r||s). */
function verifyJws(jwt: string, key: KeyObject): boolean {
  const [h, p, sig] = jwt.split('.');
  const alg = decodePart(jwt, 0).alg;
  return verifySignature(
    'sha256',
    Buffer.from(`${h}.${p}`),
    alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' } : key,
    Buffer.from(sig!, 'base64url'),
  );
}

const token = (extra: Record<string, unknown> = {}): FakeAnswer => ({
  status: 200,
  body: {
    access_token: 'machine-token-0123456789',
    token_type: 'Bearer',
    expires_in: 300,
    ...extra,
  },
});

describe('client credentials (machine to machine, no browser)', () => {
  it('client_secret_basic: grant_type, resource and scope, nothing else asked of a person', async () => {
    const as = await fakeAs({ token: () => token() });
    const rs = await fakeResource({ authorizationServer: () => as.issuer });
    const result = await authorize(rs.serverUrl, {
      grant: 'client_credentials',
      clientId: 'mcp-service',
      clientSecret: 'service-secret',
    });
    expect(result.tokens.accessToken).toBe('machine-token-0123456789');
    expect(Object.fromEntries(as.tokenRequests[0]!)).toEqual({
      grant_type: 'client_credentials',
      resource: rs.serverUrl,
      scope: 'mcp:read',
    });
    expect(as.tokenHeaders[0]!.authorization).toBe(
      `Basic ${Buffer.from('mcp-service:service-secret').toString('base64')}`,
    );
    expect(as.authorizeRequests).toHaveLength(0);
    expect(as.registrations).toHaveLength(0);
    expect(result.report.steps.map((s) => s.id)).toEqual([
      'probe',
      'resource_metadata',
      'authorization_server',
      'client',
      'scope',
      'token',
    ]);
  });

  it.each([
    ['ES256', () => generateKeyPairSync('ec', { namedCurve: 'P-256' })],
    ['RS256', () => generateKeyPairSync('rsa', { modulusLength: 2048 })],
  ] as const)(
    'private_key_jwt with an %s key from PEM: a client assertion the server verifies',
    async (alg, make) => {
      const { privateKey, publicKey } = make();
      const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
      let assertion = '';
      const as = await fakeAs({
        token: (body) => {
          assertion = body.get('client_assertion') ?? '';
          const ok =
            body.get('client_assertion_type') ===
              'urn:ietf:params:oauth:client-assertion-type:jwt-bearer' &&
            verifyJws(assertion, publicKey);
          return ok ? token() : { status: 401, body: { error: 'invalid_client' } };
        },
      });
      const rs = await fakeResource({ authorizationServer: () => as.issuer });
      const result = await authorize(rs.serverUrl, {
        grant: 'client_credentials',
        clientId: 'mcp-service-jwt',
        privateKey: pem,
        privateKeyId: 'key-1',
      });
      expect(result.client.tokenEndpointAuthMethod).toBe('private_key_jwt');
      expect(decodePart(assertion, 0)).toEqual({ alg, kid: 'key-1' });
      const claims = decodePart(assertion, 1);
      expect(claims).toMatchObject({
        iss: 'mcp-service-jwt',
        sub: 'mcp-service-jwt',
        aud: as.issuer,
      });
      expect((claims.exp as number) - (claims.iat as number)).toBe(60);
      expect(typeof claims.jti).toBe('string');
      expect(as.tokenHeaders[0]!.authorization).toBeUndefined();
      expect(JSON.stringify(result.report)).not.toContain(assertion.split('.')[2]);
    },
  );

  it.each([
    ['not PEM', 'not a key', '"privateKey" must be a PEM private key (PKCS#8, SEC1 or PKCS#1)'],
    [
      'a P-384 key',
      generateKeyPairSync('ec', { namedCurve: 'P-384' })
        .privateKey.export({ type: 'pkcs8', format: 'pem' })
        .toString(),
      '"privateKey" must be a P-256 EC key (ES256) or an RSA key of at least 2048 bits (RS256)',
    ],
  ])('a bad private key (%s): TypeError at construction', async (_, pem, message) => {
    await expect(
      authorize('http://127.0.0.1:1/mcp', {
        grant: 'client_credentials',
        clientId: 'c',
        privateKey: pem,
      }),
    ).rejects.toThrow(new TypeError(message));
  });

  it('the CLI: --grant client_credentials --private-key <file> (RS256): the token step passes, the key never printed', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const dir = await mkdtemp(join(tmpdir(), 'tc-ext-'));
    dirs.push(dir);
    const file = join(dir, 'key.pem');
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    await writeFile(file, pem, { mode: 0o600 });
    const as = await fakeAs({
      token: (body) =>
        verifyJws(body.get('client_assertion') ?? '', publicKey)
          ? token()
          : { status: 401, body: { error: 'invalid_client' } },
    });
    const rs = await fakeResource({ authorizationServer: () => as.issuer });
    const out: string[] = [];
    const code = await runCli(
      [
        rs.serverUrl,
        '--grant',
        'client_credentials',
        '--client-id',
        'svc',
        '--private-key',
        file,
        '--json',
      ],
      {
        stdout: { write: (c: string) => out.push(c) },
        stderr: { write: (c: string) => out.push(c) },
      },
    );
    // The fake resource speaks no MCP: the flow fails after the token, at the connection.
    const report = JSON.parse(out.join('')) as { steps: { id: string; status: string }[] };
    expect(report.steps.find((s) => s.id === 'token')!.status).toBe('ok');
    expect(code).toBe(1);
    expect(out.join('')).not.toContain(pem.split('\n')[1]!);
  });
});

describe('workload identity (JWT bearer grant)', () => {
  it('sends the workload token as assertion with resource and scope', async () => {
    const as = await fakeAs({ token: () => token() });
    const rs = await fakeResource({ authorizationServer: () => as.issuer });
    const workload = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ3b3JrbG9hZCJ9.c2lnbmF0dXJl';
    const result = await authorize(rs.serverUrl, {
      grant: 'jwt_bearer',
      clientId: 'workload-client',
      assertion: workload,
    });
    expect(Object.fromEntries(as.tokenRequests[0]!)).toEqual({
      grant_type: JWT_BEARER,
      assertion: workload,
      resource: rs.serverUrl,
      scope: 'mcp:read',
      client_id: 'workload-client',
    });
    expect(JSON.stringify(result.report)).not.toContain(workload);
  });

  it.each(['invalid_grant', 'invalid_scope', 'unauthorized_client'])(
    '%s is surfaced as it came: one request, no retry, no other grant',
    async (error) => {
      const as = await fakeAs({
        token: () => ({ status: 400, body: { error, error_description: `${error} here` } }),
      });
      const rs = await fakeResource({ authorizationServer: () => as.issuer });
      await expect(
        authorize(rs.serverUrl, { grant: 'jwt_bearer', clientId: 'w', assertion: 'a.b.c' }),
      ).rejects.toMatchObject({
        code: 'ERR_TOKEN_REQUEST_FAILED',
        oauthError: error,
        status: 400,
        message: `The JWT bearer (workload identity) grant was refused: 400 error=${error} (${error} here)`,
      });
      expect(as.tokenRequests).toHaveLength(1);
      expect(as.authorizeRequests).toHaveLength(0);
      expect(as.registrations).toHaveLength(0);
    },
  );
});

/** An enterprise IdP: a token endpoint that exchanges an ID token for an ID-JAG. */
async function fakeIdp(answer: (body: URLSearchParams, req: IncomingMessage) => FakeAnswer) {
  const bodies: URLSearchParams[] = [];
  const idp = await startHttpServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
    bodies.push(body);
    const a = answer(body, req);
    json(res, a.status, a.body);
  });
  servers.push(idp);
  return Object.assign(idp, { bodies, tokenEndpoint: `${idp.url}/token` });
}

describe('enterprise-managed authorization (ID token → ID-JAG → JWT bearer)', () => {
  it('exchanges the ID token at the IdP for an ID-JAG, then presents it at the MCP server AS', async () => {
    const idp = await fakeIdp(() => ({
      status: 200,
      body: {
        access_token: 'id-jag-0123456789',
        issued_token_type: ID_JAG,
        token_type: 'N_A',
        expires_in: 300,
      },
    }));
    const as = await fakeAs({ token: () => token() });
    const rs = await fakeResource({ authorizationServer: () => as.issuer });
    const result = await authorize(rs.serverUrl, {
      grant: 'enterprise',
      clientId: 'mcp-client-at-as',
      clientSecret: 'as-secret',
      idToken: 'id-token-0123456789',
      idpTokenEndpoint: idp.tokenEndpoint,
      idpClientId: 'mcp-client-at-idp',
      idpClientSecret: 'idp-secret',
    });
    expect(Object.fromEntries(idp.bodies[0]!)).toEqual({
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      requested_token_type: ID_JAG,
      subject_token: 'id-token-0123456789',
      subject_token_type: 'urn:ietf:params:oauth:token-type:id_token',
      audience: as.issuer,
      resource: rs.serverUrl,
      scope: 'mcp:read',
    });
    expect(idp.requests[0]!.headers.authorization).toBe(
      `Basic ${Buffer.from('mcp-client-at-idp:idp-secret').toString('base64')}`,
    );
    expect(Object.fromEntries(as.tokenRequests[0]!)).toEqual({
      grant_type: JWT_BEARER,
      assertion: 'id-jag-0123456789',
      resource: rs.serverUrl,
      scope: 'mcp:read',
    });
    expect(result.report.steps.map((s) => s.id)).toContain('token_exchange');
    const text = JSON.stringify(result.report);
    for (const secret of ['id-jag-0123456789', 'id-token-0123456789', 'idp-secret', 'as-secret']) {
      expect(text).not.toContain(secret);
    }
  });

  it.each<[string, FakeAnswer, Record<string, unknown>]>([
    [
      'the IdP refuses',
      { status: 400, body: { error: 'invalid_grant', error_description: 'id token expired' } },
      {
        oauthError: 'invalid_grant',
        status: 400,
        message:
          'The enterprise IdP refused the token exchange: 400 error=invalid_grant (id token expired)',
      },
    ],
    [
      'the IdP issues an access token instead of an ID-JAG',
      {
        status: 200,
        body: {
          access_token: 'x',
          issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
        },
      },
      {
        message:
          'The token exchange issued "urn:ietf:params:oauth:token-type:access_token", not an identity assertion (urn:ietf:params:oauth:token-type:id-jag)',
      },
    ],
  ])(
    '%s: ERR_TOKEN_EXCHANGE_FAILED, nothing sent to the MCP server AS',
    async (_, answer, expected) => {
      const idp = await fakeIdp(() => answer);
      const as = await fakeAs({ token: () => token() });
      const rs = await fakeResource({ authorizationServer: () => as.issuer });
      await expect(
        authorize(rs.serverUrl, {
          grant: 'enterprise',
          clientId: 'c',
          idToken: 'id-token-0123456789',
          idpTokenEndpoint: idp.tokenEndpoint,
        }),
      ).rejects.toMatchObject({ code: 'ERR_TOKEN_EXCHANGE_FAILED', ...expected });
      expect(as.tokenRequests).toHaveLength(0);
    },
  );
});

describe('DPoP (RFC 9449)', () => {
  /** Checks a DPoP proof: typ, ES256 signature by its own jwk, htm, htu, and returns its claims. */
  function checkProof(proof: string, htm: string, htu: string): Record<string, unknown> {
    const header = decodePart(proof, 0);
    expect(header).toMatchObject({
      typ: 'dpop+jwt',
      alg: 'ES256',
      jwk: { kty: 'EC', crv: 'P-256' },
    });
    expect((header.jwk as Record<string, unknown>).d).toBeUndefined();
    const key = createPublicKey({ key: header.jwk as never, format: 'jwk' });
    expect(verifyJws(proof, key)).toBe(true);
    const claims = decodePart(proof, 1);
    expect(claims).toMatchObject({ htm, htu });
    expect(typeof claims.jti).toBe('string');
    expect(typeof claims.iat).toBe('number');
    return claims;
  }

  it('a proof on the token request, the AS nonce honoured, then Authorization: DPoP with ath and the RS nonce', async () => {
    const as = await fakeAs({
      token: (_, _headers, n) =>
        n === 1
          ? {
              status: 400,
              body: { error: 'use_dpop_nonce' },
              headers: { 'dpop-nonce': 'as-nonce-1' },
            }
          : token({ token_type: 'DPoP' }),
    });
    // A recording MCP server: asks for a nonce once, then accepts a DPoP-bound request.
    const seen: { authorization?: string; dpop?: string }[] = [];
    let prmUrl = '';
    const mcp = await startHttpServer((req, res) => {
      if (req.url?.startsWith('/.well-known/oauth-protected-resource')) {
        json(res, 200, { resource: `${mcp.url}/mcp`, authorization_servers: [as.issuer] });
        return;
      }
      const auth = req.headers.authorization;
      if (!auth) {
        res.writeHead(401, { 'www-authenticate': `Bearer resource_metadata="${prmUrl}"` }).end();
        return;
      }
      seen.push({ authorization: auth, dpop: req.headers.dpop as string });
      const proof = decodePart(String(req.headers.dpop), 1);
      if (proof.nonce !== 'rs-nonce-1') {
        res
          .writeHead(401, {
            'www-authenticate': 'DPoP error="use_dpop_nonce", error_description="nonce needed"',
            'dpop-nonce': 'rs-nonce-1',
          })
          .end();
        return;
      }
      json(res, 200, { ok: true });
    });
    servers.push(mcp);
    prmUrl = `${mcp.url}/.well-known/oauth-protected-resource/mcp`;
    const session = new AuthSession(`${mcp.url}/mcp`, {
      grant: 'client_credentials',
      clientId: 'svc',
      clientSecret: 'svc-secret',
      dpop: true,
    });
    try {
      const probe = await session.probe({ requireChallenge: true });
      await session.discover(probe.challenge);
      await session.authorizeOnce({ challengeScope: undefined });
      // The token requests: the first without a nonce, refused; the second with the AS's nonce.
      const tokenProofs = as.tokenHeaders.map((h) => String(h.dpop));
      expect(tokenProofs).toHaveLength(2);
      expect(checkProof(tokenProofs[0]!, 'POST', `${as.issuer}/token`).nonce).toBeUndefined();
      expect(checkProof(tokenProofs[1]!, 'POST', `${as.issuer}/token`).nonce).toBe('as-nonce-1');
      expect(session.tokens).toMatchObject({
        accessToken: 'machine-token-0123456789',
        tokenType: 'dpop',
      });

      const res = await session.transportFetch(`${mcp.url}/mcp?x=1`, {
        method: 'POST',
        body: '{}',
      });
      expect(res.status).toBe(200);
      expect(seen).toHaveLength(2);
      const ath = createHash('sha256').update('machine-token-0123456789').digest('base64url');
      for (const [i, s] of seen.entries()) {
        expect(s.authorization).toBe('DPoP machine-token-0123456789');
        const claims = checkProof(s.dpop!, 'POST', `${mcp.url}/mcp`);
        expect(claims.ath).toBe(ath);
        expect(claims.nonce).toBe(i === 0 ? undefined : 'rs-nonce-1');
      }
      // The same key for the AS and the RS proofs (the token is bound to it).
      expect(decodePart(seen[0]!.dpop!, 0).jwk).toEqual(decodePart(tokenProofs[0]!, 0).jwk);
    } finally {
      await session.close();
    }
  });

  it('--dpop with a token store: nothing written, stored tokens not used (the key lives for one run)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tc-dpop-store-'));
    dirs.push(dir);
    const tokenStore = join(dir, 'tokens.json');
    const as = await fakeAs({ token: () => token() });
    const rs = await fakeResource({ authorizationServer: () => as.issuer });
    const base = {
      grant: 'client_credentials',
      clientId: 's',
      clientSecret: 'x',
      tokenStore,
    } as const;
    await authorize(rs.serverUrl, { ...base, dpop: true });
    await expect(readFile(tokenStore)).rejects.toMatchObject({ code: 'ENOENT' });
    await authorize(rs.serverUrl, base); // a Bearer token, stored
    const result = await authorize(rs.serverUrl, { ...base, dpop: true });
    expect(result.report.steps.find((s) => s.id === 'token_store')).toMatchObject({
      status: 'skip',
      notes: ['--dpop: stored tokens are not used (the DPoP key lives for one run)'],
    });
    expect(as.tokenRequests).toHaveLength(3);
  });

  it('a DPoP token without --dpop is refused; a Bearer token with --dpop is used as Bearer (noted)', async () => {
    const as = await fakeAs({ token: () => token({ token_type: 'DPoP' }) });
    const rs = await fakeResource({ authorizationServer: () => as.issuer });
    await expect(
      authorize(rs.serverUrl, { grant: 'client_credentials', clientId: 's', clientSecret: 'x' }),
    ).rejects.toMatchObject({
      code: 'ERR_TOKEN_REQUEST_FAILED',
      message:
        'The token endpoint issued a dpop token; this client speaks Bearer only (DPoP with --dpop)',
    });
    const bearer = await fakeAs({ token: () => token() });
    const rs2 = await fakeResource({ authorizationServer: () => bearer.issuer });
    const result = await authorize(rs2.serverUrl, {
      grant: 'client_credentials',
      clientId: 's',
      clientSecret: 'x',
      dpop: true,
    });
    // A DPoP proof (a compact JWS) went with the token request.
    expect(bearer.tokenHeaders[0]!.dpop).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(result.report.steps.find((s) => s.id === 'token')!.notes).toContain(
      'a DPoP proof was sent, but the token is a Bearer token: it is sent as Bearer',
    );
  });
});
