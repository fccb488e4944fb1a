import * as oauth from 'oauth4webapi';

/** The client authentication methods with a shared secret (RFC 6749 §2.3.1). */
export type ClientSecretMethod = 'client_secret_basic' | 'client_secret_post';

/**
 * The `application/x-www-form-urlencoded` serializer of the URL Standard: alphanumerics and `*-._`
 * stay as they are, a space becomes `+`, everything else is percent-encoded as UTF-8.
 *
 * @example
 * ```ts
 * formUrlEncode('pre-registered client'); // 'pre-registered+client'
 * ```
 * @see https://url.spec.whatwg.org/#application/x-www-form-urlencoded
 */
export function formUrlEncode(value: string): string {
  return new URLSearchParams([['', value]]).toString().slice(1);
}

/**
 * The `Authorization` header value of HTTP Basic client authentication: id and secret each
 * form-encoded (RFC 6749 §2.3.1), joined by `:`, base64.
 *
 * Why not oauth4webapi's `ClientSecretBasic`: it also percent-encodes `-`, `.`, `_` and `*`
 * (`pre-registered-client` becomes `pre%2Dregistered%2Dclient`), and servers that do not decode the
 * Basic credentials answer `invalid_client`. With the form serializer a server that decodes and one
 * that does not both receive the id and secret as registered whenever they use only those
 * characters. `btoa` (not `Buffer`) keeps this usable on every runtime.
 *
 * @example
 * ```ts
 * basicAuthorization('mcp-client', 's3cret'); // 'Basic bWNwLWNsaWVudDpzM2NyZXQ='
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-2.3.1
 */
export function basicAuthorization(clientId: string, clientSecret: string): string {
  // The form-encoded text is ASCII, so btoa cannot throw.
  return `Basic ${btoa(`${formUrlEncode(clientId)}:${formUrlEncode(clientSecret)}`)}`;
}

/**
 * `client_secret_basic` with {@link basicAuthorization}, as an oauth4webapi `ClientAuth` (token,
 * introspection and revocation requests).
 *
 * @example
 * ```ts
 * await oauth.introspectionRequest(as, { client_id: 'rs' }, clientSecretBasic(secret), token);
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-2.3.1
 */
export function clientSecretBasic(clientSecret: string): oauth.ClientAuth {
  return (_as, client, _body, headers) => {
    headers.set('authorization', basicAuthorization(client.client_id, clientSecret));
  };
}

/**
 * The oauth4webapi `ClientAuth` for a client with a secret and the chosen method.
 *
 * @example
 * ```ts
 * const auth = clientSecretAuth(secret, chooseClientSecretMethod(as.token_endpoint_auth_methods_supported));
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-2.3.1
 */
export function clientSecretAuth(
  clientSecret: string,
  method: ClientSecretMethod,
): oauth.ClientAuth {
  return method === 'client_secret_post'
    ? oauth.ClientSecretPost(clientSecret)
    : clientSecretBasic(clientSecret);
}

/**
 * The secret-based method to use with a server that lists `supported` (its
 * `token_endpoint_auth_methods_supported` or `introspection_endpoint_auth_methods_supported`):
 * `client_secret_basic` when listed or when the list is absent (the RFC 8414 default), else
 * `client_secret_post` when listed, else `client_secret_basic`.
 *
 * @example
 * ```ts
 * chooseClientSecretMethod(undefined);                   // 'client_secret_basic'
 * chooseClientSecretMethod(['client_secret_post']);      // 'client_secret_post'
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc8414#section-2
 */
export function chooseClientSecretMethod(
  supported: readonly unknown[] | undefined,
): ClientSecretMethod {
  if (supported === undefined || supported.includes('client_secret_basic')) {
    return 'client_secret_basic';
  }
  return supported.includes('client_secret_post') ? 'client_secret_post' : 'client_secret_basic';
}
