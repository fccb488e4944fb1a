export {
  DiscoveryError,
  type DiscoveryErrorCode,
  type DiscoveryErrorDetails,
  isDiscoveryError,
} from './errors';
export {
  type FetchLike,
  type FetchWithLimitsOptions,
  fetchWithLimits,
  type LimitedResponse,
} from './fetch-with-limits';
export type { AuthorizationServerMetadata, ProtectedResourceMetadata } from './types';
export { canonicalizeResourceUri, type InsecureHttpOption, isLoopbackHost } from './url';
