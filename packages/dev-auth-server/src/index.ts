export { LOOPBACK_REDIRECT_URIS } from './clients';
export { DEFAULT_USER } from './config';
export { DevAuthServerError, type DevAuthServerErrorCode } from './errors';
export { start } from './server';
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
