import {
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify,
} from 'jose';
import type { ServerContext } from '../context.js';
import { resourceServerInfo } from '../resource-server.js';
import type { TrustedIssuer, TrustedWorkloadIssuer } from '../types.js';
import { ASSERTION_ALGS, type Ctx, oauthError, scopeList, validateDpopProof } from './common.js';
import { ID_JAG_TYP, JWT_BEARER_GRANT } from './names.js';

/**
 * The JWT-bearer grant (RFC 7523 §2.1) for two uses:
 * - enterprise-managed authorization: an identity assertion JWT (ID-JAG, header
 *   `typ: oauth-id-jag+jwt`) from a trusted enterprise IdP, `aud` = this issuer, `client_id` = the
 *   authenticated client, `jti` used once;
 * - workload identity federation: a workload JWT from a trusted workload issuer, `aud` = this issuer
 *   (or its token endpoint).
 * The access token is for `sub` (the user, or the workload) and the resource asked for (or the one
 * the ID-JAG names); a DPoP proof binds it (RFC 9449), as on the built-in grants. Errors: `invalid_grant` (assertion), `invalid_scope`, `invalid_target`,
 * `unauthorized_client` (a client the issuer is not trusted for).
 */

export const JWT_BEARER_PARAMS = ['assertion', 'scope', 'resource'];

interface Verified {
  payload: JWTPayload;
  idJag: boolean;
  trusted: TrustedIssuer | TrustedWorkloadIssuer;
}

export function jwtBearerHandler(s: ServerContext) {
  const remoteSets = new Map<string, JWTVerifyGetKey>();
  const keysOf = (t: TrustedIssuer): JWTVerifyGetKey => {
    if (t.jwks) return createLocalJWKSet(t.jwks as never);
    const uri = t.jwksUri as string;
    let set = remoteSets.get(uri);
    if (!set) {
      set = createRemoteJWKSet(new URL(uri), { timeoutDuration: 5000 });
      remoteSets.set(uri, set);
    }
    return set;
  };
  return async function jwtBearerGrant(ctx: Ctx): Promise<void> {
    const dPoP = await validateDpopProof(ctx);
    if (!dPoP && ctx.oidc.client.dpopBoundAccessTokens) {
      throw oauthError(s, 'invalid_grant', 'DPoP proof JWT not provided');
    }
    const v = await verifyAssertion(s, ctx, keysOf);
    const resource = chooseResource(s, ctx, v);
    const info = resourceServerInfo(s, ctx, resource);
    const scope = grantedScopes(s, ctx, v, String(info.scope ?? ''));
    // Checked and recorded in one synchronous step, once the request is otherwise good.
    rememberJti(s, v.payload);
    const { AccessToken, ResourceServer } = ctx.oidc.provider;
    const token = new AccessToken({
      client: ctx.oidc.client,
      accountId: v.payload.sub,
      scope: scope.join(' ') || undefined,
      gty: JWT_BEARER_GRANT,
    });
    token.resourceServer = new ResourceServer(resource, info);
    if (dPoP) token.setThumbprint('jkt', dPoP.thumbprint);
    ctx.oidc.entity('AccessToken', token);
    const value = await token.save();
    ctx.body = {
      access_token: value,
      token_type: token.tokenType,
      expires_in: token.expiration,
      ...(token.scope ? { scope: token.scope } : {}),
    };
  };
}

