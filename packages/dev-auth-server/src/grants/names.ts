/** Identifiers of the extension grants (RFC 7523, RFC 8693, the ID-JAG draft). */

export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
/** RFC 8693 token type of an OpenID Connect ID token. */
export const ID_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:id_token';
/** Token type of an identity assertion JWT authorization grant (ID-JAG). */
export const ID_JAG_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:id-jag';
/** JOSE header `typ` of an ID-JAG. */
export const ID_JAG_TYP = 'oauth-id-jag+jwt';
