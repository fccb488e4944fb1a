export {
  type Credentials,
  checkTokenSyntax,
  DEFAULT_MAX_TOKEN_LENGTH,
  type ExtractBearerTokenOptions,
  extractBearerToken,
  extractCredentials,
  type HeaderSource,
} from './bearer.js';
export type { DpopOptions } from './dpop/options.js';
export {
  accessTokenHash,
  type DpopProofContext,
  type DpopProofSettings,
  type VerifiedDpopProof,
  verifyDpopProof,
} from './dpop/proof.js';
export {
  type DpopReplayStore,
  type MemoryDpopReplayStoreOptions,
  memoryDpopReplayStore,
  type RedisDpopReplayStoreOptions,
  redisDpopReplayStore,
} from './dpop/replay-store.js';
export {
  type BearerErrorCode,
  type DpopChallenge,
  isTokenValidationError,
  statusForCode,
  TOKEN_VALIDATION_ERROR_CODES,
  TokenValidationError,
  type TokenValidationErrorCode,
  type TokenValidationErrorDetails,
  type TokenValidationErrorResponse,
} from './errors.js';
export type { IntrospectionAuthMethod } from './introspection.js';
export { type JwsAlgorithm, SUPPORTED_ALGORITHMS } from './jwt.js';
export { auth0Profile } from './profiles/auth0.js';
export { cognitoProfile } from './profiles/cognito.js';
export { entraProfile } from './profiles/entra.js';
export { genericProfile } from './profiles/generic.js';
export { profiles } from './profiles/index.js';
export { keycloakProfile } from './profiles/keycloak.js';
export { oktaProfile } from './profiles/okta.js';
export type { ProfileName, ValidatorProfile } from './profiles/types.js';
export { extractScopes } from './scopes.js';
export type {
  AuthInfo,
  AuthInfoExtra,
  CustomValidator,
  CustomValidatorContext,
  CustomValidatorResult,
  IssuerOptions,
  Logger,
  TokenValidator,
  TokenValidatorOptions,
  TokenValidatorStats,
} from './types.js';
export { createTokenValidator } from './validator.js';
