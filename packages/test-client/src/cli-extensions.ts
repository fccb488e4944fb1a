import { readFileSync } from 'node:fs';
import { type AuthorizeOptions, assertAuthorizeOptions, type GrantKind } from './options.js';

/** The command-line flags of the authorization extensions (parsed by `node:util` parseArgs). */
export const EXTENSION_FLAGS = {
  grant: { type: 'string' },
  'private-key': { type: 'string' },
  'private-key-id': { type: 'string' },
  'private-key-alg': { type: 'string' },
  'assertion-file': { type: 'string' },
  'id-token-file': { type: 'string' },
  'idp-token-endpoint': { type: 'string' },
  'idp-client-id': { type: 'string' },
  'idp-client-secret': { type: 'string' },
  dpop: { type: 'boolean' },
} as const;

export const EXTENSION_USAGE = `Without a browser, and extensions:
  --grant <kind>                   authorization_code (default) | client_credentials | jwt_bearer | enterprise
  --private-key <file>             PEM key for private_key_jwt (or MCP_AUTH_PRIVATE_KEY with the PEM text)
  --private-key-id <kid>           its kid at the authorization server
  --private-key-alg <alg>          ES256 | RS256 (default: from the key)
  --assertion-file <file>          jwt_bearer: the workload token (or MCP_AUTH_WORKLOAD_TOKEN)
  --id-token-file <file>           enterprise: the ID token to exchange (or MCP_AUTH_ID_TOKEN)
  --idp-token-endpoint <url>       enterprise: the IdP's token endpoint (token exchange for an ID-JAG)
  --idp-client-id <id>             enterprise: this client at the IdP
  --idp-client-secret <secret>     its secret (or MCP_AUTH_IDP_CLIENT_SECRET)
  --dpop                           DPoP-bound tokens: a proof on every token and MCP request`;

type Values = { [K in keyof typeof EXTENSION_FLAGS]?: string | boolean | undefined };

/** A bad command line: `runCli` exits with code 2. */
export class UsageError extends Error {}

function readSecretFile(flag: string, path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (err) {
    throw new UsageError(
      `--${flag} ${JSON.stringify(path)} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
}

/**
 * The {@link AuthorizeOptions} the extension flags ask for; secrets from files or the environment
 * (never needed on the command line, where other users of the machine could read them).
 */
export function extensionOptions(
  values: Values,
  env: Record<string, string | undefined>,
): Partial<AuthorizeOptions> {
  const str = (k: keyof typeof EXTENSION_FLAGS): string | undefined =>
    typeof values[k] === 'string' ? (values[k] as string) : undefined;
  const keyFile = str('private-key');
  const privateKey =
    keyFile !== undefined ? readSecretFile('private-key', keyFile) : env.MCP_AUTH_PRIVATE_KEY;
  const assertionFile = str('assertion-file');
  const assertion =
    assertionFile !== undefined
      ? readSecretFile('assertion-file', assertionFile)
      : env.MCP_AUTH_WORKLOAD_TOKEN;
  const idTokenFile = str('id-token-file');
  const idToken =
    idTokenFile !== undefined
      ? readSecretFile('id-token-file', idTokenFile)
      : env.MCP_AUTH_ID_TOKEN;
  const grant = str('grant') as GrantKind | undefined;
  const alg = str('private-key-alg');
  const idpSecret = str('idp-client-secret') ?? env.MCP_AUTH_IDP_CLIENT_SECRET;
  const out: Partial<AuthorizeOptions> = {
    ...(grant !== undefined ? { grant } : {}),
    ...(privateKey ? { privateKey } : {}),
    ...(str('private-key-id') !== undefined ? { privateKeyId: str('private-key-id')! } : {}),
    ...(alg !== undefined ? { privateKeyAlg: alg as 'ES256' | 'RS256' } : {}),
    ...(assertion && (grant === 'jwt_bearer' || assertionFile !== undefined) ? { assertion } : {}),
    ...(idToken && (grant === 'enterprise' || idTokenFile !== undefined) ? { idToken } : {}),
    ...(str('idp-token-endpoint') !== undefined
      ? { idpTokenEndpoint: str('idp-token-endpoint')! }
      : {}),
    ...(str('idp-client-id') !== undefined ? { idpClientId: str('idp-client-id')! } : {}),
    ...(idpSecret && str('idp-client-id') !== undefined ? { idpClientSecret: idpSecret } : {}),
    ...(values.dpop === true ? { dpop: true } : {}),
  };
  return out;
}

/** Checks the whole option set as the library would, as a usage error naming the option. */
export function assertCliOptions(options: AuthorizeOptions): void {
  try {
    assertAuthorizeOptions(options);
  } catch (err) {
    if (err instanceof TypeError) throw new UsageError(err.message);
    throw err;
  }
}
