import { createPkcePair, generateState } from '@mcp-auth/pkce';
import { TestClientError } from '../errors.js';
import { openSystemBrowser } from '../open-browser.js';
import type { TokenSet } from '../options.js';
import { type ScopeSource, selectScope, unionScopes, withOfflineAccess } from '../scope.js';
import { ensureClient } from './client-identity.js';
import { followAuthorizationUrl } from './follow-authorization.js';
import { grantWithoutBrowser } from './grant-step.js';
import { MAX_AUTHORIZATION_ATTEMPTS, type SessionState } from './session-state.js';
import { exchangeCode } from './token-step.js';

/**
 * Steps 5 to 8: scope, authorization request, authorization response, token request. Counts as one
 * authorization attempt.
 */
export async function authorizeOnce(
  session: SessionState,
  input: { challengeScope?: string | undefined; addScopes?: string[] },
): Promise<TokenSet> {
  if (session.attempts >= MAX_AUTHORIZATION_ATTEMPTS) {
    throw new TestClientError(
      'ERR_TOO_MANY_ATTEMPTS',
      `Gave up after ${MAX_AUTHORIZATION_ATTEMPTS} authorization attempts`,
    );
  }
  session.attempts++;
  const metadata = session.metadata!;
  const as = metadata.authorizationServer;
  const client = await ensureClient(session);
  const suffix = session.attemptSuffix();

  const scopes = await session.report.step('scope', `Scope${suffix}`, (s) => {
    let chosen: { scopes: string[]; source: ScopeSource | 'union' };
    if (input.addScopes) {
      chosen = { scopes: unionScopes(session.scopes, input.addScopes), source: 'union' };
    } else {
      // A token for another resource (--other-resource) takes only the scope asked for explicitly:
      // the server's challenge and metadata describe the server, not that resource.
      const foreign = session.options.resource !== undefined;
      chosen = selectScope({
        option: session.options.scope,
        challenge: foreign ? undefined : input.challengeScope,
        scopesSupported: foreign ? undefined : metadata.protectedResource.scopes_supported,
      });
      if (chosen.source !== 'option') {
        const wanted = session.options.refresh === true || session.options.tokenStore !== undefined;
        const before = chosen.scopes;
        chosen = {
          ...chosen,
          scopes: withOfflineAccess(before, { wanted, asScopesSupported: as.scopes_supported }),
        };
        if (before.includes('offline_access') && !chosen.scopes.includes('offline_access')) {
          s.note(
            'offline_access left out: no refresh token wanted, or the authorization server does not list it',
          );
        }
        if (!before.includes('offline_access') && chosen.scopes.includes('offline_access')) {
          s.note(
            'offline_access added: a refresh token is wanted and the authorization server lists it',
          );
        }
      }
    }
    const label = {
      option: '--scope',
      challenge: "the challenge's scope",
      scopes_supported: 'scopes_supported of the resource metadata',
      none: 'none: the scope parameter is omitted',
      union: 'the union of the scopes asked before and the scopes the 403 requires',
    }[chosen.source];
    s.note(chosen.scopes.length > 0 ? `${chosen.scopes.join(' ')} (from ${label})` : label);
    return chosen.scopes;
  });
  session.scopes = scopes;
  if ((session.options.grant ?? 'authorization_code') !== 'authorization_code') {
    return grantWithoutBrowser(session, client, scopes);
  }
  const listener = await session.ensureListener();

  const pkce = await createPkcePair();
  const state = generateState();
  session.report.secret(pkce.codeVerifier);
  const authUrl = new URL(as.authorization_endpoint!);
  const params: Record<string, string> = {
    ...(session.options.authorizationParams ?? {}),
    response_type: 'code',
    client_id: client.clientId,
    redirect_uri: listener.redirectUri,
    code_challenge: pkce.codeChallenge,
    code_challenge_method: 'S256',
    state,
    resource: metadata.resource,
  };
  if (scopes.length > 0) params.scope = scopes.join(' ');
  for (const [k, v] of Object.entries(params)) authUrl.searchParams.set(k, v);

  const callback = listener.expect({
    state,
    issuer: as.issuer,
    requireIss: as.authorization_response_iss_parameter_supported === true,
    timeoutMs: session.options.callbackTimeoutMs ?? 300_000,
    ...(session.options.signal ? { signal: session.options.signal } : {}),
  });
  // Avoid an unhandled rejection while the request step runs; the response step awaits it.
  callback.catch(() => {});

  let viaNonInteractive = false;
  await session.report
    .step('authorization_request', `Authorization request${suffix}`, async (s) => {
      s.sent(`GET ${authUrl.href}`);
      s.note(`PKCE S256, state, resource=${metadata.resource}`);
      session.options.onAuthorizationUrl?.(authUrl.href);
      if (session.options.nonInteractive) {
        viaNonInteractive = true;
        const location = await followAuthorizationUrl(
          session,
          authUrl.href,
          listener.redirectUri,
          s,
        );
        // Deliver the response to our own listener, exactly as a browser would.
        const delivered = await session.fetchImpl(location, { redirect: 'manual' });
        await delivered.body?.cancel().catch(() => {});
      } else if (session.options.open) {
        const open = session.options.openBrowser ?? openSystemBrowser;
        try {
          await open(authUrl.href);
          s.note('opened in the browser');
        } catch (err) {
          // The URL is printed: a person can still open it by hand, so keep waiting.
          s.note(
            `could not open the browser (${err instanceof Error ? err.message : String(err)}): open the URL yourself`,
          );
        }
      } else {
        s.note('open the URL above in a browser');
      }
    })
    .catch(async (err) => {
      // A failure in this step leaves the listener waiting: release it.
      await listener.close().catch(() => {});
      session.listener = undefined;
      throw err;
    });

  const result = await session.report.step(
    'authorization_response',
    `Authorization response${suffix}`,
    async (s) => {
      const stop = viaNonInteractive ? undefined : session.options.onWaitForBrowser?.();
      try {
        const r = await callback;
        session.report.secret(r.code);
        s.received(
          `code=${r.code}, state matches${r.iss !== undefined ? `, iss=${r.iss} matches` : ', no iss'}`,
        );
        return r;
      } finally {
        stop?.();
      }
    },
  );

  return exchangeCode(session, {
    client,
    redirectUri: listener.redirectUri,
    response: result.params,
    state,
    codeVerifier: pkce.codeVerifier,
    scopes,
  });
}
