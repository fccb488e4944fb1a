import { basicAuthorization } from '@mcp-auth/discovery';
import * as oauth from 'oauth4webapi';
import { TestClientError } from '../errors.js';
import type { GrantKind, TokenSet } from '../options.js';
import { assertUrlAllowed } from '../url-policy.js';
import { clientAuth, withDpopNonceRetry } from './client-auth.js';
import { networkReason } from './http.js';
import { limitBody, MAX_OAUTH_RESPONSE_BYTES, oauthFailure } from './oauth-io.js';
import type { SessionState } from './session-state.js';
import { acceptTokens } from './token-step.js';
import { saveTokens } from './token-store-step.js';
import type { ClientIdentity } from './types.js';

/** RFC 7523 §2.1. */
export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
/** RFC 8693 §2.1. */
export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
/** The identity assertion authorization grant's token type (ID-JAG). */
export const ID_JAG_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:id-jag';
/** RFC 8693 §3. */
export const ID_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:id_token';

const LABELS: Record<Exclude<GrantKind, 'authorization_code'>, string> = {
  client_credentials: 'client_credentials',
  jwt_bearer: 'JWT bearer (workload identity)',
  enterprise: 'JWT bearer with the ID-JAG (enterprise-managed)',
};

/**
 * The grants without a browser: client credentials (RFC 6749 §4.4), the JWT-bearer grant with a
 * workload token (RFC 7523 §2.1), and enterprise-managed authorization (the ID token exchanged at the
 * IdP for an ID-JAG, then the JWT-bearer grant). Always with `resource`. A refusal (`invalid_grant`,
 * `invalid_scope`, `unauthorized_client`, …) is reported as it came: no retry, no other grant.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7523#section-2.1
 * @see https://www.rfc-editor.org/rfc/rfc8693#section-2.1
 */
export async function grantWithoutBrowser(
  session: SessionState,
  client: ClientIdentity,
  scopes: string[],
): Promise<TokenSet> {
  const grant = session.options.grant as Exclude<GrantKind, 'authorization_code'>;
  const metadata = session.metadata!;
  const as = metadata.authorizationServer;
  const assertion =
    grant === 'enterprise'
      ? await exchangeIdToken(session, scopes)
      : grant === 'jwt_bearer'
        ? session.options.assertion!
        : undefined;
  session.report.secret(assertion);
  return session.report.step('token', `Token request${session.attemptSuffix()}`, async (s) => {
    const params: Record<string, string> = { resource: metadata.resource };
    if (scopes.length > 0) params.scope = scopes.join(' ');
    if (assertion !== undefined) params.assertion = assertion;
    const grantType = grant === 'client_credentials' ? 'client_credentials' : JWT_BEARER_GRANT;
    s.sent(
      `POST ${as.token_endpoint} grant_type=${grantType}${assertion ? `, assertion=${assertion}` : ''}, resource=${metadata.resource}${
        params.scope ? `, scope=${params.scope}` : ''
      }, client auth ${client.tokenEndpointAuthMethod}${session.options.dpop ? ', DPoP proof' : ''}`,
    );
    const oauthClient: oauth.Client = { client_id: client.clientId };
    const auth = clientAuth(client, await session.signingKey());
    const options = await session.tokenRequestOptions(as.token_endpoint);
    let response: oauth.TokenEndpointResponse;
    try {
      response = await withDpopNonceRetry(async () => {
        if (grant === 'client_credentials') {
          const res = await oauth.clientCredentialsGrantRequest(
            session.oauthAs(),
            oauthClient,
            auth,
            params,
            options,
          );
          s.received(`${res.status}`);
          return oauth.processClientCredentialsResponse(session.oauthAs(), oauthClient, res);
        }
        const res = await oauth.genericTokenEndpointRequest(
          session.oauthAs(),
          oauthClient,
          auth,
          JWT_BEARER_GRANT,
          params,
          options,
        );
        s.received(`${res.status}`);
        return oauth.processGenericTokenEndpointResponse(session.oauthAs(), oauthClient, res);
      });
    } catch (err) {
      throw oauthFailure(
        'ERR_TOKEN_REQUEST_FAILED',
        `The ${LABELS[grant]} grant was refused`,
        err,
        as.token_endpoint,
      );
    }
    const tokens = acceptTokens(session, response, s, scopes);
    session.tokenClient = client;
    await saveTokens(session);
    return tokens;
  });
}

