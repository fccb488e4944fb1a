/// <reference path="../internal/oidc-provider.d.ts" />
import type { Provider } from 'oidc-provider';
import { jwtBearerEnabled } from '../clients.js';
import type { ServerContext } from '../context.js';
import { unauthorizedClientForExtensionGrants } from './common.js';
import { JWT_BEARER_PARAMS, jwtBearerHandler } from './jwt-bearer.js';
import { JWT_BEARER_GRANT, TOKEN_EXCHANGE_GRANT } from './names.js';
import { TOKEN_EXCHANGE_PARAMS, tokenExchangeHandler } from './token-exchange.js';

/** Registers the extension grants the options turn on with a freshly built oidc-provider. */
export function registerExtensionGrants(s: ServerContext, provider: Provider): void {
  const { options } = s.config;
  if (jwtBearerEnabled(options)) {
    provider.registerGrantType(JWT_BEARER_GRANT, jwtBearerHandler(s), JWT_BEARER_PARAMS);
  }
  if (options.enterpriseIdp) {
    provider.registerGrantType(
      TOKEN_EXCHANGE_GRANT,
      tokenExchangeHandler(s),
      TOKEN_EXCHANGE_PARAMS,
    );
  }
  provider.use(unauthorizedClientForExtensionGrants());
}
