export { createClientAssertion, type PrivateKeyJwtKey } from './client-assertion';
export { LOOPBACK_REDIRECT_URIS } from './clients';
export { DEFAULT_USER } from './config';
export {
  createDpopProof,
  type DpopKeyPair,
  type DpopProofOptions,
  dpopThumbprint,
} from './dpop';
export { DevAuthServerError, type DevAuthServerErrorCode } from './errors';
export {
  ID_JAG_TOKEN_TYPE,
  ID_JAG_TYP,
  ID_TOKEN_TYPE,
  JWT_BEARER_GRANT,
  TOKEN_EXCHANGE_GRANT,
} from './grants/names';
export { start } from './server';
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
} from './types';
