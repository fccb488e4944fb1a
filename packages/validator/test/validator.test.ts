import type { DevAuthServer } from '@mcp-auth/dev-auth-server';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTokenValidator, type TokenValidator } from '../src/index.js';
import {
  b64url,
  decodeJwt,
  OPAQUE_RESOURCE,
  OTHER_RESOURCE,
  RESOURCE,
  rejectsWith,
  serviceToken,
  startAuthServer,
  validatorFor,
} from './helpers.js';

let as: DevAuthServer;
const open: TokenValidator[] = [];
function v(o: Parameters<typeof validatorFor>[1] = {}): TokenValidator {
  const validator = validatorFor(as, o);
  open.push(validator);
  return validator;
}
function introspection(o: Record<string, unknown> = {}) {
  return {
    endpoint: as.metadata.introspection_endpoint as string,
    clientId: as.clients.introspector.clientId,
    clientSecret: as.clients.introspector.clientSecret,
    ...o,
  };
}

beforeAll(async () => {
  as = await startAuthServer();
});
afterAll(async () => {
  await Promise.all(open.map((x) => x.close()));
  await as?.stop();
});

describe('JWT access tokens from the local authorization server', () => {
  it('returns the MCP SDK AuthInfo shape', async () => {
    const token = await serviceToken(as);
    const auth = await v().validate(token);
    expect(auth.token).toBe(token);
    expect(auth.clientId).toBe('mcp-service');
    expect(auth.scopes).toEqual(['mcp:read', 'mcp:write']);
    expect(auth.resource).toBeInstanceOf(URL);
    expect(auth.resource?.href).toBe(RESOURCE);
    expect(typeof auth.expiresAt).toBe('number');
    expect(auth.expiresAt).toBeGreaterThan(Date.now() / 1000);
    expect(auth.extra).toMatchObject({
      subject: 'mcp-service',
      issuer: as.issuer,
      tokenType: 'jwt',
    });
    expect((auth.extra!.claims as Record<string, unknown>).aud).toBe(RESOURCE);
    expect(Object.isFrozen(auth)).toBe(true);
    expect(Object.isFrozen(auth.scopes)).toBe(true);
  });

  it('accepts a resource configured with another case and default port (canonicalisation)', async () => {
    const token = await serviceToken(as);
    const auth = await v({ resource: 'HTTP://127.0.0.1:3000/mcp' }).validate(token);
    expect(auth.resource?.href).toBe(RESOURCE);
  });

  it('rejects a token for another resource on the same server, unless acceptedAudiences lists it', async () => {
    const token = await serviceToken(as, OTHER_RESOURCE);
    await rejectsWith(v().validate(token), 'ERR_AUDIENCE_MISMATCH');
    const auth = await v({ acceptedAudiences: [OTHER_RESOURCE] }).validate(token);
    expect(auth.clientId).toBe('mcp-service');
  });

  it('403 insufficient_scope lists every required scope', async () => {
    const token = await serviceToken(as, RESOURCE, 'mcp:read');
    const validator = v({ requiredScopes: ['mcp:read', 'mcp:write'] });
    const err = await rejectsWith(validator.validate(token), 'ERR_INSUFFICIENT_SCOPE');
    expect(err.status).toBe(403);
    expect(err.error).toBe('insufficient_scope');
    expect(err.requiredScopes).toEqual(['mcp:read', 'mcp:write']);
    const challenge = (err as unknown as { challenge(o: object): string }).challenge({
      resourceMetadata: validator.resourceMetadataUrl,
    });
    expect(challenge).toBe(
      `Bearer error="insufficient_scope", scope="mcp:read mcp:write", resource_metadata="${validator.resourceMetadataUrl}", error_description="The token lacks a required scope"`,
    );
  });

  it('per-call requiredScopes add to the validator scopes (cached and uncached paths)', async () => {
    const token = await serviceToken(as, RESOURCE, 'mcp:read mcp:write');
    const validator = v({ requiredScopes: ['mcp:read'] });
    await expect(
      validator.validate(token, { requiredScopes: ['mcp:write'] }),
    ).resolves.toBeTruthy();
    const err = await rejectsWith(
      validator.validate(token, { requiredScopes: ['mcp:admin'] }),
      'ERR_INSUFFICIENT_SCOPE',
    );
    expect(err.requiredScopes).toEqual(['mcp:read', 'mcp:admin']);
    const fresh = await serviceToken(as, RESOURCE, 'mcp:read');
    const err2 = await rejectsWith(
      validator.validate(fresh, { requiredScopes: ['mcp:write'] }),
      'ERR_INSUFFICIENT_SCOPE',
    );
    expect(err2.requiredScopes).toEqual(['mcp:read', 'mcp:write']);
  });

  it('1,000 concurrent validations of one new token cause exactly one signature verification', async () => {
    const token = await serviceToken(as);
    const validator = v();
    // Both signature backends: node:crypto on Node (found at run time), WebCrypto elsewhere.
    const nodeCrypto = process.getBuiltinModule('node:crypto') as typeof import('node:crypto');
    const nodeVerify = vi.spyOn(nodeCrypto, 'verify');
    const webVerify = vi.spyOn(globalThis.crypto.subtle, 'verify');
    const verifications = () => nodeVerify.mock.calls.length + webVerify.mock.calls.length;
    const results = await Promise.all(
      Array.from({ length: 1000 }, () => validator.validate(token)),
    );
    expect(new Set(results).size).toBe(1);
    expect(validator.stats().jwtVerifications).toBe(1);
    expect(verifications()).toBe(1);
    // and the next one comes from memory
    await validator.validate(token);
    expect(verifications()).toBe(1);
  });

  it('a cached token returns the same settled promise (no extra work)', async () => {
    const token = await serviceToken(as);
    const validator = v();
    await validator.validate(token);
    const p1 = validator.validate(token);
    const p2 = validator.validate(token);
    expect(p1).toBe(p2);
    expect(validator.stats().jwtVerifications).toBe(1);
  });

  it('rejections are cached briefly: a bad token is verified once', async () => {
    const token = await serviceToken(as, OTHER_RESOURCE);
    const validator = v();
    await rejectsWith(validator.validate(token), 'ERR_AUDIENCE_MISMATCH');
    await rejectsWith(validator.validate(token), 'ERR_AUDIENCE_MISMATCH');
    expect(validator.stats().jwtVerifications).toBe(1);
  });

  it('a cached entry ends at exp (plus the clock tolerance) even when the cache TTL is longer', async () => {
    const token = await serviceToken(as);
    let offset = 0;
    // Keys fresh for a day too: a JWT result never outlives the keys that verified it.
    const validator = v({
      now: () => Date.now() + offset,
      cache: { ttlSeconds: 86_400 },
      jwt: { jwksCacheMaxAgeSeconds: 86_400 },
    });
    const auth = await validator.validate(token);
    offset = (auth.expiresAt! + 29) * 1000 - Date.now();
    await expect(validator.validate(token)).resolves.toBe(auth); // within the 30 s clock tolerance
    offset = (auth.expiresAt! + 31) * 1000 - Date.now();
    await rejectsWith(validator.validate(token), 'ERR_TOKEN_EXPIRED');
  });

  it('a token older than maxTokenAgeSeconds is refused', async () => {
    const token = await serviceToken(as);
    let offset = 0;
    const validator = v({ now: () => Date.now() + offset, jwt: { maxTokenAgeSeconds: 60 } });
    offset = 120_000;
    await rejectsWith(validator.validate(token), 'ERR_TOKEN_TOO_OLD');
  });

  it('the validator never sees the token in error messages', async () => {
    const token = await serviceToken(as, OTHER_RESOURCE);
    const err = await rejectsWith(v().validate(token), 'ERR_AUDIENCE_MISMATCH');
    expect(JSON.stringify({ m: err.message, s: String(err) })).not.toContain(token.split('.')[2]!);
  });
});

