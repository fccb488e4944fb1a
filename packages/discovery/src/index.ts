export {
  type AuthorizationServerDiscovery,
  authorizationServerMetadataUrls,
  clearDiscoveryCache,
  type DiscoverAuthorizationServerOptions,
  discoverAuthorizationServer,
  type MetadataFlavour,
} from './authorization-server';
export {
  DiscoveryError,
  type DiscoveryErrorCode,
  type DiscoveryErrorDetails,
  isDiscoveryError,
} from './errors';
export {
  type FetchProtectedResourceMetadataOptions,
  fetchProtectedResourceMetadata,
  type ProtectedResourceMetadataResult,
  resourceMatchesServer,
} from './fetch-protected-resource-metadata';
export {
  type FetchLike,
  type FetchWithLimitsOptions,
  fetchWithLimits,
  type LimitedResponse,
} from './fetch-with-limits';
export {
  createMetadataFetchHandler,
  createMetadataHandler,
  type MetadataHandlerOptions,
} from './metadata-handler';
export {
  type CreateProtectedResourceMetadataOptions,
  createProtectedResourceMetadata,
  PROTECTED_RESOURCE_METADATA_SUFFIX,
  protectedResourceMetadataPaths,
  protectedResourceMetadataUrl,
} from './protected-resource-metadata';
export type { AuthorizationServerMetadata, ProtectedResourceMetadata } from './types';
export { canonicalizeResourceUri, type InsecureHttpOption, isLoopbackHost } from './url';
export {
  type BearerChallenge,
  type BearerErrorCode,
  type BuildWwwAuthenticateOptions,
  buildWwwAuthenticate,
  type Challenge,
  parseBearerChallenge,
  parseWwwAuthenticate,
} from './www-authenticate';
