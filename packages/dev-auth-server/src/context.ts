/// <reference path="./internal/oidc-provider.d.ts" />
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Provider } from 'oidc-provider';
import type { Clients } from './clients.js';
import type { ServerConfig } from './config.js';
import type { MemoryStore } from './internal/adapter.js';
import type { OidcProviderModule } from './internal/load-oidc-provider.js';
import type { KeyRing } from './keys.js';

/**
 * What the parts of one running server share: its configuration, clients, keys and store, where it
 * listens, and the current oidc-provider instance (rebuilt when the keys change). Types only.
 */
export interface ServerContext {
  config: ServerConfig;
  clients: Clients;
  keys: KeyRing;
  store: MemoryStore;
  oidc: OidcProviderModule;
  /** Known once the server listens. */
  issuer: string;
  origin: string;
  endpointsOrigin: string | undefined;
  /** `Host` headers each front answers (loopback only); undefined: any. */
  allowedHosts: Set<string> | undefined;
  endpointsAllowedHosts: Set<string> | undefined;
  /** Discovery documents by path; served once `documentsReady`. */
  documents: Map<string, Record<string, unknown>>;
  documentsReady: boolean;
  /** The current oidc-provider instance and its request listener. */
  provider: Provider | undefined;
  callback: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  /** The last DPoP nonce the token endpoint sent the helpers. */
  dpopNonce: string | undefined;
}
