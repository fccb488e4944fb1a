import type { ServerContext } from './context.js';
import { DevAuthServerError } from './errors.js';
import { assertTokenResponse } from './flows.js';
import {
  ID_JAG_TOKEN_TYPE,
  ID_TOKEN_TYPE,
  JWT_BEARER_GRANT,
  TOKEN_EXCHANGE_GRANT,
} from './grants/names.js';
import { signWithServerKey } from './grants/sign.js';
import { endpointOf, type Helpers } from './helpers.js';
import { tokenRequest } from './token-request.js';
import type { DevAuthServer, IdJagRequestOptions, TokenResponse } from './types.js';

/**
 * Helpers for the MCP authorization extensions: DPoP-bound tokens, the JWT-bearer grant (ID-JAG and
 * workload JWTs), token exchange at an enterprise IdP, workload JWTs signed by this server.
 */
export type ExtensionHelpers = Pick<
  DevAuthServer,
  'getDpopToken' | 'jwtBearer' | 'tokenExchange' | 'getIdJag' | 'signWorkloadJwt'
>;

export function createExtensionHelpers(
  s: ServerContext,
  metadata: Record<string, unknown>,
  helpers: Helpers,
): ExtensionHelpers {
  const token = endpointOf(metadata, 'token_endpoint');
  const tokenExchange = async (o: IdJagRequestOptions): Promise<TokenResponse> => {
    if (!s.config.options.enterpriseIdp) {
      throw new DevAuthServerError(
        'ERR_UNEXPECTED_RESPONSE',
        'token exchange needs the enterpriseIdp option',
      );
    }
    const r = await tokenRequest(
      s,
      token,
      {
        grant_type: TOKEN_EXCHANGE_GRANT,
        subject_token: o.idToken,
        subject_token_type: ID_TOKEN_TYPE,
        requested_token_type: ID_JAG_TOKEN_TYPE,
        audience: o.audience,
        resource: o.resource,
        scope: o.scope,
      },
      o,
      'mcp-confidential',
    );
    return assertTokenResponse('token exchange', r);
  };
  return {
    getDpopToken: async (o) => {
      if (o.grant === 'authorization_code') {
        return helpers.authorizationCodeFlow({ ...o, dpop: o.keyPair });
      }
      if (o.resource === null) throw new TypeError('"resource" is required for client_credentials');
      return helpers.clientCredentials({ ...o, resource: o.resource, dpop: o.keyPair });
    },
    jwtBearer: async (o) => {
      const r = await tokenRequest(
        s,
        token,
        {
          grant_type: JWT_BEARER_GRANT,
          assertion: o.assertion,
          resource: o.resource,
          scope: o.scope,
        },
        o,
        'mcp-confidential',
        o.dpop,
      );
      return assertTokenResponse('jwt-bearer grant', r);
    },
    tokenExchange,
    getIdJag: async (o) => (await tokenExchange(o)).access_token,
    signWorkloadJwt: async (o) => {
      if (typeof o.subject !== 'string' || !o.subject) {
        throw new TypeError('"subject" must be a non-empty string');
      }
      return signWithServerKey(
        s.keys,
        'JWT',
        { ...o.claims, iss: s.issuer, sub: o.subject, aud: o.audience },
        o.ttlSeconds ?? 300,
      );
    },
  };
}