describe('customValidator', () => {
  it('may enrich the result', async () => {
    const token = await serviceToken(as);
    const auth = await v({
      customValidator: (_t, ctx) => ({ extra: { tenant: `t-${String(ctx.claims?.client_id)}` } }),
    }).validate(token);
    expect(auth.extra?.tenant).toBe('t-mcp-service');
    expect(auth.extra?.tokenType).toBe('jwt');
  });

  it('may reject (false or throw)', async () => {
    const token = await serviceToken(as);
    await rejectsWith(
      v({ customValidator: () => false }).validate(token),
      'ERR_CUSTOM_VALIDATION_FAILED',
    );
    await rejectsWith(
      v({
        customValidator: () => {
          throw new Error('nope');
        },
      }).validate(token),
      'ERR_CUSTOM_VALIDATION_FAILED',
    );
  });

  it('cannot widen scopes, extend expiry or change the audience of a verified token', async () => {
    const token = await serviceToken(as, RESOURCE, 'mcp:read');
    const validator = v({
      requiredScopes: ['mcp:admin'],
      customValidator: () => ({
        scopes: ['mcp:read', 'mcp:admin'],
        expiresAt: Date.now() / 1000 + 10 ** 8,
        claims: { aud: 'anything' },
      }),
    });
    await rejectsWith(validator.validate(token), 'ERR_INSUFFICIENT_SCOPE');
    const ok = await v({
      customValidator: () => ({ expiresAt: Date.now() / 1000 + 10 ** 8 }),
    }).validate(token);
    expect(ok.expiresAt).toBeLessThan(Date.now() / 1000 + 7200);
    const other = await serviceToken(as, OTHER_RESOURCE);
    await rejectsWith(
      v({ customValidator: () => ({ claims: { aud: RESOURCE } }) }).validate(other),
      'ERR_AUDIENCE_MISMATCH',
    );
  });

  it('can narrow expiry (then the token expires earlier)', async () => {
    const token = await serviceToken(as);
    await rejectsWith(
      v({ customValidator: () => ({ expiresAt: Date.now() / 1000 - 5 }) }).validate(token),
      'ERR_TOKEN_EXPIRED',
    );
  });

  it('verifies a token format of its own, whose claims still pass audience, expiry and scope checks', async () => {
    const now = () => Math.floor(Date.now() / 1000);
    const table: Record<string, Record<string, unknown>> = {
      'good-one': { sub: 'u', aud: RESOURCE, exp: now() + 60, scope: 'mcp:read', client_id: 'c' },
      'other-aud': { sub: 'u', aud: OTHER_RESOURCE, exp: now() + 60, scope: 'mcp:read' },
      expired: { sub: 'u', aud: RESOURCE, exp: now() - 600, scope: 'mcp:read' },
      'no-exp': { sub: 'u', aud: RESOURCE, scope: 'mcp:read' },
      'no-scope': { sub: 'u', aud: RESOURCE, exp: now() + 60 },
      'other-iss': {
        iss: 'https://evil.example',
        aud: RESOURCE,
        exp: now() + 60,
        scope: 'mcp:read',
      },
    };
    const validator = v({
      tokenFormat: 'custom',
      requiredScopes: ['mcp:read'],
      customValidator: (token) => (table[token] ? { claims: table[token] } : false),
    });
    const auth = await validator.validate('good-one');
    expect(auth).toMatchObject({
      clientId: 'c',
      scopes: ['mcp:read'],
      extra: { tokenType: 'custom', subject: 'u' },
    });
    await rejectsWith(validator.validate('other-aud'), 'ERR_AUDIENCE_MISMATCH');
    await rejectsWith(validator.validate('expired'), 'ERR_TOKEN_EXPIRED');
    await rejectsWith(validator.validate('no-exp'), 'ERR_CLAIM_INVALID');
    await rejectsWith(validator.validate('no-scope'), 'ERR_INSUFFICIENT_SCOPE');
    await rejectsWith(validator.validate('other-iss'), 'ERR_ISSUER_MISMATCH');
    await rejectsWith(validator.validate('unknown'), 'ERR_CUSTOM_VALIDATION_FAILED');
  });
});

