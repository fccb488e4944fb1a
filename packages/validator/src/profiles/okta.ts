import type { ValidatorProfile } from './types.js';

/**
 * Okta custom authorization servers. Issuer `https://<org>/oauth2/<serverId>` (e.g. `/oauth2/default`).
 *
 * - `aud` defaults to `api://default` (configurable per authorization server): list it in
 *   `acceptedAudiences`, or configure the server's audience to be your resource URI.
 * - Scopes are a `scp` array; the client id is `cid`.
 * - No RFC 9068 `typ` header. The org authorization server (issuer without `/oauth2/...`) issues
 *   tokens only Okta can validate: use a custom authorization server.
 */
export const oktaProfile: ValidatorProfile = Object.freeze({
  name: 'okta',
  clientIdClaims: Object.freeze(['cid', 'client_id']),
  extraScopeClaims: Object.freeze([]),
  requireTyp: false,
  strictAudienceValidation: true,
});
