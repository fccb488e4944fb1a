import type { TokenSet } from '../options.js';
import { authorizeOnce } from './authorization-step.js';
import { handleChallenge, transportFetch } from './challenge.js';
import { ensureClient } from './client-identity.js';
import { discover } from './discovery-step.js';
import type { BearerChallenge, FetchLike, ProbeKind, ProbeResponse } from './http.js';
import { probe, probeKinds } from './probe-step.js';
import { SessionState } from './session-state.js';
import { refresh } from './token-step.js';
import { loadStoredTokens } from './token-store-step.js';
import type { ClientIdentity, DiscoveredMetadata } from './types.js';

export { MAX_AUTHORIZATION_ATTEMPTS } from './session-state.js';
export type { ClientIdentity, ClientSource, DiscoveredMetadata } from './types.js';

/**
 * One run of the MCP authorization flow against one server: discovery, client identity, the
 * authorization code flow with PKCE, and the re-authorizations a 401 or a 403 `insufficient_scope`
 * calls for (at most {@link MAX_AUTHORIZATION_ATTEMPTS} in all).
 *
 * The state lives in {@link SessionState}; each step is a top-level function in its own file
 * (`probe-step`, `discovery-step`, `client-identity`, `authorization-step`, `token-step`,
 * `token-store-step`, `challenge`). These methods are the flow's table of contents.
 */
export class AuthSession extends SessionState {
  /** `fetch` for the SDK transports: the token on every request, challenges handled. */
  readonly transportFetch: FetchLike = transportFetch(this);

  /** The kinds of first request to make, in order, for the configured transport. */
  probeKinds(): ProbeKind[] {
    return probeKinds(this);
  }

  /** Step 1: a request without a token. Returns the response that ended the probing. */
  probe(options: { requireChallenge: boolean }): Promise<ProbeResponse> {
    return probe(this, options);
  }

  /** Steps 2 and 3: protected resource metadata, then authorization server metadata. */
  discover(challenge: BearerChallenge | undefined): Promise<DiscoveredMetadata> {
    return discover(this, challenge);
  }

  /** Step 4: the client identity. */
  ensureClient(): Promise<ClientIdentity> {
    return ensureClient(this);
  }

  /** Steps 5 to 8: scope, authorization request and response, token request (one attempt). */
  authorizeOnce(input: {
    challengeScope?: string | undefined;
    addScopes?: string[];
  }): Promise<TokenSet> {
    return authorizeOnce(this, input);
  }

  /** Step 8b: a refresh token grant with `resource`. */
  refresh(options: { required: boolean }): Promise<TokenSet> {
    return refresh(this, options);
  }

  /** Reuses tokens from the token store when they are still valid (or can be refreshed). */
  loadStoredTokens(): Promise<TokenSet | undefined> {
    return loadStoredTokens(this);
  }

  /** Reacts to a 401 or 403 received with `tokenUsed`: refreshes or re-authorizes. */
  handleChallenge(
    status: number,
    challenge: BearerChallenge | undefined,
    tokenUsed: string | undefined,
    where: string,
  ): Promise<void> {
    return handleChallenge(this, status, challenge, tokenUsed, where);
  }
}