/**
 * Enterprise-managed authorization, first leg: RFC 8693 token exchange of the user's ID token at the
 * enterprise IdP for an identity assertion JWT (ID-JAG) whose audience is the MCP server's
 * authorization server and whose resource is the MCP server.
 */
async function exchangeIdToken(session: SessionState, scopes: string[]): Promise<string> {
  const o = session.options;
  const metadata = session.metadata!;
  const endpoint = o.idpTokenEndpoint!;
  session.report.secret(o.idToken);
  session.report.secret(o.idpClientSecret);
  return session.report.step(
    'token_exchange',
    'Token exchange at the enterprise IdP',
    async (s) => {
      assertUrlAllowed(endpoint, 'IdP token endpoint', { allowHttp: o.allowHttp });
      const body = new URLSearchParams({
        grant_type: TOKEN_EXCHANGE_GRANT,
        requested_token_type: ID_JAG_TOKEN_TYPE,
        subject_token: o.idToken!,
        subject_token_type: ID_TOKEN_TYPE,
        audience: metadata.authorizationServer.issuer,
        resource: metadata.resource,
      });
      if (scopes.length > 0) body.set('scope', scopes.join(' '));
      const headers = new Headers({
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      });
      if (o.idpClientId !== undefined && o.idpClientSecret !== undefined) {
        headers.set('authorization', basicAuthorization(o.idpClientId, o.idpClientSecret));
      } else if (o.idpClientId !== undefined) {
        body.set('client_id', o.idpClientId);
      }
      s.sent(
        `POST ${endpoint} grant_type=${TOKEN_EXCHANGE_GRANT}, requested_token_type=${ID_JAG_TOKEN_TYPE}, subject_token=${o.idToken}, audience=${metadata.authorizationServer.issuer}, resource=${metadata.resource}`,
      );
      let res: Response;
      let text: string;
      try {
        res = limitBody(
          await session.fetchImpl(endpoint, {
            method: 'POST',
            headers,
            body,
            redirect: 'manual',
            signal: AbortSignal.timeout(session.timeoutMs),
          }),
          MAX_OAUTH_RESPONSE_BYTES,
        );
        text = await res.text();
      } catch (err) {
        throw new TestClientError(
          'ERR_TOKEN_EXCHANGE_FAILED',
          `The token exchange at ${endpoint} failed: ${networkReason(err)}`,
          { url: endpoint, cause: err },
        );
      }
      return readIdJag(session, res.status, text, endpoint, s);
    },
  );
}

/** Checks the token exchange response: 200, JSON, `issued_token_type` the ID-JAG type, a token. */
function readIdJag(
  session: SessionState,
  status: number,
  text: string,
  url: string,
  s: { received(line: string): void },
): string {
  let json: Record<string, unknown> | undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) {
      json = parsed as Record<string, unknown>;
    }
  } catch {
    json = undefined;
  }
  const token = json?.access_token;
  if (typeof token === 'string') session.report.secret(token);
  s.received(`${status}${json ? ` ${JSON.stringify({ ...json, access_token: token })}` : ''}`);
  if (status !== 200) {
    const error = typeof json?.error === 'string' ? json.error : undefined;
    const description =
      typeof json?.error_description === 'string' ? json.error_description : undefined;
    throw new TestClientError(
      'ERR_TOKEN_EXCHANGE_FAILED',
      `The enterprise IdP refused the token exchange: ${status}${error ? ` error=${error}` : ''}${
        description ? ` (${description})` : ''
      }`,
      {
        url,
        status,
        ...(error ? { oauthError: error } : {}),
        ...(description ? { oauthErrorDescription: description } : {}),
      },
    );
  }
  if (typeof token !== 'string' || token.length === 0) {
    throw new TestClientError(
      'ERR_TOKEN_EXCHANGE_FAILED',
      'The token exchange response has no access_token (the ID-JAG)',
      { url, status },
    );
  }
  if (json?.issued_token_type !== ID_JAG_TOKEN_TYPE) {
    throw new TestClientError(
      'ERR_TOKEN_EXCHANGE_FAILED',
      `The token exchange issued ${JSON.stringify(json?.issued_token_type ?? null)}, not an identity assertion (${ID_JAG_TOKEN_TYPE})`,
      { url, status },
    );
  }
  return token;
}
