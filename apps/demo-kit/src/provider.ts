/**
 * What one demo app knows about its provider: data plus a few small functions. Each app has one
 * (`apps/<app>/src/provider.ts`); everything else is shared.
 */
export interface ProviderDefinition {
  /** The validator / transport profile, and the dev-auth-server emulation profile. */
  profile: 'generic' | 'cognito' | 'auth0' | 'okta';
  /** The app's name as printed, e.g. `cognito-demo`. */
  appName: string;
  /** The provider's name as printed, e.g. `Amazon Cognito`. */
  displayName: string;
  /** Scopes every MCP request needs, unless `OAUTH_REQUIRED_SCOPES` says otherwise. */
  defaultRequiredScopes: string[];
  /** The extra scope the `server_stats` tool needs (step-up), unless `OAUTH_STEP_UP_SCOPE` says otherwise. */
  defaultStepUpScope: string;
  /** The port when `PORT` is not set. */
  defaultPort: number;
  /** An example issuer, shown in error messages. */
  issuerExample: string;
  /** An example resource URI, shown in error messages. */
  resourceExample: string;
  /**
   * Provider-specific checks of the issuer URL: a message saying what is wrong, or undefined.
   * (Cognito: the hosted-UI domain is not the issuer; Okta: the org server is not for APIs.)
   */
  checkIssuer?(issuer: URL): string | undefined;
  /** Provider-specific normalisation of the issuer as typed (Auth0: the trailing slash). */
  normalizeIssuer?(issuer: string): string;
  /**
   * True when tokens carry no audience (Cognito): the server then needs a client id allowlist
   * (`OAUTH_ALLOWED_CLIENT_IDS`, or `OAUTH_CLIENT_ID`) instead.
   */
  requiresAllowedClientIds?: boolean;
  /**
   * Why `--check` cannot prove "another resource's token is refused" on this provider, when it
   * cannot: its tokens do not name the resource (Cognito: no `aud`; Okta: one audience per
   * authorization server). The check is then left out, with this reason printed.
   */
  noOtherResourceCheck?: string;
  /** True for the local demo: it always runs its own authorization server. */
  emulationOnly?: boolean;
  /** The emulation (dev-auth-server) set-up when no provider is configured. */
  emulation: {
    /** e.g. `/us-east-1_Example` (Cognito), `/oauth2/default` (Okta). */
    issuerPath?: string;
    /**
     * Okta: the authorization server's Audience as a new org has it (`api://default`): tokens carry
     * it whatever resource is asked for, and the app accepts it explicitly (as `OAUTH_AUDIENCE`).
     */
    audience?: string;
    /** Lines printed under "This is an emulation": what differs from the generic server. */
    notes: string[];
  };
  /** The claims `whoami` lifts to the top of its answer (the provider-shaped ones). */
  highlightClaims: string[];
}
