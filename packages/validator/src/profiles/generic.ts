import type { ValidatorProfile } from './types.js';

/**
 * RFC 9068 JWT access tokens, and RFC 7662 introspection: `typ: at+jwt` required, client id in
 * `client_id` (RFC 9068 §2.2) or `azp`, scopes in `scope` (or `scp`). The default profile.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9068#section-2
 */
export const genericProfile: ValidatorProfile = Object.freeze({
  name: 'generic',
  clientIdClaims: Object.freeze(['client_id', 'azp']),
  extraScopeClaims: Object.freeze([]),
  requireTyp: true,
  strictAudienceValidation: true,
});
