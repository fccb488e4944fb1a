import {
  JSON_ATTRIBUTE_COMPARISON,
  OperationProcessingError,
  PARSE_ERROR,
  processDiscoveryResponse,
} from 'oauth4webapi';
import { DiscoveryError } from '../errors.js';
import type { AuthorizationServerMetadata } from '../types.js';
import { type InsecureHttpOption, parseFetchableUrl } from '../url.js';
import type { CandidateAnswer } from './candidates.js';

// One answer of an authorization server's well-known URL, judged: is the document acceptable
// metadata for this issuer, and how long may it be cached. The discovery itself (URL order,
// caching, the per-call PKCE checks) is `../authorization-server.ts`.

// Endpoints a client or a resource server sends requests (and credentials) to: they must obey the
// same https rule as the issuer. They may live on another host (Cognito's hosted UI does).
const ENDPOINT_FIELDS = [
  'authorization_endpoint',
  'token_endpoint',
  'jwks_uri',
  'registration_endpoint',
  'introspection_endpoint',
  'revocation_endpoint',
  'userinfo_endpoint',
  'pushed_authorization_request_endpoint',
] as const;
const STRING_ARRAY_FIELDS = [
  'scopes_supported',
  'response_types_supported',
  'response_modes_supported',
  'grant_types_supported',
  'token_endpoint_auth_methods_supported',
  'introspection_endpoint_auth_methods_supported',
  'revocation_endpoint_auth_methods_supported',
  'code_challenge_methods_supported',
  'id_token_signing_alg_values_supported',
  'dpop_signing_alg_values_supported',
] as const;
const BOOLEAN_FIELDS = [
  'authorization_response_iss_parameter_supported',
  'client_id_metadata_document_supported',
  'require_pushed_authorization_requests',
] as const;

function invalid(url: string, field: string, message: string): DiscoveryError {
  return new DiscoveryError('ERR_INVALID_METADATA', `${url}: "${field}" ${message}`, {
    url,
    status: 200,
    field,
  });
}

/**
 * The checks every caller needs (issuer, endpoint URLs, field types); PKCE and the code-flow
 * endpoints are checked per call.
 */
export async function acceptAuthorizationServerMetadata(
  issuer: string,
  answer: CandidateAnswer,
  options: InsecureHttpOption,
): Promise<AuthorizationServerMetadata> {
  const { url, response } = answer;
  // oauth4webapi checks the status, the JSON object and the issuer (as a URL). It is handed the
  // body we already read within our limits, never the live response.
  let json: Record<string, unknown>;
  try {
    json = (await processDiscoveryResponse(
      new URL(issuer),
      new Response(response.body, {
        status: response.status,
        headers: { 'content-type': 'application/json' },
      }),
    )) as Record<string, unknown>;
  } catch (err) {
    if (err instanceof OperationProcessingError && err.code === JSON_ATTRIBUTE_COMPARISON) {
      throw issuerMismatch(issuer, url, answer.json.issuer);
    }
    if (err instanceof OperationProcessingError && err.code === PARSE_ERROR) {
      throw new DiscoveryError('ERR_INVALID_JSON', `${url} did not answer with JSON`, {
        url,
        status: 200,
      });
    }
    if (typeof answer.json.issuer !== 'string') {
      throw invalid(url, 'issuer', 'must be a string');
    }
    // An issuer that is not even a URL cannot be the expected one.
    throw issuerMismatch(issuer, url, answer.json.issuer);
  }
  // Exact string comparison (RFC 8414 §3.3): oauth4webapi compares normalized URLs, which would
  // accept "HTTPS://AS.example" for "https://as.example" or a default port spelled out.
  if (json.issuer !== issuer) throw issuerMismatch(issuer, url, json.issuer);

  for (const field of ENDPOINT_FIELDS) {
    const value = json[field];
    if (value === undefined) continue;
    if (typeof value !== 'string') throw invalid(url, field, 'must be a string');
    try {
      parseFetchableUrl(value, field, options);
    } catch (err) {
      throw invalid(url, field, `is not usable: ${(err as Error).message}`);
    }
  }
  for (const field of STRING_ARRAY_FIELDS) {
    const value = json[field];
    if (value === undefined) continue;
    if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
      throw invalid(url, field, 'must be an array of strings');
    }
  }
  for (const field of BOOLEAN_FIELDS) {
    const value = json[field];
    if (value !== undefined && typeof value !== 'boolean')
      throw invalid(url, field, 'must be a boolean');
  }
  return json as AuthorizationServerMetadata;
}

function issuerMismatch(expected: string, url: string, actual: unknown): DiscoveryError {
  const shown =
    typeof actual === 'string' ? JSON.stringify(actual.slice(0, 512)) : String(typeof actual);
  return new DiscoveryError(
    'ERR_METADATA_ISSUER_MISMATCH',
    `${url} names issuer ${shown}, expected exactly ${JSON.stringify(expected)}`,
    { url, status: 200, field: 'issuer' },
  );
}

/** Cache-Control max-age of a response, in seconds; 0 for no-store/no-cache; undefined when absent. */
export function maxAgeSeconds(headers: Headers): number | undefined {
  const value = headers.get('cache-control');
  if (value === null) return undefined;
  let maxAge: number | undefined;
  for (const directive of value.split(',')) {
    const [name, arg] = directive.trim().split('=', 2) as [string, string | undefined];
    const lower = name.toLowerCase();
    if (lower === 'no-store' || lower === 'no-cache') return 0;
    if (lower === 'max-age' && arg !== undefined) {
      const n = /^"?(\d{1,10})"?$/.exec(arg.trim());
      if (n) maxAge = Number(n[1]);
    }
  }
  return maxAge;
}
