import type { ValidatorProfile } from './types.js';

/**
 * Auth0. Issuer `https://<tenant>.auth0.com/` (with the trailing slash: configure it exactly so).
 *
 * - The `audience` parameter selects the API; `aud` is a string, or an array
 *   `[<api>, <issuer>userinfo]` when `openid` was asked: either form is accepted when it contains us.
 * - RBAC puts granted permissions in a `permissions` array, counted as scopes here.
 * - The client id is `azp` (`client_id` in the RFC 9068 token profile).
 * - `typ: at+jwt` only in the RFC 9068 profile (off by default), so it is not required; set
 *   `jwt.requireTyp: true` if your tenant uses the RFC 9068 profile.
 */
export const auth0Profile: ValidatorProfile = Object.freeze({
  name: 'auth0',
  clientIdClaims: Object.freeze(['azp', 'client_id']),
  extraScopeClaims: Object.freeze(['permissions']),
  requireTyp: false,
  strictAudienceValidation: true,
});
