import type { AuthorizationServerMetadata, ProtectedResourceMetadata } from '@mcp-auth/discovery';
import type { TokenEndpointAuthMethod } from '../options.js';

/** How the client identified itself. */
export type ClientSource = 'pre-registered' | 'metadata-document' | 'dynamic-registration';

/** The client identity used for the authorization. */
export interface ClientIdentity {
  clientId: string;
  clientSecret?: string;
  tokenEndpointAuthMethod: TokenEndpointAuthMethod;
  source: ClientSource;
}

/** What discovery found. */
export interface DiscoveredMetadata {
  /** The canonical resource tokens are requested for. */
  resource: string;
  protectedResource: ProtectedResourceMetadata;
  protectedResourceMetadataUrl: string;
  authorizationServer: AuthorizationServerMetadata;
  authorizationServerMetadataUrl: string;
}
