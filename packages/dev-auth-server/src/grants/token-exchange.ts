import { createLocalJWKSet, decodeProtectedHeader, type JWTPayload, jwtVerify } from 'jose';
import type { ServerContext } from '../context.js';
import type { EnterpriseIdpOptions } from '../types.js';
import { type Ctx, oauthError, refuseDpop, scopeList } from './common.js';
import { ID_JAG_TOKEN_TYPE, ID_JAG_TYP, ID_TOKEN_TYPE } from './names.js';
import { signWithServerKey } from './sign.js';

/**
 * Token exchange (RFC 8693) in enterprise IdP mode: an ID token this server issued to the client
 * (`subject_token_type` id_token) becomes an identity assertion JWT authorization grant (ID-JAG,
 * `requested_token_type` `urn:ietf:params:oauth:token-type:id-jag`) for another authorization server
 * (`audience` = its issuer), naming the `resource` and `scope` asked for. The client then presents
 * it there with the JWT-bearer grant.
 */

export const TOKEN_EXCHANGE_PARAMS = [
  'subject_token',
  'subject_token_type',
  'requested_token_type',
  'audience',
  'resource',
  'scope',
  'actor_token',
  'actor_token_type',
];

export function tokenExchangeHandler(s: ServerContext) {
  const o: EnterpriseIdpOptions =
    typeof s.config.options.enterpriseIdp === 'object' ? s.config.options.enterpriseIdp : {};
  const ttl = o.idJagTtlSeconds ?? 300;
  return async function tokenExchangeGrant(ctx: Ctx): Promise<void> {
    refuseDpop(s, ctx);
    const p = ctx.oidc.params;
    const { InvalidRequest, InvalidTarget } = s.oidc.errors;
    if (typeof p.subject_token !== 'string' || !p.subject_token) {
      throw new InvalidRequest("missing required parameter 'subject_token'");
    }
    if (p.subject_token_type !== ID_TOKEN_TYPE) {
      throw new InvalidRequest(`subject_token_type must be ${ID_TOKEN_TYPE}`);
    }
    if (p.requested_token_type !== ID_JAG_TOKEN_TYPE) {
      throw new InvalidRequest(`requested_token_type must be ${ID_JAG_TOKEN_TYPE}`);
    }
    if (p.actor_token !== undefined) throw new InvalidRequest('actor_token is not supported');
    const audience = p.audience;
    if (typeof audience !== 'string' || !URL.parse(audience)) {
      throw new InvalidTarget('audience must be the issuer of one authorization server');
    }
    if (p.resource !== undefined && (typeof p.resource !== 'string' || !URL.parse(p.resource))) {
      throw new InvalidTarget('resource must be one absolute URI');
    }
    const clientId: string = ctx.oidc.client.clientId;
    const idToken = await verifyIdToken(s, p.subject_token, clientId);
    const scope = scopeList(p.scope).join(' ');
    const jag = await signWithServerKey(
      s.keys,
      ID_JAG_TYP,
      {
        iss: s.issuer,
        sub: idToken.sub,
        aud: audience,
        client_id: o.clientIdAt?.[audience] ?? clientId,
        ...(p.resource ? { resource: p.resource } : {}),
        ...(scope ? { scope } : {}),
        ...(idToken.auth_time !== undefined ? { auth_time: idToken.auth_time } : {}),
        ...(typeof idToken.email === 'string' ? { email: idToken.email } : {}),
      },
      ttl,
    );
    ctx.body = {
      access_token: jag,
      issued_token_type: ID_JAG_TOKEN_TYPE,
      // RFC 8693 §2.2.1: the ID-JAG is not an access token
      token_type: 'N_A',
      expires_in: ttl,
      ...(scope ? { scope } : {}),
    };
  };
}

/** An ID token of this server, for this client, unexpired; `invalid_grant` otherwise. */
async function verifyIdToken(
  s: ServerContext,
  token: string,
  clientId: string,
): Promise<JWTPayload> {
  try {
    // Access tokens are signed with the same keys: an RFC 9068 one says so in its header.
    if (String(decodeProtectedHeader(token).typ ?? '').toLowerCase() === 'at+jwt') {
      throw new Error('access token');
    }
    const { payload } = await jwtVerify(token, createLocalJWKSet(s.keys.publicJwks() as never), {
      issuer: s.issuer,
      audience: clientId,
      requiredClaims: ['sub', 'exp', 'iat'],
    });
    return payload;
  } catch {
    throw oauthError(
      s,
      'invalid_grant',
      'subject_token is not a valid ID token of this issuer for this client',
    );
  }
}
