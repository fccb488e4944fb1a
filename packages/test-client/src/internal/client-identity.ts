import { type AuthorizationServerMetadata, chooseClientSecretMethod } from '@mcp-auth/discovery';
import * as oauth from 'oauth4webapi';
import { TestClientError } from '../errors.js';
import type { TokenEndpointAuthMethod } from '../options.js';
import { oauthFailure } from './oauth-io.js';
import { processRegistrationResponse, type RegisteredClient } from './registration.js';
import type { SessionState } from './session-state.js';
import type { ClientIdentity } from './types.js';

/** Step 4: the client identity. */
export async function ensureClient(session: SessionState): Promise<ClientIdentity> {
  const as = session.metadata!.authorizationServer;
  // Credentials belong to the authorization server that issued them: a new one gets a new identity.
  if (session.client && session.clientIssuer === as.issuer) return session.client;
  const previousIssuer = session.client ? session.clientIssuer : undefined;
  session.client = undefined;
  const o = session.options;
  session.client = await session.report.step('client', 'Client identity', async (s) => {
    if (previousIssuer !== undefined) {
      s.note(
        `the authorization server changed from ${previousIssuer} to ${as.issuer}: the client registered there is not sent here`,
      );
    }
    // Pre-registered credentials belong to the first authorization server they were used with.
    session.preRegisteredIssuer ??= as.issuer;
    const preRegistered = o.clientId !== undefined && session.preRegisteredIssuer === as.issuer;
    if (o.clientId && !preRegistered) {
      s.note(
        `the pre-registered client ${o.clientId} belongs to ${session.preRegisteredIssuer}: not sent to ${as.issuer}`,
      );
    }
    if (o.clientId && preRegistered) {
      const method =
        o.tokenEndpointAuth ??
        (o.privateKey !== undefined
          ? 'private_key_jwt'
          : chooseAuthMethod(as, o.clientSecret !== undefined));
      s.note(`pre-registered client ${o.clientId}, token endpoint auth ${method}`);
      return {
        clientId: o.clientId,
        ...(o.clientSecret ? { clientSecret: o.clientSecret } : {}),
        tokenEndpointAuthMethod: method,
        source: 'pre-registered' as const,
      };
    }
    if (o.clientId && (o.grant ?? 'authorization_code') !== 'authorization_code') {
      throw new TestClientError(
        'ERR_NO_CLIENT_IDENTITY',
        `The ${o.grant} grant needs the pre-registered client, which belongs to ${session.preRegisteredIssuer}: it is not sent to ${as.issuer}`,
      );
    }
    if (o.clientMetadataUrl && as.client_id_metadata_document_supported === true) {
      s.note(`client id metadata document ${o.clientMetadataUrl}`);
      return {
        clientId: o.clientMetadataUrl,
        tokenEndpointAuthMethod: 'none' as const,
        source: 'metadata-document' as const,
      };
    }
    if (o.clientMetadataUrl) {
      s.note('the authorization server does not advertise client_id_metadata_document_supported');
    }
    if (typeof as.registration_endpoint === 'string') {
      const listener = await session.ensureListener();
      const metadata = {
        client_name: o.clientName ?? 'mcp-auth-test-client',
        redirect_uris: [listener.redirectUri],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: registrationAuthMethod(as),
        application_type: 'native',
      };
      s.sent(`POST ${as.registration_endpoint} ${JSON.stringify(metadata)}`);
      let registered: RegisteredClient;
      try {
        const response = await oauth.dynamicClientRegistrationRequest(
          session.oauthAs(),
          metadata,
          session.requestOptions(as.registration_endpoint),
        );
        s.received(`${response.status}`);
        registered = await processRegistrationResponse(response, Math.floor(session.now / 1000));
      } catch (err) {
        throw oauthFailure(
          'ERR_REGISTRATION_FAILED',
          'Dynamic client registration failed',
          err,
          as.registration_endpoint,
        );
      }
      const secret = registered.clientSecret;
      session.report.secret(secret);
      session.report.secret(registered.registrationAccessToken);
      const method = registered.tokenEndpointAuthMethod;
      s.received(
        `client_id=${registered.clientId}, token_endpoint_auth_method=${method}${
          secret
            ? registered.clientSecretExpiresAt === 0
              ? ', client_secret (does not expire)'
              : `, client_secret (expires ${new Date(registered.clientSecretExpiresAt * 1000).toISOString()})`
            : ''
        }`,
      );
      return {
        clientId: registered.clientId,
        ...(secret ? { clientSecret: secret } : {}),
        tokenEndpointAuthMethod: method,
        source: 'dynamic-registration' as const,
      };
    }
    throw new TestClientError(
      'ERR_NO_CLIENT_IDENTITY',
      `The authorization server ${as.issuer} has no registration_endpoint${
        as.client_id_metadata_document_supported
          ? ''
          : ' and does not support Client ID Metadata Documents'
      }: pass --client-id (and --client-secret for a confidential client)${
        as.client_id_metadata_document_supported ? ', or --client-metadata-url' : ''
      }`,
    );
  });
  session.clientIssuer = as.issuer;
  return session.client;
}

/**
 * The `token_endpoint_auth_method` to register with: `none` (a public native client, PKCE) unless
 * the server lists methods without `none`; then the first secret method it lists that this client
 * performs. The server's answer decides in the end (see `processRegistrationResponse`).
 */
export function registrationAuthMethod(as: AuthorizationServerMetadata): TokenEndpointAuthMethod {
  const supported = as.token_endpoint_auth_methods_supported;
  if (!Array.isArray(supported) || supported.includes('none')) return 'none';
  if (supported.includes('client_secret_basic')) return 'client_secret_basic';
  if (supported.includes('client_secret_post')) return 'client_secret_post';
  return 'none';
}

/**
 * The token endpoint authentication of a pre-registered client: `none` without a secret; with one,
 * `client_secret_basic` when the server lists it (or lists nothing: the RFC 8414 default), else
 * `client_secret_post` when listed.
 */
export function chooseAuthMethod(
  as: AuthorizationServerMetadata,
  hasSecret: boolean,
): TokenEndpointAuthMethod {
  return hasSecret ? chooseClientSecretMethod(as.token_endpoint_auth_methods_supported) : 'none';
}
