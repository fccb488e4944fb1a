import type { TokenEndpointAuthMethod, TokenSet } from '../options.js';
import { parseScope } from '../scope.js';
import type { SessionState } from './session-state.js';
import type { ClientSource } from './types.js';

/** Reuses tokens from the token store when they are still valid (or can be refreshed). */
export async function loadStoredTokens(session: SessionState): Promise<TokenSet | undefined> {
  if (!session.store || !session.metadata) return undefined;
  const store = session.store;
  const metadata = session.metadata;
  return session.report.step('token_store', 'Token store', async (s) => {
    const entry = await store.get(metadata.resource);
    if (!entry || entry.issuer !== metadata.authorizationServer.issuer) {
      s.skip(`no stored token for ${metadata.resource} in ${store.path}`);
      return undefined;
    }
    session.report.secret(entry.tokens.accessToken);
    session.report.secret(entry.tokens.refreshToken);
    session.report.secret(entry.clientSecret);
    if (session.options.dpop) {
      // DPoP keys live for one run: a stored token is either bound to a lost key or not bound.
      s.skip('--dpop: stored tokens are not used (the DPoP key lives for one run)');
      return undefined;
    }
    const nowSeconds = Math.floor(session.now / 1000);
    const fresh = entry.tokens.expiresAt === undefined || entry.tokens.expiresAt > nowSeconds + 30;
    session.tokenClient = {
      clientId: entry.clientId,
      ...(entry.clientSecret ? { clientSecret: entry.clientSecret } : {}),
      tokenEndpointAuthMethod: (entry.tokenEndpointAuthMethod as TokenEndpointAuthMethod) ?? 'none',
      source: (entry.clientSource as ClientSource) ?? 'pre-registered',
    };
    session.tokens = { ...entry.tokens };
    session.scopes = parseScope(entry.tokens.scope);
    if (fresh) {
      s.received(`access_token=${entry.tokens.accessToken} for ${metadata.resource}`);
      return session.tokens;
    }
    if (entry.tokens.refreshToken) {
      s.note('the stored access token has expired: refreshing');
      return undefined;
    }
    session.tokens = undefined;
    session.tokenClient = undefined;
    s.skip('the stored access token has expired and there is no refresh token');
    return undefined;
  });
}

export async function saveTokens(session: SessionState): Promise<void> {
  // A DPoP-bound token is useless without its key, which is never written anywhere.
  if (session.options.dpop) return;
  const client = session.tokenClient;
  if (!session.store || !session.tokens || !session.metadata || !client) return;
  await session.store.set({
    resource: session.metadata.resource,
    issuer: session.metadata.authorizationServer.issuer,
    clientId: client.clientId,
    ...(client.clientSecret ? { clientSecret: client.clientSecret } : {}),
    tokenEndpointAuthMethod: client.tokenEndpointAuthMethod,
    clientSource: client.source,
    tokens: session.tokens,
    savedAt: session.now,
  });
}
