import { clientSecretBasic } from '@mcp-auth/discovery';
import * as oauth from 'oauth4webapi';
import type { ClientSigningKey } from './private-key.js';
import type { ClientIdentity } from './types.js';

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
