/**
 * What a provider profile tells the validator: where the provider keeps the client id and extra
 * scopes, whether `typ: at+jwt` is required by default, and checks of its own. A profile never
 * loosens the audience rule silently: a provider without an audience claim sets
 * `strictAudienceValidation: false` here, and the validator then demands `allowedClientIds`.
 */
export interface ValidatorProfile {
  /** A name for logs and error messages. */
  readonly name: string;
  /** Claims holding the client id, in order of preference (`client_id`, `azp`, `cid`). */
  readonly clientIdClaims: readonly string[];
  /** Claims beyond `scope` and `scp` whose string arrays count as scopes (`permissions`, `roles`). */
  readonly extraScopeClaims: readonly string[];
  /** The default of `jwt.requireTyp`: whether the JWT header must say `typ: at+jwt` (RFC 9068 §2.1). */
  readonly requireTyp: boolean;
  /**
   * The default of `strictAudienceValidation`. `false` only for providers whose access tokens carry
   * no `aud`; the validator then requires `allowedClientIds` (a client binding instead).
   */
  readonly strictAudienceValidation: boolean;
  /**
   * Provider-specific checks that the claims belong to an access token (Cognito `token_use`,
   * Keycloak `typ` claim). Throw a `TokenValidationError` (`ERR_NOT_ACCESS_TOKEN`, …) to reject.
   */
  readonly checkClaims?: (claims: Readonly<Record<string, unknown>>) => void;
  /**
   * Provider-specific configuration rules, run once by `createTokenValidator`: throw a `TypeError`
   * naming the option (Entra: its tokens never carry the resource URL, so `acceptedAudiences` is
   * required).
   */
  readonly checkOptions?: (options: {
    readonly issuer: string;
    readonly acceptedAudiences: readonly string[];
  }) => void;
}

/** The names of the built-in profiles. */
export type ProfileName = 'generic' | 'cognito' | 'auth0' | 'okta' | 'entra' | 'keycloak';
