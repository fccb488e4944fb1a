export { createClientAssertion, type PrivateKeyJwtKey } from './client-assertion.js';
export { LOOPBACK_REDIRECT_URIS } from './clients.js';
export { DEFAULT_USER } from './config.js';
export {
  createDpopProof,
  type DpopKeyPair,
  type DpopProofOptions,
  dpopThumbprint,
} from './dpop.js';
export {
  DEV_AUTH_SERVER_ERROR_CODES,
  DevAuthServerError,
  type DevAuthServerErrorCode,
} from './errors.js';
export {
  ID_JAG_TOKEN_TYPE,
  ID_JAG_TYP,
  ID_TOKEN_TYPE,
  JWT_BEARER_GRANT,
  TOKEN_EXCHANGE_GRANT,
} from './grants/names.js';
export { start } from './server.js';
export type {
  AuthorizationCodeFlowOptions,
  AuthorizeResult,
  ClientConfig,
  DevAuthServer,
  DevAuthServerOptions,
  DpopTokenOptions,
  EnterpriseIdpOptions,
  ExchangeCodeOptions,
  GetTokenOptions,
  IdJagRequestOptions,
  JwtBearerOptions,
  KeyInfo,
  KeyManager,
  Logger,
  ProfileName,
  ResourceConfig,
  SigningAlg,
  TokenResponse,
  TrustedIssuer,
  TrustedWorkloadIssuer,
  UserConfig,
  WorkloadJwtOptions,
} from './types.js';
