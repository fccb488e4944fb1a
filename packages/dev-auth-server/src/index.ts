export { DevAuthServerError, type DevAuthServerErrorCode } from './errors';
export { DEFAULT_USER, LOOPBACK_REDIRECT_URIS, start } from './server';
export type {
  AuthorizationCodeFlowOptions,
  AuthorizeResult,
  ClientConfig,
  DevAuthServer,
  DevAuthServerOptions,
  ExchangeCodeOptions,
  GetTokenOptions,
  KeyInfo,
  KeyManager,
  Logger,
  ProfileName,
  ResourceConfig,
  SigningAlg,
  TokenResponse,
  UserConfig,
} from './types';