describe('opaque tokens (RFC 7662 introspection)', () => {
  it.each(['client_secret_basic', 'client_secret_post'] as const)(
    'validates with %s',
    async (authMethod) => {
      const token = await serviceToken(as, OPAQUE_RESOURCE);
      expect(token.split('.').length).toBe(1);
      const validator = v({
        resource: OPAQUE_RESOURCE,
        introspection: introspection({ authMethod }),
      });
      const auth = await validator.validate(token);
      expect(auth).toMatchObject({ clientId: 'mcp-service', scopes: ['mcp:read', 'mcp:write'] });
      expect(auth.extra?.tokenType).toBe('opaque');
      expect(validator.stats().introspections).toBe(1);
    },
  );

  it('1,000 concurrent validations of one new opaque token cause one introspection call', async () => {
    const token = await serviceToken(as, OPAQUE_RESOURCE);
    const validator = v({ resource: OPAQUE_RESOURCE, introspection: introspection() });
    await Promise.all(Array.from({ length: 1000 }, () => validator.validate(token)));
    expect(validator.stats().introspections).toBe(1);
  });

  it('a revoked token is inactive; a cached one lives at most the cache TTL', async () => {
    const token = await serviceToken(as, OPAQUE_RESOURCE);
    let offset = 0;
    const cached = v({
      resource: OPAQUE_RESOURCE,
      introspection: introspection(),
      cache: { ttlSeconds: 60 },
      now: () => Date.now() + offset,
    });
    await cached.validate(token);
    await as.revoke(token);
    await rejectsWith(
      v({ resource: OPAQUE_RESOURCE, introspection: introspection() }).validate(token),
      'ERR_TOKEN_INACTIVE',
    );
    await expect(cached.validate(token)).resolves.toBeTruthy(); // still cached
    offset = 61_000;
    await rejectsWith(cached.validate(token), 'ERR_TOKEN_INACTIVE');
  });

  it('an opaque token for another resource is refused (audience from introspection)', async () => {
    const token = await serviceToken(as, OPAQUE_RESOURCE);
    await rejectsWith(
      v({ introspection: introspection() }).validate(token),
      'ERR_AUDIENCE_MISMATCH',
    );
  });

  it('an unknown opaque token is inactive', async () => {
    await rejectsWith(
      v({ resource: OPAQUE_RESOURCE, introspection: introspection() }).validate(
        'not-a-real-token-abc',
      ),
      'ERR_TOKEN_INACTIVE',
    );
  });

  it('wrong introspection credentials are a 503 (server misconfiguration), logged', async () => {
    const error = vi.fn();
    const err = await rejectsWith(
      v({
        resource: OPAQUE_RESOURCE,
        introspection: introspection({ clientSecret: 'wrong' }),
        logger: { error },
      }).validate(await serviceToken(as, OPAQUE_RESOURCE)),
      'ERR_AUTH_SERVER_UNAVAILABLE',
    );
    expect(err.reason).toBe('introspection_unauthorized');
    expect(error).toHaveBeenCalled();
  });

  it("tokenFormat 'jwt' refuses opaque tokens without calling introspection", async () => {
    const validator = v({ tokenFormat: 'jwt', introspection: introspection() });
    await rejectsWith(
      validator.validate(await serviceToken(as, OPAQUE_RESOURCE)),
      'ERR_TOKEN_MALFORMED',
    );
    expect(validator.stats().introspections).toBe(0);
  });
});

