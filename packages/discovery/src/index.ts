export {
  type AuthorizationServerDiscovery,
  authorizationServerMetadataUrls,
  clearDiscoveryCache,
  type DiscoverAuthorizationServerOptions,
  discoverAuthorizationServer,
  type MetadataFlavour,
} from './authorization-server.js';
export {
  basicAuthorization,
  type ClientSecretMethod,
  chooseClientSecretMethod,
  clientSecretAuth,
  clientSecretBasic,
  formUrlEncode,
} from './client-auth.js';
export {
  DISCOVERY_ERROR_CODES,
  DiscoveryError,
  type DiscoveryErrorCode,
  type DiscoveryErrorDetails,
  isDiscoveryError,
} from './errors.js';
export {
  type FetchProtectedResourceMetadataOptions,
  fetchProtectedResourceMetadata,
  type ProtectedResourceMetadataResult,
  resourceMatchesServer,
} from './fetch-protected-resource-metadata.js';
export {
  type FetchLike,
  type FetchWithLimitsOptions,
  fetchWithLimits,
  type LimitedResponse,
} from './fetch-with-limits.js';
export {
  createMetadataFetchHandler,
  createMetadataHandler,
  type MetadataHandlerOptions,
} from './metadata-handler.js';
export {
  type CreateProtectedResourceMetadataOptions,
  createProtectedResourceMetadata,
  PROTECTED_RESOURCE_METADATA_SUFFIX,
  protectedResourceMetadataPaths,
  protectedResourceMetadataUrl,
} from './protected-resource-metadata.js';
export type { AuthorizationServerMetadata, ProtectedResourceMetadata } from './types.js';
export { canonicalizeResourceUri, type InsecureHttpOption, isLoopbackHost } from './url.js';
export {
  type BearerChallenge,
  type BearerErrorCode,
  type BuildWwwAuthenticateOptions,
  buildWwwAuthenticate,
  type Challenge,
  parseBearerChallenge,
  parseWwwAuthenticate,
} from './www-authenticate.js';
