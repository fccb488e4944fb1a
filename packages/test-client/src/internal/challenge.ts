import { TestClientError } from '../errors.js';
import { parseScope, unionScopes } from '../scope.js';
import { authorizeOnce } from './authorization-step.js';
import { discover } from './discovery-step.js';
import { dpopProof, rememberNonce } from './dpop.js';
import { type BearerChallenge, bearerChallenge, type FetchLike } from './http.js';
import { MAX_AUTHORIZATION_ATTEMPTS, type SessionState } from './session-state.js';
import { refresh } from './token-step.js';

/**
 * Reacts to a 401 or 403 received with `tokenUsed` (undefined when the request had none):
 * refreshes or re-authorizes. Concurrent calls share one re-authorization. Throws when the session
 * gives up.
 */
export async function handleChallenge(
  session: SessionState,
  status: number,
  challenge: BearerChallenge | undefined,
  tokenUsed: string | undefined,
  where: string,
): Promise<void> {
  if (session.inflight) {
    await session.inflight;
    return;
  }
  // Another request already replaced the token this one used: just retry.
  if (session.tokens?.accessToken !== tokenUsed) return;
  const task = handleOnce(session, status, challenge, tokenUsed, where);
  session.inflight = task;
  try {
    await task;
  } finally {
    session.inflight = undefined;
  }
}

async function handleOnce(
  session: SessionState,
  status: number,
  challenge: BearerChallenge | undefined,
  tokenUsed: string | undefined,
  where: string,
): Promise<void> {
  if (challenge) session.lastChallenge = challenge;
  const error = challenge?.params.error;
  const required = parseScope(challenge?.params.scope);
  const exhausted = session.attempts >= MAX_AUTHORIZATION_ATTEMPTS;
  const canRefresh =
    status === 401 &&
    tokenUsed !== undefined &&
    session.tokens?.refreshToken !== undefined &&
    session.tokenClient !== undefined &&
    session.metadata !== undefined &&
    !session.refreshedTokens.has(session.tokens.refreshToken);
  await session.report.step('challenge', `${status} on ${where}`, (s) => {
    s.received(`${status}${challenge ? ` WWW-Authenticate: ${challenge.raw}` : ''}`);
    if (status === 403) {
      if (exhausted) {
        throw new TestClientError(
          'ERR_TOO_MANY_ATTEMPTS',
          `Still 403 insufficient_scope${required.length ? ` (scope="${required.join(' ')}")` : ''} after ${MAX_AUTHORIZATION_ATTEMPTS} authorization attempts: giving up`,
          { status, oauthError: 'insufficient_scope' },
        );
      }
      s.note(
        `insufficient_scope: re-authorizing with ${unionScopes(session.scopes, required).join(' ') || 'the same scopes'}`,
      );
      return;
    }
    if (canRefresh) {
      s.note(`${error ? `error=${error}: ` : ''}refreshing the access token`);
      return;
    }
    if (exhausted) {
      throw new TestClientError(
        'ERR_TOO_MANY_ATTEMPTS',
        `Still 401${error ? ` (${error})` : ''} after ${MAX_AUTHORIZATION_ATTEMPTS} authorization attempts: giving up`,
        { status, ...(error ? { oauthError: error } : {}) },
      );
    }
    s.note(
      tokenUsed
        ? `the token was refused${error ? ` (${error})` : ''}: re-authorizing`
        : 'authorizing',
    );
  });
  if (status === 403) {
    await discover(session, challenge);
    await authorizeOnce(session, { addScopes: required });
    return;
  }
  if (canRefresh) {
    try {
      await refresh(session, { required: true });
      return;
    } catch {
      // fall through to a new authorization
    }
  }
  // A refused token: the server may trust another authorization server now, so discover again
  // (ensureClient then registers anew there rather than presenting the old credentials).
  if (tokenUsed !== undefined) session.metadata = undefined;
  await discover(session, challenge);
  await authorizeOnce(session, { challengeScope: challenge?.params.scope });
}

/**
 * `fetch` for the SDK transports: adds the access token (`Bearer`, or `DPoP` with a proof bound to
 * the token by `ath`), and on a 401 or a 403 `insufficient_scope` from the MCP server re-authorizes
 * (or refreshes) and retries the request. A 401 `use_dpop_nonce` is retried once with the nonce.
 */
export function transportFetch(session: SessionState): FetchLike {
  return async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const sameOrigin = new URL(url).origin === new URL(session.serverUrl).origin;
    const method = init?.method ?? 'GET';
    let nonceRetried = false;
    for (;;) {
      const headers = new Headers(init?.headers);
      const token = session.tokens?.accessToken;
      if (token && sameOrigin) await authorizeRequest(session, headers, method, url, token);
      const response = await session.fetchImpl(input instanceof Request ? input : url, {
        ...init,
        headers,
      });
      if (!sameOrigin) return response;
      const dpop = await session.dpop();
      const gotNonce = dpop ? rememberNonce(dpop.key, url, response.headers) : false;
      if (response.status !== 401 && response.status !== 403) return response;
      const header = response.headers.get('www-authenticate');
      const challenge = bearerChallenge(header) ?? bearerChallenge(header, 'dpop');
      const replayable =
        init?.body === undefined || init.body === null || typeof init.body === 'string';
      if (
        response.status === 401 &&
        gotNonce &&
        !nonceRetried &&
        replayable &&
        challenge?.params.error === 'use_dpop_nonce'
      ) {
        nonceRetried = true;
        await response.body?.cancel().catch(() => {});
        continue;
      }
      if (response.status === 403 && challenge?.params.error !== 'insufficient_scope')
        return response;
      if (!replayable) return response;
      try {
        await handleChallenge(
          session,
          response.status,
          challenge,
          token,
          `${method} ${new URL(url).pathname}`,
        );
      } catch (err) {
        session.terminalError ??= err;
        return response;
      }
      await response.body?.cancel().catch(() => {});
    }
  };
}

/** `Authorization: Bearer`, or for a DPoP-bound token `Authorization: DPoP` and its proof. */
async function authorizeRequest(
  session: SessionState,
  headers: Headers,
  method: string,
  url: string,
  token: string,
): Promise<void> {
  const dpop = await session.dpop();
  if (dpop && session.tokens?.tokenType.toLowerCase() === 'dpop') {
    headers.set('Authorization', `DPoP ${token}`);
    headers.set(
      'DPoP',
      await dpopProof(dpop.key, { method, url, accessToken: token, now: session.now }),
    );
    return;
  }
  headers.set('Authorization', `Bearer ${token}`);
}
