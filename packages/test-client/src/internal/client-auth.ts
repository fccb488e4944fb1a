import * as oauth from 'oauth4webapi';
import type { ClientSigningKey } from './private-key.js';
import type { ClientIdentity } from './types.js';

/**
 * The `application/x-www-form-urlencoded` serializer of the URL Standard: alphanumerics and `*-._`
 * stay as they are, a space becomes `+`, everything else is percent-encoded as UTF-8.
 *
 * Why not oauth4webapi's `ClientSecretBasic`: it also percent-encodes `-`, `.`, `_` and `*`
 * (`pre-registered-client` becomes `pre%2Dregistered%2Dclient`), and servers that do not decode the
 * Basic credentials answer `invalid_client` (issue 13). With this serializer a server that decodes
 * (RFC 6749 §2.3.1) and one that does not both receive the id and secret as registered whenever they
 * use only those characters.
 */
export function formUrlEncode(value: string): string {
  return new URLSearchParams([['', value]]).toString().slice(1);
}

/** The `Authorization` header value of HTTP Basic client authentication (RFC 6749 §2.3.1). */
export function basicAuthorization(clientId: string, clientSecret: string): string {
  // The form-encoded text is ASCII, so btoa cannot throw.
  return `Basic ${btoa(`${formUrlEncode(clientId)}:${formUrlEncode(clientSecret)}`)}`;
}

/** `client_secret_basic` with {@link basicAuthorization}, as an oauth4webapi `ClientAuth`. */
export function clientSecretBasic(clientSecret: string): oauth.ClientAuth {
  return (_as, client, _body, headers) => {
    headers.set('authorization', basicAuthorization(client.client_id, clientSecret));
  };
}

/**
 * The oauth4webapi client authentication for a client identity. `private_key_jwt` signs an RFC 7523
 * client assertion (`iss` = `sub` = the client, `aud` = the issuer, one minute of life).
 */
export function clientAuth(
  client: ClientIdentity,
  signingKey?: ClientSigningKey | undefined,
): oauth.ClientAuth {
  switch (client.tokenEndpointAuthMethod) {
    case 'private_key_jwt':
      if (!signingKey) throw new TypeError('"privateKey" is needed for private_key_jwt');
      return oauth.PrivateKeyJwt({
        key: signingKey.key as never,
        ...(signingKey.kid !== undefined ? { kid: signingKey.kid } : {}),
      });
    case 'client_secret_basic':
      return clientSecretBasic(client.clientSecret!);
    case 'client_secret_post':
      return oauth.ClientSecretPost(client.clientSecret!);
    default:
      return oauth.None();
  }
}

/**
 * Runs a token request (request and response processing) once more when the authorization server
 * asked for a DPoP nonce (`use_dpop_nonce`, RFC 9449 §8); oauth4webapi's handle keeps the nonce.
 */
export async function withDpopNonceRetry<T>(request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (err) {
    if (oauth.isDPoPNonceError(err)) return request();
    throw err;
  }
}
