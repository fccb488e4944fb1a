import { TokenValidationError } from '../errors.js';
import type { ValidatorProfile } from './types.js';

/**
 * Keycloak. Issuer `https://<host>/realms/<realm>`.
 *
 * - `aud` only carries your resource with an audience mapper (or the `resource` parameter support
 *   of recent versions): configure one.
 * - Scopes in the `scope` string; the client id is `azp`.
 * - Keycloak marks its tokens with a `typ` *claim*: `Bearer` for access tokens, `ID` for ID tokens,
 *   `Refresh` for refresh tokens. Anything but `Bearer` is refused (an absent claim is accepted:
 *   lightweight access tokens omit it).
 * - No RFC 9068 `typ` header.
 */
export const keycloakProfile: ValidatorProfile = Object.freeze({
  name: 'keycloak',
  clientIdClaims: Object.freeze(['azp', 'client_id']),
  extraScopeClaims: Object.freeze([]),
  requireTyp: false,
  strictAudienceValidation: true,
  checkClaims(claims: Readonly<Record<string, unknown>>): void {
    if (claims.typ !== undefined && claims.typ !== 'Bearer') {
      throw new TokenValidationError(
        'ERR_NOT_ACCESS_TOKEN',
        'The token is not a Keycloak access token (typ claim must be "Bearer")',
        { claim: 'typ', reason: claims.typ === 'ID' ? 'id_token' : 'typ_claim' },
      );
    }
  },
});
