import { TokenValidationError } from '../errors.js';
import type { ValidatorProfile } from './types.js';

/**
 * AWS Cognito user pools. Issuer `https://cognito-idp.<region>.amazonaws.com/<poolId>`.
 *
 * - Access tokens carry **no `aud`** unless resource indicators are enabled (a paid tier feature),
 *   so this profile defaults `strictAudienceValidation` to false, which makes `allowedClientIds`
 *   mandatory: the binding is the app client id. With resource indicators on, set
 *   `strictAudienceValidation: true`. A token that does carry an `aud` must still name us.
 * - The client id is in `client_id`.
 * - Both ID and access tokens are signed by the same keys; `token_use: "access"` tells them apart,
 *   so it is required (an ID token has `token_use: "id"`).
 * - No RFC 9068 `typ` header.
 * - Custom scopes look like `<resource-server-id>/<scope>` in the `scope` string.
 */
export const cognitoProfile: ValidatorProfile = Object.freeze({
  name: 'cognito',
  clientIdClaims: Object.freeze(['client_id']),
  extraScopeClaims: Object.freeze([]),
  requireTyp: false,
  strictAudienceValidation: false,
  checkClaims(claims: Readonly<Record<string, unknown>>): void {
    if (claims.token_use !== 'access') {
      throw new TokenValidationError(
        'ERR_NOT_ACCESS_TOKEN',
        'The token is not a Cognito access token (token_use must be "access")',
        { claim: 'token_use', reason: claims.token_use === 'id' ? 'id_token' : 'token_use' },
      );
    }
  },
});
