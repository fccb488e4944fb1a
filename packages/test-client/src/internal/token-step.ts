import * as oauth from 'oauth4webapi';
import { TestClientError } from '../errors.js';
import type { TokenSet } from '../options.js';
import type { StepContext } from '../report.js';
import { parseScope } from '../scope.js';
import { clientAuth, withDpopNonceRetry } from './client-auth.js';
import { oauthFailure } from './oauth-io.js';
import type { SessionState } from './session-state.js';
import { saveTokens } from './token-store-step.js';
import type { ClientIdentity } from './types.js';

/**
 * Step 8: the token request of the authorization code grant, with `code_verifier`, `redirect_uri`
 * and `resource`, after oauth4webapi checked the authorization response (`state`, `iss`, `error`).
 */
export async function exchangeCode(
  session: SessionState,
  input: {
    client: ClientIdentity;
    redirectUri: string;
    response: URLSearchParams;
    state: string;
    codeVerifier: string;
    scopes: string[];
  },
): Promise<TokenSet> {
  const { client } = input;
  const metadata = session.metadata!;
  const as = metadata.authorizationServer;
  return session.report.step('token', `Token request${session.attemptSuffix()}`, async (s) => {
    const oauthClient: oauth.Client = { client_id: client.clientId };
    const auth = clientAuth(client, await session.signingKey());
    const requestOptions = await session.tokenRequestOptions(as.token_endpoint);
    s.sent(
      `POST ${as.token_endpoint} grant_type=authorization_code, code, code_verifier, redirect_uri=${input.redirectUri}, resource=${metadata.resource}, client auth ${client.tokenEndpointAuthMethod}`,
    );
    let response: oauth.TokenEndpointResponse;
    try {
      const params = oauth.validateAuthResponse(
        session.oauthAs(),
        oauthClient,
        input.response,
        input.state,
      );
      response = await withDpopNonceRetry(async () => {
        const res = await oauth.authorizationCodeGrantRequest(
          session.oauthAs(),
          oauthClient,
          auth,
          params,
          input.redirectUri,
          input.codeVerifier,
          { additionalParameters: { resource: metadata.resource }, ...requestOptions },
        );
        s.received(`${res.status}`);
        return oauth.processAuthorizationCodeResponse(session.oauthAs(), oauthClient, res);
      });
    } catch (err) {
      throw oauthFailure(
        'ERR_TOKEN_REQUEST_FAILED',
        'The token request failed',
        err,
        as.token_endpoint,
      );
    }
    const tokens = acceptTokens(session, response, s, input.scopes);
    session.tokenClient = client;
    await saveTokens(session);
    return tokens;
  });
}

/** Records a token response: secrets for redaction, the granted scope, the expiry. */
export function acceptTokens(
  session: SessionState,
  response: oauth.TokenEndpointResponse,
  s: StepContext,
  requested: string[],
): TokenSet {
  session.report.secret(response.access_token);
  session.report.secret(response.refresh_token);
  session.report.secret(response.id_token);
  const tokens: TokenSet = {
    accessToken: response.access_token,
    tokenType: response.token_type,
    ...(response.refresh_token ? { refreshToken: response.refresh_token } : {}),
    ...(response.id_token ? { idToken: response.id_token } : {}),
    ...(response.scope !== undefined
      ? { scope: response.scope }
      : requested.length > 0
        ? { scope: requested.join(' ') }
        : {}),
    ...(typeof response.expires_in === 'number'
      ? { expiresAt: Math.floor(session.now / 1000) + response.expires_in }
      : {}),
  };
  const type = tokens.tokenType.toLowerCase();
  const dpop = session.options.dpop === true;
  if (type !== 'bearer' && !(dpop && type === 'dpop')) {
    throw new TestClientError(
      'ERR_TOKEN_REQUEST_FAILED',
      `The token endpoint issued a ${tokens.tokenType} token; this client speaks ${
        dpop ? 'Bearer and DPoP' : 'Bearer only (DPoP with --dpop)'
      }`,
    );
  }
  if (dpop && type === 'bearer') {
    s.note('a DPoP proof was sent, but the token is a Bearer token: it is sent as Bearer');
  }
  s.received(
    [
      `access_token=${response.access_token}`,
      `token_type=${response.token_type}`,
      response.expires_in !== undefined ? `expires_in=${response.expires_in}` : undefined,
      response.scope !== undefined ? `scope=${response.scope}` : undefined,
      response.refresh_token ? `refresh_token=${response.refresh_token}` : undefined,
    ]
      .filter(Boolean)
      .join(', '),
  );
  const granted = parseScope(response.scope);
  const missing = response.scope !== undefined ? requested.filter((x) => !granted.includes(x)) : [];
  if (missing.length > 0) s.note(`not granted: ${missing.join(' ')}`);
  session.tokens = tokens;
  return tokens;
}

/** Step 8b: a refresh token grant with `resource`. */
export async function refresh(
  session: SessionState,
  options: { required: boolean },
): Promise<TokenSet> {
  const metadata = session.metadata!;
  const as = metadata.authorizationServer;
  const client = session.tokenClient ?? session.client!;
  return session.report.step('refresh', 'Refresh token request', async (s) => {
    const refreshToken = session.tokens?.refreshToken;
    if (!refreshToken) {
      if (!options.required) {
        s.skip('no refresh_token was issued');
        return session.tokens!;
      }
      throw new TestClientError(
        'ERR_NO_REFRESH_TOKEN',
        'The token response has no refresh_token: allow the refresh_token grant for this client (some servers need the offline_access scope)',
      );
    }
    session.refreshedTokens.add(refreshToken);
    s.sent(
      `POST ${as.token_endpoint} grant_type=refresh_token, refresh_token=${refreshToken}, resource=${metadata.resource}`,
    );
    const oauthClient: oauth.Client = { client_id: client.clientId };
    let response: oauth.TokenEndpointResponse;
    try {
      const auth = clientAuth(client, await session.signingKey());
      const requestOptions = await session.tokenRequestOptions(as.token_endpoint);
      response = await withDpopNonceRetry(async () => {
        const res = await oauth.refreshTokenGrantRequest(
          session.oauthAs(),
          oauthClient,
          auth,
          refreshToken,
          { additionalParameters: { resource: metadata.resource }, ...requestOptions },
        );
        s.received(`${res.status}`);
        return oauth.processRefreshTokenResponse(session.oauthAs(), oauthClient, res);
      });
    } catch (err) {
      throw oauthFailure(
        'ERR_REFRESH_FAILED',
        'The refresh token request failed',
        err,
        as.token_endpoint,
      );
    }
    const previous = session.tokens!;
    const tokens = acceptTokens(session, response, s, parseScope(previous.scope));
    // A server that does not rotate refresh tokens keeps the old one valid.
    if (!tokens.refreshToken && previous.refreshToken) {
      tokens.refreshToken = previous.refreshToken;
      session.tokens = tokens;
    }
    await saveTokens(session);
    return tokens;
  });
}
