import type { ValidatorProfile } from './types.js';

/**
 * Microsoft Entra ID (v2 endpoint). Issuer `https://login.microsoftonline.com/<tenantId>/v2.0`.
 *
 * - `aud` is the API's application (client) id GUID or its App ID URI (`api://…`): list the one your
 *   tenant issues in `acceptedAudiences`. Set `accessTokenAcceptedVersion: 2` in the app manifest,
 *   otherwise tokens come from the v1 issuer `https://sts.windows.net/<tid>/` and fail the issuer check.
 * - Delegated scopes are a space-separated `scp` string; application permissions (client
 *   credentials) arrive as a `roles` array, counted as scopes here.
 * - The client id is `azp` (v2) or `appid` (v1).
 * - No RFC 9068 `typ` header.
 */
export const entraProfile: ValidatorProfile = Object.freeze({
  name: 'entra',
  clientIdClaims: Object.freeze(['azp', 'appid']),
  extraScopeClaims: Object.freeze(['roles']),
  requireTyp: false,
  strictAudienceValidation: true,
});