describe('options are checked at construction (TypeError naming the option)', () => {
  const base = { issuer: 'https://as.example.com', resource: 'https://mcp.example.com/mcp' };
  it.each([
    ['issuer', { issuer: 'not a url' }],
    ['issuer', { issuer: 'http://as.example.com' }],
    ['allowInsecureHttpForLoopback', { issuer: 'http://127.0.0.1:9' }],
    ['resource', { resource: '/mcp' }],
    ['resource', { resource: 'https://mcp.example.com/mcp#frag' }],
    ['requiredScopes', { requiredScopes: ['a b'] }],
    ['requiredScopes', { requiredScopes: ['offline_access'] }],
    ['requiredScopes', { requiredScopes: ['mcp:read', 'offline_access'] }],
    ['tokenFormat', { tokenFormat: 'magic' }],
    ['jwt.algorithms', { jwt: { algorithms: ['HS256'] } }],
    ['jwt.algorithms', { jwt: { algorithms: ['none'] } }],
    ['jwt.algorithms', { jwt: { algorithms: [] } }],
    ['jwt.clockToleranceSeconds', { jwt: { clockToleranceSeconds: -1 } }],
    ['jwt.jwksUri', { jwt: { jwksUri: 'http://evil.example/jwks' } }],
    ['introspection.clientSecret', { introspection: { clientId: 'x' } }],
    [
      'introspection.authMethod',
      { introspection: { clientId: 'x', clientSecret: 'y', authMethod: 'private_key_jwt' } },
    ],
    ['tokenFormat "opaque"', { tokenFormat: 'opaque' }],
    ['cache.ttlSeconds', { cache: { ttlSeconds: 0 } }],
    ['allowedClientIds', { strictAudienceValidation: false }],
    ['allowedClientIds', { profile: 'cognito' }],
    ['profile', { profile: 'azure-b2c' }],
    ['customValidator', { customValidator: 'yes' }],
    ['tokenFormat "custom"', { tokenFormat: 'custom' }],
    ['acceptedAudiences', { acceptedAudiences: [''] }],
    ['fetch', { fetch: 1 }],
  ])('%s', (name, over) => {
    expect(() => createTokenValidator({ ...base, ...(over as object) } as never)).toThrow(
      TypeError,
    );
    expect(() => createTokenValidator({ ...base, ...(over as object) } as never)).toThrow(name);
  });

  it('offline_access is refused as a required scope, at construction and per call (never in a challenge)', async () => {
    expect(() => createTokenValidator({ ...base, requiredScopes: ['offline_access'] })).toThrow(
      new TypeError(
        '"requiredScopes" must not contain offline_access (a refresh-token scope, never required by a resource)',
      ),
    );
    // Scopes are case-sensitive (RFC 6749 §3.3): only the exact name is the refresh-token scope.
    const validator = createTokenValidator({ ...base, requiredScopes: ['Offline_Access'] });
    expect(validator.requiredScopes).toEqual(['Offline_Access']);
    await expect(
      validator.validate('abc', { requiredScopes: ['mcp:read', 'offline_access'] }),
    ).rejects.toThrow(
      new TypeError(
        '"requiredScopes" must not contain offline_access (a refresh-token scope, never required by a resource)',
      ),
    );
    await validator.close();
  });

  it('construction never touches the network; discovery is lazy and a dead issuer is a 503', async () => {
    const fetchSpy = vi.fn(() => Promise.reject(new TypeError('fetch failed')));
    const validator = createTokenValidator({
      issuer: 'https://as.invalid',
      resource: RESOURCE,
      fetch: fetchSpy as never,
    });
    expect(fetchSpy).not.toHaveBeenCalled();
    const jwt = `${b64url({ alg: 'RS256', kid: 'k' })}.${b64url({ exp: 1 })}.c2ln`;
    const err = await rejectsWith(validator.validate(jwt), 'ERR_AUTH_SERVER_UNAVAILABLE');
    expect(err.status).toBe(503);
    expect(err.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    await validator.close();
  });
});

describe('ES256 and EdDSA keys from the local authorization server', () => {
  let ec: DevAuthServer;
  beforeAll(async () => {
    ec = await startAuthServer({
      resources: [
        { uri: RESOURCE, scopes: ['mcp:read'], alg: 'ES256' },
        { uri: OTHER_RESOURCE, scopes: ['mcp:read'], alg: 'EdDSA' },
      ],
    });
  });
  afterAll(async () => {
    await ec?.stop();
  });
  const token = (resource: string) =>
    ec.getToken({
      resource,
      scope: 'mcp:read',
      clientId: ec.clients.service.clientId,
      clientSecret: ec.clients.service.clientSecret,
    });

  it.each([
    ['ES256', RESOURCE],
    ['EdDSA', OTHER_RESOURCE],
  ])('%s tokens validate', async (alg, resource) => {
    const t = await token(resource);
    expect(decodeJwt(t).header.alg).toBe(alg);
    const validator = validatorFor(ec, { resource });
    open.push(validator);
    await expect(validator.validate(t)).resolves.toMatchObject({ clientId: 'mcp-service' });
  });

  it('an algorithm outside a narrowed allowlist is refused', async () => {
    const validator = validatorFor(ec, { jwt: { algorithms: ['RS256'] } });
    open.push(validator);
    await rejectsWith(validator.validate(await token(RESOURCE)), 'ERR_ALG_NOT_ALLOWED');
  });

  it('alg switched to RS256 on an EC key finds no key (alg must match the key type)', async () => {
    const { header, payload, signature } = decodeJwt(await token(RESOURCE));
    const forged = `${b64url({ ...header, alg: 'RS256' })}.${b64url(payload)}.${signature}`;
    const validator = validatorFor(ec);
    open.push(validator);
    await rejectsWith(validator.validate(forged), 'ERR_KEY_NOT_FOUND');
  });
});
