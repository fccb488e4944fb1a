/**
 * OAuth 2.0 Protected Resource Metadata, the document a resource server (an MCP server) publishes
 * at `/.well-known/oauth-protected-resource`. Keys are the registered snake_case names; other
 * registered or private parameters may be present.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9728#section-2
 */
export interface ProtectedResourceMetadata {
  /** The resource identifier (canonical URI of the MCP server). */
  resource: string;
  /** Issuer identifiers of the authorization servers that issue tokens for this resource. */
  authorization_servers: string[];
  scopes_supported?: string[];
  /** How tokens may be sent: `header` (RFC 6750 §2.1) for MCP. */
  bearer_methods_supported?: string[];
  resource_name?: string;
  resource_documentation?: string;
  jwks_uri?: string;
  resource_signing_alg_values_supported?: string[];
  resource_policy_uri?: string;
  resource_tos_uri?: string;
  tls_client_certificate_bound_access_tokens?: boolean;
  authorization_details_types_supported?: string[];
  dpop_signing_alg_values_supported?: string[];
  dpop_bound_access_tokens_required?: boolean;
  [parameter: string]: unknown;
}

/**
 * OAuth 2.0 Authorization Server Metadata (RFC 8414), which OpenID Connect Discovery extends. Only
 * `issuer` is guaranteed by discovery; which other fields must be present depends on the caller
 * (see `discoverAuthorizationServer`).
 *
 * @see https://www.rfc-editor.org/rfc/rfc8414#section-2
 * @see https://openid.net/specs/openid-connect-discovery-1_0.html#ProviderMetadata
 */
export interface AuthorizationServerMetadata {
  issuer: string;
  authorization_endpoint?: string;
  token_endpoint?: string;
  jwks_uri?: string;
  registration_endpoint?: string;
  scopes_supported?: string[];
  response_types_supported?: string[];
  response_modes_supported?: string[];
  grant_types_supported?: string[];
  token_endpoint_auth_methods_supported?: string[];
  token_endpoint_auth_signing_alg_values_supported?: string[];
  service_documentation?: string;
  ui_locales_supported?: string[];
  op_policy_uri?: string;
  op_tos_uri?: string;
  revocation_endpoint?: string;
  revocation_endpoint_auth_methods_supported?: string[];
  introspection_endpoint?: string;
  introspection_endpoint_auth_methods_supported?: string[];
  code_challenge_methods_supported?: string[];
  /** RFC 9207: the AS sends `iss` in authorization responses. */
  authorization_response_iss_parameter_supported?: boolean;
  /** MCP: the AS accepts Client ID Metadata Documents as `client_id`. */
  client_id_metadata_document_supported?: boolean;
  pushed_authorization_request_endpoint?: string;
  require_pushed_authorization_requests?: boolean;
  dpop_signing_alg_values_supported?: string[];
  /** OpenID Connect Discovery. */
  userinfo_endpoint?: string;
  end_session_endpoint?: string;
  subject_types_supported?: string[];
  id_token_signing_alg_values_supported?: string[];
  claims_supported?: string[];
  [parameter: string]: unknown;
}