/** Finds the trusted issuer, checks the client may use it, verifies signature and claims. */
async function verifyAssertion(
  s: ServerContext,
  ctx: Ctx,
  keysOf: (t: TrustedIssuer) => JWTVerifyGetKey,
): Promise<Verified> {
  const assertion = ctx.oidc.params.assertion;
  if (typeof assertion !== 'string' || !assertion) {
    throw new s.oidc.errors.InvalidRequest("missing required parameter 'assertion'");
  }
  let iss: unknown;
  let typ: unknown;
  try {
    iss = decodeJwt(assertion).iss;
    typ = decodeProtectedHeader(assertion).typ;
  } catch {
    throw oauthError(s, 'invalid_grant', 'assertion is not a JWT');
  }
  const idJag = typeof typ === 'string' && typ.toLowerCase() === ID_JAG_TYP;
  const { trustedIdJagIssuers, trustedWorkloadIssuers } = s.config.options;
  const trusted = (idJag ? trustedIdJagIssuers : trustedWorkloadIssuers)?.find(
    (t) => t.issuer === iss,
  );
  if (!trusted) {
    throw oauthError(s, 'invalid_grant', `${idJag ? 'ID-JAG' : 'assertion'} issuer is not trusted`);
  }
  const clientId: string = ctx.oidc.client.clientId;
  if (trusted.clientIds && !trusted.clientIds.includes(clientId)) {
    throw oauthError(
      s,
      'unauthorized_client',
      'the client may not present assertions of this issuer',
    );
  }
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(assertion, keysOf(trusted), {
      issuer: trusted.issuer,
      // ID-JAG: the issuer only; RFC 7523 §3 also allows the token endpoint URL.
      audience: idJag ? s.issuer : [s.issuer, ctx.oidc.urlFor('token')],
      algorithms: ASSERTION_ALGS,
      requiredClaims: idJag ? ['sub', 'exp', 'iat', 'jti', 'client_id'] : ['sub', 'exp'],
      ...(idJag ? { typ: ID_JAG_TYP } : {}),
      clockTolerance: 30,
    }));
  } catch (err) {
    throw oauthError(s, 'invalid_grant', describeJoseError(err));
  }
  if (idJag && payload.client_id !== clientId) {
    throw oauthError(s, 'invalid_grant', 'ID-JAG client_id is not the authenticated client');
  }
  const subjects = (trusted as TrustedWorkloadIssuer).subjects;
  if (!idJag && subjects && !subjects.includes(String(payload.sub))) {
    throw oauthError(s, 'invalid_grant', 'workload subject is not allowed');
  }
  return { payload, idJag, trusted };
}

/** A one-time `jti`: a second use of the same assertion is `invalid_grant`. */
function rememberJti(s: ServerContext, payload: JWTPayload): void {
  if (typeof payload.jti !== 'string') return;
  const key = `Assertion:${payload.iss}:${payload.jti}`;
  if (s.store.get(key) !== undefined) {
    throw oauthError(s, 'invalid_grant', 'assertion was already used');
  }
  const ttl = Math.max(1, (payload.exp ?? 0) - Math.floor(Date.now() / 1000) + 60);
  s.store.set(key, true, ttl);
}

/** The request's `resource`, else the ID-JAG's, else the profile's default; one only. */
function chooseResource(s: ServerContext, ctx: Ctx, v: Verified): string {
  const asked = ctx.oidc.params.resource;
  if (Array.isArray(asked)) {
    throw new s.oidc.errors.InvalidTarget(
      'only a single resource indicator value is supported for this grant type',
    );
  }
  const named = v.payload.resource;
  const namedList = typeof named === 'string' ? [named] : Array.isArray(named) ? named : undefined;
  if (typeof asked === 'string' && namedList && !namedList.includes(asked)) {
    throw new s.oidc.errors.InvalidTarget('the ID-JAG is not for this resource');
  }
  const resource =
    (typeof asked === 'string' ? asked : undefined) ??
    (namedList?.length === 1 ? String(namedList[0]) : undefined) ??
    s.config.profile.defaultResource(
      s.config.resources.map((r) => r.uri),
      {},
    );
  if (!resource) throw new s.oidc.errors.InvalidTarget('resource indicator is missing');
  return resource;
}

/**
 * Requested scopes must all belong to the resource and, for an ID-JAG, to its `scope`
 * (`invalid_scope` otherwise). Without `scope`: the ID-JAG's scopes the resource has; for a workload,
 * none (or all, where the profile gives client_credentials all).
 */
function grantedScopes(s: ServerContext, ctx: Ctx, v: Verified, resourceScope: string): string[] {
  const available = new Set(resourceScope.split(' ').filter(Boolean));
  const asserted = v.idJag ? new Set(scopeList(v.payload.scope)) : undefined;
  const requested = scopeList(ctx.oidc.params.scope);
  if (requested.length) {
    for (const scope of requested) {
      if (!available.has(scope)) {
        throw new s.oidc.errors.InvalidScope(
          'requested scope is not valid for the resource',
          scope,
        );
      }
      if (asserted && !asserted.has(scope)) {
        throw new s.oidc.errors.InvalidScope('requested scope is not granted by the ID-JAG', scope);
      }
    }
    return requested;
  }
  if (asserted) return [...asserted].filter((x) => available.has(x));
  return s.config.profile.clientCredentialsGetsAllScopes ? [...available] : [];
}

function describeJoseError(err: unknown): string {
  const e = err as { code?: string; claim?: string };
  switch (e.code) {
    case 'ERR_JWT_EXPIRED':
      return 'assertion has expired';
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      return `assertion "${e.claim}" claim is missing or invalid`;
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'assertion signature is invalid';
    case 'ERR_JWKS_NO_MATCHING_KEY':
      return 'no key of the issuer matches the assertion';
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return 'assertion algorithm is not allowed';
    default:
      return 'assertion is invalid';
  }
}
