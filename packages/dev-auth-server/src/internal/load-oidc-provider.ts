/// <reference path="./oidc-provider.d.ts" />

export type OidcProviderModule = typeof import('oidc-provider');
let oidcProviderModule: Promise<OidcProviderModule> | undefined;

/**
 * Loads oidc-provider once. It warns "Unsupported runtime" on Node 20 at import; this repository
 * supports Node 20 and tests this server on it, so that one line is dropped instead of printed by
 * every test file of every package. Every other warning passes.
 */
export function loadOidcProvider(): Promise<OidcProviderModule> {
  oidcProviderModule ??= (async () => {
    const warn = console.warn;
    console.warn = (...args: unknown[]) => {
      if (
        typeof args[0] === 'string' &&
        args[0].includes('oidc-provider WARNING: Unsupported runtime')
      ) {
        return;
      }
      warn(...args);
    };
    try {
      return await import('oidc-provider');
    } finally {
      console.warn = warn;
    }
  })();
  return oidcProviderModule;
}
