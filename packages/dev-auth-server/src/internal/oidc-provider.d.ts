// oidc-provider ships no type declarations; this covers the part of its API this package uses.
declare module 'oidc-provider' {
  import type { EventEmitter } from 'node:events';
  import type { IncomingMessage, ServerResponse } from 'node:http';

  export interface InteractionDetails {
    uid: string;
    prompt: { name: string; reasons: string[]; details: Record<string, unknown> };
    params: Record<string, unknown>;
    session?: { accountId?: string; uid?: string };
    grantId?: string;
    lastSubmission?: Record<string, unknown>;
  }

  export interface GrantInstance {
    jti: string;
    accountId: string;
    clientId: string;
    addOIDCScope(scope: string): void;
    addOIDCClaims(claims: string[]): void;
    addResourceScope(resource: string, scope: string): void;
    save(): Promise<string>;
  }

  export interface GrantConstructor {
    new (o: { accountId: string; clientId: string }): GrantInstance;
    find(id: string): Promise<GrantInstance | undefined>;
  }

  export class Provider extends EventEmitter {
    constructor(issuer: string, configuration: Record<string, unknown>);
    issuer: string;
    proxy: boolean;
    Grant: GrantConstructor;
    Client: {
      find(id: string): Promise<{ clientSecret?: string; clientAuthMethod: string } | undefined>;
    };
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    registerGrantType(
      name: string,
      // biome-ignore lint/suspicious/noExplicitAny: koa context
      handler: (ctx: any) => Promise<void>,
      params?: string[],
      dupes?: string[],
    ): void;
    // biome-ignore lint/suspicious/noExplicitAny: koa middleware
    use(middleware: (ctx: any, next: () => Promise<void>) => Promise<void>): void;
    interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<InteractionDetails>;
    interactionFinished(
      req: IncomingMessage,
      res: ServerResponse,
      result: Record<string, unknown>,
      o?: { mergeWithLastSubmission?: boolean },
    ): Promise<void>;
    interactionResult(
      req: IncomingMessage,
      res: ServerResponse,
      result: Record<string, unknown>,
      o?: { mergeWithLastSubmission?: boolean },
    ): Promise<string>;
  }

  export const errors: {
    InvalidTarget: new (description?: string) => Error;
    InvalidRequest: new (description?: string) => Error;
    AccessDenied: new (description?: string) => Error;
    InvalidClientMetadata: new (description?: string) => Error;
    InvalidScope: new (description: string, scope?: string) => Error;
    CustomOIDCProviderError: new (error: string, description?: string) => Error;
  };

  export default Provider;
}

// oidc-provider's own DPoP proof validation (not part of its documented API; pinned by the lockfile
// and covered by the extension-grant tests, so a change in a new version shows up as a failure).
declare module 'oidc-provider/lib/helpers/validate_dpop.js' {
  import type { Provider } from 'oidc-provider';
  export interface DpopResult {
    thumbprint: string;
    jti: string;
    iat: number;
  }
  export default function validateDpop(
    provider: Provider,
    // biome-ignore lint/suspicious/noExplicitAny: koa context
    ctx: any,
  ): Promise<DpopResult | undefined>;
  export function checkDpopReplay(
    provider: Provider,
    // biome-ignore lint/suspicious/noExplicitAny: koa context
    ctx: any,
    dPoP: DpopResult,
    clientId: string,
  ): Promise<void>;
}
